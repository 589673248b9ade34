import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { leafObject, type EventInput } from '../../src/audit/domain/event.ts';
import { createEventLog, type EventLog, type LeafHasher } from '../../src/audit/store/event-log.ts';
import { fixedClock } from '../../src/core/clock.ts';
import { canonicalJson } from '../../src/crypto/canonical-json.ts';
import type { Store } from '../../src/store/open-store.ts';
import { forEachEngine } from '../support/databases.ts';

const sha256: LeafHasher = { hash: (data) => createHash('sha256').update(data).digest() };

/** An event input with plain defaults; tests override only what they look at. */
function anEvent(overrides: Partial<EventInput> = {}): EventInput {
  return { type: 'test.happened', actor: 'system', outcome: 'success', details: {}, ...overrides };
}

function logOn(store: Store, clock = fixedClock('2025-03-04T05:06:07.000Z')): EventLog {
  return createEventLog({ db: store.db, hasher: sha256, clock });
}

forEachEngine('event log', ({ dialect, openFresh }) => {
  test('appends get dense sequence numbers 0..n-1 in order', async () => {
    const store = await openFresh();
    const log = logOn(store);
    const first = await log.append(store.db, [anEvent({ details: { n: 0 } }), anEvent({ details: { n: 1 } })]);
    const second = await log.append(store.db, [anEvent({ details: { n: 2 } })]);
    const third = await store.db.transaction().execute((trx) =>
      log.append(trx, [3, 4, 5].map((n) => anEvent({ details: { n } }))),
    );
    assert.deepEqual(
      [...first, ...second, ...third].map((event) => event.seq),
      [0, 1, 2, 3, 4, 5],
    );
    const listed = await log.list();
    assert.deepEqual(
      listed.map((event) => [event.seq, event.details['n']]),
      [0, 1, 2, 3, 4, 5].map((n) => [n, n]),
    );
    assert.equal(await log.size(), 6);
    assert.equal(new Set(listed.map((event) => event.id)).size, 6);
    assert.deepEqual(await log.append(store.db, []), []);
    assert.equal(await log.size(), 6);
  });

  test('record appends one event in its own transaction and returns it as stored', async () => {
    const store = await openFresh();
    const log = logOn(store);
    const recorded = await log.record(
      anEvent({ type: 'staff.login', actor: 'staff:a1', outcome: 'denied', subjectHash: 'h:abc', details: { reason: 'locked' } }),
    );
    assert.equal(recorded.seq, 0);
    assert.equal(recorded.ts, '2025-03-04T05:06:07.000Z');
    assert.match(recorded.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
    assert.deepEqual(await log.list(), [recorded]);
    assert.deepEqual(await log.list(), [
      {
        seq: 0,
        id: recorded.id,
        ts: '2025-03-04T05:06:07.000Z',
        type: 'staff.login',
        actor: 'staff:a1',
        outcome: 'denied',
        subjectHash: 'h:abc',
        details: { reason: 'locked' },
      },
    ]);
  });

  test('an append in a transaction that fails leaves nothing, and the next append fills the same position', async () => {
    const store = await openFresh();
    const log = logOn(store);
    await log.record(anEvent());
    await assert.rejects(
      store.db.transaction().execute(async (trx) => {
        await log.append(trx, [anEvent({ type: 'test.doomed' }), anEvent({ type: 'test.doomed' })]);
        throw new Error('the effect failed after its events were appended');
      }),
      /the effect failed/,
    );
    assert.equal(await log.size(), 1);
    assert.deepEqual(await log.list({ type: 'test.doomed' }), []);
    const next = await log.record(anEvent({ type: 'test.after' }));
    assert.equal(next.seq, 1, 'no gap where the rolled-back events were');
  });

  test('the database refuses UPDATE and DELETE on events', async () => {
    const store = await openFresh();
    const log = logOn(store);
    await log.record(anEvent());
    await assert.rejects(sql`update events set type = 'rewritten'`.execute(store.db), /events is append-only/);
    await assert.rejects(sql`update events set payload = '{}' where seq = 0`.execute(store.db), /events is append-only/);
    await assert.rejects(sql`delete from events where seq = 0`.execute(store.db), /events is append-only/);
    await assert.rejects(sql`delete from events`.execute(store.db), /events is append-only/);
    assert.equal((await log.list())[0]?.type, 'test.happened');
    assert.equal(await log.size(), 1);
  });

  test(
    'the database refuses TRUNCATE on events',
    { skip: dialect === 'sqlite' ? 'SQLite has no TRUNCATE; its DELETE trigger covers the same ground' : false },
    async () => {
      const store = await openFresh();
      await logOn(store).record(anEvent());
      await assert.rejects(sql`truncate events`.execute(store.db), /events is append-only/);
      await assert.rejects(sql`truncate event_log_head, events`.execute(store.db), /events is append-only/);
      assert.equal(await logOn(store).size(), 1);
    },
  );

  test('payload is the canonical JSON leaf and leaf_hash is SHA-256(0x00 ‖ payload)', async () => {
    const store = await openFresh();
    const log = logOn(store);
    const event = await log.record(
      anEvent({
        type: 'keys.rotated',
        actor: 'node:GD-01',
        subjectHash: null,
        details: { zeta: [1, 2.5, 'é'], alpha: { b: true, a: null } },
      }),
    );
    const row = await store.db.selectFrom('events').selectAll().where('seq', '=', 0).executeTakeFirstOrThrow();
    // Written out by hand: keys sorted, no whitespace, seq not part of the leaf.
    const expected =
      `{"actor":"node:GD-01","details":{"alpha":{"a":null,"b":true},"zeta":[1,2.5,"é"]},"id":${JSON.stringify(event.id)},` +
      `"outcome":"success","subject":null,"ts":"2025-03-04T05:06:07.000Z","type":"keys.rotated"}`;
    assert.equal(row.payload, expected);
    assert.equal(row.payload, canonicalJson(leafObject(event)));
    const leafHash = createHash('sha256')
      .update(Buffer.concat([Buffer.from([0]), Buffer.from(row.payload, 'utf8')]))
      .digest();
    assert.ok(Buffer.isBuffer(row.leaf_hash));
    assert.equal(Buffer.from(row.leaf_hash).toString('hex'), leafHash.toString('hex'));
    assert.deepEqual(
      { seq: Number(row.seq), id: row.id, ts: row.ts, type: row.type, actor: row.actor, outcome: row.outcome, subject: row.subject_hash },
      { seq: 0, id: event.id, ts: event.ts, type: 'keys.rotated', actor: 'node:GD-01', outcome: 'success', subject: null },
    );
  });

  test('list filters by afterSeq, type, typePrefix, actor and limit', async () => {
    const store = await openFresh();
    const log = logOn(store);
    const types = ['staff.login', 'staff.login_failed', 'staff.logout', 'keys.rotated', 'staffing.changed', 'staff.login'];
    await log.append(
      store.db,
      types.map((type, index) => anEvent({ type, actor: index % 2 === 0 ? 'staff:a' : 'staff:b' })),
    );
    const seqs = async (query: Parameters<EventLog['list']>[0]) => (await log.list(query)).map((event) => event.seq);

    assert.deepEqual(await seqs({}), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(await seqs({ afterSeq: 3 }), [4, 5]);
    assert.deepEqual(await seqs({ afterSeq: 5 }), []);
    assert.deepEqual(await seqs({ type: 'staff.login' }), [0, 5]);
    assert.deepEqual(await seqs({ typePrefix: 'staff.' }), [0, 1, 2, 5]);
    assert.deepEqual(await seqs({ typePrefix: 'staff.login' }), [0, 1, 5]);
    assert.deepEqual(await seqs({ actor: 'staff:b' }), [1, 3, 5]);
    assert.deepEqual(await seqs({ limit: 2 }), [0, 1]);
    assert.deepEqual(await seqs({ afterSeq: 0, typePrefix: 'staff.', actor: 'staff:b', limit: 1 }), [1]);
    assert.deepEqual(await seqs({ type: 'nothing.here' }), []);
  });

  test('typePrefix matches literally and case-sensitively on every engine', async () => {
    const store = await openFresh();
    const log = logOn(store);
    await log.append(
      store.db,
      ['staff.login', 'staff.login_failed', 'staff.loginXfailed', 'Staff.Login', 'a%b.c', '审计.导出', '𝔸x.y'].map((type) =>
        anEvent({ type }),
      ),
    );
    const types = async (typePrefix: string) => (await log.list({ typePrefix })).map((event) => event.type);
    // `_` and `%` are ordinary characters in event names, not LIKE wildcards.
    assert.deepEqual(await types('staff.login_'), ['staff.login_failed']);
    assert.deepEqual(await types('a%'), ['a%b.c']);
    assert.deepEqual(await types('%'), []);
    // SQLite's LIKE ignores ASCII case; the log must not, or the engines would disagree.
    assert.deepEqual(await types('STAFF.'), []);
    assert.deepEqual(await types('Staff.'), ['Staff.Login']);
    // Lengths count characters, not UTF-16 units, on both engines.
    assert.deepEqual(await types('审计.'), ['审计.导出']);
    assert.deepEqual(await types('𝔸x'), ['𝔸x.y']);
  });

  test('list returns at most 1000 events even when asked for more', async () => {
    const store = await openFresh();
    const log = logOn(store);
    await store.db.transaction().execute(async (trx) => {
      for (let batch = 0; batch < 11; batch++) {
        await log.append(trx, Array.from({ length: 100 }, () => anEvent()));
      }
    });
    assert.equal(await log.size(), 1100);
    assert.equal((await log.list()).length, 100);
    assert.equal((await log.list({ limit: 5000 })).length, 1000);
    assert.equal((await log.list({ afterSeq: 1000, limit: 5000 })).at(-1)?.seq, 1099);
    // SQLite reads a negative LIMIT as "no limit" and PostgreSQL refuses it; neither may lift the cap.
    assert.deepEqual(await log.list({ limit: -1 }), []);
    assert.equal((await log.list({ limit: 2.5 })).length, 2);
    assert.equal((await log.list({ limit: Number.POSITIVE_INFINITY })).length, 1000);
  });

  test('concurrent transactions through one store still get dense, contiguous positions', async () => {
    const store = await openFresh();
    const log = logOn(store);
    await Promise.all(
      Array.from({ length: 10 }, (_, writer) =>
        store.db.transaction().execute(async (trx) => {
          await log.append(trx, [anEvent({ details: { writer, i: 0 } })]);
          await log.append(trx, [anEvent({ details: { writer, i: 1 } }), anEvent({ details: { writer, i: 2 } })]);
        }),
      ),
    );
    const events = await log.list();
    assert.deepEqual(
      events.map((event) => event.seq),
      Array.from({ length: 30 }, (_, index) => index),
    );
    // The head stays locked until commit, so each transaction's events sit side by side.
    for (let start = 0; start < 30; start += 3) {
      const writers = new Set(events.slice(start, start + 3).map((event) => event.details['writer']));
      assert.equal(writers.size, 1, `events ${start}..${start + 2} come from one transaction`);
    }
  });
});
