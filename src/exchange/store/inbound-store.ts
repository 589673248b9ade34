/**
 * Inbound messages remembered by id: the first arrival claims the id, every later arrival with
 * the same content gets the stored answer, and a different content under the same id is a replay.
 */
import type { Db } from '../../store/open-store.ts';

/** What a claim on a message id found. */
export type Claim =
  | { readonly kind: 'new' }
  | { readonly kind: 'answered'; readonly status: number; readonly body: unknown }
  | { readonly kind: 'processing' }
  | { readonly kind: 'replayed' };

export interface StoredAnswer {
  readonly status: number;
  readonly body: unknown;
}

/** A claim left in `processing` this long is taken over: the process that held it has died. */
const abandonedAfterMs = 60_000;

export interface InboundStore {
  claim(input: { id: string; from: string; op: string; agreement: string; requestHash: string; now: Date }): Promise<Claim>;
  /** Stores the answer within `db` (the transaction that also records the events). */
  answer(db: Db, id: string, answer: StoredAnswer, now: Date): Promise<void>;
  /** Forgets ids older than the replay window (their messages would be refused as too old anyway). */
  prune(olderThan: Date): Promise<number>;
}

export function createInboundStore(root: Db): InboundStore {
  async function read(id: string) {
    return root.selectFrom('exchange_inbound').selectAll().where('id', '=', id).executeTakeFirst();
  }

  return {
    async claim({ id, from, op, agreement, requestHash, now }) {
      const inserted = await root
        .insertInto('exchange_inbound')
        .values({
          id,
          from_node: from,
          op,
          agreement,
          request_hash: requestHash,
          status: 'processing',
          answer_status: null,
          answer: null,
          received_at: now.toISOString(),
          answered_at: null,
        })
        .onConflict((conflict) => conflict.column('id').doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) return { kind: 'new' };

      const row = await read(id);
      if (!row) return { kind: 'processing' };
      if (row.request_hash !== requestHash || row.from_node !== from) return { kind: 'replayed' };
      if (row.status === 'answered' && row.answer !== null) {
        return { kind: 'answered', status: row.answer_status ?? 200, body: JSON.parse(row.answer) as unknown };
      }
      const abandoned = new Date(row.received_at).getTime() + abandonedAfterMs < now.getTime();
      if (abandoned) {
        const taken = await root
          .updateTable('exchange_inbound')
          .set({ received_at: now.toISOString() })
          .where('id', '=', id)
          .where('status', '=', 'processing')
          .where('received_at', '=', row.received_at)
          .executeTakeFirst();
        if (Number(taken.numUpdatedRows) === 1) return { kind: 'new' };
      }
      return { kind: 'processing' };
    },

    async answer(db, id, answer, now) {
      await db
        .updateTable('exchange_inbound')
        .set({
          status: 'answered',
          answer_status: answer.status,
          answer: JSON.stringify(answer.body),
          answered_at: now.toISOString(),
        })
        .where('id', '=', id)
        .execute();
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
}
