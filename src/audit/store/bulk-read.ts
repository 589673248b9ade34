/**
 * Bulk reads for full verification: a range of entries or stored subtrees comes back as one row
 * whose columns hold the whole range, because materialising millions of row objects costs the
 * driver more than hashing them costs the verifier.
 */
import { sql } from 'kysely';
import { asText, concatBytes, concatText, jsonQuoted, textContains, textHead, textTail, type DialectName } from '../../store/dialect.ts';
import type { Db } from '../../store/open-store.ts';

type Column = 'actor' | 'id' | 'outcome' | 'subject_hash' | 'ts' | 'type';

/** Entries [from, to) in one row. */
export interface EntryRange {
  readonly count: number | bigint;
  /**
   * Entries whose text cannot be checked in bulk: columns that do not repeat the payload's own text
   * (or are escaped differently), pruned payloads, `audit.pruned` entries, payloads with a newline.
   */
  readonly suspects: number | bigint | null;
  /** `<seq>:<payload>` per entry, joined by `\n`, as UTF-8; in seq order on PostgreSQL, in scan order on SQLite (the caller checks). */
  readonly payloads: Buffer | null;
  /** The stored leaf hashes back to back, in the same order as `payloads`. */
  readonly leaves: Buffer | null;
}

/** Stored subtrees of one level, [from, to) in one row. */
export interface NodeRange {
  readonly count: number | bigint;
  /** Their indexes joined by `,` (the caller checks the order). */
  readonly indexes: Buffer | null;
  /** Their hashes back to back, in the order of `indexes`. */
  readonly hashes: Buffer | null;
}

/**
 * Entries [from, to). A whole leaf is canonical JSON with sorted keys, so it starts with the actor
 * and ends with the five fields after the details; the columns are compared with that text here,
 * on the database, instead of shipping them out.
 */
export async function bulkEntries(db: Db, dialect: DialectName, from: number, to: number): Promise<EntryRange> {
  const quoted = (column: Column) => jsonQuoted(dialect, sql.ref(column));
  // The expected lengths assume nothing needs escaping (two quotes, or `null`), so each JSON
  // literal is built once; when that is wrong the lengths differ and the entry is only a suspect.
  const quotedLength = (column: Column) => sql<number>`coalesce(length(${sql.ref(column)}) + 2, 4)`;
  const prefix = sql<string>`concat('{"actor":', ${quoted('actor')}, ',"details":')`;
  const prefixLength = sql<number>`(${sql.lit('{"actor":,"details":'.length)} + ${quotedLength('actor')})`;
  const suffix = sql<string>`concat(',"id":', ${quoted('id')}, ',"outcome":', ${quoted('outcome')}, ',"subject":', ${quoted('subject_hash')}, ',"ts":', ${quoted('ts')}, ',"type":', ${quoted('type')}, '}')`;
  const suffixLength = sql<number>`(${sql.lit(',"id":,"outcome":,"subject":,"ts":,"type":}'.length)} + ${quotedLength('id')} + ${quotedLength('outcome')} + ${quotedLength('subject_hash')} + ${quotedLength('ts')} + ${quotedLength('type')})`;
  const payload = sql.ref<string>('payload');
  const checkable = sql<boolean>`(${sql.ref('type')} <> 'audit.pruned' and not ${textContains(dialect, payload, '\n')} and ${textHead(dialect, payload, prefixLength)} = ${prefix} and ${textTail(dialect, payload, suffixLength)} = ${suffix})`;
  const row = await db
    .selectFrom('events')
    .select([
      sql<number>`count(*)`.as('count'),
      sql<number | null>`sum(case when ${checkable} then 0 else 1 end)`.as('suspects'),
      concatText(dialect, sql`concat(seq, ':', payload)`, '\n', sql.ref('seq')).as('payloads'),
      concatBytes(dialect, sql.ref('leaf_hash'), sql.ref('seq')).as('leaves'),
    ])
    .where('seq', '>=', from)
    .where('seq', '<', to)
    .executeTakeFirstOrThrow();
  return { ...row, payloads: asBytes(row.payloads) };
}

/** Stored subtrees of `level` with indexes [from, to). */
export async function bulkNodes(db: Db, dialect: DialectName, level: number, from: number, to: number): Promise<NodeRange> {
  const row = await db
    .selectFrom('merkle_nodes')
    .select([
      sql<number>`count(*)`.as('count'),
      concatText(dialect, asText(dialect, sql.ref('idx')), ',', sql.ref('idx')).as('indexes'),
      concatBytes(dialect, sql.ref('hash'), sql.ref('idx')).as('hashes'),
    ])
    .where('level', '=', level)
    .where('idx', '>=', from)
    .where('idx', '<', to)
    .executeTakeFirstOrThrow();
  return { ...row, indexes: asBytes(row.indexes) };
}

/** SQLite hands the joined text over as bytes already; PostgreSQL as a string. */
function asBytes(value: string | Buffer | null): Buffer | null {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}
