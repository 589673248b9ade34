/**
 * Witnessing between real nodes on loopback: the hub (witness of every member) and a member
 * (witness of a partner) fetch each new checkpoint, check signature and consistency, co-sign it and
 * post the cosignature back; forked, truncated and rewritten logs raise integrity alerts that end
 * up in the hub's directory.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { checkpointOrigin, formatCheckpoint } from '../../src/audit/index.ts';
import { signNote, type NoteKey } from '../../src/audit/domain/checkpoint.ts';
import { insertCheckpoint } from '../../src/audit/store/checkpoint-store.ts';
import { findCosignature } from '../../src/audit/domain/cosignature.ts';
import { memberNoteKeys } from '../../src/audit/witness.ts';
import type { TestNode } from '../support/nodes.ts';
import { approveOverHttp, joinOverHttp, startHub, startMember, syncOverHttp } from '../directory/fixture.ts';

const quiet = { 'audit.witnessIntervalSeconds': 86_400 };

async function appendSome(node: TestNode, count: number, label: string): Promise<void> {
  for (let index = 0; index < count; index += 1) {
    await node.running.node.events.record({ type: 'test.entry', actor: 'system', outcome: 'success', details: { label, index } });
  }
}

/** A checkpoint signed with the node's real key over whatever size and root the test wants: what a dishonest operator could serve. */
async function forgeCheckpoint(node: TestNode, size: number, root: Uint8Array): Promise<void> {
  const context = node.running.node;
  const signer = await context.keyring.signer();
  const origin = checkpointOrigin(context.info.code);
  const key: NoteKey = { name: origin, suite: signer.suite, publicKey: signer.suite.signingPublicKey(signer.privateKey) };
  const note = signNote(formatCheckpoint({ origin, size, root }), key, signer.privateKey);
  await insertCheckpoint(context.store.db, { size, root, note, createdAt: context.clock.now().toISOString() });
}

describe('witnessing checkpoints across the federation', () => {
  let hub: TestNode;
  let zhejiang: TestNode;
  let guizhou: TestNode;
  let jiangsu: TestNode;

  before(async () => {
    [hub, zhejiang, guizhou, jiangsu] = await Promise.all([
      startHub({ overrides: quiet }),
      startMember('330000', '浙江省', { overrides: quiet }),
      startMember('520000', '贵州省', { overrides: quiet, suite: 'sm' }),
      startMember('320000', '江苏省', { overrides: { ...quiet, 'audit.unknownKeyGraceSeconds': 0 } }),
    ]);
    await hub.running.node.directory.setOwnEndpoint(hub.url);
    for (const member of [zhejiang, guizhou, jiangsu]) assert.equal((await joinOverHttp(member, hub.url)).status, 200);
    for (const code of ['330000', '520000', '320000']) assert.equal((await approveOverHttp(hub, code)).status, 200);
    await syncOverHttp(hub);
    for (const member of [zhejiang, guizhou, jiangsu]) await syncOverHttp(member);
  });
  after(async () => {
    await Promise.all([hub, zhejiang, guizhou, jiangsu].map((node) => node?.close()));
  });

  test('the hub witnesses every member; each member lists who co-signed its checkpoints', async () => {
    for (const member of [zhejiang, guizhou, jiangsu]) {
      await appendSome(member, 5, 'first');
      await member.running.node.audit.signCheckpoint(null);
    }
    const token = await hub.adminToken();
    const round = await hub.call('POST', '/api/v1/audit/witness', { token });
    assert.equal(round.status, 200, JSON.stringify(round.body));
    const results = round.body['results'] as Array<Record<string, unknown>>;
    assert.deepEqual(results.map((result) => [result['node'], result['status'], result['posted']]).sort(), [
      ['320000', 'witnessed', true],
      ['330000', 'witnessed', true],
      ['520000', 'witnessed', true],
    ]);

    // Nothing new: the next round leaves everything as it is.
    const again = await hub.running.node.audit.witness.witnessAll();
    assert.deepEqual(again.map((result) => result.status), ['current', 'current', 'current']);

    // Each member shows the hub's cosignature, which verifies under the hub's directory key.
    for (const member of [zhejiang, guizhou]) {
      const listed = await member.call('GET', '/api/v1/audit/checkpoints?limit=1');
      const [latest] = listed.body['checkpoints'] as Array<{ note: string; witnesses: Array<{ witness: string; cosignature: string }> }>;
      assert.equal(latest!.witnesses.length, 1);
      assert.equal(latest!.witnesses[0]!.witness, '100000');
      const hubMember = member.running.node.directory.member('100000')!;
      const cosigned = `${latest!.note}${latest!.witnesses[0]!.cosignature}\n`;
      const found = memberNoteKeys(hubMember).map((key) => findCosignature(cosigned, key)).find((result) => result);
      assert.ok(found, 'the cosignature verifies under the hub key');
    }

    // Growth is checked with a consistency proof and witnessed again.
    await appendSome(zhejiang, 7, 'second');
    await zhejiang.running.node.audit.signCheckpoint(null);
    const grown = await hub.running.node.audit.witness.witness('330000');
    assert.equal(grown.status, 'witnessed');
    assert.equal(grown.size, (await zhejiang.running.node.audit.latestCheckpoint())!.size);
  });

  test('a cosignature that does not verify, or for a checkpoint the node never signed, is refused and logged', async () => {
    const latest = (await zhejiang.running.node.audit.latestCheckpoint())!;
    const forged = `${latest.note}\u2014 ${checkpointOrigin('320000')} ${Buffer.alloc(76, 7).toString('base64')}\n`;
    const refused = await zhejiang.call('POST', '/api/v1/audit/cosignatures', { body: { witness: '320000', note: forged } });
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.equal(refused.body['code'], 'checkpoint_invalid');
    const other = (await guizhou.running.node.audit.latestCheckpoint())!;
    const foreign = await zhejiang.call('POST', '/api/v1/audit/cosignatures', { body: { witness: '100000', note: other.note } });
    assert.equal(foreign.body['code'], 'checkpoint_invalid');
    const logged = await zhejiang.running.node.events.list({ type: 'audit.cosignature_refused' });
    assert.equal(logged.length, 2);
  });

  test('a forked history is flagged by the witness and shown in the hub directory', async () => {
    const latest = (await guizhou.running.node.audit.latestCheckpoint())!;
    await forgeCheckpoint(guizhou, latest.size, Buffer.alloc(32, 1));
    const result = await hub.running.node.audit.witness.witness('520000');
    assert.equal(result.status, 'alert');
    assert.equal(result.alert?.kind, 'fork');
    // The same evidence is flagged once, however often the witness looks.
    await hub.running.node.audit.witness.witnessAll();
    const raised = await hub.running.node.audit.witness.alerts('520000');
    assert.equal(raised.length, 1);
    assert.ok(raised[0]!.reportedAt, 'the hub, as witness, files its own alert at once');
    const logged = await hub.running.node.events.list({ type: 'audit.integrity_alert' });
    assert.equal(logged.length, 1);

    const token = await hub.adminToken();
    const alerts = await hub.call('GET', '/api/v1/directory/integrity-alerts?node=520000', { token });
    assert.equal(alerts.status, 200);
    const [alert] = alerts.body['alerts'] as Array<Record<string, unknown>>;
    assert.equal(alert!['kind'], 'fork');
    assert.equal(alert!['reportedBy'], '100000');
    const registry = await hub.call('GET', '/api/v1/directory/registry', { token });
    const entry = (registry.body['members'] as Array<Record<string, unknown>>).find((member) => member['code'] === '520000');
    assert.equal(entry!['integrityAlerts'], 1);
  });

  test('a rewritten log (a checkpoint that does not extend the witnessed one) and a truncated log are flagged', async () => {
    const head = (await jiangsu.running.node.audit.latestCheckpoint())!;
    // The node claims 20 more entries than it can prove.
    await forgeCheckpoint(jiangsu, head.size + 20, Buffer.alloc(32, 2));
    const rewritten = await hub.running.node.audit.witness.witness('320000');
    assert.equal(rewritten.status, 'alert');
    assert.equal(rewritten.alert?.kind, 'inconsistent');

    // Zhejiang: an operator with SQL access rolls the served checkpoints back to an older size.
    const db = zhejiang.running.node.store.db;
    const sizes = (await zhejiang.running.node.audit.listCheckpoints()).map((checkpoint) => checkpoint.size);
    await sql.raw('drop trigger checkpoints_no_delete').execute(db);
    await db.deleteFrom('checkpoints').where('tree_size', '>', Math.min(...sizes)).execute();
    const truncated = await hub.running.node.audit.witness.witness('330000');
    assert.equal(truncated.status, 'alert');
    assert.equal(truncated.alert?.kind, 'truncated');
  });

  test('a member witness reports its alert to the hub over HTTP, signed with its key', async () => {
    // 江苏 witnesses 贵州 directly (as a partner would), holding the honest checkpoint first.
    const witness = jiangsu.running.node.audit.witness;
    // A witness that starts now trusts what it first sees, then 贵州 serves a checkpoint under an unknown key.
    const first = await witness.witness('520000');
    assert.equal(first.status, 'witnessed');
    const context = guizhou.running.node;
    const origin = checkpointOrigin('520000');
    const body = formatCheckpoint({ origin, size: first.size! + 3, root: Buffer.alloc(32, 3) });
    // Signed by a key 贵州 never published (an unknown key hash).
    const note = `${body}\n\u2014 ${origin} ${Buffer.alloc(74, 9).toString('base64')}\n`;
    await insertCheckpoint(context.store.db, { size: first.size! + 3, root: Buffer.alloc(32, 3), note, createdAt: context.clock.now().toISOString() });
    // The hub waits (a rotation may be in flight: default grace 600 s); 江苏 is configured not to.
    const waiting = await hub.running.node.audit.witness.witness('520000');
    assert.equal(waiting.status, 'failed');
    assert.equal(waiting.error?.code, 'key_unknown');
    const flagged = await witness.witness('520000');
    assert.equal(flagged.status, 'alert');
    assert.equal(flagged.alert?.kind, 'unknown_key');
    await witness.witnessAll();
    const raised = await witness.alerts('520000');
    assert.ok(raised[0]!.reportedAt, 'delivered to the hub');
    const atHub = await hub.running.node.directory.registry.integrityAlerts('520000');
    assert.ok(atHub.some((alert) => alert.reportedBy === '320000' && alert.kind === 'unknown_key'));
    const received = await hub.running.node.events.list({ type: 'directory.integrity_alert_received' });
    assert.ok(received.some((event) => event.actor === 'node:320000'));
  });
});
