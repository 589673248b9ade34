/**
 * Verification of this node's log on demand, for auditors: the same full check as
 * `tongban audit verify` (every leaf, the stored tree, every checkpoint), recorded as an
 * `audit.verified` event so the log shows who checked it, when, and what they found; and the
 * latest such run, so the console can show the log's status without recomputing it.
 */
import { Type } from 'typebox';
import { actorName } from '../../identity/index.ts';
import type { Server } from '../../node/http/build-server.ts';
import { errorResponses } from '../../node/http/schemas.ts';
import type { NodeContext } from '../../node/open-node.ts';
import type { VerifyReport } from '../verify-log.ts';

const ProblemSchema = Type.Object({
  kind: Type.String(),
  seq: Type.Optional(Type.Integer()),
  checkpoint: Type.Optional(Type.String()),
  message: Type.String(),
});

const VerificationSchema = Type.Object({
  ok: Type.Boolean(),
  size: Type.Integer({ description: 'The size the log head claims' }),
  entries: Type.Integer({ description: 'Entries read and recomputed' }),
  checkpoints: Type.Integer({ description: 'Checkpoints whose signature and root were checked' }),
  pruned: Type.Integer({ description: 'Entries whose details retention pruned (checked through the tree and checkpoints)' }),
  root: Type.String({ description: 'Root over the entries as stored, recomputed (base64)' }),
  problems: Type.Array(ProblemSchema, { description: 'Each disagreement found (at most 200 listed)' }),
  verifiedAt: Type.String(),
  verifiedBy: Type.Union([Type.String(), Type.Null()]),
  /** The audit.verified event that records this run. */
  event: Type.Union([Type.String(), Type.Null()]),
});

const LatestSchema = Type.Object({
  verification: Type.Union([
    Type.Object({
      ok: Type.Boolean(),
      size: Type.Integer(),
      entries: Type.Integer(),
      checkpoints: Type.Integer(),
      problems: Type.Integer({ description: 'How many problems the run found' }),
      root: Type.String(),
      verifiedAt: Type.String(),
      verifiedBy: Type.Union([Type.String(), Type.Null()]),
      event: Type.String(),
    }),
    Type.Null(),
  ]),
});

/** One run at a time per node: a second request while one runs gets the same report. */
const running = new WeakMap<NodeContext, Promise<VerifyReport>>();

function verifyOnce(node: NodeContext): Promise<VerifyReport> {
  const current = running.get(node);
  if (current) return current;
  const run = node.audit.verify().finally(() => running.delete(node));
  running.set(node, run);
  return run;
}

const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

/** Registers POST and GET /api/v1/audit/verification. */
export async function registerVerificationRoutes(app: Server, node: NodeContext): Promise<void> {
  app.post(
    '/api/v1/audit/verification',
    {
      config: { access: { permission: 'audit.read' }, rateLimit: { max: 12, timeWindow: '1 minute' } },
      schema: {
        tags: ['audit'],
        summary: "Verify this node's whole log now (leaves, tree, checkpoints) and record the run as an audit.verified event",
        security: [{ bearer: [] }],
        response: { 200: VerificationSchema, ...errorResponses(401, 403, 429) },
      },
    },
    async (request) => {
      const actor = actorName(request.principal!);
      const report = await verifyOnce(node);
      const event = await node.events.record({
        type: 'audit.verified',
        actor,
        outcome: report.ok ? 'success' : 'failure',
        details: {
          ok: report.ok,
          size: report.size,
          entries: report.entries,
          checkpoints: report.checkpoints,
          pruned: report.pruned,
          root: report.root,
          problems: report.problems.length,
          kinds: [...new Set(report.problems.map((problem) => problem.kind))],
        },
      });
      return {
        ok: report.ok,
        size: report.size,
        entries: report.entries,
        checkpoints: report.checkpoints,
        pruned: report.pruned,
        root: report.root,
        problems: report.problems.map((problem) => ({ ...problem })),
        verifiedAt: event.ts,
        verifiedBy: actor,
        event: event.id,
      };
    },
  );

  app.get(
    '/api/v1/audit/verification',
    {
      config: { access: { permission: 'audit.read' } },
      schema: {
        tags: ['audit'],
        summary: 'The latest recorded verification of this node\'s log (null when nobody has verified it yet)',
        security: [{ bearer: [] }],
        response: { 200: LatestSchema, ...errorResponses(401, 403) },
      },
    },
    async () => {
      const row = await node.store.db
        .selectFrom('events')
        .select(['id', 'ts', 'actor', 'payload'])
        .where('type', '=', 'audit.verified')
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (!row) return { verification: null };
      const leaf = JSON.parse(row.payload) as { details?: Record<string, unknown> };
      const details = leaf.details ?? {};
      return {
        verification: {
          ok: details.ok === true,
          size: num(details.size),
          entries: num(details.entries),
          checkpoints: num(details.checkpoints),
          problems: num(details.problems),
          root: typeof details.root === 'string' ? details.root : '',
          verifiedAt: row.ts,
          verifiedBy: row.actor,
          event: row.id,
        },
      };
    },
  );
}
