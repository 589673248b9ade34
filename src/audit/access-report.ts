/**
 * "Who used my data": the exchanges this node answered about one data subject, found by the
 * keyed hash of their ID number (never stored in clear), without staff-only details.
 */
import { createHmac } from 'node:crypto';
import { sql } from 'kysely';
import { InputError } from '../core/errors.ts';
import type { NodeCore } from '../node/node-core.ts';
import type { Db } from '../store/open-store.ts';

/** One access to records about the subject. */
export interface AccessEntry {
  readonly seq: number;
  readonly eventId: string;
  /** When the answer was given. */
  readonly at: string;
  /** The node that asked. */
  readonly requester: string;
  readonly op: string;
  readonly item: string;
  readonly purpose: string;
  readonly dataset: string;
  readonly fields: readonly string[];
  readonly agreement: string;
}

/** A page of the report. */
export interface AccessReport {
  readonly node: string;
  readonly entries: readonly AccessEntry[];
  /** Pass as `afterSeq` for the next page; null when this was the last. */
  readonly next: number | null;
}

/**
 * The keyed hash the exchange gateway stores for a single-field record key (see `subjectHashOf`
 * in src/exchange/gateway.ts): HMAC-SHA256 of the value under the node's subject key, base64url.
 */
export function subjectHashOfIdNumber(subjectKey: Uint8Array, idNumber: string): string {
  return createHmac('sha256', subjectKey).update(idNumber).digest('base64url');
}

/** The ID number as hashed: trimmed, upper case; refused unless it looks like one. */
export function normaliseIdNumber(value: string): string {
  const idNumber = value.trim().toUpperCase();
  if (!/^[0-9A-Z]{6,32}$/.test(idNumber)) {
    throw new InputError('idNumber must be the subject\'s identity number (6–32 letters or digits, e.g. an 18-character resident ID).', { path: 'idNumber' });
  }
  return idNumber;
}

/** The answered exchanges about one subject after `afterSeq`, in log order: what events_subject_answered indexes. */
export function answeredAbout(db: Db, subjectHash: string, afterSeq?: number) {
  let select = db
    .selectFrom('events')
    .select(['seq', 'id', 'ts', 'payload'])
    .where('subject_hash', '=', subjectHash)
    // A literal, as the partial index says it: a bound value would not prove that the index applies.
    .where('type', '=', sql.lit('exchange.answered'))
    .orderBy('seq', 'asc');
  if (afterSeq !== undefined) select = select.where('seq', '>', afterSeq);
  return select;
}

/** Builds one page of the subject's access report and logs that it was produced. */
export async function accessReport(
  core: NodeCore,
  actor: string,
  query: { idNumber: string; limit?: number; afterSeq?: number },
): Promise<AccessReport> {
  const idNumber = normaliseIdNumber(query.idNumber);
  const limit = Math.max(1, Math.min(Math.trunc(query.limit ?? 50) || 50, 500));
  const subjectHash = subjectHashOfIdNumber(await core.keyring.subjectKey(), idNumber);
  const rows = await answeredAbout(core.store.db, subjectHash, query.afterSeq).limit(limit + 1).execute();
  const page = rows.slice(0, limit);
  const entries = page.map((row): AccessEntry => {
    // A pruned entry keeps no details (see retention.ts): it still counts, with what is known.
    const details = (JSON.parse(row.payload) as { details?: Record<string, unknown> }).details ?? {};
    const text = (name: string) => (typeof details[name] === 'string' ? (details[name] as string) : '');
    return {
      seq: Number(row.seq),
      eventId: row.id,
      at: row.ts,
      requester: text('from'),
      op: text('op'),
      item: text('item'),
      purpose: text('purpose'),
      dataset: text('dataset'),
      fields: Array.isArray(details['fields']) ? (details['fields'] as unknown[]).map(String) : [],
      agreement: text('agreement'),
    };
  });
  // The report is itself an access to the subject's data, so it is logged under the same hash.
  await core.events.record({
    type: 'audit.access_report',
    actor,
    outcome: 'success',
    subjectHash,
    details: { entries: entries.length, afterSeq: query.afterSeq ?? null },
  });
  return { node: core.info.code, entries, next: rows.length > limit ? entries[entries.length - 1]!.seq : null };
}
