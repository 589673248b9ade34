/**
 * The node's HTTP API: Fastify with a schema on every route, one error shape, request ids,
 * structured logs without secrets, and a generated OpenAPI 3.1 document.
 */
import { resolve } from 'node:path';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import rateLimit from '@fastify/rate-limit';
import { stdSerializers } from 'pino';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { actorName, type Principal } from '../../identity/index.ts';
import { InputError, TongbanError, isRecorded, toTongbanError, type ErrorCode } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import type { NodeContext } from '../open-node.ts';
import { tongbanVersion } from '../version.ts';
import { maskDeep, maskIdNumbers, redactPaths } from './redact.ts';
import { registerNodeRoutes } from './node-routes.ts';
import { registerIdentityRoutes } from '../../identity/http/routes.ts';
import { registerDirectoryRoutes } from '../../directory/index.ts';
import { registerCatalogRoutes } from '../../catalog/index.ts';
import { registerAgreementRoutes } from '../../agreements/index.ts';
import { registerExchangeRoutes } from '../../exchange/http/routes.ts';
import { registerAuditRoutes } from '../../audit/http/routes.ts';
import { registerVerificationRoutes } from '../../audit/http/verification-routes.ts';
import { registerQualityRoutes } from '../../quality/index.ts';
import { registerConsole } from './console.ts';

/** Who may call a route: anyone, any authenticated caller, or holders of one permission. */
export type RouteAccess = { readonly auth: 'public' } | { readonly auth: 'authenticated' } | { readonly permission: string };

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
}

export type Server = FastifyInstance<
  import('node:http').Server,
  import('node:http').IncomingMessage,
  import('node:http').ServerResponse,
  import('fastify').FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export interface ServerOptions {
  /** Defaults to the node's configured level. */
  readonly logLevel?: string;
  /** A stream for logs (tests capture them); defaults to stdout. */
  readonly logStream?: NodeJS.WritableStream;
}

const requestIdPattern = /^[A-Za-z0-9._:-]{1,64}$/;

/** Maps Fastify's own errors onto our stable codes. */
function fromFastifyError(error: FastifyError): TongbanError | undefined {
  if (error.validation) {
    const first = error.validation[0];
    const path = first ? `${error.validationContext ?? 'body'}${first.instancePath.replace(/\//g, '.')}` : error.validationContext;
    return new InputError(`Invalid request: ${path ? `'${path}' ` : ''}${first?.message ?? error.message}.`, {
      path,
      issues: error.validation.map((issue) => ({ path: issue.instancePath, message: issue.message, params: issue.params })),
    });
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new TongbanError('body_too_large', 'The request body exceeds the size limit of this endpoint.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new TongbanError('unsupported_media_type', 'Send the request body as application/json.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new InputError('The request body is empty but the content type says JSON.', undefined, 'malformed_json');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new InputError('The Content-Length header does not match the body.');
    default:
      break;
  }
  if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return new InputError('The request body is not valid JSON.', undefined, 'malformed_json');
  }
  if (error.statusCode === 429) return new TongbanError('rate_limited', 'Too many requests; slow down and retry later.');
  return undefined;
}


/** Builds the node's HTTP server; call `listen` on the result. */
export async function buildServer(node: NodeContext, options: ServerOptions = {}): Promise<Server> {
  const { config } = node;
  const app = Fastify({
    logger: {
      level: options.logLevel ?? config.log.level,
      redact: { paths: [...redactPaths], remove: true },
      formatters: { log: (object) => maskDeep(object) as Record<string, unknown> },
      serializers: {
        req: (request: { method: string; url: string; ip?: string; id?: string }) => ({
          id: request.id,
          method: request.method,
          url: maskIdNumbers(request.url),
          remoteAddress: request.ip,
        }),
        err: (error: Error) => maskDeep({ ...stdSerializers.err(error) }) as ReturnType<typeof stdSerializers.err>,
      },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((arg) => (typeof arg === 'string' ? maskIdNumbers(arg) : arg)) as Parameters<typeof method>);
        },
      },
      ...(options.logStream ? { stream: options.logStream } : {}),
    },
    bodyLimit: config.http.bodyLimitBytes,
    trustProxy: config.http.trustProxy,
    requestTimeout: config.http.requestTimeoutMs,
    genReqId: (request) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && requestIdPattern.test(incoming) ? incoming : newId();
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Every route must say who may call it; a route without `access` fails at start-up, not in production.
  app.addHook('onRoute', (route) => {
    const open = route.url.startsWith('/docs') || route.url === '/openapi.json';
    if (!open && !route.config?.access) {
      throw new Error(`route ${route.method} ${route.url} declares no access rule`);
    }
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: `Tongban node API — ${node.info.name} (${node.info.code})`,
        version: tongbanVersion,
        description:
          'The HTTP API of one Tongban node. Errors always have the shape { code, message, details? }; the codes are listed in docs/errors.md.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'A staff access token from POST /api/v1/auth/login, or an API token (tbt_…).' },
        },
      },
      tags: [
        { name: 'node', description: 'Health, identity and keys of this node' },
        { name: 'auth', description: 'Staff login and sessions' },
        { name: 'accounts', description: 'Staff accounts and roles' },
        { name: 'tokens', description: 'API tokens for systems' },
        { name: 'events', description: 'The append-only event log' },
        { name: 'directory', description: 'Federation membership and the signed directory' },
        { name: 'catalog', description: 'The resource catalogue (政务信息资源目录) and dataset imports' },
        { name: 'agreements', description: 'Agreements (合作协议): documents, signatures, lifecycle, explanations' },
        { name: 'exchange', description: 'Signed exchange between nodes: query and verify, bridge and radial' },
        { name: 'audit', description: 'Tamper-evident log: signed checkpoints, inclusion and consistency proofs' },
        { name: 'quality', description: 'Data quality: rules pushed down to the data, run records, scores and trends' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true } });
  await app.register(rateLimit, { global: false });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  app.addHook('preHandler', async (request) => {
    const access = request.routeOptions.config.access;
    if (!access || ('auth' in access && access.auth === 'public')) return;
    const header = request.headers.authorization;
    if (!header || !header.startsWith('Bearer ')) {
      throw new TongbanError('authentication_required', 'Log in first: send Authorization: Bearer <token>.');
    }
    request.principal = await node.identity.authenticate(header.slice('Bearer '.length).trim());
    if ('permission' in access) node.identity.authorize(request.principal, access.permission as never);
  });

  app.setNotFoundHandler((request, reply) => {
    sendError(request, reply, new TongbanError('route_not_found', `No endpoint ${request.method} ${request.url.split('?')[0]}.`));
  });

  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const mapped = fromFastifyError(error) ?? toTongbanError(error);
    if (mapped.kind === 'internal') request.log.error({ err: error }, 'request failed');
    if (mapped.kind !== 'internal' && mapped.kind !== 'not_found' && !isRecorded(mapped)) {
      await recordRefusal(node, request, mapped);
    }
    sendError(request, reply, mapped);
  });

  await registerNodeRoutes(app, node);
  await registerIdentityRoutes(app, node.identity);
  await registerDirectoryRoutes(app, node);
  await registerCatalogRoutes(app, node);
  await registerAgreementRoutes(app, node);
  await registerExchangeRoutes(app, node);
  await registerAuditRoutes(app, node);
  await registerVerificationRoutes(app, node);
  await registerQualityRoutes(app, node);

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await registerConsole(app, config.http.consoleDir ? resolve(config.http.consoleDir) : undefined);
  return app;
}

function sendError(_request: FastifyRequest, reply: FastifyReply, error: TongbanError): void {
  const body = error.toBody();
  if (error.code === 'account_locked' || error.code === 'rate_limited') {
    const retryAfter = error.details?.retryAfterSeconds;
    if (typeof retryAfter === 'number') reply.header('retry-after', String(Math.ceil(retryAfter)));
  }
  void reply.status(error.httpStatus).type('application/json').send(body);
}

/** Puts a refused request in the event log; failure to record must not hide the refusal itself. */
async function recordRefusal(node: NodeContext, request: FastifyRequest, error: TongbanError): Promise<void> {
  const code: ErrorCode = error.code;
  try {
    await node.events.record({
      type: 'http.request_refused',
      actor: request.principal ? actorName(request.principal) : null,
      outcome: 'denied',
      details: {
        requestId: request.id,
        method: request.method,
        route: request.routeOptions.url ?? null,
        code,
        source: request.ip,
      },
    });
  } catch (recordError) {
    request.log.error({ err: recordError }, 'could not record a refused request');
  }
}
