/**
 * The inbound store's look-up of a batch's message ids in one query gives each message the same
 * claim as looking it up alone: new, its stored answer, a replay, or (for a row abandoned in
 * `processing`) taken over.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createInboundStore, type InboundKey } from '../../src/exchange/store/inbound-store.ts';
import { forEachEngine } from '../support/databases.ts';

forEachEngine('exchange inbound store', ({ openFresh }) => {
  test('looking up a batch of ids at once gives each the claim it gets alone', async () => {
    const store = await openFresh();
    const inbound = createInboundStore(store.db);
    const key = (id: string, requestHash = `hash-${id}`, from = '331083'): InboundKey => ({ id, from, requestHash });
    const now = new Date('2026-01-01T00:10:00Z');
    for (const id of ['a', 'b']) {
      const stored = await inbound.answer(store.db, { ...key(id), op: 'query', agreement: 'x@1', received: now }, { status: id === 'a' ? 200 : 403, body: { id } }, now);
      assert.equal(stored, true);
    }
    // Left in `processing` by an earlier version: recent (still in hand) and long ago (abandoned).
    for (const [id, receivedAt] of [['p', '2026-01-01T00:09:59.000Z'], ['q', '2025-12-31T00:00:00.000Z']] as const) {
      await store.db
        .insertInto('exchange_inbound')
        .values({ id, from_node: '331083', op: 'query', agreement: 'x@1', request_hash: `hash-${id}`, status: 'processing', answer_status: null, answer: null, received_at: receivedAt, answered_at: null })
        .execute();
    }
    const keys = [key('a'), key('new'), key('b'), key('a', 'other-hash'), key('b', 'hash-b', '310000'), key('p'), key('a')];
    const expected = [
      { kind: 'answered', status: 200, body: { id: 'a' } },
      { kind: 'new' },
      { kind: 'answered', status: 403, body: { id: 'b' } },
      { kind: 'replayed' },
      { kind: 'replayed' },
      { kind: 'processing' },
      { kind: 'answered', status: 200, body: { id: 'a' } },
    ];
    assert.deepEqual(await inbound.lookupMany(keys, now), expected);
    for (const [index, one] of keys.entries()) assert.deepEqual(await inbound.lookup(one, now), expected[index], `alone: ${one.id}`);
    // The abandoned row is taken over (deleted) and the message is new again.
    assert.deepEqual(await inbound.lookupMany([key('q'), key('new')], now), [{ kind: 'new' }, { kind: 'new' }]);
    assert.equal((await store.db.selectFrom('exchange_inbound').select('id').where('id', '=', 'q').execute()).length, 0);
    assert.deepEqual(await inbound.lookupMany([], now), []);
  });
});
