/**
 * Routes about the node itself: health, readiness, identity, keys and the event log.
 */
import { sql } from 'kysely';
import { Type } from 'typebox';
import { TongbanError } from '../../core/errors.ts';
import { actorName } from '../../identity/index.ts';
import { isSchemaCurrent } from '../../store/migrate.ts';
import type { NodeContext } from '../open-node.ts';
import { tongbanVersion } from '../version.ts';
import type { Server } from './build-server.ts';
import { errorResponses } from './schemas.ts';

const KeySchema = Type.Object({
  kid: Type.String(),
  id: Type.String(),
  suite: Type.Union([Type.Literal('intl'), Type.Literal('sm')]),
  use: Type.Union([Type.Literal('sign'), Type.Literal('encrypt')]),
  status: Type.Union([Type.Literal('active'), Type.Literal('retired')]),
  publicKey: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  retiredAt: Type.Union([Type.String(), Type.Null()]),
});

const EventSchema = Type.Object({
  seq: Type.Integer(),
  id: Type.String(),
  ts: Type.String(),
  type: Type.String(),
  actor: Type.Union([Type.String(), Type.Null()]),
  outcome: Type.String(),
  subjectHash: Type.Union([Type.String(), Type.Null()]),
  details: Type.Record(Type.String(), Type.Unknown()),
});

export async function registerNodeRoutes(app: Server, node: NodeContext): Promise<void> {
  app.get(
    '/healthz',
    {
      config: { access: { auth: 'public' } },
      schema: {
        tags: ['node'],
        summary: 'Liveness: the process is up',
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      config: { access: { auth: 'public' } },
      schema: {
        tags: ['node'],
        summary: 'Readiness: the database answers and its schema is current',
        response: { 200: Type.Object({ status: Type.Literal('ready'), database: Type.String() }), ...errorResponses(503) },
      },
    },
    async () => {
      try {
        await sql`select 1`.execute(node.store.db);
        if (!(await isSchemaCurrent(node.store))) throw new Error('schema not current');
      } catch (error) {
        throw new TongbanError('not_ready', `The node is not ready: ${(error as Error).message}.`, undefined, { cause: error });
      }
      return { status: 'ready' as const, database: node.store.dialect };
    },
  );

  app.get(
    '/api/v1/node',
    {
      config: { access: { auth: 'public' } },
      schema: {
        tags: ['node'],
        summary: 'Who this node is',
        response: {
          200: Type.Object({
            code: Type.String(),
            name: Type.String(),
            level: Type.String(),
            role: Type.String(),
            suite: Type.String(),
            version: Type.String(),
          }),
        },
      },
    },
    async () => ({
      code: node.info.code,
      name: node.info.name,
      level: node.info.level,
      role: node.info.role,
      suite: node.info.suite,
      version: tongbanVersion,
    }),
  );

  app.get(
    '/api/v1/node/keys',
    {
      config: { access: { auth: 'public' } },
      schema: {
        tags: ['node'],
        summary: "The node's public signing and encryption keys, active and retired",
        response: { 200: Type.Object({ keys: Type.Array(KeySchema) }) },
      },
    },
    async () => ({
      keys: (await node.keyring.list()).filter(
        (key): key is typeof key & { use: 'sign' | 'encrypt' } => key.use === 'sign' || key.use === 'encrypt',
      ),
    }),
  );

  app.post(
    '/api/v1/node/keys/rotate',
    {
      config: { access: { permission: 'keys.manage' } },
      schema: {
        tags: ['node'],
        summary: 'Make a fresh key active and retire the current one',
        security: [{ bearer: [] }],
        body: Type.Object(
          { use: Type.Union([Type.Literal('sign'), Type.Literal('encrypt')]) },
          { additionalProperties: false },
        ),
        response: { 200: KeySchema, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const key = await node.keyring.rotate(actorName(request.principal!), request.body.use);
      return { ...key, use: request.body.use };
    },
  );

  app.get(
    '/api/v1/events',
    {
      config: { access: { permission: 'events.read' } },
      schema: {
        tags: ['events'],
        summary: 'Read the event log in order',
        security: [{ bearer: [] }],
        querystring: Type.Object(
          {
            after: Type.Optional(Type.Integer({ minimum: -1, description: 'Only events with a larger sequence number' })),
            type: Type.Optional(Type.String({ maxLength: 100 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ events: Type.Array(EventSchema), size: Type.Integer() }), ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const { after, type, limit } = request.query;
      const events = await node.events.list({
        ...(after !== undefined ? { afterSeq: after } : {}),
        ...(type ? { type } : {}),
        limit: limit ?? 100,
      });
      return { events: events.map((event) => ({ ...event, subjectHash: event.subjectHash ?? null })), size: await node.events.size() };
    },
  );
}
