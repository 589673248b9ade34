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

const WitnessSchema = Type.Object({
  witness: Type.String(),
  cosignature: Type.String({ description: 'C2SP tlog-cosignature signature line' }),
  signedAt: Type.String(),
  receivedAt: Type.String(),
});

const WitnessResultSchema = Type.Object({
  node: Type.String(),
  status: Type.Union([Type.Literal('witnessed'), Type.Literal('current'), Type.Literal('alert'), Type.Literal('failed')]),
  size: Type.Optional(Type.Integer()),
  posted: Type.Optional(Type.Boolean()),
  alert: Type.Optional(Type.Object({ id: Type.String(), kind: Type.String(), message: Type.String() })),
  error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Record(Type.String(), Type.Unknown())) })),
});

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
        response: {
          200: Type.Object({ checkpoints: Type.Array(Type.Intersect([CheckpointSchema, Type.Object({ witnesses: Type.Array(WitnessSchema) })])) }),
          ...errorResponses(400),
        },
      },
    },
    async (request) => ({
      checkpoints: (await audit.listWitnessedCheckpoints(request.query)).map((checkpoint) => ({
        ...checkpointJson(checkpoint),
        witnesses: checkpoint.witnesses.map(({ witness, cosignature, signedAt, receivedAt }) => ({ witness, cosignature, signedAt, receivedAt })),
      })),
    }),
  );

  app.post(
    '/api/v1/audit/cosignatures',
    {
      config: { access: { auth: 'public' }, rateLimit: { max: 120, timeWindow: '1 minute' } },
      bodyLimit: 64 * 1024,
      schema: {
        tags: ['audit'],
        summary: "A witness posts back its cosignature on one of this node's checkpoints (the note with the witness's cosignature line)",
        body: Type.Object(
          { witness: Type.String({ pattern: '^(\\d{6}|[A-Z][A-Z0-9]{1,15})$' }), note: Type.String({ minLength: 1, maxLength: 32 * 1024 }) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ size: Type.Integer(), witness: Type.String(), signedAt: Type.String() }), ...errorResponses(400, 401, 403, 404, 429) },
      },
    },
    async (request) => {
      const stored = await audit.witness.receiveCosignature(request.body);
      return { size: stored.size, witness: stored.witness, signedAt: stored.signedAt };
    },
  );

  app.post(
    '/api/v1/audit/witness',
    {
      config: { access: { permission: 'node.configure' } },
      schema: {
        tags: ['audit'],
        summary: 'Fetch, check and co-sign the checkpoints of every watched node now (partners in active agreements; on the hub, every member)',
        response: { 200: Type.Object({ results: Type.Array(WitnessResultSchema) }), ...errorResponses(401, 403) },
      },
    },
    async () => ({ results: await audit.witness.witnessAll() }),
  );

  app.get(
    '/api/v1/audit/integrity-alerts',
    {
      config: { access: { auth: 'authenticated' } },
      schema: {
        tags: ['audit'],
        summary: "Integrity alerts this node raised as a witness about other nodes' logs",
        querystring: Type.Object({ node: Type.Optional(Type.String({ pattern: '^(\\d{6}|[A-Z][A-Z0-9]{1,15})$' })) }),
        response: {
          200: Type.Object({
            alerts: Type.Array(
              Type.Object({
                id: Type.String(),
                node: Type.String(),
                kind: Type.String(),
                message: Type.String(),
                evidence: Type.Record(Type.String(), Type.Unknown()),
                createdAt: Type.String(),
                reportedAt: Type.Union([Type.String(), Type.Null()]),
              }),
            ),
          }),
          ...errorResponses(401),
        },
      },
    },
    async (request) => ({ alerts: await audit.witness.alerts(request.query.node) }),
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

  const AccessEntrySchema = Type.Object({
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
  });
  const IdNumber = Type.String({ minLength: 1, maxLength: 64 });

  app.post(
    '/api/v1/audit/citizen-tokens',
    {
      config: { access: { permission: 'cases.handle' } },
      schema: {
        tags: ['audit'],
        summary: "(caseworker, after checking the person's identity) Issue a short-lived citizen token for the access report",
        body: Type.Object({ idNumber: IdNumber }, { additionalProperties: false }),
        response: { 200: Type.Object({ token: Type.String(), expiresAt: Type.String() }), ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => audit.citizen.issueToken(actorName(request.principal!), request.body.idNumber),
  );

  app.post(
    '/api/v1/audit/my-accesses',
    {
      config: { access: { auth: 'public' }, rateLimit: { max: 30, timeWindow: '1 minute' } },
      schema: {
        tags: ['audit'],
        summary: 'For the person, with their citizen token: accesses to records about them on every member of the federation, each node answering in a signed page',
        body: Type.Object(
          {
            token: Type.String({ minLength: 1, maxLength: 4096 }),
            idNumber: IdNumber,
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
            after: Type.Optional(Type.Record(Type.String({ pattern: '^(\\d{6}|[A-Z][A-Z0-9]{1,15})$' }), SizeParam)),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            subject: Type.String(),
            nodes: Type.Array(
              Type.Object({
                node: Type.String(),
                status: Type.Union([Type.Literal('ok'), Type.Literal('failed')]),
                entries: Type.Array(AccessEntrySchema),
                next: Type.Union([Type.Integer(), Type.Null()]),
                error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Record(Type.String(), Type.Unknown())) })),
              }),
            ),
            next: Type.Union([Type.Record(Type.String(), Type.Integer()), Type.Null()]),
          }),
          ...errorResponses(400, 401, 429),
        },
      },
    },
    async (request) => {
      const report = await audit.citizen.report(request.body);
      return { ...report, nodes: report.nodes.map((page) => ({ ...page, entries: page.entries.map((entry) => ({ ...entry, fields: [...entry.fields] })) })) };
    },
  );

  app.post(
    '/api/v1/audit/subject-accesses',
    {
      config: { access: { auth: 'public' }, rateLimit: { max: 120, timeWindow: '1 minute' } },
      bodyLimit: 64 * 1024,
      schema: {
        tags: ['audit'],
        summary: "(node to node) A member asks, on a person's behalf, for the accesses this node answered about them; signed query in, signed page out",
        body: Type.Object({ payload: Type.String(), protected: Type.String(), signature: Type.String() }, { additionalProperties: false }),
        response: { 200: Type.Object({ payload: Type.String(), protected: Type.String(), signature: Type.String() }), ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => audit.citizen.answerQuery(request.body),
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
