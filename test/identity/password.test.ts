import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPasswordHasher } from '../../src/identity/domain/password-hasher.ts';
import { assertPasswordPolicy, passwordProblems } from '../../src/identity/domain/password-policy.ts';
import { throwsWith } from './identity-fixture.ts';

const context = { username: 'li.wei', minLength: 12 };

test('a long password from three or four character classes passes', () => {
  assert.deepEqual(passwordProblems('Correct-Horse-42', context), []);
  assert.deepEqual(passwordProblems('correcthorse42!', context), [], 'lower, digits and symbols are three classes');
  assertPasswordPolicy('CORRECT HORSE 42', context);
});

test('a short password is refused, saying how long it must be', () => {
  const error = throwsWith(() => assertPasswordPolicy('Ab1-xyz', context), 'password_too_weak');
  assert.match(error.message, /at least 12 characters/);
  assert.deepEqual(error.details?.['problems'], ['too_short']);
});

test('too few character classes are refused, naming what is missing', () => {
  const error = throwsWith(() => assertPasswordPolicy('correcthorsebattery', context), 'password_too_weak');
  assert.match(error.message, /upper-case letters, digits, symbols/);
  assert.deepEqual(error.details?.['problems'], ['too_few_character_classes']);
  throwsWith(() => assertPasswordPolicy('CorrectHorseBattery', context), 'password_too_weak');
});

test('a password containing the user name is refused, whatever the case', () => {
  const error = throwsWith(() => assertPasswordPolicy('My-LI.WEI-pass-9', context), 'password_too_weak');
  assert.deepEqual(error.details?.['problems'], ['contains_username']);
});

test('the minimum length comes from configuration', () => {
  assert.deepEqual(passwordProblems('Abcdef-12', { username: 'x.y', minLength: 8 }), []);
  assert.deepEqual(
    passwordProblems('Abcdef-12', { username: 'x.y', minLength: 16 }).map((item) => item.problem),
    ['too_short'],
  );
});

test('scrypt hashes are self-describing, salted and verify only the right password', async () => {
  const hasher = createPasswordHasher({ costLog2: 10 });
  const first = await hasher.hash('Correct-Horse-42');
  const second = await hasher.hash('Correct-Horse-42');
  assert.match(first, /^scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
  assert.notEqual(first, second, 'a fresh salt each time');
  assert.ok(!first.includes('Correct-Horse-42'));
  assert.equal(await hasher.verify('Correct-Horse-42', first), true);
  assert.equal(await hasher.verify('Correct-Horse-43', first), false);
  assert.equal(await hasher.verify('Correct-Horse-42', 'not a hash'), false);
  assert.equal(await hasher.verify('Correct-Horse-42', first.replace('ln=10', 'ln=40')), false, 'absurd costs are refused');
  await hasher.verifyDummy('anything');
});

test('hashes made at another cost still verify and are flagged for rehashing', async () => {
  const old = await createPasswordHasher({ costLog2: 11 }).hash('Correct-Horse-42');
  const hasher = createPasswordHasher({ costLog2: 10 });
  assert.equal(await hasher.verify('Correct-Horse-42', old), true);
  assert.equal(hasher.needsRehash(old), true);
  assert.equal(hasher.needsRehash(await hasher.hash('x')), false);
});

test('the production cost (2^15) works within the memory limit set', async () => {
  const hasher = createPasswordHasher({ costLog2: 15 });
  assert.equal(await hasher.verify('Correct-Horse-42', await hasher.hash('Correct-Horse-42')), true);
});
