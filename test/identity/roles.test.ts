import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  assertDutySeparation,
  assertTokenRoles,
  can,
  dutySeparationConflict,
  parseRoles,
  requiresSecondFactor,
  rolesGranting,
  type Role,
} from '../../src/identity/domain/roles.ts';
import { throwsWith } from './identity-fixture.ts';

const holder = (...roles: Role[]) => ({ roles });

test('each role grants its own permissions and nothing else', () => {
  assert.ok(can(holder('admin'), 'accounts.manage'));
  assert.ok(can(holder('admin'), 'keys.manage'));
  assert.ok(!can(holder('admin'), 'audit.read'), 'the system administrator does not review the audit');
  assert.ok(!can(holder('admin'), 'cases.handle'));
  assert.ok(can(holder('auditor'), 'audit.read'));
  assert.ok(!can(holder('auditor'), 'accounts.manage'));
  assert.ok(can(holder('steward'), 'catalog.manage') && can(holder('steward'), 'quality.manage'));
  assert.ok(can(holder('agreements'), 'agreements.sign'));
  assert.ok(can(holder('caseworker'), 'cases.handle'));
  assert.ok(can(holder('steward', 'caseworker'), 'cases.handle'), 'roles add up');
  assert.ok(!can(holder(), 'catalog.manage'));
});

test('rolesGranting names who could do something', () => {
  assert.deepEqual(rolesGranting('accounts.manage'), ['admin']);
  assert.deepEqual(rolesGranting('exchange.request'), ['agreements', 'caseworker']);
});

test('admin and auditor require a second factor; business roles do not', () => {
  assert.ok(requiresSecondFactor(['admin']));
  assert.ok(requiresSecondFactor(['auditor']));
  assert.ok(!requiresSecondFactor(['steward', 'agreements', 'caseworker']));
});

test('the auditor role stands alone', () => {
  for (const other of ['admin', 'steward', 'agreements', 'caseworker'] as const) {
    assert.match(dutySeparationConflict(['auditor', other]) ?? '', /auditor/);
    throwsWith(() => assertDutySeparation([other, 'auditor']), 'duty_separation');
  }
  assert.equal(dutySeparationConflict(['auditor']), undefined);
});

test('admin cannot be combined with business roles', () => {
  for (const business of ['steward', 'agreements', 'caseworker'] as const) {
    throwsWith(() => assertDutySeparation(['admin', business]), 'duty_separation');
  }
  assert.equal(dutySeparationConflict(['admin']), undefined);
  assert.equal(dutySeparationConflict(['steward', 'agreements', 'caseworker']), undefined, 'business roles combine freely');
});

test('parseRoles rejects unknown or missing roles and puts known ones in order', () => {
  assert.deepEqual(parseRoles(['caseworker', 'steward', 'caseworker']), ['steward', 'caseworker']);
  const unknown = throwsWith(() => parseRoles(['steward', 'root']), 'invalid_input');
  assert.deepEqual(unknown.details?.['unknown'], ['root']);
  throwsWith(() => parseRoles([]), 'invalid_input');
});

test('API tokens may not hold admin or auditor', () => {
  throwsWith(() => assertTokenRoles(['admin']), 'invalid_input');
  throwsWith(() => assertTokenRoles(['auditor']), 'invalid_input');
  assertTokenRoles(['steward', 'caseworker']);
});
