import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { systemActor, type StaffPrincipal } from '../../src/identity/index.ts';
import { staffAccountStore } from '../../src/identity/store/staff-account-store.ts';
import { forEachEngine } from '../support/databases.ts';
import {
  addUser,
  assertNoSecretsInEvents,
  codeFor,
  goodPassword,
  harness,
  identityTablesText,
  logIn,
  principalOf,
  rejectsWith,
  storedEvents,
  type Harness,
} from './identity-fixture.ts';

/** A principal as routes would see it, without logging in (account changes do not look at the session). */
function asStaff(id: string, username: string, roles: StaffPrincipal['roles']): StaffPrincipal {
  return { kind: 'staff', accountId: id, username, roles, sessionId: 'no-session' };
}

async function rowCounts(h: Harness): Promise<[number, number, number, number]> {
  const count = async (table: 'staff_accounts' | 'staff_sessions' | 'api_tokens' | 'events') =>
    Number((await h.store.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  return [await count('staff_accounts'), await count('staff_sessions'), await count('api_tokens'), await count('events')];
}

forEachEngine('identity accounts', ({ dialect, openFresh }) => {
  test('createAccount stores a hash, returns no secrets, and records who created it', async () => {
    const h = harness(await openFresh());
    const created = await h.identity.createAccount(systemActor, {
      username: 'li.wei',
      displayName: ' 李伟 ',
      roles: ['caseworker', 'steward'],
      password: goodPassword,
    });
    assert.equal(created.secondFactor, undefined, 'business roles get no second factor by default');
    const { account } = created;
    assert.equal(account.username, 'li.wei');
    assert.equal(account.displayName, '李伟');
    assert.deepEqual(account.roles, ['steward', 'caseworker']);
    assert.equal(account.status, 'active');
    assert.equal(account.createdBy, 'system');
    assert.deepEqual(
      Object.keys(account).filter((key) => /hash|secret|password_/i.test(key)),
      [],
      'no hash or secret on the returned account',
    );
    assert.ok(!JSON.stringify(account).includes('scrypt'));

    const row = await h.store.db.selectFrom('staff_accounts').selectAll().where('id', '=', account.id).executeTakeFirstOrThrow();
    assert.match(row.password_hash, /^scrypt\$ln=10,r=8,p=1\$/);
    assert.deepEqual(await h.identity.getAccount(account.id), account);
    assert.deepEqual(await h.identity.findByUsername('li.wei'), account);
    assert.equal(await h.identity.findByUsername('nobody'), undefined);
    await rejectsWith(h.identity.getAccount('00000000-0000-7000-8000-000000000000'), 'not_found');

    const [event] = await storedEvents(h.store);
    assert.equal(event?.type, 'staff.account_created');
    assert.equal(event?.actor, 'system');
    assert.deepEqual(event?.details, { accountId: account.id, username: 'li.wei', roles: ['steward', 'caseworker'], secondFactorIssued: false });
    await assertNoSecretsInEvents(h.store, [goodPassword, row.password_hash]);
  });

  test('admin and auditor accounts get a TOTP secret once, stored only wrapped', async () => {
    const h = harness(await openFresh());
    const created = await h.identity.createAccount(systemActor, { username: 'root.admin', displayName: 'Admin', roles: ['admin'], password: goodPassword });
    const enrolment = created.secondFactor;
    assert.ok(enrolment);
    assert.match(enrolment.secret, /^[A-Z2-7]{32}$/, '160-bit base32 secret');
    assert.match(enrolment.uri, /^otpauth:\/\/totp\/Tongban%20Test:root\.admin\?/);
    assert.match(enrolment.uri, /algorithm=SHA1/);
    assert.match(enrolment.uri, /digits=6/);
    assert.match(enrolment.uri, /period=30/);
    assert.equal(created.account.secondFactorRequired, true);
    assert.equal(created.account.secondFactorEnrolled, true);
    assert.ok(!(await identityTablesText(h.store)).includes(enrolment.secret), 'the secret is not stored in clear');
    const listed = await h.identity.listAccounts();
    assert.ok(!JSON.stringify(listed).includes(enrolment.secret));
    await assertNoSecretsInEvents(h.store, [enrolment.secret, goodPassword]);
  });

  test('user names are validated and unique', async () => {
    const h = harness(await openFresh());
    for (const username of ['ab', 'Li.Wei', 'li wei', 'x'.repeat(65), '李伟']) {
      await rejectsWith(
        h.identity.createAccount(systemActor, { username, displayName: 'X', roles: ['steward'], password: goodPassword }),
        'invalid_input',
      );
    }
    await addUser(h, 'li.wei', ['steward']);
    await rejectsWith(addUser(h, 'li.wei', ['caseworker']), 'already_exists');
  });

  test('a failed createAccount writes nothing: no row, no event', async () => {
    const h = harness(await openFresh());
    await addUser(h, 'li.wei', ['steward']);
    const before = await rowCounts(h);
    await rejectsWith(addUser(h, 'li.wei', ['caseworker']), 'already_exists');
    await rejectsWith(addUser(h, 'wang.fang', ['admin', 'steward']), 'duty_separation');
    await rejectsWith(addUser(h, 'wang.fang', ['steward'], 'short'), 'password_too_weak');
    assert.deepEqual(await rowCounts(h), before);
    assert.equal(await h.identity.findByUsername('wang.fang'), undefined);
  });

  test('password policy applies at creation, with the user name', async () => {
    const h = harness(await openFresh());
    const error = await rejectsWith(addUser(h, 'zhang.san', ['steward'], 'Zhang.San-2025!'), 'password_too_weak');
    assert.match(error.message, /user name/);
  });

  test('duty separation applies at creation and on role changes', async () => {
    const h = harness(await openFresh());
    const admin = await addUser(h, 'root.admin', ['admin']);
    const actor = asStaff(admin.id, admin.username, ['admin']);
    await rejectsWith(addUser(h, 'audit.one', ['auditor', 'caseworker']), 'duty_separation');
    await rejectsWith(addUser(h, 'admin.two', ['admin', 'agreements']), 'duty_separation');
    const worker = await addUser(h, 'li.wei', ['caseworker']);
    await rejectsWith(h.identity.setRoles(actor, worker.id, ['caseworker', 'auditor']), 'duty_separation');
    await rejectsWith(h.identity.setRoles(actor, worker.id, ['admin', 'caseworker']), 'duty_separation');
    const changed = await h.identity.setRoles(actor, worker.id, ['caseworker', 'agreements']);
    assert.deepEqual(changed.account.roles, ['agreements', 'caseworker']);
    assert.equal(changed.secondFactor, undefined);
  });

  test('only accounts.manage may manage accounts; the refusal names the permission and who has it', async () => {
    const h = harness(await openFresh());
    const steward = await addUser(h, 'li.wei', ['steward']);
    const actor = asStaff(steward.id, steward.username, ['steward']);
    const error = await rejectsWith(
      h.identity.createAccount(actor, { username: 'wang.fang', displayName: 'W', roles: ['steward'], password: goodPassword }),
      'forbidden',
    );
    assert.match(error.message, /accounts\.manage/);
    assert.match(error.message, /admin/);
    assert.deepEqual(error.details, { permission: 'accounts.manage', grantedBy: ['admin'] });
    await rejectsWith(h.identity.disableAccount(actor, steward.id), 'forbidden');
    await rejectsWith(h.identity.setRoles(actor, steward.id, ['caseworker']), 'forbidden');
  });

  test('nobody changes their own roles, disables themselves, or resets their own second factor', async () => {
    const h = harness(await openFresh());
    const first = await addUser(h, 'root.admin', ['admin']);
    await addUser(h, 'second.admin', ['admin']);
    const me = await principalOf(h, first);
    const before = await rowCounts(h);
    const own = await rejectsWith(h.identity.setRoles(me, first.id, ['admin', 'steward']), 'duty_separation');
    assert.equal(own.details?.['reason'], 'self_change');
    await rejectsWith(h.identity.setRoles(me, first.id, ['steward']), 'duty_separation');
    await rejectsWith(h.identity.disableAccount(me, first.id), 'duty_separation');
    await rejectsWith(h.identity.resetSecondFactor(me, first.id), 'duty_separation');
    assert.deepEqual(await rowCounts(h), before, 'refusals write nothing');
  });

  test('the last active administrator cannot be disabled or lose admin', async () => {
    const h = harness(await openFresh());
    const first = await addUser(h, 'root.admin', ['admin']);
    await rejectsWith(h.identity.disableAccount(systemActor, first.id), 'last_admin');
    await rejectsWith(h.identity.setRoles(systemActor, first.id, ['steward']), 'last_admin');

    const second = await addUser(h, 'second.admin', ['admin']);
    const firstActor = asStaff(first.id, first.username, ['admin']);
    const disabled = await h.identity.disableAccount(firstActor, second.id);
    assert.equal(disabled.status, 'disabled');
    // A disabled administrator does not count: the first is the last active one again.
    await rejectsWith(h.identity.setRoles(systemActor, first.id, ['auditor']), 'last_admin');
    await h.identity.enableAccount(firstActor, second.id);
    const demoted = await h.identity.setRoles(asStaff(second.id, second.username, ['admin']), first.id, ['steward']);
    assert.deepEqual(demoted.account.roles, ['steward']);
  });

  test('two administrators disabling each other at once cannot leave the node without one', async (t) => {
    if (dialect !== 'postgres') {
      t.skip('SQLite has a single writer; the race needs concurrent transactions');
      return;
    }
    const h = harness(await openFresh());
    const first = await addUser(h, 'root.admin', ['admin']);
    const second = await addUser(h, 'second.admin', ['admin']);
    // Another administrator's transaction has checked the admins and is disabling `second`, not yet committed.
    const other = await h.store.db.startTransaction().execute();
    assert.deepEqual((await staffAccountStore.activeAdminIds(other, 'postgres')).sort(), [first.id, second.id].sort());
    await other.updateTable('staff_accounts').set({ status: 'disabled' }).where('id', '=', second.id).execute();
    const disabling = h.identity.disableAccount(systemActor, first.id).then(
      () => 'disabled',
      (error: { code?: string }) => error.code,
    );
    // Wait (by asking the server, not by sleeping) until the service is blocked on the row lock.
    for (;;) {
      const waiting = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'`.execute(h.store.db);
      if (waiting.rows[0]!.n > 0) break;
    }
    await other.commit().execute();
    assert.equal(await disabling, 'last_admin');
    const active = (await h.identity.listAccounts()).filter((account) => account.status === 'active');
    assert.deepEqual(active.map((account) => account.id), [first.id]);
  });

  test('promotion to a role that needs a second factor issues one', async () => {
    const h = harness(await openFresh());
    const worker = await addUser(h, 'li.wei', ['caseworker']);
    const promoted = await h.identity.setRoles(systemActor, worker.id, ['auditor']);
    assert.ok(promoted.secondFactor);
    assert.equal(promoted.account.secondFactorEnrolled, true);
    const login = await h.identity.login({
      username: 'li.wei',
      password: goodPassword,
      totp: codeFor(promoted.secondFactor.secret, h.clock.now()),
    });
    assert.deepEqual(login.account.roles, ['auditor']);
    const changed = (await storedEvents(h.store)).find((event) => event.type === 'staff.roles_changed');
    assert.deepEqual(changed?.details, {
      accountId: worker.id,
      username: 'li.wei',
      from: ['caseworker'],
      to: ['auditor'],
      secondFactorIssued: true,
    });
    await assertNoSecretsInEvents(h.store, [promoted.secondFactor.secret]);
  });

  test('disable revokes sessions; enable restores login and clears a lockout', async () => {
    const h = harness(await openFresh(), { maxFailedLogins: 2 });
    const admin = await addUser(h, 'root.admin', ['admin']);
    const worker = await addUser(h, 'li.wei', ['caseworker']);
    const { accessToken } = await logIn(h, worker);
    await h.identity.authenticate(accessToken);

    const actor = asStaff(admin.id, admin.username, ['admin']);
    await h.identity.disableAccount(actor, worker.id);
    await rejectsWith(h.identity.authenticate(accessToken), 'token_invalid');
    await rejectsWith(logIn(h, worker), 'account_disabled');
    assert.equal((await h.identity.disableAccount(actor, worker.id)).status, 'disabled', 'disabling twice is harmless');

    const enabled = await h.identity.enableAccount(actor, worker.id);
    assert.equal(enabled.status, 'active');
    await logIn(h, worker);

    const types = (await storedEvents(h.store)).map((event) => event.type);
    assert.equal(types.filter((type) => type === 'staff.account_disabled').length, 1);
    assert.equal(types.filter((type) => type === 'staff.account_enabled').length, 1);
    const disabledEvent = (await storedEvents(h.store)).find((event) => event.type === 'staff.account_disabled');
    assert.equal(disabledEvent?.actor, `staff:${admin.id}`);
    assert.deepEqual(disabledEvent?.details, { accountId: worker.id, username: 'li.wei', sessionsRevoked: 1 });
  });

  test('resetSecondFactor issues a new secret, voids the old one and ends sessions', async () => {
    const h = harness(await openFresh());
    const first = await addUser(h, 'root.admin', ['admin']);
    const second = await addUser(h, 'second.admin', ['admin']);
    const session = await logIn(h, second);
    const enrolment = await h.identity.resetSecondFactor(asStaff(first.id, first.username, ['admin']), second.id);
    assert.notEqual(enrolment.secret, second.totpSecret);
    await rejectsWith(h.identity.authenticate(session.accessToken), 'token_invalid');
    h.clock.advance(30_000);
    await rejectsWith(
      h.identity.login({ username: second.username, password: goodPassword, totp: codeFor(second.totpSecret!, h.clock.now()) }),
      'second_factor_invalid',
    );
    await h.identity.login({ username: second.username, password: goodPassword, totp: codeFor(enrolment.secret, h.clock.now()) });
    const reset = (await storedEvents(h.store)).find((event) => event.type === 'staff.second_factor_reset');
    assert.equal(reset?.actor, `staff:${first.id}`);
    assert.deepEqual(reset?.details, { accountId: second.id, username: second.username, sessionsRevoked: 1 });
    await assertNoSecretsInEvents(h.store, [enrolment.secret, second.totpSecret]);
  });

  test('changing one\'s own password needs the current one and keeps only the current session', async () => {
    const h = harness(await openFresh());
    const worker = await addUser(h, 'li.wei', ['caseworker']);
    const other = await logIn(h, worker);
    const me = await principalOf(h, worker);
    await rejectsWith(h.identity.changePassword(me, worker.id, { next: 'New-Password-99' }), 'invalid_input');
    const wrong = await rejectsWith(h.identity.changePassword(me, worker.id, { current: 'Wrong-Password-1', next: 'New-Password-99' }), 'login_failed');
    assert.deepEqual(wrong.details, { path: 'current' });
    assert.equal((await h.identity.getAccount(worker.id)).failedLogins, 1, 'a wrong current password counts toward the lockout');
    await rejectsWith(h.identity.changePassword(me, worker.id, { current: goodPassword, next: 'weak' }), 'password_too_weak');

    await h.identity.changePassword(me, worker.id, { current: goodPassword, next: 'New-Password-99' });
    await rejectsWith(h.identity.authenticate(other.accessToken), 'token_invalid');
    await h.identity.refresh(me);
    await rejectsWith(h.identity.login({ username: 'li.wei', password: goodPassword }), 'login_failed');
    await h.identity.login({ username: 'li.wei', password: 'New-Password-99' });

    const changed = (await storedEvents(h.store)).filter((event) => event.type === 'staff.password_changed');
    assert.deepEqual(changed.map((event) => [event.actor, event.details['by'], event.details['sessionsRevoked']]), [[`staff:${worker.id}`, 'self', 1]]);
    await assertNoSecretsInEvents(h.store, [goodPassword, 'New-Password-99', 'Wrong-Password-1']);
  });

  test('an administrator sets another\'s password without the current one; setPassword is for the node only', async () => {
    const h = harness(await openFresh(), { maxFailedLogins: 1 });
    const admin = await addUser(h, 'root.admin', ['admin']);
    const worker = await addUser(h, 'li.wei', ['caseworker']);
    await rejectsWith(h.identity.login({ username: 'li.wei', password: 'Wrong-Password-1' }), 'account_locked');
    const actor = asStaff(admin.id, admin.username, ['admin']);
    const updated = await h.identity.changePassword(actor, worker.id, { next: 'Reset-Password-77' });
    assert.equal(updated.lockedUntil, null, 'an administrator\'s reset also lifts the lockout');
    await h.identity.login({ username: 'li.wei', password: 'Reset-Password-77' });

    await rejectsWith(h.identity.setPassword(actor as never, worker.id, 'Another-Password-5'), 'forbidden');
    await h.identity.setPassword(systemActor, worker.id, 'Another-Password-5');
    await h.identity.login({ username: 'li.wei', password: 'Another-Password-5' });
    const by = (await storedEvents(h.store)).filter((event) => event.type === 'staff.password_changed').map((event) => event.details['by']);
    assert.deepEqual(by, ['administrator', 'system']);
  });
});
