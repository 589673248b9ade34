import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { systemActor, type StaffPrincipal } from '../../src/identity/index.ts';
import { forEachEngine } from '../support/databases.ts';
import { addUser, assertNoSecretsInEvents, harness, identityTablesText, principalOf, rejectsWith, storedEvents } from './identity-fixture.ts';

forEachEngine('identity API tokens', ({ openFresh }) => {
  async function withAdmin() {
    const h = harness(await openFresh());
    const admin = await principalOf(h, await addUser(h, 'root.admin', ['admin']));
    return { h, admin };
  }

  test('a token is shown once, stored only as a SHA-256, and authenticates as a token principal', async () => {
    const { h, admin } = await withAdmin();
    const { token, secret } = await h.identity.createApiToken(admin, { name: ' exchange gateway ', roles: ['caseworker'] });
    assert.match(secret, new RegExp(`^tbt_${token.id}_[A-Za-z0-9_-]{43}$`));
    assert.deepEqual(token, {
      id: token.id,
      name: 'exchange gateway',
      roles: ['caseworker'],
      createdAt: h.clock.now().toISOString(),
      createdBy: `staff:${admin.accountId}`,
      expiresAt: null,
      revokedAt: null,
      lastUsedAt: null,
    });

    const row = await h.store.db.selectFrom('api_tokens').selectAll().where('id', '=', token.id).executeTakeFirstOrThrow();
    assert.equal(row.token_hash, createHash('sha256').update(secret).digest('hex'));
    const randomPart = secret.slice(-43);
    assert.ok(!(await identityTablesText(h.store)).includes(randomPart), 'the secret is not stored');
    assert.ok(!JSON.stringify(await h.identity.listApiTokens()).includes(randomPart));

    const principal = await h.identity.authenticate(secret);
    assert.deepEqual(principal, { kind: 'token', tokenId: token.id, name: 'exchange gateway', roles: ['caseworker'] });
    h.identity.authorize(principal, 'cases.handle');
    assert.throws(() => h.identity.authorize(principal, 'accounts.manage'), { code: 'forbidden' });

    const created = (await storedEvents(h.store)).find((event) => event.type === 'staff.api_token_created');
    assert.equal(created?.actor, `staff:${admin.accountId}`);
    assert.deepEqual(created?.details, { tokenId: token.id, name: 'exchange gateway', roles: ['caseworker'], expiresAt: null });
    await assertNoSecretsInEvents(h.store, [secret, randomPart]);
  });

  test('tokens cannot hold admin or auditor, and only tokens.manage may create them', async () => {
    const { h, admin } = await withAdmin();
    const before = (await storedEvents(h.store)).length;
    await rejectsWith(h.identity.createApiToken(admin, { name: 'x', roles: ['admin'] }), 'invalid_input');
    await rejectsWith(h.identity.createApiToken(admin, { name: 'x', roles: ['auditor'] }), 'invalid_input');
    await rejectsWith(h.identity.createApiToken(admin, { name: '', roles: ['steward'] }), 'invalid_input');
    const worker = await principalOf(h, await addUser(h, 'li.wei', ['caseworker']));
    await rejectsWith(h.identity.createApiToken(worker, { name: 'mine', roles: ['caseworker'] }), 'forbidden');
    const { secret } = await h.identity.createApiToken(systemActor, { name: 'quality runner', roles: ['steward'] });
    const asToken = await h.identity.authenticate(secret);
    await rejectsWith(h.identity.createApiToken(asToken, { name: 'child', roles: ['steward'] }), 'forbidden');
    const types = (await storedEvents(h.store)).slice(before).map((event) => event.type);
    assert.deepEqual(types, ['staff.account_created', 'staff.login', 'staff.api_token_created']);
  });

  test('a revoked token stops working at once', async () => {
    const { h, admin } = await withAdmin();
    const { token, secret } = await h.identity.createApiToken(admin, { name: 'gateway', roles: ['agreements'] });
    await h.identity.authenticate(secret);
    const revoked = await h.identity.revokeApiToken(admin, token.id);
    assert.equal(revoked.revokedAt, h.clock.now().toISOString());
    await rejectsWith(h.identity.authenticate(secret), 'token_invalid');
    await h.identity.revokeApiToken(admin, token.id);
    await rejectsWith(h.identity.revokeApiToken(admin, '00000000-0000-7000-8000-000000000000'), 'not_found');
    const revokes = (await storedEvents(h.store)).filter((event) => event.type === 'staff.api_token_revoked');
    assert.deepEqual(revokes.map((event) => [event.actor, event.details]), [[`staff:${admin.accountId}`, { tokenId: token.id, name: 'gateway' }]]);
  });

  test('a token with an expiry stops working when the clock passes it', async () => {
    const { h, admin } = await withAdmin();
    await rejectsWith(h.identity.createApiToken(admin, { name: 'old', roles: ['steward'], expiresAt: '2000-01-01T00:00:00Z' }), 'invalid_input');
    await rejectsWith(h.identity.createApiToken(admin, { name: 'bad', roles: ['steward'], expiresAt: 'next tuesday' }), 'invalid_input');
    const expiresAt = new Date(h.clock.now().getTime() + 3600_000).toISOString();
    const { token, secret } = await h.identity.createApiToken(admin, { name: 'short-lived', roles: ['steward'], expiresAt });
    assert.equal(token.expiresAt, expiresAt);
    h.clock.advance(3599_000);
    await h.identity.authenticate(secret);
    h.clock.advance(1000);
    await rejectsWith(h.identity.authenticate(secret), 'token_invalid');
  });

  test('altered or unknown secrets are refused', async () => {
    const { h, admin } = await withAdmin();
    const { secret } = await h.identity.createApiToken(admin, { name: 'gateway', roles: ['steward'] });
    const flipped = `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
    await rejectsWith(h.identity.authenticate(flipped), 'token_invalid');
    await rejectsWith(h.identity.authenticate(secret.replace(/^tbt_[0-9a-f]{8}/, 'tbt_ffffffff')), 'token_invalid');
    const other = await h.identity.createApiToken(admin, { name: 'other', roles: ['steward'] });
    // Another token's id with this token's random part: the hash is checked, not just the id.
    await rejectsWith(h.identity.authenticate(`tbt_${other.token.id}_${secret.slice(-43)}`), 'token_invalid');
    await rejectsWith(h.identity.authenticate('tbt_nonsense'), 'token_invalid');
  });

  test('last_used_at is written at most once a minute', async () => {
    const { h, admin } = await withAdmin();
    const { token, secret } = await h.identity.createApiToken(admin, { name: 'gateway', roles: ['steward'] });
    const lastUsed = async () => (await h.identity.listApiTokens()).find((listed) => listed.id === token.id)?.lastUsedAt;
    await h.identity.authenticate(secret);
    const first = h.clock.now().toISOString();
    assert.equal(await lastUsed(), first);
    h.clock.advance(59_000);
    await h.identity.authenticate(secret);
    assert.equal(await lastUsed(), first);
    h.clock.advance(1000);
    await h.identity.authenticate(secret);
    assert.equal(await lastUsed(), h.clock.now().toISOString());
  });

  test('API tokens have no session to refresh or end', async () => {
    const { h, admin } = await withAdmin();
    const { secret } = await h.identity.createApiToken(admin, { name: 'gateway', roles: ['steward'] });
    const principal = await h.identity.authenticate(secret);
    await rejectsWith(h.identity.refresh(principal), 'invalid_input');
    await rejectsWith(h.identity.logout(principal), 'invalid_input');
    assert.equal((admin satisfies StaffPrincipal).kind, 'staff');
  });
});
