/** Key validity, the synchronous directory view, and merging a member's key updates. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cryptoSuite } from '../../src/crypto/index.ts';
import { buildDirectoryDocument } from '../../src/directory/domain/directory-document.ts';
import { keyValidAt, parentOf, type DirectoryKey, type DirectoryMember } from '../../src/directory/domain/directory-member.ts';
import { indexDirectory } from '../../src/directory/domain/directory-view.ts';
import { keyringAhead, keyringDirectoryKeys, keySetFingerprint, mergeKeys } from '../../src/directory/domain/member-keys.ts';

const suite = cryptoSuite('intl');
const t0 = '2026-01-01T00:00:00.000Z';
const t1 = '2026-02-01T00:00:00.000Z';

function key(kid: string, use: 'sign' | 'encrypt', validFrom = t0, validUntil: string | null = null): DirectoryKey {
  const pair = use === 'sign' ? suite.generateSigningKey() : suite.generateAgreementKey();
  return { kid, use, suite: 'intl', publicKey: Buffer.from(pair.publicKey).toString('base64url'), validFrom, validUntil };
}

function member(code: string, keys: DirectoryKey[], status: 'active' | 'suspended' = 'active', role: 'node' | 'hub' = 'node'): DirectoryMember {
  return { code, name: code, level: 'province', parent: null, role, endpoint: `https://${code}.example`, status, keys };
}

describe('key validity', () => {
  test('covers from validFrom (inclusive) to validUntil (exclusive)', () => {
    const retired = key('330000#s-1', 'sign', t0, t1);
    assert.equal(keyValidAt(retired, new Date('2025-12-31T23:59:59.999Z')), false);
    assert.equal(keyValidAt(retired, new Date(t0)), true);
    assert.equal(keyValidAt(retired, new Date('2026-01-31T23:59:59.999Z')), true);
    assert.equal(keyValidAt(retired, new Date(t1)), false);
    assert.equal(keyValidAt(key('330000#s-2', 'sign', t1), new Date('2030-01-01T00:00:00.000Z')), true);
  });
});

describe('directory view', () => {
  const old = key('330000#s-1', 'sign', t0, t1);
  const current = key('330000#s-2', 'sign', t1);
  const oldSeal = key('330000#e-1', 'encrypt', t0, t1);
  const seal = key('330000#e-2', 'encrypt', t1);
  const suspendedKey = key('310000#s-1', 'sign');
  const view = indexDirectory(
    buildDirectoryDocument({
      hub: '100000',
      version: 3,
      issuedAt: new Date(t1),
      ttlSeconds: 3600,
      members: [
        member('100000', [key('100000#s-1', 'sign'), key('100000#e-1', 'encrypt')], 'active', 'hub'),
        member('330000', [old, current, oldSeal, seal]),
        member('310000', [suspendedKey, key('310000#e-1', 'encrypt')], 'suspended'),
      ],
      hubKeyTransitions: [],
    }),
  );

  test('a retired key verifies what it signed before retirement, not after', () => {
    assert.ok(view.verificationKey(old.kid, new Date('2026-01-15T00:00:00.000Z')));
    assert.equal(view.verificationKey(old.kid, new Date(t1)), undefined);
    assert.ok(view.verificationKey(current.kid, new Date(t1)));
    assert.equal(view.verificationKey(current.kid, new Date(t0)), undefined, 'nor before it existed');
  });

  test('encryption keys never verify; unknown kids do not either', () => {
    assert.equal(view.verificationKey(seal.kid, new Date(t1)), undefined);
    assert.equal(view.verificationKey('330000#s-unknown', new Date(t1)), undefined);
    assert.equal(view.verificationKey('not a kid', new Date(t1)), undefined);
  });

  test('a suspended member is listed as such, but its keys do not verify and it gets no sealed bodies', () => {
    assert.equal(view.member('310000')?.status, 'suspended');
    assert.equal(view.verificationKey(suspendedKey.kid, new Date(t1)), undefined);
    assert.equal(view.encryptionKey('310000'), undefined);
  });

  test('the encryption key is the current one, decoded for the suite', () => {
    const resolved = view.encryptionKey('330000');
    assert.equal(resolved?.kid, seal.kid);
    assert.deepEqual(Buffer.from(resolved!.publicKey).toString('base64url'), seal.publicKey);
    assert.equal(resolved?.suite.name, 'intl');
    assert.equal(view.hub()?.code, '100000');
    assert.equal(view.member('440000'), undefined);
  });
});

describe('key updates', () => {
  const s1 = key('330000#s-1', 'sign');
  const e1 = key('330000#e-1', 'encrypt');
  const s2 = key('330000#s-2', 'sign', t1);

  test('the keyring is ahead when it has a key the entry lacks or has retired one the entry shows current', () => {
    assert.equal(keyringAhead([s1, e1], [s1, e1]), false);
    assert.equal(keyringAhead([{ ...s1, validUntil: t1 }, s2, e1], [s1, e1]), true);
    assert.equal(keyringAhead([{ ...s1, validUntil: t1 }, e1], [s1, e1]), true);
    assert.equal(keyringAhead([s1], [s1, e1]), false, 'keys only the directory has are not the keyring being ahead');
    assert.equal(keySetFingerprint([s1, e1]), keySetFingerprint([e1, s1]));
    assert.notEqual(keySetFingerprint([s1, e1]), keySetFingerprint([{ ...s1, validUntil: t1 }, e1]));
  });

  test('a merge adds new keys and retires current ones, never un-retires or changes a key', () => {
    const merged = mergeKeys([s1, e1], [{ ...s1, validUntil: t1 }, s2, e1]);
    assert.deepEqual(merged.added, [s2.kid]);
    assert.deepEqual(merged.retired, [s1.kid]);
    assert.equal(merged.keys.find((k) => k.kid === s1.kid)?.validUntil, t1);

    const unretire = mergeKeys(merged.keys, [s1, s2, e1]);
    assert.deepEqual([unretire.added, unretire.retired], [[], []]);
    assert.equal(unretire.keys.find((k) => k.kid === s1.kid)?.validUntil, t1);

    assert.throws(() => mergeKeys([s1, e1], [{ ...s1, publicKey: s2.publicKey }]), { code: 'invalid_input', message: /another public key/ });
    assert.throws(() => mergeKeys([s1, e1], [{ ...s1, validUntil: t1 }]), { code: 'invalid_input', message: /no current sign key/ });
  });

  test('the keyring lists only signing and encryption keys, retired ones with their retirement time', () => {
    const listed = keyringDirectoryKeys([
      { kid: '330000#s-1', use: 'sign', suite: 'intl', publicKey: s1.publicKey, status: 'retired', createdAt: t0, retiredAt: t1 },
      { kid: '330000#s-2', use: 'sign', suite: 'intl', publicKey: s2.publicKey, status: 'active', createdAt: t1, retiredAt: null },
      { kid: '330000#t-1', use: 'session', suite: 'intl', publicKey: null, status: 'active', createdAt: t0, retiredAt: null },
    ]);
    assert.deepEqual(listed.map((k) => [k.kid, k.validFrom, k.validUntil]), [
      ['330000#s-1', t0, t1],
      ['330000#s-2', t1, null],
    ]);
  });
});

test('the parent division follows GB/T 2260', () => {
  assert.equal(parentOf('330000'), null);
  assert.equal(parentOf('330100'), '330000');
  assert.equal(parentOf('331083'), '331000');
  assert.equal(parentOf('MOHRSS'), null);
});
