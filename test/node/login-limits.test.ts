/** Failed logins lock the account and the login route is rate-limited per client; both are recorded. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, type TestNode } from '../support/nodes.ts';

describe('login limits over HTTP', () => {
  let node: TestNode;
  before(async () => {
    node = await startTestNode();
  });
  after(async () => node.close());

  test('five wrong passwords lock the account, even against the right password, with Retry-After', async () => {
    const token = await node.adminToken();
    await node.call('POST', '/api/v1/accounts', {
      token,
      body: { username: 'sun.clerk', displayName: '孙', roles: ['caseworker'], password: 'Window-Clerk-2026' },
    });
    const codes: string[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      const response = await node.call('POST', '/api/v1/auth/login', { body: { username: 'sun.clerk', password: `Wrong-${attempt}-Pass` } });
      codes.push(String(response.body.code));
    }
    assert.deepEqual(codes.slice(0, 4), ['login_failed', 'login_failed', 'login_failed', 'login_failed']);
    assert.equal(codes[4], 'account_locked');
    const locked = await node.call('POST', '/api/v1/auth/login', { body: { username: 'sun.clerk', password: 'Window-Clerk-2026' } });
    assert.equal(locked.status, 429);
    assert.equal(locked.body.code, 'account_locked');
    assert.ok(Number(locked.headers.get('retry-after')) > 0);
  });

  test('more than 20 login attempts a minute from one client are refused with rate_limited', async () => {
    let limited: { status: number; body: Record<string, unknown> } | undefined;
    for (let attempt = 0; attempt < 25 && !limited; attempt++) {
      const response = await node.call('POST', '/api/v1/auth/login', { body: { username: 'nobody.here', password: 'Whatever-123' } });
      if (response.status === 429) limited = response;
    }
    assert.ok(limited, 'the rate limit never applied');
    assert.equal(limited.body.code, 'rate_limited');
    const events = await node.running.node.events.list({ type: 'http.request_refused', limit: 1000 });
    assert.ok(events.some((event) => event.details.code === 'rate_limited'), 'the refusal is in the event log');
  });
});
