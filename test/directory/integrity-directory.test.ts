/**
 * Integrity alerts travel in the signed directory: a fork one member witnesses is reported to the
 * hub, which publishes a new directory version flagging the forked member; another member sees
 * the flag after its next sync, and it disappears after a hub administrator acknowledges it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkpointOrigin, formatCheckpoint } from '../../src/audit/index.ts';
import { signNote, type NoteKey } from '../../src/audit/domain/checkpoint.ts';
import { insertCheckpoint } from '../../src/audit/store/checkpoint-store.ts';
import type { TestNode } from '../support/nodes.ts';
import { approveOverHttp, joinOverHttp, startHub, startMember, syncOverHttp, tokenFor, tongban } from './fixture.ts';

const quiet = { 'audit.witnessIntervalSeconds': 86_400 };

/** A checkpoint signed with the node's real key over a root of the test's choosing: a forked history. */
async function forgeCheckpoint(node: TestNode, size: number, root: Uint8Array): Promise<void> {
  const context = node.running.node;
  const signer = await context.keyring.signer();
  const origin = checkpointOrigin(context.info.code);
  const key: NoteKey = { name: origin, suite: signer.suite, publicKey: signer.suite.signingPublicKey(signer.privateKey) };
  const note = signNote(formatCheckpoint({ origin, size, root }), key, signer.privateKey);
  await insertCheckpoint(context.store.db, { size, root, note, createdAt: context.clock.now().toISOString() });
}

type Listed = { status: { version: number }; members: Array<Record<string, unknown> & { code: string }> };

async function listedMember(node: TestNode, code: string): Promise<{ version: number; entry: Record<string, unknown> }> {
  const response = await node.call('GET', '/api/v1/directory/members', { token: await node.adminToken() });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  const body = response.body as unknown as Listed;
  const entry = body.members.find((member) => member.code === code);
  assert.ok(entry, `${code} is listed`);
  return { version: body.status.version, entry };
}

describe('integrity alerts in the signed directory', () => {
  let hub: TestNode;
  let zhejiang: TestNode; // the node whose log forks
  let jiangsu: TestNode; // its witness
  let guizhou: TestNode; // a bystander that only syncs the directory

  before(async () => {
    [hub, zhejiang, jiangsu, guizhou] = await Promise.all([
      startHub({ overrides: quiet }),
      startMember('330000', '浙江省', { overrides: quiet }),
      startMember('320000', '江苏省', { overrides: quiet }),
      startMember('520000', '贵州省', { overrides: quiet, suite: 'sm' }),
    ]);
    await hub.running.node.directory.setOwnEndpoint(hub.url);
    for (const member of [zhejiang, jiangsu, guizhou]) assert.equal((await joinOverHttp(member, hub.url)).status, 200);
    for (const code of ['330000', '320000', '520000']) assert.equal((await approveOverHttp(hub, code)).status, 200);
    await syncOverHttp(hub);
    for (const member of [zhejiang, jiangsu, guizhou]) await syncOverHttp(member);
  });
  after(async () => {
    await Promise.all([hub, zhejiang, jiangsu, guizhou].map((node) => node?.close()));
  });

  test('a fork one witness finds is flagged in another member’s synced directory; acknowledging clears it', async () => {
    // Before any alert the entry carries no integrity field and a zero count.
    const clean = await listedMember(guizhou, '330000');
    assert.equal(clean.entry['integrity'], undefined);
    assert.equal(clean.entry['integrityAlerts'], 0);

    // 江苏 witnesses 浙江's honest checkpoint, then 浙江 serves another history of the same size.
    for (let index = 0; index < 4; index += 1) {
      await zhejiang.running.node.events.record({ type: 'test.entry', actor: 'system', outcome: 'success', details: { index } });
    }
    await zhejiang.running.node.audit.signCheckpoint(null);
    const witness = jiangsu.running.node.audit.witness;
    assert.equal((await witness.witness('330000')).status, 'witnessed');
    const honest = (await zhejiang.running.node.audit.latestCheckpoint())!;
    await forgeCheckpoint(zhejiang, honest.size, Buffer.alloc(32, 5));
    const flagged = await witness.witness('330000');
    assert.equal(flagged.status, 'alert');
    assert.equal(flagged.alert?.kind, 'fork');
    const before = (await hub.running.node.directory.registry.integrityAlerts('330000')).length;
    await witness.witnessAll(); // reports the pending alert to the hub, signed, over HTTP
    const atHub = await hub.running.node.directory.registry.integrityAlerts('330000', { open: true });
    assert.equal(atHub.length, before + 1);
    const [alert] = atHub;
    assert.equal(alert!.reportedBy, '320000');
    assert.equal(alert!.acknowledgedAt, null);
    const published = await hub.running.node.events.list({ type: 'directory.published' });
    assert.ok(published.some((event) => event.details['reason'] === 'integrity alert about 330000'), 'the alert published a new directory version');

    // 贵州 learns of it at its next sync, from the signed document.
    await syncOverHttp(guizhou);
    const seen = await listedMember(guizhou, '330000');
    assert.ok(seen.version > clean.version);
    assert.deepEqual(seen.entry['integrity'], { alerts: 1, latestAt: alert!.detectedAt, kinds: ['fork'], witnesses: ['320000'] });
    assert.equal(seen.entry['integrityAlerts'], 1);
    assert.equal((await listedMember(guizhou, '320000')).entry['integrity'], undefined, 'only the forked member is flagged');
    assert.deepEqual(guizhou.running.node.directory.member('330000')?.integrity?.kinds, ['fork']);

    // A caseworker at the hub may not acknowledge it, and a member's administrator cannot either (not the hub).
    const caseworker = await tokenFor(hub, 'clerk', 'caseworker');
    const refused = await hub.call('POST', `/api/v1/directory/integrity-alerts/${alert!.id}/acknowledge`, { token: caseworker, body: { reason: 'looks fine' } });
    assert.equal(refused.status, 403);
    const logged = await hub.running.node.events.list({ type: 'http.request_refused' });
    assert.ok(logged.some((event) => event.details['route'] === '/api/v1/directory/integrity-alerts/:id/acknowledge'));
    const elsewhere = await guizhou.call('POST', `/api/v1/directory/integrity-alerts/${alert!.id}/acknowledge`, {
      token: await guizhou.adminToken(),
      body: { reason: 'looks fine' },
    });
    assert.equal(elsewhere.status, 404);
    // The hub administrator must give a reason.
    const token = await hub.adminToken();
    const blank = await hub.call('POST', `/api/v1/directory/integrity-alerts/${alert!.id}/acknowledge`, { token, body: { reason: '   ' } });
    assert.equal(blank.status, 400);
    const unknown = await hub.call('POST', '/api/v1/directory/integrity-alerts/no-such-alert/acknowledge', { token, body: { reason: 'checked' } });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body['code'], 'integrity_alert_unknown');
    assert.equal((await hub.running.node.directory.registry.integrityAlerts('330000', { open: true })).length, 1, 'refusals change nothing');

    const acknowledged = await hub.call('POST', `/api/v1/directory/integrity-alerts/${alert!.id}/acknowledge`, {
      token,
      body: { reason: '浙江 restored its log from the witnessed backup; ticket 2026-113' },
    });
    assert.equal(acknowledged.status, 200, JSON.stringify(acknowledged.body));
    const [cleared] = acknowledged.body['acknowledged'] as Array<Record<string, unknown>>;
    assert.equal(cleared!['acknowledgementReason'], '浙江 restored its log from the witnessed backup; ticket 2026-113');
    assert.ok(cleared!['acknowledgedBy']);
    const events = await hub.running.node.events.list({ type: 'directory.integrity_alert_acknowledged' });
    assert.equal(events.length, 1);
    assert.equal(events[0]!.details['id'], alert!.id);
    const again = await hub.call('POST', `/api/v1/directory/integrity-alerts/${alert!.id}/acknowledge`, { token, body: { reason: 'twice' } });
    assert.equal(again.status, 409);
    assert.equal(again.body['code'], 'integrity_alert_acknowledged');

    // The registry counts open alerts only; the acknowledged one stays listed with who and why.
    const registry = await hub.call('GET', '/api/v1/directory/registry', { token });
    const entry = (registry.body['members'] as Array<Record<string, unknown>>).find((member) => member['code'] === '330000');
    assert.equal(entry!['integrityAlerts'], 0);
    const all = await hub.call('GET', '/api/v1/directory/integrity-alerts?node=330000', { token });
    assert.equal((all.body['alerts'] as unknown[]).length, 1);
    const open = await hub.call('GET', '/api/v1/directory/integrity-alerts?node=330000&open=true', { token });
    assert.equal((open.body['alerts'] as unknown[]).length, 0);

    // 贵州's next sync clears the flag.
    await syncOverHttp(guizhou);
    const after = await listedMember(guizhou, '330000');
    assert.ok(after.version > seen.version);
    assert.equal(after.entry['integrity'], undefined);
    assert.equal(after.entry['integrityAlerts'], 0);
  });

  test('acknowledging every open alert about a member at once; none left is a 404', async () => {
    const token = await hub.adminToken();
    // The hub itself witnesses 江苏 and finds a fork (it files its own alert without HTTP).
    await jiangsu.running.node.audit.signCheckpoint(null);
    assert.equal((await hub.running.node.audit.witness.witness('320000')).status, 'witnessed');
    const head = (await jiangsu.running.node.audit.latestCheckpoint())!;
    await forgeCheckpoint(jiangsu, head.size, Buffer.alloc(32, 6));
    assert.equal((await hub.running.node.audit.witness.witness('320000')).status, 'alert');
    await hub.running.node.audit.witness.witnessAll();
    await syncOverHttp(zhejiang);
    const flagged = await listedMember(zhejiang, '320000');
    assert.equal((flagged.entry['integrity'] as { witnesses: string[] }).witnesses[0], '100000');

    // From the hub's CLI: a mistyped id is refused, then every open alert about 江苏 is acknowledged.
    const mistyped = await tongban('directory', 'acknowledge-alerts', '320000', '--id', 'nope', '--reason', 'investigated', '--dir', hub.dir);
    assert.notEqual(mistyped.code, 0);
    assert.match(mistyped.err, /integrity_alert_unknown/);
    const cli = await tongban('directory', 'acknowledge-alerts', '320000', '--reason', 'investigated', '--dir', hub.dir, '--json');
    assert.equal(cli.code, 0, cli.err);
    const cleared = JSON.parse(cli.out) as { acknowledged: Array<{ node: string; acknowledgementReason: string }> };
    assert.ok(cleared.acknowledged.length >= 1);
    assert.ok(cleared.acknowledged.every((alert) => alert.node === '320000' && alert.acknowledgementReason === 'investigated'));
    const none = await hub.call('POST', '/api/v1/directory/members/320000/integrity-alerts/acknowledge', { token, body: { reason: 'again' } });
    assert.equal(none.status, 404);
    assert.equal(none.body['code'], 'integrity_alert_unknown');
    await syncOverHttp(zhejiang);
    assert.equal((await listedMember(zhejiang, '320000')).entry['integrity'], undefined);
  });
});
