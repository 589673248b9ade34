/**
 * Audit routes: the latest signed checkpoint at a well-known URL, the list of checkpoints, and
 * inclusion and consistency proofs. All public: partners and citizens' advocates verify them
 * with nothing but the node's published signing key.
 */
import { Type } from 'typebox';
import { actorName } from '../../identity/index.ts';
import type { NodeContext } from '../../node/open-node.ts';
import type { Server } from '../../node/http/build-server.ts';
import { errorResponses } from '../../node/http/schemas.ts';
import { NotFoundError } from '../../core/errors.ts';
import type { StoredCheckpoint } from '../store/checkpoint-store.ts';

const CheckpointSchema = Type.Object({
  id: Type.String(),
  size: Type.Integer(),
  root: Type.String({ description: 'base64 root hash' }),
  note: Type.String({ description: 'C2SP tlog-checkpoint signed note' }),
  createdAt: Type.String(),
});

const SizeParam = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

function checkpointJson(checkpoint: StoredCheckpoint) {
  return { id: checkpoint.id, size: checkpoint.size, root: Buffer.from(checkpoint.root).toString('base64'), note: checkpoint.note, createdAt: checkpoint.createdAt };
}

/** Registers the audit routes. */
export async function registerAuditRoutes(app: Server, node: NodeContext): Promise<void> {
  const { audit } = node;

  app.get(
    '/.well-known/tongban/checkpoint',
    {
      config: { access: { auth: 'public' } },
      schema: {
        tags: ['audit'],
        summary: "The latest signed checkpoint of this node's log (text/plain signed note)",
        response: { 200: Type.String(), ...errorResponses(404) },
      },
    },
    async (_request, reply) => {
      const latest = await audit.latestCheckpoint();
      if (!latest) throw new NotFoundError('This node has signed no checkpoint yet; try again in a minute.');
      return reply.type('text/plain; charset=utf-8').send(latest.note);
    },
  );

  app.get(
    '/api/v1/audit/checkpoints',
    {
      config: { access: { auth: 'public' } },
      schema: {
        tags: ['audit'],
        summary: 'Signed checkpoints, largest first',
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
          beforeSize: Type.Optional(SizeParam),
        }),
        response: { 200: Type.Object({ checkpoints: Type.Array(CheckpointSchema) }), ...errorResponses(400) },
      },
    },
    async (request) => ({ checkpoints: (await audit.listCheckpoints(request.query)).map(checkpointJson) }),
  );

  app.post(
    '/api/v1/audit/checkpoints',
    {
      config: { access: { permission: 'node.configure' } },
      schema: {
        tags: ['audit'],
        summary: 'Sign a checkpoint of the current log now (returns the latest if it already covers every entry)',
        response: { 200: CheckpointSchema, ...errorResponses(401, 403) },
      },
    },
    async (request) => checkpointJson(await audit.signCheckpoint(actorName(request.principal!))),
  );

  app.get(
    '/api/v1/audit/proofs/inclusion',
    {
      config: { access: { auth: 'public' } },
      schema: {
        tags: ['audit'],
        summary: 'Inclusion proof of one entry (by seq or event id) in the tree of a given size (default: the latest checkpoint)',
        querystring: Type.Object({
          seq: Type.Optional(SizeParam),
          event: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9-]+$' })),
          size: Type.Optional(SizeParam),
        }),
        response: {
          200: Type.Object({
            seq: Type.Integer(),
            eventId: Type.String(),
            size: Type.Integer(),
            leafHash: Type.String(),
            proof: Type.Array(Type.String()),
            root: Type.String(),
            checkpoint: Type.Union([Type.String(), Type.Null()]),
          }),
          ...errorResponses(400, 404),
        },
      },
    },
    async (request) => {
      const { seq, event, size } = request.query;
      return audit.inclusionProof({ seq, eventId: event, size });
    },
  );

  app.get(
    '/api/v1/audit/proofs/consistency',
    {
      config: { access: { auth: 'public' } },
      schema: {
        tags: ['audit'],
        summary: 'Consistency proof between the trees of two sizes',
        querystring: Type.Object({ from: SizeParam, to: SizeParam }),
        response: {
          200: Type.Object({ from: Type.Integer(), to: Type.Integer(), fromRoot: Type.String(), toRoot: Type.String(), proof: Type.Array(Type.String()) }),
          ...errorResponses(400, 404),
        },
      },
    },
    async (request) => audit.consistencyProof(request.query.from, request.query.to),
  );

  app.post(
    '/api/v1/audit/access-report',
    {
      config: { access: { permission: 'audit.read' } },
      schema: {
        tags: ['audit'],
        summary: "Accesses this node answered about one person's records (asked on the person's behalf); the ID number travels in the body, never in a URL",
        body: Type.Object({
          idNumber: Type.String({ minLength: 1, maxLength: 64 }),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
          afterSeq: Type.Optional(SizeParam),
        }),
        response: {
          200: Type.Object({
            node: Type.String(),
            entries: Type.Array(
              Type.Object({
                seq: Type.Integer(),
                eventId: Type.String(),
                at: Type.String(),
                requester: Type.String(),
                op: Type.String(),
                item: Type.String(),
                purpose: Type.String(),
                dataset: Type.String(),
                fields: Type.Array(Type.String()),
                agreement: Type.String(),
              }),
            ),
            next: Type.Union([Type.Integer(), Type.Null()]),
          }),
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request) => {
      const report = await audit.accessReport(actorName(request.principal!), request.body);
      return { ...report, entries: report.entries.map((entry) => ({ ...entry, fields: [...entry.fields] })) };
    },
  );
}
