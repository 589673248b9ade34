/**
 * Retention: log entries keep their details for `audit.retentionDays` (at least six months, as the
 * Cybersecurity Law asks), longer when the agreement an entry names asks for longer
 * (`security.retentionDays`). Pruning then replaces the payload with a marker that keeps the
 * entry's indexed facts (id, time, type, actor, outcome, subject hash) and `"pruned": true`, and
 * keeps its leaf hash: the tree, the checkpoints and every proof stay valid, and verification
 * checks pruned entries through the tree instead of their payload. Each batch is logged as
 * `audit.pruned` in the transaction that prunes it.
 */
import { canonicalJson } from '../crypto/index.ts';
import type { AgreementService } from '../agreements/index.ts';
import type { NodeCore } from '../node/node-core.ts';

/** What a prune found (dry run) or did. */
export interface PruneReport {
  readonly dryRun: boolean;
  readonly retentionDays: number;
  /** Entries older than this keep no details, unless an agreement keeps them longer. */
  readonly cutoff: string;
  /** Entries whose details were (or would be) pruned. */
  readonly pruned: number;
  /** Entries older than the cutoff kept because their agreement asks for longer. */
  readonly keptForAgreements: number;
  readonly firstSeq: number | null;
  readonly lastSeq: number | null;
}

const dayMs = 86_400_000;
const batch = 500;

/** The marker that replaces a pruned entry's payload (canonical JSON, so it can never equal a leaf that was logged). */
export function prunedPayload(leaf: Readonly<Record<string, unknown>>): string {
  return canonicalJson({ id: leaf['id'], ts: leaf['ts'], type: leaf['type'], actor: leaf['actor'], outcome: leaf['outcome'], subject: leaf['subject'], pruned: true });
}

/** Whether a stored payload is a pruning marker. */
export function isPrunedPayload(leaf: Readonly<Record<string, unknown>>): boolean {
  return leaf['pruned'] === true && !('details' in leaf);
}

/** Prunes (or, with `dryRun`, counts) the entries past retention. */
export async function pruneLog(core: NodeCore, agreements: Pick<AgreementService, 'get'>, options: { dryRun: boolean; actor: string }): Promise<PruneReport> {
  const db = core.store.db;
  const retentionDays = core.config.audit.retentionDays;
  const now = core.clock.now().getTime();
  const cutoff = new Date(now - retentionDays * dayMs).toISOString();
  const agreementDays = new Map<string, number | null>();

  async function daysFor(ref: string): Promise<number | null> {
    if (agreementDays.has(ref)) return agreementDays.get(ref)!;
    const match = /^(.+)@([1-9][0-9]*)$/.exec(ref);
    let days: number | null = null;
    if (match) {
      try {
        const detail = await agreements.get(match[1]!, Number(match[2]));
        days = detail.document.security.retentionDays;
      } catch {
        days = null; // an agreement this node does not hold sets no longer period
      }
    }
    agreementDays.set(ref, days);
    return days;
  }

  let pruned = 0;
  let kept = 0;
  let firstSeq: number | null = null;
  let lastSeq: number | null = null;
  for (let after = -1; ; ) {
    const rows = await db.selectFrom('events').select(['seq', 'ts', 'payload']).where('seq', '>', after).where('ts', '<', cutoff).orderBy('seq', 'asc').limit(batch).execute();
    if (rows.length === 0) break;
    after = Number(rows[rows.length - 1]!.seq);
    const updates: Array<{ seq: number; payload: string }> = [];
    for (const row of rows) {
      const leaf = JSON.parse(row.payload) as Record<string, unknown>;
      // Prune records stay whole: verification checks every pruned entry against them.
      if (isPrunedPayload(leaf) || leaf['type'] === 'audit.pruned') continue;
      const details = leaf['details'] as Record<string, unknown> | undefined;
      const ref = typeof details?.['agreement'] === 'string' ? (details['agreement'] as string) : undefined;
      const days = ref ? await daysFor(ref) : null;
      if (days !== null && days > retentionDays && Date.parse(row.ts) >= now - days * dayMs) {
        kept += 1;
        continue;
      }
      updates.push({ seq: Number(row.seq), payload: prunedPayload(leaf) });
    }
    if (updates.length === 0) continue;
    pruned += updates.length;
    firstSeq ??= updates[0]!.seq;
    lastSeq = updates[updates.length - 1]!.seq;
    if (options.dryRun) continue;
    await db.transaction().execute(async (trx) => {
      for (const update of updates) await trx.updateTable('events').set({ payload: update.payload }).where('seq', '=', update.seq).execute();
      await core.events.append(trx, [
        {
          type: 'audit.pruned',
          actor: options.actor,
          outcome: 'success',
          details: { count: updates.length, fromSeq: updates[0]!.seq, throughSeq: updates[updates.length - 1]!.seq, cutoff, retentionDays },
        },
      ]);
    });
  }
  return { dryRun: options.dryRun, retentionDays, cutoff, pruned, keptForAgreements: kept, firstSeq, lastSeq };
}
