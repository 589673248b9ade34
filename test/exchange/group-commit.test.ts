/**
 * Group commit: writes submitted together share one transaction, each caller gets its own result
 * only once it is committed, and a write that fails does not take the others down with it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createGroupCommit } from '../../src/exchange/group-commit.ts';
import { createInboundStore } from '../../src/exchange/store/inbound-store.ts';
import { forEachEngine } from '../support/databases.ts';

forEachEngine('exchange group commit', ({ openFresh }) => {
  const answerOf = (id: string) => ({ id, from: '331083', requestHash: `hash-${id}`, op: 'query', agreement: 'a@1', received: new Date('2026-01-01T00:00:00Z') });

  test('writes submitted together commit in one transaction; each gets its own result, in order', async () => {
    const store = await openFresh();
    const inbound = createInboundStore(store.db);
    const batches: number[] = [];
    const group = createGroupCommit<string, boolean>(store.db, async (trx, ids) => {
      batches.push(ids.length);
      const results: boolean[] = [];
      for (const id of ids) results.push(await inbound.answer(trx, answerOf(id), { status: 200, body: { id } }, new Date()));
      return results;
    });
    // The same id twice: the second insert finds the first and reports it was not first.
    const results = await Promise.all(['m1', 'm2', 'm3', 'm2'].map((id) => group.submit(id)));
    assert.deepEqual(results, [true, true, true, false]);
    assert.deepEqual(batches, [4], 'one transaction for the four');
    const rows = await store.db.selectFrom('exchange_inbound').select(['id', 'answer']).orderBy('id').execute();
    assert.deepEqual(rows.map((row) => [row.id, JSON.parse(row.answer!)]), [['m1', { id: 'm1' }], ['m2', { id: 'm2' }], ['m3', { id: 'm3' }]]);
    await group.idle();
  });

  test('a write that fails is retried alone and fails alone; the others commit', async () => {
    const store = await openFresh();
    const inbound = createInboundStore(store.db);
    const group = createGroupCommit<string, boolean>(store.db, async (trx, ids) => {
      const results: boolean[] = [];
      for (const id of ids) {
        if (id === 'bad') throw new Error('this write cannot be stored');
        results.push(await inbound.answer(trx, answerOf(id), { status: 200, body: {} }, new Date()));
      }
      return results;
    });
    const outcomes = await Promise.allSettled(['g1', 'bad', 'g2'].map((id) => group.submit(id)));
    assert.deepEqual(
      outcomes.map((outcome) => outcome.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.match(String((outcomes[1] as PromiseRejectedResult).reason), /cannot be stored/);
    const rows = await store.db.selectFrom('exchange_inbound').select('id').orderBy('id').execute();
    assert.deepEqual(rows.map((row) => row.id), ['g1', 'g2'], 'the failed batch left nothing half-written, the retries stored the good writes');
  });

  test('a write submitted while a commit runs goes into the next one', async () => {
    const store = await openFresh();
    const batches: string[][] = [];
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const group = createGroupCommit<string, string>(store.db, async (_trx, items) => {
      batches.push([...items]);
      if (items.includes('first')) await held;
      return items.map((item) => `${item} committed`);
    });
    const first = group.submit('first');
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    const later = [group.submit('second'), group.submit('third')];
    let firstDone = false;
    void first.then(() => {
      firstDone = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(firstDone, false, 'nobody is answered before their commit');
    release();
    assert.deepEqual(await Promise.all([first, ...later]), ['first committed', 'second committed', 'third committed']);
    assert.deepEqual(batches, [['first'], ['second', 'third']]);
  });
});
