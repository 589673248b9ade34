import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeJwt, SignJWT } from 'jose';
import { systemActor, type StaffPrincipal } from '../../src/identity/index.ts';
import { forEachEngine } from '../support/databases.ts';
import {
  addUser,
  assertNoSecretsInEvents,
  codeFor,
  goodPassword,
  harness,
  logIn,
  nodeCode,
  principalOf,
  rejectsWith,
  storedEvents,
} from './identity-fixture.ts';

const seconds = (n: number) => n * 1000;

forEachEngine('identity login', ({ openFresh }) => {
  test('a good login opens a session and issues an HS256 access token with the expected claims', async () => {
    const h = harness(await openFresh());
    const worker = await addUser(h, 'li.wei', ['caseworker', 'steward']);
    const result = await h.identity.login({ username: 'li.wei', password: goodPassword, source: '10.0.0.8' });
    assert.equal(result.account.id, worker.id);
    assert.equal(result.expiresAt, new Date(h.clock.now().getTime() + seconds(900)).toISOString());
    assert.equal(result.session.expiresAt, new Date(h.clock.now().getTime() + seconds(8 * 3600)).toISOString());

    const claims = decodeJwt(result.accessToken);
    const issuedAt = h.clock.now().getTime() / 1000;
    assert.deepEqual(claims, {
      sid: result.session.id,
      roles: ['steward', 'caseworker'],
      sub: worker.id,
      iss: nodeCode,
      aud: 'tongban-staff',
      iat: issuedAt,
      exp: issuedAt + 900,
    });

    const principal = await h.identity.authenticate(result.accessToken);
    assert.deepEqual(principal, {
      kind: 'staff',
      accountId: worker.id,
      username: 'li.wei',
      roles: ['steward', 'caseworker'],
      sessionId: result.session.id,
    });
    h.identity.authorize(principal, 'cases.handle');
    assert.throws(() => h.identity.authorize(principal, 'keys.manage'), /keys\.manage/);

    const login = (await storedEvents(h.store)).find((event) => event.type === 'staff.login');
    assert.equal(login?.actor, `staff:${worker.id}`);
    assert.equal(login?.outcome, 'success');
    assert.deepEqual(login?.details, {
      accountId: worker.id,
      username: 'li.wei',
      sessionId: result.session.id,
      secondFactor: false,
      source: '10.0.0.8',
    });
    await assertNoSecretsInEvents(h.store, [goodPassword, result.accessToken]);
  });

  test('user names are matched without regard to case or surrounding spaces', async () => {
    const h = harness(await openFresh());
    await addUser(h, 'li.wei', ['caseworker']);
    await h.identity.login({ username: ' Li.Wei ', password: goodPassword });
  });

  test('an unknown user fails like a wrong password, and the attempt is recorded', async () => {
    const h = harness(await openFresh());
    await rejectsWith(h.identity.login({ username: 'ghost', password: 'Ghost-Password-1' }), 'login_failed');
    // A password typed into the name field (not a well-formed name) is never recorded.
    await rejectsWith(h.identity.login({ username: 'Ghost Password!', password: 'x' }), 'login_failed');
    const failed = await storedEvents(h.store);
    assert.deepEqual(
      failed.map((event) => [event.type, event.actor, event.outcome, event.details]),
      [
        ['staff.login_failed', null, 'failure', { reason: 'unknown_user', username: 'ghost' }],
        ['staff.login_failed', null, 'failure', { reason: 'unknown_user' }],
      ],
    );
    await assertNoSecretsInEvents(h.store, ['Ghost-Password-1', 'Ghost Password!']);
  });

  test('wrong passwords count, lock the account at the limit, and the lock ends as the clock moves', async () => {
    const h = harness(await openFresh(), { maxFailedLogins: 3, lockoutSeconds: 300 });
    const worker = await addUser(h, 'li.wei', ['caseworker']);
    await rejectsWith(h.identity.login({ username: 'li.wei', password: 'Wrong-Password-1' }), 'login_failed');
    await rejectsWith(h.identity.login({ username: 'li.wei', password: 'Wrong-Password-2' }), 'login_failed');
    assert.equal((await h.identity.getAccount(worker.id)).failedLogins, 2);
    const locking = await rejectsWith(h.identity.login({ username: 'li.wei', password: 'Wrong-Password-3' }), 'account_locked');
    assert.equal(locking.details?.['retryAfterSeconds'], 300);
    assert.equal(locking.httpStatus, 429);

    h.clock.advance(seconds(100));
    const stillLocked = await rejectsWith(h.identity.login({ username: 'li.wei', password: goodPassword }), 'account_locked');
    assert.equal(stillLocked.details?.['retryAfterSeconds'], 200, 'even the right password waits for the lock');

    h.clock.advance(seconds(200));
    const result = await h.identity.login({ username: 'li.wei', password: goodPassword });
    assert.equal(result.account.failedLogins, 0);
    assert.equal(result.account.lockedUntil, null);
    const stored = await h.identity.getAccount(worker.id);
    assert.equal(stored.failedLogins, 0);
    assert.equal(stored.lockedUntil, null);

    const events = await storedEvents(h.store);
    const failures = events.filter((event) => event.type === 'staff.login_failed');
    assert.deepEqual(
      failures.map((event) => [event.outcome, event.details['reason'], event.details['failedLogins'], event.details['lockedUntil']]),
      [
        ['failure', 'wrong_password', 1, undefined],
        ['failure', 'wrong_password', 2, undefined],
        ['failure', 'wrong_password', 3, '2025-03-01T08:05:00.000Z'],
        ['denied', 'account_locked', undefined, undefined],
      ],
    );
    assert.ok(failures.every((event) => event.actor === null && event.details['accountId'] === worker.id));
    assert.equal(events.at(-1)?.type, 'staff.login');
    await assertNoSecretsInEvents(h.store, ['Wrong-Password-1', 'Wrong-Password-2', 'Wrong-Password-3', goodPassword]);
  });

  test('a disabled account is refused and the refusal recorded', async () => {
    const h = harness(await openFresh());
    const worker = await addUser(h, 'li.wei', ['caseworker']);
    await addUser(h, 'root.admin', ['admin']);
    await h.identity.disableAccount(systemActor, worker.id);
    const error = await rejectsWith(h.identity.login({ username: 'li.wei', password: goodPassword }), 'account_disabled');
    assert.equal(error.httpStatus, 403);
    const last = (await storedEvents(h.store)).at(-1);
    assert.deepEqual([last?.type, last?.outcome, last?.details], [
      'staff.login_failed',
      'denied',
      { reason: 'account_disabled', accountId: worker.id, username: 'li.wei' },
    ]);
  });

  test('second factor: required, wrong, replayed, and right', async () => {
    const h = harness(await openFresh(), { maxFailedLogins: 3 });
    const admin = await addUser(h, 'root.admin', ['admin']);
    const secret = admin.totpSecret!;

    // Without a code: asked for one, and (the password being right) not counted as a failure.
    for (let i = 0; i < 4; i += 1) {
      await rejectsWith(h.identity.login({ username: 'root.admin', password: goodPassword }), 'second_factor_required');
    }
    assert.equal((await h.identity.getAccount(admin.id)).failedLogins, 0);

    // A wrong password is refused before the code is even looked at.
    await rejectsWith(
      h.identity.login({ username: 'root.admin', password: 'Wrong-Password-1', totp: codeFor(secret, h.clock.now()) }),
      'login_failed',
    );

    const wrongCode = codeFor(secret, h.clock.now(), 5);
    await rejectsWith(h.identity.login({ username: 'root.admin', password: goodPassword, totp: wrongCode }), 'second_factor_invalid');
    // The third failure (wrong password, wrong code, malformed code) reaches the limit and locks.
    await rejectsWith(h.identity.login({ username: 'root.admin', password: goodPassword, totp: 'abcdef' }), 'account_locked');
    assert.equal((await h.identity.getAccount(admin.id)).failedLogins, 0, 'locking starts the count again');
    const locked = await rejectsWith(h.identity.login({ username: 'root.admin', password: goodPassword }), 'account_locked');
    assert.ok(Number(locked.details?.['retryAfterSeconds']) > 0);
    h.clock.advance(seconds(900));

    const code = codeFor(secret, h.clock.now());
    const ok = await h.identity.login({ username: 'root.admin', password: goodPassword, totp: code });
    assert.equal(ok.account.id, admin.id);
    h.clock.advance(seconds(5));
    await rejectsWith(h.identity.login({ username: 'root.admin', password: goodPassword, totp: code }), 'second_factor_invalid');
    // A code from the previous step is older than the one used: also refused.
    await rejectsWith(
      h.identity.login({ username: 'root.admin', password: goodPassword, totp: codeFor(secret, h.clock.now(), -1) }),
      'second_factor_invalid',
    );

    const reasons = (await storedEvents(h.store))
      .filter((event) => event.type === 'staff.login_failed')
      .map((event) => event.details['reason']);
    assert.deepEqual(reasons, [
      'second_factor_required',
      'second_factor_required',
      'second_factor_required',
      'second_factor_required',
      'wrong_password',
      'second_factor_invalid',
      'second_factor_invalid',
      'account_locked',
      'second_factor_replayed',
      'second_factor_replayed',
    ]);
    const success = (await storedEvents(h.store)).find((event) => event.type === 'staff.login');
    assert.equal(success?.details['secondFactor'], true);
    await assertNoSecretsInEvents(h.store, [secret, code, wrongCode, goodPassword]);
  });

  test('a code one step either side of now is accepted, for drifting phone clocks', async () => {
    const h = harness(await openFresh());
    const admin = await addUser(h, 'root.admin', ['admin']);
    await h.identity.login({ username: 'root.admin', password: goodPassword, totp: codeFor(admin.totpSecret!, h.clock.now(), -1) });
    h.clock.advance(seconds(30));
    await h.identity.login({ username: 'root.admin', password: goodPassword, totp: codeFor(admin.totpSecret!, h.clock.now(), 1) });
    h.clock.advance(seconds(90));
    await rejectsWith(
      h.identity.login({ username: 'root.admin', password: goodPassword, totp: codeFor(admin.totpSecret!, h.clock.now(), 2) }),
      'second_factor_invalid',
    );
  });

  test('an account whose role needs a second factor but has none enrolled cannot log in', async () => {
    const h = harness(await openFresh());
    const auditor = await addUser(h, 'audit.one', ['auditor']);
    await h.store.db.updateTable('staff_accounts').set({ totp_secret: null }).where('id', '=', auditor.id).execute();
    await rejectsWith(h.identity.login({ username: 'audit.one', password: goodPassword, totp: '123456' }), 'second_factor_not_enrolled');
    assert.equal((await storedEvents(h.store)).at(-1)?.details['reason'], 'second_factor_not_enrolled');
  });

  test('an enrolled second factor is asked for even on roles that do not require one', async () => {
    const h = harness(await openFresh());
    const worker = await addUser(h, 'li.wei', ['caseworker']);
    await addUser(h, 'root.admin', ['admin']);
    const enrolment = await h.identity.resetSecondFactor(systemActor, worker.id);
    await rejectsWith(h.identity.login({ username: 'li.wei', password: goodPassword }), 'second_factor_required');
    await h.identity.login({ username: 'li.wei', password: goodPassword, totp: codeFor(enrolment.secret, h.clock.now()) });
  });

  test('access tokens expire by the clock and refresh issues a new one within the session', async () => {
    const h = harness(await openFresh());
    const worker = await addUser(h, 'li.wei', ['caseworker']);
    const { accessToken } = await logIn(h, worker);
    const principal = (await h.identity.authenticate(accessToken)) as StaffPrincipal;
    h.clock.advance(seconds(899));
    await h.identity.authenticate(accessToken);
    const refreshed = await h.identity.refresh(principal);
    h.clock.advance(seconds(1));
    const expired = await rejectsWith(h.identity.authenticate(accessToken), 'token_expired');
    assert.equal(expired.httpStatus, 401);
    assert.deepEqual(await h.identity.authenticate(refreshed.accessToken), principal);
  });

  test('no token outlives its session; the session ends at its maximum length', async () => {
    const h = harness(await openFresh(), { accessTokenTtlSeconds: 900, sessionMaxSeconds: 1200, sessionIdleSeconds: 1000 });
    const worker = await addUser(h, 'li.wei', ['caseworker']);
    const login = await logIn(h, worker);
    const principal = (await h.identity.authenticate(login.accessToken)) as StaffPrincipal;
    h.clock.advance(seconds(800));
    const refreshed = await h.identity.refresh(principal);
    assert.equal(refreshed.expiresAt, login.session.expiresAt, 'capped at the session end');
    h.clock.advance(seconds(399));
    await h.identity.authenticate(refreshed.accessToken);
    h.clock.advance(seconds(1));
    await rejectsWith(h.identity.authenticate(refreshed.accessToken), 'token_expired');
    await rejectsWith(h.identity.refresh(principal), 'token_expired');
  });

  test('an idle session times out; activity keeps it alive', async () => {
    const h = harness(await openFresh(), { accessTokenTtlSeconds: 3600, sessionIdleSeconds: 600, sessionMaxSeconds: 7200 });
    const worker = await addUser(h, 'li.wei', ['caseworker']);
    const { accessToken, session } = await logIn(h, worker);
    h.clock.advance(seconds(500));
    await h.identity.authenticate(accessToken);
    h.clock.advance(seconds(30));
    await h.identity.authenticate(accessToken);
    const seen = await h.store.db.selectFrom('staff_sessions').select('last_seen_at').where('id', '=', session.id).executeTakeFirstOrThrow();
    assert.equal(seen.last_seen_at, '2025-03-01T08:08:20.000Z', 'last_seen_at is written at most once a minute');
    h.clock.advance(seconds(570));
    await h.identity.authenticate(accessToken);
    h.clock.advance(seconds(601));
    const idle = await rejectsWith(h.identity.authenticate(accessToken), 'token_expired');
    assert.match(idle.message, /idle/);
  });

  test('logout ends the session and is recorded', async () => {
    const h = harness(await openFresh());
    const worker = await addUser(h, 'li.wei', ['caseworker']);
    const principal = await principalOf(h, worker);
    const other = await logIn(h, worker);
    await h.identity.logout(principal);
    await h.identity.logout(principal);
    await rejectsWith(h.identity.refresh(principal), 'token_invalid');
    await h.identity.authenticate(other.accessToken);
    const logouts = (await storedEvents(h.store)).filter((event) => event.type === 'staff.logout');
    assert.deepEqual(
      logouts.map((event) => [event.actor, event.details]),
      [[`staff:${worker.id}`, { accountId: worker.id, sessionId: principal.sessionId }]],
      'one event: the second logout found nothing to end',
    );
  });

  test('a role change takes effect on the next request, without logging in again', async () => {
    const h = harness(await openFresh());
    const worker = await addUser(h, 'li.wei', ['caseworker']);
    await addUser(h, 'root.admin', ['admin']);
    const { accessToken } = await logIn(h, worker);
    assert.deepEqual((await h.identity.authenticate(accessToken)).roles, ['caseworker']);
    await h.identity.setRoles(systemActor, worker.id, ['steward']);
    const principal = await h.identity.authenticate(accessToken);
    assert.deepEqual(principal.roles, ['steward']);
    assert.throws(() => h.identity.authorize(principal, 'cases.handle'), { code: 'forbidden' });
    h.identity.authorize(principal, 'catalog.manage');
  });

  test('forged, foreign and malformed tokens are refused', async () => {
    const h = harness(await openFresh());
    const worker = await addUser(h, 'li.wei', ['caseworker']);
    const { accessToken, session } = await logIn(h, worker);
    const now = Math.floor(h.clock.now().getTime() / 1000);
    const forge = (key: Uint8Array, claims: { iss?: string; aud?: string; sub?: string; typ?: string }) =>
      new SignJWT({ sid: session.id, roles: ['admin'] })
        .setProtectedHeader({ alg: 'HS256', typ: claims.typ ?? 'at+jwt' })
        .setSubject(claims.sub ?? worker.id)
        .setIssuer(claims.iss ?? nodeCode)
        .setAudience(claims.aud ?? 'tongban-staff')
        .setIssuedAt(now)
        .setExpirationTime(now + 600)
        .sign(key);
    await rejectsWith(h.identity.authenticate(await forge(new Uint8Array(32).fill(7), {})), 'token_invalid');
    await rejectsWith(h.identity.authenticate(await forge(h.sessionSecret, { iss: '110000' })), 'token_invalid');
    await rejectsWith(h.identity.authenticate(await forge(h.sessionSecret, { aud: 'someone-else' })), 'token_invalid');
    await rejectsWith(h.identity.authenticate(await forge(h.sessionSecret, { typ: 'JWT' })), 'token_invalid');
    await rejectsWith(h.identity.authenticate(await forge(h.sessionSecret, { sub: '00000000-0000-7000-8000-000000000000' })), 'token_invalid');
    // The right key and claims: roles in the token are ignored in favour of the account's.
    assert.deepEqual((await h.identity.authenticate(await forge(h.sessionSecret, {}))).roles, ['caseworker']);
    await rejectsWith(h.identity.authenticate(`${accessToken.slice(0, -2)}xx`), 'token_invalid');
    await rejectsWith(h.identity.authenticate('not-a-token'), 'token_invalid');
    await rejectsWith(h.identity.authenticate(''), 'authentication_required');
  });
});
