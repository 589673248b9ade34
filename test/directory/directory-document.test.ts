/** The directory document: building, signing, verifying against a trust set, hub key transitions, rollback. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cryptoSuite, signJws, type FlattenedJws, type JwsSigner, type SuiteName } from '../../src/crypto/index.ts';
import { anchorFingerprint, chooseAnchorKeys, normaliseFingerprint, type AnchorKey } from '../../src/directory/domain/anchor.ts';
import {
  buildDirectoryDocument,
  buildHubKeyTransition,
  succession,
  trustedHubKeys,
  verifyDirectoryDocument,
  type DirectoryDocument,
} from '../../src/directory/domain/directory-document.ts';
import type { DirectoryKey, DirectoryMember } from '../../src/directory/domain/directory-member.ts';

const issuedAt = new Date('2026-03-02T08:00:00.000Z');

/** A signing key with its signer and its directory and anchor forms. */
function signingKey(node: string, id: string, suiteName: SuiteName = 'intl') {
  const suite = cryptoSuite(suiteName);
  const pair = suite.generateSigningKey();
  const kid = `${node}#${id}`;
  const publicKey = Buffer.from(pair.publicKey).toString('base64url');
  const signer: JwsSigner = { kid, suite, privateKey: pair.privateKey };
  const anchor: AnchorKey = { kid, suite: suiteName, publicKey, validFrom: issuedAt.toISOString() };
  const key: DirectoryKey = { ...anchor, use: 'sign', validUntil: null };
  return { signer, anchor, key };
}

function encryptionKey(node: string, suiteName: SuiteName = 'intl'): DirectoryKey {
  const pair = cryptoSuite(suiteName).generateAgreementKey();
  return { kid: `${node}#e-1`, use: 'encrypt', suite: suiteName, publicKey: Buffer.from(pair.publicKey).toString('base64url'), validFrom: issuedAt.toISOString(), validUntil: null };
}

function member(code: string, keys: DirectoryKey[], role: 'node' | 'hub' = 'node'): DirectoryMember {
  return { code, name: code, level: role === 'hub' ? 'hub' : 'province', parent: null, role, endpoint: `https://${code}.example`, status: 'active', keys };
}

function documentWith(version: number, hubKeys: DirectoryKey[], transitions: FlattenedJws[] = []): DirectoryDocument {
  return buildDirectoryDocument({
    hub: '100000',
    version,
    issuedAt,
    ttlSeconds: 3600,
    members: [member('330000', [signingKey('330000', 's-1').key, encryptionKey('330000')]), member('100000', [...hubKeys, encryptionKey('100000')], 'hub')],
    hubKeyTransitions: transitions,
  });
}

describe('directory document', () => {
  test('is built hub first with an expiry one TTL after issue, and verifies against the pinned anchor', () => {
    const hubKey = signingKey('100000', 's-1');
    const document = documentWith(1, [hubKey.key]);
    assert.deepEqual(document.members.map((m) => m.code), ['100000', '330000']);
    assert.equal(document.expiresAt, '2026-03-02T09:00:00.000Z');
    const jws = signJws(document, hubKey.signer);
    const verified = verifyDirectoryDocument(jws, { hub: '100000', trusted: trustedHubKeys({ hub: '100000', anchor: [hubKey.anchor] }) });
    assert.equal(verified.document.version, 1);
    assert.equal(verified.signedBy, hubKey.signer.kid);
  });

  test('works the same in the 国密 suite', () => {
    const hubKey = signingKey('100000', 's-sm', 'sm');
    const jws = signJws(documentWith(1, [hubKey.key]), hubKey.signer);
    const verified = verifyDirectoryDocument(jws, { hub: '100000', trusted: trustedHubKeys({ hub: '100000', anchor: [hubKey.anchor] }) });
    assert.equal(verified.document.hub, '100000');
  });

  test('a changed payload, another signer, or another hub is refused', () => {
    const hubKey = signingKey('100000', 's-1');
    const trusted = trustedHubKeys({ hub: '100000', anchor: [hubKey.anchor] });
    const document = documentWith(1, [hubKey.key]);
    const jws = signJws(document, hubKey.signer);
    const tampered = { ...jws, payload: signJws({ ...document, version: 9 }, hubKey.signer).payload };
    assert.throws(() => verifyDirectoryDocument(tampered, { hub: '100000', trusted }), { code: 'directory_signature_invalid' });

    const impostor = signingKey('100000', 's-evil');
    assert.throws(() => verifyDirectoryDocument(signJws(document, impostor.signer), { hub: '100000', trusted }), {
      code: 'directory_signature_invalid',
      message: /neither the pinned hub anchor/,
    });
    // A member key never signs the directory, even one listed in it.
    const memberKey = signingKey('330000', 's-1');
    assert.throws(() => verifyDirectoryDocument(signJws(document, memberKey.signer), { hub: '100000', trusted: new Map([...trusted, [memberKey.signer.kid, { suite: memberKey.signer.suite, publicKey: Buffer.from(memberKey.anchor.publicKey, 'base64url') }]]) }), {
      code: 'directory_signature_invalid',
    });
    assert.throws(() => verifyDirectoryDocument({ payload: 'x' }, { hub: '100000', trusted }), { code: 'directory_signature_invalid' });

    const otherHub = buildDirectoryDocument({ ...document, hub: '110000', issuedAt, ttlSeconds: 3600, members: [member('110000', [signingKey('110000', 's-1').key], 'hub')] });
    assert.throws(() => verifyDirectoryDocument(signJws(otherHub, hubKey.signer), { hub: '100000', trusted }), { code: 'answer_invalid', message: /not the hub 100000/ });
  });

  test('a well-signed document that is not a directory is refused as answer_invalid', () => {
    const hubKey = signingKey('100000', 's-1');
    const trusted = trustedHubKeys({ hub: '100000', anchor: [hubKey.anchor] });
    const noHub = { ...documentWith(1, [hubKey.key]), members: [] };
    assert.throws(() => verifyDirectoryDocument(signJws(noHub, hubKey.signer), { hub: '100000', trusted }), { code: 'answer_invalid', message: /hub must be listed/ });
    const expiresFirst = { ...documentWith(1, [hubKey.key]), expiresAt: '2026-03-01T00:00:00.000Z' };
    assert.throws(() => verifyDirectoryDocument(signJws(expiresFirst, hubKey.signer), { hub: '100000', trusted }), { code: 'answer_invalid', message: /expiresAt/ });
  });

  test('hub key rotations chain through transitions, even across several missed versions', () => {
    const k1 = signingKey('100000', 's-1');
    const k2 = signingKey('100000', 's-2');
    const k3 = signingKey('100000', 's-3');
    const t12 = signJws(buildHubKeyTransition('100000', k1.signer.kid, k2.anchor, issuedAt), k1.signer);
    const t23 = signJws(buildHubKeyTransition('100000', k2.signer.kid, k3.anchor, issuedAt), k2.signer);
    const retired = (key: DirectoryKey): DirectoryKey => ({ ...key, validUntil: issuedAt.toISOString() });
    const latest = documentWith(7, [retired(k1.key), retired(k2.key), k3.key], [t12, t23]);
    // A member that only ever pinned k1 follows k1 → k2 → k3.
    const verified = verifyDirectoryDocument(signJws(latest, k3.signer), { hub: '100000', trusted: trustedHubKeys({ hub: '100000', anchor: [k1.anchor] }) });
    assert.equal(verified.signedBy, k3.signer.kid);

    // A transition signed by a key nobody trusts endorses nothing.
    const rogue = signingKey('100000', 's-rogue');
    const forged = signJws(buildHubKeyTransition('100000', rogue.signer.kid, k3.anchor, issuedAt), rogue.signer);
    assert.throws(
      () => verifyDirectoryDocument(signJws(documentWith(7, [k3.key], [forged]), k3.signer), { hub: '100000', trusted: trustedHubKeys({ hub: '100000', anchor: [k1.anchor] }) }),
      { code: 'directory_signature_invalid' },
    );
  });

  test('the trust set drops keys the last verified directory lists as retired, the pinned anchor included', () => {
    const k1 = signingKey('100000', 's-1');
    const k2 = signingKey('100000', 's-2');
    const previous = documentWith(3, [{ ...k1.key, validUntil: issuedAt.toISOString() }, k2.key]);
    const trusted = trustedHubKeys({ hub: '100000', anchor: [k1.anchor], previous });
    assert.deepEqual([...trusted.keys()], [k2.signer.kid]);
    assert.throws(() => verifyDirectoryDocument(signJws(documentWith(4, [k2.key]), k1.signer), { hub: '100000', trusted }), { code: 'directory_signature_invalid' });
  });

  test('succession accepts newer versions and the same document, and refuses rollbacks', () => {
    assert.equal(succession(undefined, { version: 1, payload: 'a' }), 'newer');
    assert.equal(succession({ version: 4, payload: 'a' }, { version: 5, payload: 'b' }), 'newer');
    assert.equal(succession({ version: 4, payload: 'a' }, { version: 4, payload: 'a' }), 'same');
    assert.throws(() => succession({ version: 4, payload: 'a' }, { version: 3, payload: 'c' }), { code: 'directory_rollback', message: /older than version 4/ });
    assert.throws(() => succession({ version: 4, payload: 'a' }, { version: 4, payload: 'b' }), { code: 'directory_rollback', message: /different directory/ });
  });
});

describe('anchor', () => {
  test('the fingerprint is SHA-256 of the raw public key, and people may write it with colons and capitals', () => {
    const key = signingKey('100000', 's-1');
    const fingerprint = anchorFingerprint(key.anchor.publicKey);
    assert.match(fingerprint, /^[0-9a-f]{64}$/);
    assert.equal(normaliseFingerprint(fingerprint.toUpperCase().match(/../g)!.join(':')), fingerprint);
    assert.throws(() => normaliseFingerprint('abc'), { code: 'invalid_input' });
  });

  test('chooses the key with the expected fingerprint, or none', () => {
    const key = signingKey('100000', 's-1');
    const anchor = { code: '100000', name: 'hub', keys: [{ ...key.anchor, fingerprint: 'whatever the hub claims' }] };
    assert.deepEqual(chooseAnchorKeys(anchor), [key.anchor]);
    assert.deepEqual(chooseAnchorKeys(anchor, anchorFingerprint(key.anchor.publicKey)), [key.anchor]);
    assert.equal(chooseAnchorKeys(anchor, '0'.repeat(64)), undefined);
    assert.throws(() => chooseAnchorKeys({ ...anchor, keys: [{ ...anchor.keys[0]!, kid: '330000#s-1' }] }), { code: 'answer_invalid' });
  });
});

describe('integrity alerts in the document', () => {
  test('a member without alerts carries no integrity field; one with alerts carries its summary, signed', () => {
    const hubKey = signingKey('100000', 's-1');
    const plain = documentWith(1, [hubKey.key]);
    assert.ok(plain.members.every((entry) => !('integrity' in entry)), 'documents without alerts are unchanged');
    const summary = { alerts: 2, latestAt: issuedAt.toISOString(), kinds: ['fork', 'truncated'], witnesses: ['100000', '320000'] };
    const flagged = buildDirectoryDocument({ ...plain, issuedAt, ttlSeconds: 3600, version: 2, members: plain.members.map((entry) => (entry.code === '330000' ? { ...entry, integrity: summary } : entry)) });
    const trusted = trustedHubKeys({ hub: '100000', anchor: [hubKey.anchor] });
    const verified = verifyDirectoryDocument(signJws(flagged, hubKey.signer), { hub: '100000', trusted });
    assert.deepEqual(verified.document.members.find((entry) => entry.code === '330000')!.integrity, summary);
    const malformed = { ...summary, alerts: 0 };
    const bad = { ...flagged, members: flagged.members.map((entry) => (entry.code === '330000' ? { ...entry, integrity: malformed } : entry)) };
    assert.throws(() => verifyDirectoryDocument(signJws(bad, hubKey.signer), { hub: '100000', trusted }), { code: 'answer_invalid' });
  });

  test('fields a newer hub adds to a member or the document still verify here (dropped, not refused)', () => {
    const hubKey = signingKey('100000', 's-1');
    const plain = documentWith(3, [hubKey.key]);
    const newer = { ...plain, schemaNote: 'from a newer hub', members: plain.members.map((entry) => ({ ...entry, futureField: { any: 'thing' } })) };
    const jws = signJws(newer, hubKey.signer);
    const verified = verifyDirectoryDocument(jws, { hub: '100000', trusted: trustedHubKeys({ hub: '100000', anchor: [hubKey.anchor] }) });
    assert.equal(verified.document.version, 3);
    assert.equal('futureField' in verified.document.members[0]!, false);
    // A changed byte still fails the signature, whatever the schema accepts.
    const tampered = { ...jws, payload: Buffer.from(Buffer.from(jws.payload, 'base64url').toString('utf8').replace('from a newer hub', 'from a forger hub')).toString('base64url') };
    assert.throws(() => verifyDirectoryDocument(tampered, { hub: '100000', trusted: trustedHubKeys({ hub: '100000', anchor: [hubKey.anchor] }) }), {
      code: 'directory_signature_invalid',
    });
  });
});
