/**
 * Group commit for the exchange's writes. Every exchange ends with one small write on each node
 * (the stored answer and its event on the provider, the `exchange.requested` event on the
 * requester), and the commit costs more than the rows: SQLite writes every touched page to its
 * WAL, PostgreSQL flushes its log. Writes submitted while a commit is running wait for it and then
 * go together in the next transaction, so under load one commit carries many exchanges, and alone
 * a write is committed at once. Nobody is answered before the commit that holds their write.
 *
 * If a batch fails, its writes are retried one transaction each, so one bad write cannot fail the
 * others.
 */
import type { Db } from '../store/open-store.ts';

export interface GroupCommit<T, R> {
  /** Commits `item` (with whatever else is waiting) and resolves with its result. */
  submit(item: T): Promise<R>;
  /** Resolves once everything submitted so far is committed (or failed). */
  idle(): Promise<void>;
}

interface Pending<T, R> {
  readonly item: T;
  readonly resolve: (result: R) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * `write` runs in one transaction for a batch and returns one result per item, in order.
 * `maxBatch` bounds the transaction (and the time the head of the event log stays locked).
 */
export function createGroupCommit<T, R>(
  db: Db,
  write: (trx: Db, items: readonly T[]) => Promise<readonly R[]>,
  options: { maxBatch?: number } = {},
): GroupCommit<T, R> {
  const maxBatch = options.maxBatch ?? 64;
  let queue: Pending<T, R>[] = [];
  let flushing: Promise<void> | undefined;

  async function commit(batch: readonly Pending<T, R>[]): Promise<void> {
    try {
      const results = await db.transaction().execute((trx) => write(trx, batch.map((pending) => pending.item)));
      batch.forEach((pending, index) => pending.resolve(results[index]!));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      for (const pending of batch) await commit([pending]);
    }
  }

  async function flush(): Promise<void> {
    // Lets writes submitted in the same turn of the event loop join the first batch.
    await new Promise((resolve) => setImmediate(resolve));
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(batch.length);
      await commit(batch);
    }
    flushing = undefined;
  }

  return {
    submit(item) {
      return new Promise<R>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        flushing ??= flush();
      });
    },
    async idle() {
      while (flushing) await flushing;
    },
  };
}
