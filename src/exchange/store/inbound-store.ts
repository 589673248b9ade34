/**
 * Inbound messages remembered by id: the first answer stored under an id is the answer, every later
 * arrival with the same content gets it, and a different content under the same id is a replay.
 * The id is written once, together with the answer and its events (one commit per exchange);
 * processes racing on one id each work out an answer, and all but the first discard theirs.
 */
import { binder, sentinel } from '../../store/compiled.ts';
import type { CompiledQuery } from 'kysely';
import type { Db } from '../../store/open-store.ts';
import type { ExchangeInboundTable } from './tables.ts';

/** What is known about a message id: nothing yet, its stored answer, or a different message under it. */
export type Claim =
  | { readonly kind: 'new' }
  | { readonly kind: 'answered'; readonly status: number; readonly body: unknown }
  | { readonly kind: 'processing' }
  | { readonly kind: 'replayed' };

export interface StoredAnswer {
  readonly status: number;
  readonly body: unknown;
}

/** A message id and what identifies its content. */
export interface InboundKey {
  readonly id: string;
  readonly from: string;
  readonly requestHash: string;
}

/** A claim left in `processing` this long is taken over: the process that held it has died. */
const abandonedAfterMs = 60_000;

export interface InboundStore {
  /**
   * Looks the id up without writing: `new` when it was never answered, the stored answer for the
   * same message, `replayed` for a different one. `processing` is only seen for rows a process of an
   * earlier version claimed before answering, until they are answered or abandoned.
   */
  lookup(key: InboundKey, now: Date): Promise<Claim>;
  /** `lookup` for the messages of a batch, in one query: one claim per key, in order. */
  lookupMany(keys: readonly InboundKey[], now: Date): Promise<Claim[]>;
  /**
   * Stores the answer to a new message id within `db` (the transaction that also records the
   * events). Returns false, writing nothing, when another process stored one first: the caller
   * then discards its own and returns what `lookup` finds, so one id has one answer and one effect.
   */
  answer(db: Db, input: InboundKey & { op: string; agreement: string; received: Date }, answer: StoredAnswer, now: Date): Promise<boolean>;
  /** Forgets ids older than the replay window (their messages would be refused as too old anyway). */
  prune(olderThan: Date): Promise<number>;
}

const insertColumns = ['id', 'from_node', 'op', 'agreement', 'request_hash', 'status', 'answer_status', 'answer', 'received_at', 'answered_at'] as const;

/** The two statements every exchange runs (look the id up; store the answer unless one is there), built once (see store/compiled.ts). */
function createStatements(root: Db) {
  const idSentinel = sentinel('id');
  const lookup = binder(root.selectFrom('exchange_inbound').selectAll().where('id', '=', idSentinel).compile(), [idSentinel]);
  const sentinels = insertColumns.map((column) => sentinel(column));
  const insert = binder(
    root
      .insertInto('exchange_inbound')
      .values(Object.fromEntries(insertColumns.map((column, at) => [column, sentinels[at]])) as unknown as ExchangeInboundTable)
      .onConflict((conflict) => conflict.column('id').doNothing())
      .compile(),
    sentinels,
  );
  // One statement per batch size (a batch carries at most 64 messages).
  const lookupsByCount = new Map<number, (values: readonly unknown[]) => CompiledQuery>();
  const lookupMany = (ids: readonly string[]): CompiledQuery => {
    let bind = lookupsByCount.get(ids.length);
    if (!bind) {
      const sentinels = ids.map((_, at) => sentinel(`id:${at}`));
      bind = binder(root.selectFrom('exchange_inbound').selectAll().where('id', 'in', sentinels).compile(), sentinels);
      if (lookupsByCount.size < 64) lookupsByCount.set(ids.length, bind);
    }
    return bind(ids);
  };
  return {
    lookup: (id: string) => lookup([id]),
    lookupMany,
    insert: (row: ExchangeInboundTable) => insert(insertColumns.map((column) => row[column])),
  };
}

/** What a stored row says about a message with this key: answered, replayed, or still in hand. */
function claimOf(row: ExchangeInboundTable, { from, requestHash }: InboundKey): Claim {
  if (row.request_hash !== requestHash || row.from_node !== from) return { kind: 'replayed' };
  if (row.status === 'answered' && row.answer !== null) {
    return { kind: 'answered', status: row.answer_status ?? 200, body: JSON.parse(row.answer) as unknown };
  }
  return { kind: 'processing' };
}

export function createInboundStore(root: Db): InboundStore {
  const statements = createStatements(root);
  const store: InboundStore = {
    async lookup(key, now) {
      const { id } = key;
      const row = (await root.executeQuery<ExchangeInboundTable>(statements.lookup(id))).rows[0];
      if (!row) return { kind: 'new' };
      const claim = claimOf(row, key);
      if (claim.kind !== 'processing') return claim;
      const abandoned = new Date(row.received_at).getTime() + abandonedAfterMs < now.getTime();
      if (abandoned) {
        const taken = await root
          .deleteFrom('exchange_inbound')
          .where('id', '=', id)
          .where('status', '=', 'processing')
          .where('received_at', '=', row.received_at)
          .executeTakeFirst();
        if (Number(taken.numDeletedRows) === 1) return { kind: 'new' };
      }
      return { kind: 'processing' };
    },

    async lookupMany(keys, now) {
      if (keys.length === 0) return [];
      const unique = [...new Set(keys.map((key) => key.id))];
      const rows = new Map((await root.executeQuery<ExchangeInboundTable>(statements.lookupMany(unique))).rows.map((row) => [row.id, row]));
      return Promise.all(
        keys.map((key) => {
          const row = rows.get(key.id);
          if (!row) return { kind: 'new' } as const;
          const claim = claimOf(row, key);
          // A row still in hand may have been abandoned: the single lookup settles that.
          return claim.kind === 'processing' ? store.lookup(key, now) : claim;
        }),
      );
    },

    async answer(db, { id, from, op, agreement, requestHash, received }, answer, now) {
      const inserted = await db.executeQuery(
        statements.insert({
          id,
          from_node: from,
          op,
          agreement,
          request_hash: requestHash,
          status: 'answered',
          answer_status: answer.status,
          answer: JSON.stringify(answer.body),
          received_at: received.toISOString(),
          answered_at: now.toISOString(),
        }),
      );
      return Number(inserted.numAffectedRows ?? 0) === 1;
    },

    async prune(olderThan) {
      const result = await root
        .deleteFrom('exchange_inbound')
        .where('received_at', '<', olderThan.toISOString())
        .where('status', '=', 'answered')
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
  return store;
}
