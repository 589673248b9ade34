import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { EventInput } from '../../src/audit/domain/event.ts';
import { MemoryTree, verifyConsistency, verifyInclusion } from '../../src/audit/domain/merkle.ts';
import { createEventLog, type LeafHasher } from '../../src/audit/store/event-log.ts';
import { createTreeStore } from '../../src/audit/store/tree-store.ts';
import { fixedClock, systemClock } from '../../src/core/clock.ts';
import { TongbanError } from '../../src/core/errors.ts';
import type { Store } from '../../src/store/open-store.ts';
import { forEachEngine } from '../support/databases.ts';

const sha256: LeafHasher = { hash: (data) => createHash('sha256').update(data).digest() };
const sm3: LeafHasher = { hash: (data) => createHash('sm3').update(data).digest() };

function events(count: number, tag: string): EventInput[] {
  return Array.from({ length: count }, (_, i) => ({ type: 'test.tree', actor: 'system', outcome: 'success', details: { tag, i } }));
}

async function memoryTreeOf(store: Store, hasher: LeafHasher): Promise<MemoryTree> {
  const rows = await store.db.selectFrom('events').select('leaf_hash').orderBy('seq', 'asc').execute();
  const tree = new MemoryTree(hasher);
  for (const row of rows) tree.append(row.leaf_hash);
  return tree;
}

const hex = (values: readonly Uint8Array[]) => values.map((v) => Buffer.from(v).toString('hex'));

forEachEngine('stored Merkle tree', ({ dialect, openFresh, freshDatabase }) => {
  test('roots and proofs read from stored nodes equal an in-memory tree over the leaves (SHA-256 and SM3)', async () => {
    for (const hasher of [sha256, sm3]) {
      const store = await openFresh();
      const log = createEventLog({ db: store.db, hasher, clock: fixedClock('2025-01-01T00:00:00.000Z') });
      const trees = createTreeStore({ db: store.db, hasher });
      // Batches of uneven sizes so subtrees complete across transactions.
      for (const [index, count] of [1, 2, 5, 1, 8, 3, 13, 1, 4].entries()) {
        await store.db.transaction().execute((trx) => log.append(trx, events(count, `b${index}`)));
      }
      assert.equal(await trees.size(), 38);
      const memory = await memoryTreeOf(store, hasher);
      for (let n = 0; n <= 38; n += 1) {
        const head = await trees.head(n);
        assert.deepEqual(hex([head.root]), hex([memory.root(n)]), `root ${n}`);
        for (let i = 0; i < n; i += 5) {
          const proof = await trees.inclusionProof(i, n);
          assert.deepEqual(hex(proof), hex(memory.inclusionProof(i, n)), `inclusion ${i}/${n}`);
          assert.ok(verifyInclusion(hasher, i, n, await trees.leafHash(i), proof, head.root));
        }
        for (let m = 0; m <= n; m += 3) {
          const proof = await trees.consistencyProof(m, n);
          assert.deepEqual(hex(proof), hex(memory.consistencyProof(m, n)), `consistency ${m}->${n}`);
          assert.ok(verifyConsistency(hasher, m, n, memory.root(m), head.root, proof));
        }
      }
    }
  });

  test('proofs for sizes and entries that do not exist are refused with clear errors', async () => {
    const store = await openFresh();
    const log = createEventLog({ db: store.db, hasher: sha256, clock: systemClock });
    const trees = createTreeStore({ db: store.db, hasher: sha256 });
    await log.append(store.db, events(4, 'x'));
    const code = async (promise: Promise<unknown>) => {
      try {
        await promise;
        return 'resolved';
      } catch (error) {
        return error instanceof TongbanError ? error.code : String(error);
      }
    };
    assert.equal(await code(trees.head(5)), 'not_found');
    assert.equal(await code(trees.inclusionProof(4, 4)), 'not_found');
    assert.equal(await code(trees.inclusionProof(0, 9)), 'not_found');
    assert.equal(await code(trees.inclusionProof(-1, 4)), 'invalid_input');
    assert.equal(await code(trees.consistencyProof(3, 2)), 'invalid_input');
    assert.equal(await code(trees.consistencyProof(1, 7)), 'not_found');
    assert.equal(await code(trees.leafHash(10)), 'not_found');
  });

  test('a log written before the tree existed is caught up by the next append', async () => {
    const store = await openFresh();
    // The pre-migration state: six events and a head that knows them, but no tree nodes.
    const rows = Array.from({ length: 6 }, (_, seq) => {
      const payload = JSON.stringify({ old: seq });
      return {
        seq,
        id: `old-${seq}`,
        ts: '2024-01-01T00:00:00.000Z',
        type: 'test.old',
        actor: 'system',
        outcome: 'success',
        subject_hash: null,
        payload,
        leaf_hash: Buffer.from(sha256.hash(Buffer.concat([Buffer.from([0]), Buffer.from(payload)]))),
      };
    });
    await store.db.insertInto('events').values(rows).execute();
    await store.db.updateTable('event_log_head').set({ size: 6 }).where('id', '=', 1).execute();
    const trees = createTreeStore({ db: store.db, hasher: sha256 });
    assert.equal(await trees.size(), 0);
    const log = createEventLog({ db: store.db, hasher: sha256, clock: systemClock });
    const appended = await log.append(store.db, events(3, 'new'));
    assert.deepEqual(appended.map((event) => event.seq), [6, 7, 8]);
    assert.equal(await trees.size(), 9);
    const memory = await memoryTreeOf(store, sha256);
    assert.deepEqual(hex([(await trees.head()).root]), hex([memory.root()]));
    assert.deepEqual(hex(await trees.consistencyProof(5, 9)), hex(memory.consistencyProof(5, 9)));
  });

  test(
    'several stores appending at once on one database keep one consistent tree',
    { skip: dialect === 'sqlite' ? 'a SQLite file has one writer; covered by the single-store test' : false },
    async () => {
      const database = await freshDatabase();
      const stores = [await database.open({ poolSize: 4 }), await database.open({ poolSize: 4 })];
      await Promise.all(
        stores.flatMap((store, s) => {
          const log = createEventLog({ db: store.db, hasher: sha256, clock: systemClock });
          return Array.from({ length: 4 }, async (_, worker) => {
            for (let t = 0; t < 10; t += 1) {
              await store.db.transaction().execute((trx) => log.append(trx, events(1 + ((t + worker) % 3), `s${s}w${worker}t${t}`)));
            }
          });
        }),
      );
      const store = stores[0]!;
      const trees = createTreeStore({ db: store.db, hasher: sha256 });
      const size = await trees.size();
      const memory = await memoryTreeOf(store, sha256);
      assert.equal(size, memory.size);
      assert.deepEqual(hex([(await trees.head()).root]), hex([memory.root()]));
      for (let i = 0; i < size; i += 7) assert.deepEqual(hex(await trees.inclusionProof(i, size)), hex(memory.inclusionProof(i, size)));
    },
  );
});
