/**
 * What a member does when its hub misbehaves or disappears: a tampered or rolled-back directory is
 * refused (and the copy it holds keeps working), and with the hub down the cached copy stays
 * usable, with a warning once it expires, until the grace period ends. Time moves by an injected
 * clock, never by sleeping.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fixedClock } from '../../src/core/clock.ts';
import type { TestNode } from '../support/nodes.ts';
import { approveOverHttp, eventsOf, freshAdminToken, joinOverHttp, startHub, startMember, syncOverHttp } from './fixture.ts';

type ProxyMode = 'pass' | 'tamper' | 'replay';

/** A plain HTTP proxy in front of the hub that can alter the directory on its way to the member. */
async function startDirectoryProxy(hubUrl: string): Promise<{ url: string; mode: ProxyMode; replay?: string; close(): Promise<void> }> {
  const state: { url: string; mode: ProxyMode; replay?: string; close(): Promise<void> } = {
    url: '',
    mode: 'pass',
    close: async () => undefined,
  };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) if (typeof value === 'string' && name !== 'host') headers[name] = value;
      // An altered answer must be a full one, not "not modified".
      if (state.mode !== 'pass') delete headers['if-none-match'];
      const upstream = await fetch(`${hubUrl}${request.url}`, {
        method: request.method!,
        headers,
        ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
      });
      let body = await upstream.text();
      const isDirectory = request.url === '/api/v1/directory';
      if (isDirectory && state.mode === 'replay' && state.replay) {
        body = state.replay;
      } else if (isDirectory && state.mode === 'tamper' && upstream.status === 200) {
        const jws = JSON.parse(body) as { payload: string };
        const payload = JSON.parse(Buffer.from(jws.payload, 'base64url').toString('utf8')) as { members: Array<{ endpoint: string }> };
        payload.members[1]!.endpoint = 'http://attacker.invalid';
        body = JSON.stringify({ ...jws, payload: Buffer.from(JSON.stringify(payload)).toString('base64url') });
      }
      const status = isDirectory && state.mode !== 'pass' ? 200 : upstream.status;
      response.writeHead(status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
      response.end(status === 304 ? undefined : body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise((resolve) => server.close(() => resolve()));
  return state;
}

describe('a tampered or rolled-back directory', () => {
  let hub: TestNode;
  let member: TestNode;
  let proxy: Awaited<ReturnType<typeof startDirectoryProxy>>;

  before(async () => {
    [hub, member] = await Promise.all([startHub(), startMember('330000', '浙江省')]);
    proxy = await startDirectoryProxy(hub.url);
    assert.equal((await joinOverHttp(member, proxy.url)).status, 200);
    assert.equal((await approveOverHttp(hub, '330000')).status, 200);
    await syncOverHttp(member);
  });
  after(async () => {
    await proxy?.close();
    await Promise.all([hub, member].map((node) => node?.close()));
  });

  test('a directory whose payload was changed in transit is refused; the held copy stays', async () => {
    const held = member.running.node.directory.status().version;
    proxy.mode = 'tamper';
    const synced = await syncOverHttp(member);
    proxy.mode = 'pass';
    assert.equal(synced.results[0]!.status, 'failed');
    assert.equal((synced.results[0]!.error as { code: string }).code, 'directory_signature_invalid');
    assert.equal(member.running.node.directory.status().version, held);
    assert.notEqual(member.running.node.directory.member('330000')?.endpoint, 'http://attacker.invalid');
    const failures = await eventsOf(member, 'directory.sync_failed');
    assert.equal(failures.length, 1);
    assert.equal(failures[0]!.details.code, 'directory_signature_invalid');
  });

  test('an older, genuinely signed version is refused as a rollback, and failures are recorded once per outage', async () => {
    assert.deepEqual((await syncOverHttp(member)).results.map((step) => step.status), ['not_modified']);
    const old = await hub.call('GET', '/api/v1/directory');
    await hub.call('POST', '/api/v1/directory/members/330000/suspend', { token: await hub.adminToken(), body: { reason: 'drill' } });
    await hub.call('POST', '/api/v1/directory/members/330000/reinstate', { token: await hub.adminToken() });
    const newer = await syncOverHttp(member);
    assert.deepEqual(newer.results.map((step) => step.status), ['updated']);
    const version = member.running.node.directory.status().version;

    proxy.mode = 'replay';
    proxy.replay = JSON.stringify(old.body);
    const first = await syncOverHttp(member);
    const second = await syncOverHttp(member);
    proxy.mode = 'pass';
    for (const attempt of [first, second]) {
      assert.equal((attempt.results[0]!.error as { code: string }).code, 'directory_rollback');
    }
    assert.equal(member.running.node.directory.status().version, version);
    assert.match(String(member.running.node.directory.status().warning), /directory_rollback/);
    const failures = (await eventsOf(member, 'directory.sync_failed')).filter((event) => event.details.code === 'directory_rollback');
    assert.equal(failures.length, 1, 'recorded on the transition to failing, not on every attempt');

    assert.deepEqual((await syncOverHttp(member)).results.map((step) => step.status), ['not_modified']);
    assert.equal(member.running.node.directory.status().warning, undefined);
  });
});

describe('the hub is unreachable', () => {
  const clock = fixedClock('2026-03-02T08:00:00.000Z');
  let hub: TestNode;
  let member: TestNode;
  let partner: TestNode;

  before(async () => {
    [hub, member, partner] = await Promise.all([
      startHub({ clock }),
      startMember('330000', '浙江省', { clock }),
      startMember('310000', '上海市', { clock }),
    ]);
    for (const node of [member, partner]) {
      assert.equal((await joinOverHttp(node, hub.url)).status, 200);
      assert.equal((await approveOverHttp(hub, node.running.node.info.code)).status, 200);
    }
    await syncOverHttp(member);
  });
  after(async () => {
    await Promise.all([hub, member, partner].map((node) => node?.close()));
  });

  test('the cached copy keeps working, stale with a warning after expiry, refused after the grace period', async () => {
    const directory = member.running.node.directory;
    const partnerKid = (await partner.running.node.keyring.signer()).kid;
    const status = directory.status();
    assert.equal(status.state, 'fresh');
    const expiresAt = Date.parse(status.expiresAt!);
    await hub.close();

    // Before expiry a failed sync changes nothing but the warning.
    const down = await syncOverHttp(member);
    assert.equal((down.results[0]!.error as { code: string }).code, 'partner_unreachable');
    assert.equal(directory.status().state, 'fresh');

    clock.set(new Date(expiresAt + 1000));
    const stale = directory.status();
    assert.equal(stale.state, 'stale');
    assert.match(stale.warning!, /expired at .* grace period ends at/);
    assert.doesNotThrow(() => directory.assertUsable());
    assert.ok(directory.verificationKey(partnerKid, clock.now()), 'bridges keep working on the cached copy');
    const token = await freshAdminToken(member, clock);
    const overHttp = await member.call('GET', '/api/v1/directory/status', { token });
    assert.equal(overHttp.status, 200);
    assert.equal(overHttp.body.state, 'stale');
    assert.match(String(overHttp.body.warning), /grace period/);

    const graceSeconds = member.running.node.config.federation.graceSeconds;
    clock.set(new Date(expiresAt + graceSeconds * 1000 + 1000));
    assert.equal(directory.status().state, 'expired');
    assert.throws(() => directory.assertUsable(), { code: 'directory_stale' });
    assert.equal(directory.verificationKey(partnerKid, clock.now()), undefined, 'fails closed past the grace period');
    assert.equal(directory.member('310000')?.code, '310000', 'the copy is still shown, for the console');
    const sync = await member.call('POST', '/api/v1/directory/sync', { token: await freshAdminToken(member, clock) });
    assert.equal(sync.status, 200);
    assert.equal((sync.body.status as { state: string }).state, 'expired');
    assert.equal((await eventsOf(member, 'directory.sync_failed')).length, 1);
  });
});
