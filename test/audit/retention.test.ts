/**
 * Retention on both engines: entries past `audit.retentionDays` lose their details, entries under
 * an agreement that asks for longer keep them until then, leaf hashes stay, so `verify`, proofs
 * and bundles still pass; the database guard allows that one change and nothing else.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import { fixedClock } from '../../src/core/clock.ts';
import { systemActor } from '../../src/identity/index.ts';
import { verifyInclusion } from '../../src/audit/index.ts';
import { leafHashInput } from '../../src/audit/domain/event.ts';
import { checkBundle } from '../../src/audit/domain/bundle.ts';
import { engines, freshPostgresUrl, type FreshPostgresDatabase } from '../support/databases.ts';
import { startTestNode, type TestNode } from '../support/nodes.ts';
import { agreementDoc, agreementId } from '../agreements/fixtures.ts';
import { tongban } from '../directory/fixture.ts';

const day = 86_400_000;
const sha256 = { hash: (data: Uint8Array) => new Uint8Array(createHash('sha256').update(data).digest()) };

for (const engine of engines) {
  describe(`retention pruning (${engine.label})`, { skip: engine.unavailable }, () => {
    const clock = fixedClock('2026-01-01T00:00:00Z');
    let node: TestNode;
    let database: FreshPostgresDatabase | undefined;

    before(async () => {
      if (engine.dialect === 'postgres') database = await freshPostgresUrl();
      node = await startTestNode({ code: '520400', name: '安顺市', clock, ...(database ? { databaseUrl: database.url } : {}), overrides: { 'audit.witnessIntervalSeconds': 86_400 } });
    });
    after(async () => {
      await node?.close();
      await database?.drop();
    });

    test('prunes details past retention, keeps agreement periods, and the log still verifies and proves', async () => {
      const context = node.running.node;
      const doc = agreementDoc((d) => (d.security.retentionDays = 400));
      await context.agreements.importDocument(systemActor, { text: stringify(doc), source: 'agreement.yaml' });
      for (let index = 0; index < 3; index += 1) {
        await context.events.record({ type: 'test.plain', actor: 'system', outcome: 'success', details: { index, secret: 'detail-to-forget' } });
      }
      const kept = [];
      for (let index = 0; index < 2; index += 1) {
        kept.push(await context.events.record({ type: 'exchange.answered', actor: 'node:331083', outcome: 'success', details: { agreement: `${agreementId}@1`, index } }));
      }
      const checkpoint = await context.audit.signCheckpoint(null);
      const before = await context.events.size();

      clock.advance(200 * day);
      const dry = await context.audit.prune('test', { dryRun: true });
      assert.equal(dry.dryRun, true);
      assert.equal(dry.keptForAgreements, 2);
      assert.ok(dry.pruned >= 3, JSON.stringify(dry));
      assert.equal(await context.events.size(), before, 'a dry run changes nothing');
      const untouched = await context.events.list({ type: 'test.plain' });
      assert.equal(untouched[0]!.details['secret'], 'detail-to-forget');

      const done = await context.audit.prune('test', { dryRun: false });
      assert.equal(done.pruned, dry.pruned);
      const plain = await context.events.list({ type: 'test.plain' });
      assert.deepEqual(plain[0]!.details, {});
      const row = await context.store.db.selectFrom('events').select(['payload', 'leaf_hash', 'seq']).where('id', '=', plain[0]!.id).executeTakeFirstOrThrow();
      assert.ok(!row.payload.includes('detail-to-forget'));
      assert.equal(JSON.parse(row.payload).pruned, true);
      assert.equal((await context.events.list({ type: 'exchange.answered' }))[0]!.details['index'], 0, 'the agreement keeps these 400 days');

      const report = await context.audit.verify();
      assert.equal(report.ok, true, JSON.stringify(report.problems));
      assert.equal(report.pruned, done.pruned);
      const proof = await context.audit.inclusionProof({ eventId: plain[0]!.id, size: checkpoint.size });
      const proofHashes = proof.proof.map((hash) => Buffer.from(hash, 'base64'));
      assert.ok(verifyInclusion(sha256, proof.seq, proof.size, row.leaf_hash, proofHashes, checkpoint.root));
      // The pruned payload no longer hashes to the leaf: details cannot be rebuilt or swapped in.
      assert.notDeepEqual(Buffer.from(sha256.hash(leafHashInput(Buffer.from(row.payload)))), row.leaf_hash);
      const bundle = await context.audit.exportBundle(0, Number(row.seq));
      assert.equal(checkBundle(JSON.parse(JSON.stringify(bundle))).ok, true);
      assert.equal((await context.events.list({ type: 'audit.pruned' })).length, 1);

      clock.advance(250 * day);
      const later = await context.audit.prune('test', { dryRun: false });
      assert.equal(later.keptForAgreements, 0);
      assert.ok(later.pruned >= 2);
      assert.deepEqual((await context.events.list({ type: 'exchange.answered' }))[0]!.details, {});
      assert.equal((await context.audit.verify()).ok, true);
      assert.ok(kept.length === 2);
    });

    test('the database guard refuses every other change to an entry, and verify names a pruned entry no prune recorded', async () => {
      const db = node.running.node.store.db;
      const recent = await node.running.node.events.record({ type: 'test.recent', actor: 'system', outcome: 'success', details: { keep: true } });
      await assert.rejects(db.updateTable('events').set({ type: 'test.changed' }).where('id', '=', recent.id).execute(), /append-only/);
      await assert.rejects(db.deleteFrom('events').where('id', '=', recent.id).execute(), /append-only/);
      const marker = JSON.stringify({ actor: 'system', id: recent.id, outcome: 'success', pruned: true, subject: null, ts: recent.ts, type: 'test.recent' });
      await assert.rejects(db.updateTable('events').set({ payload: marker, leaf_hash: Buffer.alloc(32) }).where('id', '=', recent.id).execute(), /append-only/);
      // The guard allows the marker itself (it cannot tell a prune from an operator), so verify checks it against the prune records.
      await db.updateTable('events').set({ payload: marker }).where('id', '=', recent.id).execute();
      await assert.rejects(db.updateTable('events').set({ payload: marker.replace('system', 'x') }).where('id', '=', recent.id).execute(), /append-only/);
      const report = await node.running.node.audit.verify();
      assert.equal(report.ok, false);
      assert.ok(report.problems.some((problem) => problem.kind === 'entry_pruned_unlogged' && problem.seq === recent.seq), JSON.stringify(report.problems));
    });
  });
}

test('tongban audit prune --dry-run counts and changes nothing', async () => {
  const node = await startTestNode({ code: '330000', overrides: { 'audit.witnessIntervalSeconds': 86_400 } });
  try {
    const before = await node.running.node.events.size();
    const result = await tongban('audit', 'prune', '--dry-run', '--dir', node.dir, '--json');
    assert.equal(result.code, 0, result.err);
    const report = JSON.parse(result.out) as { dryRun: boolean; pruned: number; retentionDays: number };
    assert.equal(report.dryRun, true);
    assert.equal(report.pruned, 0, 'nothing is six months old yet');
    assert.equal(report.retentionDays, 183);
    assert.equal(await node.running.node.events.size(), before);
  } finally {
    await node.close();
  }
});
