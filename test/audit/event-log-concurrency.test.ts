import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { EventInput } from '../../src/audit/domain/event.ts';
import { createEventLog, type LeafHasher } from '../../src/audit/store/event-log.ts';
import { systemClock } from '../../src/core/clock.ts';
import type { Store } from '../../src/store/open-store.ts';
import { forEachEngine } from '../support/databases.ts';

const sha256: LeafHasher = { hash: (data) => createHash('sha256').update(data).digest() };

const perStore = 200;
const perTransaction = 4;
const workersPerStore = 5;

/** One store's share: several workers, each appending in many small transactions. */
async function appendFrom(store: Store, name: string): Promise<void> {
  const log = createEventLog({ db: store.db, hasher: sha256, clock: systemClock });
  const transactionsPerWorker = perStore / perTransaction / workersPerStore;
  await Promise.all(
    Array.from({ length: workersPerStore }, async (_, worker) => {
      for (let t = 0; t < transactionsPerWorker; t++) {
        const events: EventInput[] = Array.from({ length: perTransaction }, (_, i) => ({
          type: 'test.concurrent',
          actor: `test:${name}`,
          outcome: 'success',
          details: { store: name, worker, transaction: t, i },
        }));
        await store.db.transaction().execute((trx) => log.append(trx, events));
      }
    }),
  );
}

forEachEngine('event log under concurrent writers', ({ dialect, freshDatabase }) => {
  test(
    'two stores (two pools) appending at once yield a gap-free, duplicate-free sequence',
    {
      skip:
        dialect === 'sqlite'
          ? 'a SQLite file has one writer, and two stores in one thread would wait on each other; see the one-store test'
          : false,
    },
    async () => {
      const database = await freshDatabase();
      const first = await database.open({ poolSize: 5 });
      const second = await database.open({ poolSize: 5 });
      await Promise.all([appendFrom(first, 'first'), appendFrom(second, 'second')]);

      const log = createEventLog({ db: first.db, hasher: sha256, clock: systemClock });
      const events = [...(await log.list({ limit: 1000 }))];
      assert.equal(events.length, 2 * perStore);
      assert.deepEqual(
        events.map((event) => event.seq),
        Array.from({ length: 2 * perStore }, (_, index) => index),
      );
      assert.equal(new Set(events.map((event) => event.id)).size, 2 * perStore);
      assert.equal(await log.size(), 2 * perStore);
      assert.equal(events.filter((event) => event.details['store'] === 'second').length, perStore);
      // Each transaction's events are contiguous: the head row stays locked until commit.
      for (let start = 0; start < events.length; start += perTransaction) {
        const group = events.slice(start, start + perTransaction).map((event) => JSON.stringify([event.details['store'], event.details['worker'], event.details['transaction']]));
        assert.equal(new Set(group).size, 1, `events ${start}..${start + perTransaction - 1} come from one transaction`);
      }
    },
  );
});
