/**
 * The directory between real nodes on loopback: join, approval, publication, sync, suspension
 * and key rotation, over HTTP with real signatures and real tables.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { signJws } from '../../src/crypto/index.ts';
import type { TestNode } from '../support/nodes.ts';
import { approveOverHttp, eventsOf, joinOverHttp, startHub, startMember, syncOverHttp, tokenFor, tongban } from './fixture.ts';

describe('a hub and two members', () => {
  let hub: TestNode;
  let zhejiang: TestNode;
  let shanghai: TestNode;
  let anchorFingerprint: string;

  before(async () => {
    [hub, zhejiang, shanghai] = await Promise.all([startHub(), startMember('330000', '浙江省'), startMember('310000', '上海市')]);
  });
  after(async () => {
    await Promise.all([hub, zhejiang, shanghai].map((node) => node?.close()));
  });

  test('the hub is member no. 1 from the start and serves its anchor and a signed directory', async () => {
    const anchor = await hub.call('GET', '/api/v1/directory/anchor');
    assert.equal(anchor.status, 200);
    assert.equal(anchor.body.code, '100000');
    const keys = anchor.body.keys as Array<{ kid: string; fingerprint: string }>;
    assert.equal(keys.length, 1);
    assert.match(keys[0]!.fingerprint, /^[0-9a-f]{64}$/);
    anchorFingerprint = keys[0]!.fingerprint;

    const status = hub.running.node.directory.status();
    assert.equal(status.state, 'fresh');
    assert.equal(hub.running.node.directory.hub()?.code, '100000');
    // The listening URL replaces the port-0 placeholder once the server is up.
    await hub.running.node.directory.setOwnEndpoint(hub.url);
    assert.equal(hub.running.node.directory.member('100000')?.endpoint, hub.url);

    const directory = await hub.call('GET', '/api/v1/directory');
    assert.equal(directory.status, 200);
    const etag = directory.headers.get('etag');
    assert.match(etag ?? '', /^"\d+"$/);
    assert.deepEqual(Object.keys(directory.body).sort(), ['payload', 'protected', 'signature']);
    const unchanged = await hub.call('GET', '/api/v1/directory', { headers: { 'if-none-match': etag! } });
    assert.equal(unchanged.status, 304);
  });

  test('a node cannot join with the wrong anchor fingerprint', async () => {
    const refused = await joinOverHttp(shanghai, hub.url, { anchorFingerprint: 'ab'.repeat(32) });
    assert.equal(refused.status, 401);
    assert.equal(refused.body.code, 'anchor_mismatch');
    const recorded = await eventsOf(shanghai, 'directory.joined');
    assert.equal(recorded.at(-1)?.outcome, 'denied');
    assert.equal(shanghai.running.node.directory.status().state, 'none');
    assert.throws(() => shanghai.running.node.directory.assertUsable(), { code: 'directory_unavailable' });
  });

  test('join through the CLI pins the anchor and prints its fingerprint; through the API with the fingerprint confirmed', async () => {
    const cli = await tongban('join', '--hub', hub.url, '--endpoint', zhejiang.url, '--dir', zhejiang.dir, '--json');
    assert.equal(cli.code, 0, cli.err);
    const joined = JSON.parse(cli.out);
    assert.equal(joined.hub.code, '100000');
    assert.equal(joined.anchor[0].fingerprint, anchorFingerprint);
    assert.equal(joined.fingerprintConfirmed, false);
    assert.equal(joined.application.status, 'pending');
    const human = await tongban('directory', 'status', '--dir', zhejiang.dir);
    assert.equal(human.code, 0, human.err);
    assert.match(human.out, /state:\s+fresh/);

    const api = await joinOverHttp(shanghai, hub.url, { anchorFingerprint: anchorFingerprint.toUpperCase().match(/../g)!.join(':') });
    assert.equal(api.status, 200, JSON.stringify(api.body));
    assert.equal(api.body.fingerprintConfirmed, true);
    // The public directory is fetched at once, before the hub decides.
    assert.equal(shanghai.running.node.directory.status().state, 'fresh');
    assert.equal(shanghai.running.node.directory.member('310000'), undefined);

    const received = await eventsOf(hub, 'directory.application_received');
    assert.deepEqual(received.map((event) => event.details.code).sort(), ['310000', '330000']);
  });

  test('a second application while one is pending is refused', async () => {
    const again = await joinOverHttp(shanghai, hub.url);
    assert.equal(again.status, 409);
    assert.equal(again.body.code, 'application_pending');
  });

  test('an application with a bad signature is refused and recorded', async () => {
    const signer = await zhejiang.running.node.keyring.signer();
    const keys = (await zhejiang.running.node.keyring.list()).filter((key) => key.use === 'sign' || key.use === 'encrypt');
    const application = {
      type: 'tongban.membership-application',
      code: '330000',
      name: '浙江省',
      level: 'province',
      parent: null,
      endpoint: zhejiang.url,
      keys: keys.map((key) => ({ kid: key.kid, use: key.use, suite: key.suite, publicKey: key.publicKey, validFrom: key.createdAt })),
      ts: new Date().toISOString(),
    };
    const jws = signJws(application, signer);
    const tampered = { ...jws, payload: Buffer.from(JSON.stringify({ ...application, name: '假冒' })).toString('base64url') };
    const response = await hub.call('POST', '/api/v1/directory/applications', { body: tampered });
    assert.equal(response.status, 401);
    assert.equal(response.body.code, 'signature_invalid');

    // Signed by a key the application does not list: possession is not proven.
    const stranger = await shanghai.running.node.keyring.signer();
    const foreign = await hub.call('POST', '/api/v1/directory/applications', { body: signJws({ ...application, code: '320000', keys: application.keys.map((key) => ({ ...key, kid: key.kid.replace('330000', '320000') })) }, stranger) });
    assert.equal(foreign.status, 401);
    assert.equal(foreign.body.code, 'signature_invalid');

    const malformed = await hub.call('POST', '/api/v1/directory/applications', { body: signJws({ ...application, endpoint: 'ftp://x' }, signer) });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.code, 'invalid_input');
    assert.match(String(malformed.body.message), /endpoint/);

    const refusals = await eventsOf(hub, 'http.request_refused');
    assert.ok(refusals.some((event) => event.details.code === 'signature_invalid' && event.details.route === '/api/v1/directory/applications'));
  });

  test('a caseworker at the hub may not approve', async () => {
    const token = await tokenFor(hub, 'li.caseworker', 'caseworker');
    const refused = await hub.call('POST', '/api/v1/directory/applications/330000/approve', { token });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.code, 'forbidden');
    const list = await hub.call('GET', '/api/v1/directory/applications', { token });
    assert.equal(list.status, 403);
  });

  test('the hub admin approves (API and CLI); both members sync and see each other', async () => {
    const pending = await hub.call('GET', '/api/v1/directory/applications?status=pending', { token: await hub.adminToken() });
    assert.equal((pending.body.applications as unknown[]).length, 2);

    const approved = await approveOverHttp(hub, '330000');
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    assert.equal(approved.body.status, 'active');
    const cli = await tongban('directory', 'approve', '310000', '--dir', hub.dir);
    assert.equal(cli.code, 0, cli.err);
    await syncOverHttp(hub); // the hub server picks up what the CLI published

    for (const member of [zhejiang, shanghai]) {
      const synced = await syncOverHttp(member);
      assert.deepEqual(synced.results.map((step) => step.status), ['updated']);
      assert.equal(synced.status.state, 'fresh');
    }
    const zj = zhejiang.running.node.directory;
    assert.equal(zj.member('310000')?.status, 'active');
    assert.equal(zj.member('310000')?.endpoint, shanghai.url);
    assert.equal(zj.hub()?.code, '100000');
    const shanghaiSigner = await shanghai.running.node.keyring.signer();
    assert.ok(zj.verificationKey(shanghaiSigner.kid, new Date()));
    assert.ok(zj.encryptionKey('310000'));
    assert.doesNotThrow(() => zj.assertUsable());

    const members = await zhejiang.call('GET', '/api/v1/directory/members', { token: await zhejiang.adminToken() });
    assert.equal(members.status, 200);
    assert.deepEqual((members.body.members as Array<{ code: string }>).map((member) => member.code), ['100000', '310000', '330000']);

    const again = await syncOverHttp(zhejiang);
    assert.deepEqual(again.results.map((step) => step.status), ['not_modified']);

    assert.equal((await eventsOf(hub, 'directory.application_approved')).length, 2);
    assert.ok((await eventsOf(hub, 'directory.published')).length >= 3);
    assert.equal((await eventsOf(zhejiang, 'directory.joined')).at(-1)?.outcome, 'success');
    assert.ok((await eventsOf(zhejiang, 'directory.synced')).length >= 2);
  });

  test('a suspension reaches every member at its next sync, and so does the reinstatement', async () => {
    const token = await hub.adminToken();
    const suspended = await hub.call('POST', '/api/v1/directory/members/310000/suspend', { token, body: { reason: '安全检查' } });
    assert.equal(suspended.status, 200, JSON.stringify(suspended.body));
    assert.equal(suspended.body.status, 'suspended');
    const twice = await hub.call('POST', '/api/v1/directory/members/310000/suspend', { token, body: { reason: 'again' } });
    assert.equal(twice.body.code, 'member_suspended');

    const signer = await shanghai.running.node.keyring.signer();
    assert.ok(zhejiang.running.node.directory.verificationKey(signer.kid, new Date()), 'still active until the next sync');
    await syncOverHttp(zhejiang);
    assert.equal(zhejiang.running.node.directory.member('310000')?.status, 'suspended');
    assert.equal(zhejiang.running.node.directory.verificationKey(signer.kid, new Date()), undefined);
    assert.equal(zhejiang.running.node.directory.encryptionKey('310000'), undefined);

    const reinstated = await tongban('directory', 'reinstate', '310000', '--dir', hub.dir);
    assert.equal(reinstated.code, 0, reinstated.err);
    await syncOverHttp(hub);
    await syncOverHttp(zhejiang);
    assert.equal(zhejiang.running.node.directory.member('310000')?.status, 'active');
    assert.ok(zhejiang.running.node.directory.verificationKey(signer.kid, new Date()));
    assert.equal((await eventsOf(hub, 'directory.member_suspended')).length, 1);
    assert.equal((await eventsOf(hub, 'directory.member_reinstated')).length, 1);
  });

  test("a member's key rotation reaches the hub and the other members", async () => {
    const before = await zhejiang.running.node.keyring.signer();
    const signedBefore = new Date();
    const rotated = await zhejiang.call('POST', '/api/v1/node/keys/rotate', { token: await zhejiang.adminToken(), body: { use: 'sign' } });
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    const newKid = rotated.body.kid as string;

    const synced = await syncOverHttp(zhejiang);
    assert.deepEqual(synced.results.map((step) => step.status), ['accepted', 'updated']);
    const registry = await hub.call('GET', '/api/v1/directory/registry', { token: await hub.adminToken() });
    const entry = (registry.body.members as Array<{ code: string; keys: Array<{ kid: string; validUntil: string | null }> }>).find((m) => m.code === '330000')!;
    assert.equal(entry.keys.find((key) => key.kid === newKid)?.validUntil, null);
    assert.notEqual(entry.keys.find((key) => key.kid === before.kid)?.validUntil, null);

    await syncOverHttp(shanghai);
    const view = shanghai.running.node.directory;
    assert.ok(view.verificationKey(newKid, new Date()));
    assert.ok(view.verificationKey(before.kid, signedBefore), 'a retired key still verifies what it signed before');
    assert.equal(view.verificationKey(before.kid, new Date(Date.now() + 1000)), undefined);
    assert.equal((await eventsOf(hub, 'directory.keys_updated')).filter((event) => event.details.code === '330000').length, 1);

    // Rotated from the CLI (another process): the update is signed as that process closes and sent by the next sync.
    const cli = await tongban('keys', 'rotate', '--use', 'encrypt', '--dir', zhejiang.dir, '--json');
    assert.equal(cli.code, 0, cli.err);
    const encryptKid = JSON.parse(cli.out).kid as string;
    const next = await syncOverHttp(zhejiang);
    assert.deepEqual(next.results.map((step) => step.status), ['accepted', 'updated']);
    await syncOverHttp(shanghai);
    assert.equal(view.encryptionKey('330000')?.kid, encryptKid);
  });

  test("the hub's own key rotation chains: members keep verifying its directory", async () => {
    const rotated = await hub.call('POST', '/api/v1/node/keys/rotate', { token: await hub.adminToken(), body: { use: 'sign' } });
    assert.equal(rotated.status, 200);
    const published = await syncOverHttp(hub);
    assert.deepEqual(published.results.map((step) => step.status), ['published']);
    const synced = await syncOverHttp(shanghai);
    assert.deepEqual(synced.results.map((step) => step.status), ['updated'], JSON.stringify(synced.results));
    assert.ok(shanghai.running.node.directory.hub()?.keys.some((key) => key.kid === rotated.body.kid && key.validUntil === null));
    // And once more, now trusting the new key from the last verified directory.
    await tongban('directory', 'suspend', '330000', '--reason', 'drill', '--dir', hub.dir);
    const after = await syncOverHttp(shanghai);
    assert.deepEqual(after.results.map((step) => step.status), ['updated']);
    assert.equal(shanghai.running.node.directory.member('330000')?.status, 'suspended');

    // Rotated again from the CLI: that process signs the transition with the key it held as it closes.
    const cli = await tongban('keys', 'rotate', '--use', 'sign', '--dir', hub.dir, '--json');
    assert.equal(cli.code, 0, cli.err);
    const third = await syncOverHttp(shanghai);
    assert.deepEqual(third.results.map((step) => step.status), ['updated'], JSON.stringify(third.results));
    assert.ok(shanghai.running.node.directory.hub()?.keys.some((key) => key.kid === JSON.parse(cli.out).kid && key.validUntil === null));
  });

  test('rejecting an application records the reason, and the node may apply again', async () => {
    const jiangsu = await startMember('320000', '江苏省');
    try {
      assert.equal((await joinOverHttp(jiangsu, hub.url)).status, 200);
      const listed = await tongban('directory', 'applications', '--status', 'pending', '--dir', hub.dir, '--json');
      assert.equal(listed.code, 0, listed.err);
      assert.deepEqual(JSON.parse(listed.out).applications.map((application: { code: string }) => application.code), ['320000']);
      const anchor = await tongban('directory', 'anchor', '--dir', hub.dir);
      assert.match(anchor.out, /SHA-256 fingerprint: [0-9a-f]{64}/);
      const notHub = await tongban('directory', 'applications', '--dir', jiangsu.dir);
      assert.equal(notHub.code, 1);
      assert.match(notHub.err, /^error \[not_found\]: Node 320000 is not the federation hub/);
      const members = await tongban('directory', 'members', '--dir', shanghai.dir);
      assert.match(members.out, /100000 .*hub/);
      const missingReason = await tongban('directory', 'reject', '320000', '--dir', hub.dir);
      assert.equal(missingReason.code, 2);
      const rejected = await hub.call('POST', '/api/v1/directory/applications/320000/reject', { token: await hub.adminToken(), body: { reason: '材料不全' } });
      assert.equal(rejected.status, 200);
      assert.equal(rejected.body.status, 'rejected');
      assert.equal((await eventsOf(hub, 'directory.application_rejected')).at(-1)?.details.reason, '材料不全');
      assert.equal((await joinOverHttp(jiangsu, hub.url)).status, 200);
      const unknown = await approveOverHttp(hub, '440000');
      assert.equal(unknown.status, 404);
    } finally {
      await jiangsu.close();
    }
  });
});
