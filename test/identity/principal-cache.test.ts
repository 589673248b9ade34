/**
 * The principal cache: a bearer token's principal is remembered for two seconds at most, and every
 * change in the process that ends or narrows access (logout, disable, role change, password change,
 * revoked API token) is seen by the very next request.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { systemActor } from '../../src/identity/index.ts';
import { forEachEngine } from '../support/databases.ts';
import { addUser, harness, logIn, principalOf, rejectsWith } from './identity-fixture.ts';

forEachEngine('identity principal cache', ({ openFresh }) => {
  async function setUp() {
    const h = harness(await openFresh());
    const admin = await principalOf(h, await addUser(h, 'root.admin', ['admin']));
    const worker = await addUser(h, 'li.wei', ['caseworker']);
    const { accessToken } = await logIn(h, worker);
    return { h, admin, worker, accessToken };
  }

  test('a principal is remembered for at most two seconds; a change made behind its back shows after that', async () => {
    const { h, worker, accessToken } = await setUp();
    assert.deepEqual((await h.identity.authenticate(accessToken)).roles, ['caseworker']);
    // Another process of the node disables the account: this process does not hear of it.
    await h.store.db.updateTable('staff_accounts').set({ status: 'disabled' }).where('id', '=', worker.id).execute();
    h.clock.advance(1999);
    assert.equal((await h.identity.authenticate(accessToken)).kind, 'staff', 'still remembered');
    h.clock.advance(1);
    await rejectsWith(h.identity.authenticate(accessToken), 'token_invalid');
  });

  test('logout is seen by the next request at once', async () => {
    const { h, accessToken } = await setUp();
    const principal = await h.identity.authenticate(accessToken);
    await h.identity.logout(principal);
    await rejectsWith(h.identity.authenticate(accessToken), 'token_invalid');
  });

  test('disabling the account, changing its roles or its password is seen at once', async () => {
    const { h, admin, worker, accessToken } = await setUp();
    await h.identity.authenticate(accessToken);
    await h.identity.setRoles(admin, worker.id, ['steward']);
    assert.deepEqual((await h.identity.authenticate(accessToken)).roles, ['steward']);
    await h.identity.disableAccount(admin, worker.id);
    await rejectsWith(h.identity.authenticate(accessToken), 'token_invalid');
    await h.identity.enableAccount(admin, worker.id);

    const { accessToken: again } = await logIn(h, worker);
    await h.identity.authenticate(again);
    await h.identity.setPassword(systemActor, worker.id, 'Another-Horse-43');
    await rejectsWith(h.identity.authenticate(again), 'token_invalid');
  });

  test('a revoked API token is refused at once; the cache never outlives the token', async () => {
    const { h, admin } = await setUp();
    const { token, secret } = await h.identity.createApiToken(admin, { name: 'gateway', roles: ['caseworker'] });
    await h.identity.authenticate(secret);
    await h.identity.revokeApiToken(admin, token.id);
    await rejectsWith(h.identity.authenticate(secret), 'token_invalid');

    const expiresAt = new Date(h.clock.now().getTime() + 1000).toISOString();
    const short = await h.identity.createApiToken(admin, { name: 'short', roles: ['caseworker'], expiresAt });
    await h.identity.authenticate(short.secret);
    h.clock.advance(1000);
    await rejectsWith(h.identity.authenticate(short.secret), 'token_invalid');
  });

  test('a change committed while a check runs keeps that check out of the cache', async () => {
    const { h, admin, worker, accessToken } = await setUp();
    // Both start together: the authentication reads the account before the disable commits, or
    // after; either way its result must not be remembered past the change.
    await Promise.all([h.identity.authenticate(accessToken).catch(() => undefined), h.identity.disableAccount(admin, worker.id)]);
    await rejectsWith(h.identity.authenticate(accessToken), 'token_invalid');
  });
});
