/** HTTP routes of the exchange gateway: the provider endpoint, the hub relay, and caseworker requests. */
import { Type, type Static } from 'typebox';
import { InputError } from '../../core/errors.ts';
import { actorName } from '../../identity/index.ts';
import type { Server } from '../../node/http/build-server.ts';
import { errorResponses, IdParams } from '../../node/http/schemas.ts';
import type { NodeContext } from '../../node/open-node.ts';
import type { OutboundRequest } from '../outbox.ts';
import { maxBatchBodyBytes } from '../domain/batch.ts';
import type { ExchangeOutcome, ExchangeRequest } from '../requester.ts';

const Jws = Type.Object(
  { payload: Type.String(), protected: Type.String(), signature: Type.String() },
  { $id: 'FlattenedJws', description: 'A flattened JWS (RFC 7515 §7.2.2) over RFC 8785 canonical JSON.' },
);

const BatchedJws = Type.Object(
  {
    payload: Type.String({ description: 'the member: RFC 8785 canonical JSON, base64url' }),
    batch: Type.Ref('FlattenedJws'),
    index: Type.Integer({ minimum: 0 }),
    proof: Type.Array(Type.String(), { description: 'RFC 9162 inclusion proof of the member in the batch tree, base64url hashes' }),
  },
  { $id: 'BatchedJws', description: 'A member of a signed batch: the batch JWS signs a Merkle root over its members, and the proof places this member under it.' },
);

/** The answer to a batch (and to a relayed one): one result per message, in order. */
const BatchResults = Type.Object({
  results: Type.Array(
    Type.Object({ status: Type.Integer(), body: Type.Unknown({ description: 'what POST /api/v1/exchange/messages would answer for this message alone' }) }),
  ),
});

const NodeCode = Type.String({ pattern: '^(\\d{6}|[A-Za-z0-9]{2,32})$' });
const FieldName = Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]{0,62}$' });

const RequestBody = Type.Object(
  {
    to: NodeCode,
    op: Type.Union([Type.Literal('query'), Type.Literal('verify')]),
    agreement: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,99}@[1-9][0-9]{0,8}$', description: '<agreement id>@<version>' }),
    item: Type.String({ minLength: 1, maxLength: 100 }),
    purpose: Type.String({ minLength: 1, maxLength: 100 }),
    case: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    dataset: Type.String({ minLength: 3, maxLength: 100 }),
    key: Type.Record(FieldName, Type.String({ minLength: 1, maxLength: 256 }), { minProperties: 1, maxProperties: 4 }),
    fields: Type.Optional(Type.Array(FieldName, { minItems: 1, maxItems: 64, uniqueItems: true })),
    predicate: Type.Optional(Type.Object({ field: FieldName, equals: Type.String({ maxLength: 256 }) }, { additionalProperties: false })),
    route: Type.Optional(Type.Union([Type.Literal('bridge'), Type.Literal('radial')])),
    async: Type.Optional(Type.Boolean({ description: 'Queue in the outbox and deliver with retries instead of waiting.' })),
  },
  { additionalProperties: false },
);

const OutboundStatus = Type.Union(['queued', 'delivering', 'answered', 'denied', 'failed'].map((status) => Type.Literal(status)));

const OutboundSchema = Type.Object({
  id: Type.String(),
  mode: Type.Union([Type.Literal('sync'), Type.Literal('async')], { description: 'sync: answered while the caller waited; async: queued in the outbox' }),
  to: Type.String(),
  op: Type.String(),
  agreement: Type.String(),
  route: Type.String(),
  operator: Type.String(),
  status: Type.String(),
  attempts: Type.Integer(),
  nextAttemptAt: Type.String(),
  lastError: Type.Union([Type.String(), Type.Null()]),
  answer: Type.Unknown({ description: 'async: the verified answer and its evidence, or the refusal; sync: the decision only (records are not kept)' }),
  answerId: Type.Union([Type.String(), Type.Null()]),
  clause: Type.Union([Type.String(), Type.Null()], { description: 'the agreement clause that allowed or refused the request' }),
  code: Type.Union([Type.String(), Type.Null()], { description: 'the error code of a refusal or failure' }),
  createdAt: Type.String(),
  finishedAt: Type.Union([Type.String(), Type.Null()]),
});

const OutcomeSchema = Type.Object({
  id: Type.String(),
  route: Type.String(),
  status: Type.String(),
  decision: Type.Object({ agreement: Type.String(), clause: Type.String(), code: Type.Optional(Type.String()), reason: Type.String() }),
  records: Type.Optional(Type.Array(Type.Record(Type.String(), Type.Unknown()))),
  result: Type.Optional(Type.Boolean()),
  evidence: Type.Union([Type.Ref('FlattenedJws'), Type.Ref('BatchedJws')], { description: "the provider's signed answer: a JWS of its own, or a member of a batch it signed" }),
  timings: Type.Object({ sent: Type.String(), answered: Type.String() }),
});

/** Turns the API request into the gateway's request, checking the operation's fields. */
export function toExchangeRequest(body: Static<typeof RequestBody>, operator: string): ExchangeRequest {
  const common = { to: body.to, agreement: body.agreement, item: body.item, purpose: body.purpose, operator, route: body.route ?? 'bridge', ...(body.case ? { case: body.case } : {}) };
  if (body.op === 'query') {
    if (!body.fields) throw new InputError('A query names the fields it needs.', { path: 'fields' });
    if (body.predicate) throw new InputError('A query has no predicate; use op verify for a yes/no question.', { path: 'predicate' });
    return { ...common, op: 'query', body: { dataset: body.dataset, key: body.key, fields: body.fields } };
  }
  if (body.fields) throw new InputError('A verify request returns no fields; give a predicate or nothing.', { path: 'fields' });
  return { ...common, op: 'verify', body: { dataset: body.dataset, key: body.key, ...(body.predicate ? { predicate: body.predicate } : {}) } };
}

/** The outcome as the API returns it. */
export function presentOutcome(outcome: ExchangeOutcome) {
  const body = outcome.answer.body;
  return {
    id: outcome.id,
    route: outcome.route,
    status: outcome.answer.status,
    decision: outcome.answer.decision,
    ...(body && 'records' in body ? { records: [...body.records] } : {}),
    ...(body && 'result' in body ? { result: body.result } : {}),
    evidence: outcome.evidence,
    timings: outcome.timings,
  };
}

export async function registerExchangeRoutes(app: Server, node: NodeContext): Promise<void> {
  app.addSchema(Jws);
  app.addSchema(BatchedJws);
  const envelopeLimit = node.config.exchange.maxEnvelopeBytes;

  app.post(
    '/api/v1/exchange/messages',
    {
      bodyLimit: envelopeLimit,
      config: { access: { auth: 'public' } },
      schema: {
        tags: ['exchange'],
        summary: 'Receive a signed envelope from a member (authenticated by its signature, not a token)',
        body: Type.Unknown({ description: 'A flattened JWS whose payload is the exchange message.' }),
        response: { 200: Type.Object({ answer: Type.Union([Type.Ref('FlattenedJws'), Type.Ref('BatchedJws')]) }), ...errorResponses(400, 401, 403, 404, 409, 413, 503) },
      },
    },
    async (request, reply) => {
      const result = await node.exchange.receive(request.body);
      return reply.status(result.status as 200).send(result.body as never);
    },
  );

  app.post(
    '/api/v1/exchange/batches',
    {
      bodyLimit: maxBatchBodyBytes,
      config: { access: { auth: 'public' } },
      schema: {
        tags: ['exchange'],
        summary: 'Receive a batch of signed messages from a member: one batch signature covers them all; one result per message, in order',
        body: Type.Unknown({ description: '{ batch, payloads }: the batch JWS (its payload names the Merkle root over the messages) and the base64url canonical messages.' }),
        response: { 200: BatchResults, ...errorResponses(400, 401, 403, 404, 409, 413, 503) },
      },
    },
    async (request, reply) => {
      const result = await node.exchange.receiveBatch(request.body);
      return reply.status(result.status as 200).send(result.body as never);
    },
  );

  app.post(
    '/api/v1/exchange/relay',
    {
      bodyLimit: envelopeLimit,
      config: { access: { auth: 'public' } },
      schema: {
        tags: ['exchange'],
        summary: 'Hub only: check and forward a radial envelope whose body is sealed for the recipient',
        body: Type.Unknown({ description: 'A flattened JWS whose payload is the exchange message, with `via` = the hub.' }),
        response: { 200: Type.Object({ answer: Type.Union([Type.Ref('FlattenedJws'), Type.Ref('BatchedJws')]) }), ...errorResponses(400, 401, 403, 404, 409, 413, 503) },
      },
    },
    async (request, reply) => {
      const result = await node.exchange.relay(request.body);
      return reply.status(result.status as 200).send(result.body as never);
    },
  );

  app.post(
    '/api/v1/exchange/relay-batches',
    {
      bodyLimit: maxBatchBodyBytes,
      config: { access: { auth: 'public' } },
      schema: {
        tags: ['exchange'],
        summary: "Hub only: check and forward a batch of radial envelopes for one recipient, whole, and relay its answers back unread",
        body: Type.Unknown({ description: '{ batch, payloads }, as POST /api/v1/exchange/batches takes it; every message names this hub as `via` and has a sealed body.' }),
        response: { 200: BatchResults, ...errorResponses(400, 401, 403, 404, 409, 413, 503) },
      },
    },
    async (request, reply) => {
      const result = await node.exchange.relayBatch(request.body);
      return reply.status(result.status as 200).send(result.body as never);
    },
  );

  app.post(
    '/api/v1/exchange/requests',
    {
      config: { access: { permission: 'exchange.request' } },
      schema: {
        tags: ['exchange'],
        summary: 'Ask a partner for data under an agreement (query) or a yes/no answer (verify)',
        security: [{ bearer: [] }],
        body: RequestBody,
        response: { 200: OutcomeSchema, 202: OutboundSchema, ...errorResponses(400, 401, 403, 404, 409, 503) },
      },
    },
    async (request, reply) => {
      const exchangeRequest = toExchangeRequest(request.body, actorName(request.principal!));
      if (request.body.async) return reply.status(202).send(await node.exchange.enqueue(exchangeRequest));
      return reply.status(200).send(presentOutcome(await node.exchange.request(exchangeRequest)));
    },
  );

  app.get(
    '/api/v1/exchange/requests',
    {
      config: { access: { permission: 'exchange.request' } },
      schema: {
        tags: ['exchange'],
        summary: 'Every request this node sent (sync and async) with its outcome, newest first, filtered and paginated',
        security: [{ bearer: [] }],
        querystring: Type.Object(
          {
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
            offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000, default: 0 })),
            partner: Type.Optional(NodeCode),
            agreement: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,99}(@[1-9][0-9]{0,8})?$', description: '<agreement id> (any version) or <agreement id>@<version>' })),
            outcome: Type.Optional(OutboundStatus),
            mode: Type.Optional(Type.Union([Type.Literal('sync'), Type.Literal('async')])),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ requests: Type.Array(OutboundSchema), total: Type.Integer({ description: 'how many requests match the filters in all' }), limit: Type.Integer(), offset: Type.Integer() }),
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request) => {
      const { limit = 50, offset = 0, partner, agreement, outcome, mode } = request.query;
      const page = await node.exchange.listRequests({
        limit,
        offset,
        ...(partner !== undefined ? { partner } : {}),
        ...(agreement !== undefined ? { agreement } : {}),
        ...(outcome !== undefined ? { outcome: outcome as OutboundRequest['status'] } : {}),
        ...(mode !== undefined ? { mode } : {}),
      });
      return { ...page, limit, offset };
    },
  );

  app.get(
    '/api/v1/exchange/requests/:id',
    {
      config: { access: { permission: 'exchange.request' } },
      schema: {
        tags: ['exchange'],
        summary: 'One sent request and its outcome (for a queued one, once delivered, its answer)',
        security: [{ bearer: [] }],
        params: IdParams,
        response: { 200: OutboundSchema, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => node.exchange.outbound(request.params.id),
  );
}
