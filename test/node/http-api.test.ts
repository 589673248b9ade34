/** The HTTP API of a real node on a loopback port: health, errors, auth, accounts, tokens, keys, events. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, unusedTotp, type TestNode } from '../support/nodes.ts';

describe('node HTTP API', () => {
  let node: TestNode;
  before(async () => {
    node = await startTestNode({ bodyLimitBytes: 4096 });
  });
  after(async () => node.close());

  test('health, readiness and identity are public', async () => {
    assert.deepEqual((await node.call('GET', '/healthz')).body, { status: 'ok' });
    assert.deepEqual((await node.call('GET', '/readyz')).body, { status: 'ready', database: 'sqlite' });
    const info = await node.call('GET', '/api/v1/node');
    assert.equal(info.body.code, '330000');
    assert.equal(info.body.suite, 'intl');
  });

  test('every response carries a request id, and a well-formed incoming one is kept', async () => {
    const generated = await node.call('GET', '/healthz');
    assert.match(generated.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    const kept = await node.call('GET', '/healthz', { headers: { 'x-request-id': 'trace-42' } });
    assert.equal(kept.headers.get('x-request-id'), 'trace-42');
    const replaced = await node.call('GET', '/healthz', { headers: { 'x-request-id': 'bad id with spaces' } });
    assert.notEqual(replaced.headers.get('x-request-id'), 'bad id with spaces');
  });

  test('the OpenAPI 3.1 document lists every route and the docs page is served', async () => {
    const doc = await node.call('GET', '/openapi.json');
    assert.equal(doc.body.openapi, '3.1.0');
    const paths = Object.keys(doc.body.paths as object);
    for (const path of ['/healthz', '/readyz', '/api/v1/auth/login', '/api/v1/accounts', '/api/v1/tokens', '/api/v1/node/keys', '/api/v1/events']) {
      assert.ok(paths.includes(path), `${path} missing from the OpenAPI document`);
    }
    const docs = await fetch(`${node.url}/docs/`);
    assert.equal(docs.status, 200);
    assert.match(await docs.text(), /swagger/i);
  });

  test('errors have one shape with stable codes', async () => {
    const missing = await node.call('GET', '/api/v1/nothing-here');
    assert.equal(missing.status, 404);
    assert.deepEqual(Object.keys(missing.body).sort(), ['code', 'message']);
    assert.equal(missing.body.code, 'route_not_found');

    const malformed = await node.call('POST', '/api/v1/auth/login', { rawBody: '{"username":', headers: { 'content-type': 'application/json' } });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.code, 'malformed_json');

    const invalid = await node.call('POST', '/api/v1/auth/login', { body: { username: 'admin' } });
    assert.equal(invalid.status, 400);
    assert.equal(invalid.body.code, 'invalid_input');
    assert.match(String(invalid.body.message), /password/);

    const extra = await node.call('POST', '/api/v1/auth/login', { body: { username: 'admin', password: 'x', role: 'admin' } });
    assert.equal(extra.body.code, 'invalid_input');

    const oversized = await node.call('POST', '/api/v1/auth/login', { body: { username: 'admin', password: 'x'.repeat(5000) } });
    assert.equal(oversized.status, 413);
    assert.equal(oversized.body.code, 'body_too_large');

    const wrongType = await node.call('POST', '/api/v1/auth/login', { rawBody: 'username=admin', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(wrongType.status, 400);
    assert.equal(wrongType.body.code, 'unsupported_media_type');
  });

  test('protected routes need a valid token', async () => {
    const none = await node.call('GET', '/api/v1/accounts');
    assert.equal(none.status, 401);
    assert.equal(none.body.code, 'authentication_required');
    const garbage = await node.call('GET', '/api/v1/accounts', { token: 'not-a-token' });
    assert.equal(garbage.status, 401);
    assert.equal(garbage.body.code, 'token_invalid');
    const forged = await node.call('GET', '/api/v1/accounts', {
      token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLWZvcmdlZC1ieS1hbi1hdHRhY2tlcg',
    });
    assert.equal(forged.body.code, 'token_invalid');
  });

  test('an administrator logs in with password and one-time code, manages accounts and tokens', async () => {
    const noCode = await node.call('POST', '/api/v1/auth/login', {
      body: { username: node.init.admin.username, password: node.init.admin.password },
    });
    assert.equal(noCode.status, 401);
    assert.equal(noCode.body.code, 'second_factor_required');

    const token = await node.adminToken();
    const me = await node.call('GET', '/api/v1/auth/me', { token });
    assert.equal(me.body.kind, 'staff');
    assert.deepEqual(me.body.roles, ['admin']);

    const created = await node.call('POST', '/api/v1/accounts', {
      token,
      body: { username: 'li.caseworker', displayName: '李办事员', roles: ['caseworker'], password: 'Counter-Desk-2026' },
    });
    assert.equal(created.status, 201);
    const account = created.body.account as { id: string; roles: string[] };
    assert.deepEqual(account.roles, ['caseworker']);
    assert.equal(created.body.secondFactor, undefined);

    const duplicate = await node.call('POST', '/api/v1/accounts', {
      token,
      body: { username: 'li.caseworker', displayName: 'x', roles: ['caseworker'], password: 'Counter-Desk-2026' },
    });
    assert.equal(duplicate.status, 409);
    assert.equal(duplicate.body.code, 'already_exists');

    const mixed = await node.call('POST', '/api/v1/accounts', {
      token,
      body: { username: 'wang.mixed', displayName: 'x', roles: ['auditor', 'steward'], password: 'Counter-Desk-2026' },
    });
    assert.equal(mixed.status, 403);
    assert.equal(mixed.body.code, 'duty_separation');

    const weak = await node.call('POST', '/api/v1/accounts', {
      token,
      body: { username: 'zhao.weak', displayName: 'x', roles: ['steward'], password: 'short' },
    });
    assert.equal(weak.body.code, 'password_too_weak');

    // The caseworker needs no second factor, and may not manage accounts.
    const login = await node.call('POST', '/api/v1/auth/login', { body: { username: 'li.caseworker', password: 'Counter-Desk-2026' } });
    assert.equal(login.status, 200);
    const caseworkerToken = login.body.accessToken as string;
    const refused = await node.call('GET', '/api/v1/accounts', { token: caseworkerToken });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.code, 'forbidden');

    // Disabling the account ends its session at once.
    const disabled = await node.call('POST', `/api/v1/accounts/${account.id}/disable`, { token });
    assert.equal(disabled.body.status, 'disabled');
    const after = await node.call('GET', '/api/v1/auth/me', { token: caseworkerToken });
    assert.equal(after.status, 401);

    // An API token for a system works until it is revoked.
    const issued = await node.call('POST', '/api/v1/tokens', { token, body: { name: 'case-system', roles: ['caseworker'] } });
    assert.equal(issued.status, 201);
    const secret = issued.body.secret as string;
    assert.match(secret, /^tbt_/);
    const asSystem = await node.call('GET', '/api/v1/auth/me', { token: secret });
    assert.equal(asSystem.body.kind, 'token');
    const tokenId = (issued.body.token as { id: string }).id;
    const listed = await node.call('GET', '/api/v1/tokens', { token });
    assert.ok(!JSON.stringify(listed.body).includes(secret.split('_')[2]!), 'the token list never shows a secret');
    await node.call('DELETE', `/api/v1/tokens/${tokenId}`, { token });
    const revoked = await node.call('GET', '/api/v1/auth/me', { token: secret });
    assert.equal(revoked.status, 401);
    assert.equal(revoked.body.code, 'token_invalid');

    const adminToken = await node.call('POST', '/api/v1/tokens', { token, body: { name: 'too-strong', roles: ['admin'] } });
    assert.equal(adminToken.status, 400);
  });

  test('keys rotate; the retired key stays listed so old signatures verify', async () => {
    const token = await node.adminToken();
    const before = (await node.call('GET', '/api/v1/node/keys')).body.keys as { kid: string; use: string; status: string }[];
    assert.ok(before.every((key) => key.use !== 'session'), 'the session secret is never published');
    const oldSign = before.find((key) => key.use === 'sign' && key.status === 'active')!;
    const rotated = await node.call('POST', '/api/v1/node/keys/rotate', { token, body: { use: 'sign' } });
    assert.equal(rotated.status, 200);
    assert.notEqual(rotated.body.kid, oldSign.kid);
    const afterKeys = (await node.call('GET', '/api/v1/node/keys')).body.keys as { kid: string; status: string }[];
    assert.equal(afterKeys.find((key) => key.kid === oldSign.kid)?.status, 'retired');
    assert.ok(await node.running.node.keyring.resolve(oldSign.kid), 'a retired key still resolves for verification');
    const bad = await node.call('POST', '/api/v1/node/keys/rotate', { token, body: { use: 'everything' } });
    assert.equal(bad.body.code, 'invalid_input');
  });

  test('logins, failures, admin changes and refusals are in the event log, without secrets', async () => {
    const token = await node.adminToken();
    const wrong = await node.call('POST', '/api/v1/auth/login', { body: { username: 'admin', password: 'Wrong-Password-1' } });
    assert.equal(wrong.body.code, 'login_failed');
    const response = await node.call('GET', '/api/v1/events?limit=1000', { token });
    assert.equal(response.status, 200);
    const events = response.body.events as { seq: number; type: string; details: Record<string, unknown> }[];
    const types = new Set(events.map((event) => event.type));
    for (const type of ['node.initialised', 'staff.account_created', 'staff.login', 'staff.login_failed', 'staff.account_disabled', 'staff.api_token_created', 'staff.api_token_revoked', 'keys.rotated', 'http.request_refused']) {
      assert.ok(types.has(type), `no ${type} event`);
    }
    assert.deepEqual(events.map((event) => event.seq), events.map((_, index) => index), 'sequence numbers are dense');
    const text = JSON.stringify(events);
    assert.ok(!text.includes(node.init.admin.password), 'no password in events');
    assert.ok(!text.includes(node.init.admin.secondFactor.secret), 'no 2FA secret in events');
    assert.ok(!text.includes('Wrong-Password-1'));
    // A malformed request is refused and recorded with its code.
    const refusals = events.filter((event) => event.type === 'http.request_refused').map((event) => event.details.code);
    assert.ok(refusals.includes('malformed_json') || refusals.includes('invalid_input'));
  });

  test('a replayed one-time code is refused', async () => {
    const code = await unusedTotp(node.init.admin.secondFactor.secret);
    const login = () =>
      node.call('POST', '/api/v1/auth/login', {
        body: { username: node.init.admin.username, password: node.init.admin.password, totp: code },
      });
    assert.equal((await login()).status, 200);
    const replay = await login();
    assert.equal(replay.status, 401);
    assert.equal(replay.body.code, 'second_factor_invalid');
  });
});
