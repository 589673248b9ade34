import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import {
  checkpointOrigin,
  formatCheckpoint,
  noteKeyHash,
  parseNote,
  signNote,
  verifyCheckpointNote,
  type NoteKey,
} from '../../src/audit/domain/checkpoint.ts';
import type { EventInput } from '../../src/audit/domain/event.ts';
import { leafHashInput } from '../../src/audit/domain/event.ts';
import { createEventLog, type LeafHasher } from '../../src/audit/store/event-log.ts';
import { bulkEntries, bulkNodes } from '../../src/audit/store/bulk-read.ts';
import { insertCheckpoint } from '../../src/audit/store/checkpoint-store.ts';
import { createTreeStore } from '../../src/audit/store/tree-store.ts';
import { verifyLog, type ProblemKind } from '../../src/audit/verify-log.ts';
import { fixedClock } from '../../src/core/clock.ts';
import { cryptoSuite } from '../../src/crypto/index.ts';
import type { DialectName } from '../../src/store/dialect.ts';
import type { Store } from '../../src/store/open-store.ts';
import { forEachEngine } from '../support/databases.ts';

const sha256: LeafHasher = { hash: (data) => createHash('sha256').update(data).digest() };
const origin = checkpointOrigin('T01');
const suite = cryptoSuite('intl');
const pair = suite.generateSigningKey();
const key: NoteKey = { name: origin, suite, publicKey: pair.publicKey };

function events(count: number): EventInput[] {
  return Array.from({ length: count }, (_, i) => ({ type: 'test.verify', actor: 'system', outcome: 'success', details: { i } }));
}

async function signAt(store: Store, size: number, signWith = pair.privateKey, root?: Uint8Array): Promise<string> {
  const head = await createTreeStore({ db: store.db, hasher: sha256 }).head(size);
  const rootHash = root ?? head.root;
  const note = signNote(formatCheckpoint({ origin, size, root: rootHash }), { ...key, publicKey: suite.signingPublicKey(signWith) }, signWith);
  return (await insertCheckpoint(store.db, { size, root: rootHash, note, createdAt: '2025-01-01T00:00:00.000Z' })).id;
}

/** A log of 20 entries with checkpoints at 8 and 20. */
async function setUp(store: Store): Promise<void> {
  const log = createEventLog({ db: store.db, hasher: sha256, clock: fixedClock('2025-01-01T00:00:00.000Z') });
  for (const count of [3, 5, 12]) await store.db.transaction().execute((trx) => log.append(trx, events(count)));
  await signAt(store, 8);
  await signAt(store, 20);
}

/** What an attacker with file access does first: remove the append-only triggers. */
async function dropGuards(store: Store, dialect: DialectName): Promise<void> {
  if (dialect === 'sqlite') {
    await sql`drop trigger events_no_update`.execute(store.db);
    await sql`drop trigger events_no_delete`.execute(store.db);
  } else {
    // Since 0008-witness, updates (retention pruning only) and deletes have a trigger each.
    await sql`drop trigger events_no_update on events`.execute(store.db);
    await sql`drop trigger events_no_delete on events`.execute(store.db);
  }
}

async function problems(store: Store, keys: readonly NoteKey[] = [key]): Promise<Array<{ kind: ProblemKind; seq?: number; checkpoint?: string }>> {
  const report = await verifyLog({ db: store.db, dialect: store.dialect, hasher: sha256, origin, keys });
  return report.problems.map((problem) => ({ kind: problem.kind, ...(problem.seq !== undefined ? { seq: problem.seq } : {}), ...(problem.checkpoint ? { checkpoint: problem.checkpoint } : {}) }));
}

const kinds = (list: ReadonlyArray<{ kind: ProblemKind }>) => [...new Set(list.map((problem) => problem.kind))].sort();

test('checkpoint notes: format, key hash per signed-note spec, round trip, and refusals', () => {
  const body = formatCheckpoint({ origin, size: 3, root: new Uint8Array(32) });
  assert.equal(body, `${origin}\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n`);
  const expectedHash = createHash('sha256').update(Buffer.concat([Buffer.from(`${origin}\n`), Buffer.from([1]), Buffer.from(pair.publicKey)])).digest().subarray(0, 4);
  assert.deepEqual(Buffer.from(noteKeyHash(key)), expectedHash);
  const note = signNote(body, key, pair.privateKey);
  assert.ok(note.startsWith(`${body}\n\u2014 ${origin} `));
  assert.equal(parseNote(note)!.body, body);
  assert.ok(verifyCheckpointNote(note, [key]).ok);
  const sm = cryptoSuite('sm');
  const smPair = sm.generateSigningKey();
  const smKey: NoteKey = { name: origin, suite: sm, publicKey: smPair.publicKey };
  assert.ok(verifyCheckpointNote(signNote(body, smKey, smPair.privateKey), [smKey]).ok);
  const problem = (text: string, keys = [key]) => {
    const checked = verifyCheckpointNote(text, keys);
    return checked.ok ? 'ok' : checked.problem;
  };
  assert.equal(problem(note.replace('\n3\n', '\n4\n')), 'bad_signature');
  assert.equal(problem(note, [{ ...key, publicKey: suite.generateSigningKey().publicKey }]), 'unknown_key');
  assert.equal(problem('not a note'), 'malformed');
  assert.equal(problem(`${origin}\nxx\nAAAA\n\n\u2014 ${origin} AAAAAAAA\n`), 'malformed');
});

forEachEngine('audit verify', ({ dialect, openFresh }) => {
  test('an intact log with its checkpoints verifies', async () => {
    const store = await openFresh();
    await setUp(store);
    const report = await verifyLog({ db: store.db, dialect: store.dialect, hasher: sha256, origin, keys: [key] });
    assert.deepEqual(report.problems, []);
    assert.equal(report.ok, true);
    assert.equal(report.entries, 20);
    assert.equal(report.checkpoints, 2);
  });

  test('the bulk reads return an intact range exactly, in order, with no suspects', async () => {
    const store = await openFresh();
    await setUp(store);
    const rows = await store.db.selectFrom('events').select(['seq', 'payload', 'leaf_hash']).orderBy('seq').execute();
    const range = await bulkEntries(store.db, dialect, 0, 20);
    assert.equal(Number(range.count), 20);
    assert.equal(Number(range.suspects), 0);
    assert.equal(range.payloads!.toString('utf8'), rows.map((row) => `${row.seq}:${row.payload}`).join('\n'));
    assert.deepEqual(range.leaves, Buffer.concat(rows.map((row) => row.leaf_hash)));
    const nodes = await store.db.selectFrom('merkle_nodes').select(['idx', 'hash']).where('level', '=', 1).orderBy('idx').execute();
    const level = await bulkNodes(store.db, dialect, 1, 0, 10);
    assert.equal(level.indexes!.toString('utf8'), nodes.map((node) => node.idx).join(','));
    assert.deepEqual(level.hashes, Buffer.concat(nodes.map((node) => node.hash)));
    const empty = await bulkEntries(store.db, dialect, 100, 200);
    assert.equal(Number(empty.count), 0);
    assert.equal(empty.payloads, null);
  });

  test('a column changed behind an intact payload is reported at that entry, and the bulk read flags it', async () => {
    const store = await openFresh();
    await setUp(store);
    await dropGuards(store, dialect);
    // Hiding an access from the person's report: the indexed subject changes, the signed payload does not.
    await sql`update events set subject_hash = 'someone-else' where seq = 6`.execute(store.db);
    assert.equal(Number((await bulkEntries(store.db, dialect, 0, 20)).suspects), 1);
    const found = await problems(store);
    assert.deepEqual(found, [{ kind: 'entry_fields_changed', seq: 6 }]);
  });

  test('a changed stored subtree is reported at its position', async () => {
    const store = await openFresh();
    await setUp(store);
    // The attacker first removes the append-only trigger on merkle_nodes too.
    if (dialect === 'sqlite') await sql`drop trigger merkle_nodes_no_update`.execute(store.db);
    else await sql`drop trigger merkle_nodes_no_change on merkle_nodes`.execute(store.db);
    await sql`update merkle_nodes set hash = ${Buffer.alloc(32, 9)} where level = 2 and idx = 3`.execute(store.db);
    const found = await problems(store);
    assert.deepEqual(found, [{ kind: 'tree_node_mismatch', seq: 12 }]);
  });

  test('a changed byte in a stored entry is reported at that entry', async () => {
    const store = await openFresh();
    await setUp(store);
    await dropGuards(store, dialect);
    await sql`update events set payload = replace(payload, '"i":4', '"i":5') where seq = 12`.execute(store.db);
    const found = await problems(store);
    assert.ok(found.some((problem) => problem.kind === 'entry_changed' && problem.seq === 12), JSON.stringify(found));
    assert.ok(found.some((problem) => problem.kind === 'checkpoint_root_mismatch'));
  });

  test('an entry rewritten with a matching leaf hash is caught by the stored tree and the checkpoint', async () => {
    const store = await openFresh();
    await setUp(store);
    await dropGuards(store, dialect);
    const row = await store.db.selectFrom('events').select('payload').where('seq', '=', 5).executeTakeFirstOrThrow();
    const payload = row.payload.replace('"outcome":"success"', '"outcome":"failure"');
    const leaf = Buffer.from(sha256.hash(leafHashInput(Buffer.from(payload))));
    await sql`update events set payload = ${payload}, leaf_hash = ${leaf}, outcome = 'failure' where seq = 5`.execute(store.db);
    const found = await problems(store);
    assert.ok(found.some((problem) => problem.kind === 'tree_node_mismatch' && problem.seq === 4), JSON.stringify(found));
    assert.equal(found.filter((problem) => problem.kind === 'checkpoint_root_mismatch').length, 2);
  });

  test('a deleted entry is reported as missing', async () => {
    const store = await openFresh();
    await setUp(store);
    await dropGuards(store, dialect);
    await sql`delete from events where seq = 7`.execute(store.db);
    const found = await problems(store);
    assert.ok(found.some((problem) => problem.kind === 'entry_missing' && problem.seq === 7), JSON.stringify(found));
  });

  test('an inserted entry is reported', async () => {
    const store = await openFresh();
    await setUp(store);
    const payload = '{"forged":true}';
    await store.db
      .insertInto('events')
      .values({ seq: 20, id: 'forged', ts: 'x', type: 't', actor: null, outcome: 'success', subject_hash: null, payload, leaf_hash: Buffer.from(sha256.hash(leafHashInput(Buffer.from(payload)))) })
      .execute();
    const found = await problems(store);
    assert.ok(found.some((problem) => problem.kind === 'entry_unexpected' && problem.seq === 20), JSON.stringify(found));
  });

  test('reordered entries are reported at both positions', async () => {
    const store = await openFresh();
    await setUp(store);
    await dropGuards(store, dialect);
    const [a, b] = await store.db.selectFrom('events').select(['seq', 'payload', 'leaf_hash']).where('seq', 'in', [3, 4]).orderBy('seq').execute();
    await sql`update events set payload = ${b!.payload}, leaf_hash = ${b!.leaf_hash} where seq = 3`.execute(store.db);
    await sql`update events set payload = ${a!.payload}, leaf_hash = ${a!.leaf_hash} where seq = 4`.execute(store.db);
    const found = await problems(store);
    assert.deepEqual(
      found.filter((problem) => problem.kind === 'entry_fields_changed').map((problem) => problem.seq),
      [3, 4],
    );
    assert.ok(found.some((problem) => problem.kind === 'checkpoint_root_mismatch'));
  });

  test('a truncated log is reported against the checkpoint that covered the removed entries', async () => {
    const store = await openFresh();
    await setUp(store);
    await dropGuards(store, dialect);
    await sql`delete from events where seq >= 15`.execute(store.db);
    await store.db.updateTable('event_log_head').set({ size: 15 }).where('id', '=', 1).execute();
    const found = await problems(store);
    assert.deepEqual(kinds(found), ['checkpoint_beyond_log']);
  });

  test('forked checkpoints, a bad signature and an unknown key are each reported by checkpoint', async () => {
    const store = await openFresh();
    await setUp(store);
    const fork = await signAt(store, 8, pair.privateKey, new Uint8Array(32).fill(7));
    const stranger = await signAt(store, 20, suite.generateSigningKey().privateKey);
    const good = await store.db.selectFrom('checkpoints').select('note').where('tree_size', '=', 8).orderBy('id').executeTakeFirstOrThrow();
    const tampered = good.note.replace(/ ([A-Za-z0-9+/]{10})/, (_, start: string) => ` ${start.slice(0, 9)}${start[9] === 'A' ? 'B' : 'A'}`);
    const badSignature = (await insertCheckpoint(store.db, { size: 8, root: new Uint8Array(32), note: tampered, createdAt: 'x' })).id;
    const found = await problems(store);
    assert.ok(found.some((problem) => problem.kind === 'checkpoint_fork' && problem.checkpoint === fork), JSON.stringify(found));
    assert.ok(found.some((problem) => problem.kind === 'checkpoint_root_mismatch' && problem.checkpoint === fork));
    assert.ok(found.some((problem) => problem.kind === 'checkpoint_unknown_key' && problem.checkpoint === stranger));
    assert.ok(found.some((problem) => problem.kind === 'checkpoint_bad_signature' && problem.checkpoint === badSignature));
  });
});
