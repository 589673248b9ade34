/** The canonical hash of a document and the signatures parties put on it. */
import { describe, test } from 'node:test';
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { TongbanError } from '../../src/core/errors.ts';
import { cryptoSuite, formatKid, signJws, verifyJws, type FlattenedJws, type JwsSigner } from '../../src/crypto/index.ts';
import { agreementHash, agreementHashWith, parseAgreementText, type Agreement } from '../../src/agreements/index.ts';
import { checkAgreementSignature, readSignaturePayload, type AgreementSignaturePayload } from '../../src/agreements/domain/signed-messages.ts';
import { agreementDoc, provider, requester } from './fixtures.ts';

function signerFor(node: string, suiteName: 'intl' | 'sm' = 'intl'): JwsSigner & { publicKey: Uint8Array } {
  const suite = cryptoSuite(suiteName);
  const pair = suite.generateSigningKey();
  return { kid: formatKid(node, 's-test'), suite, privateKey: pair.privateKey, publicKey: pair.publicKey };
}

function signature(document: Agreement, party: string, suiteName: 'intl' | 'sm' = 'intl'): AgreementSignaturePayload {
  const hash = agreementHash(document, cryptoSuite(suiteName));
  return { type: 'tongban.agreement-signature', agreement: document.id, version: document.version, ...hash, party, signedAt: '2026-01-02T03:04:05.000Z' };
}

function verified(jws: FlattenedJws, signer: { suite: JwsSigner['suite']; publicKey: Uint8Array }): { payload: AgreementSignaturePayload; kid: string } {
  const result = verifyJws(jws, () => signer);
  return { payload: readSignaturePayload(result.payload as Record<string, unknown>), kid: result.kid };
}

function refusedWith(code: string, work: () => void, message?: RegExp): void {
  assert.throws(work, (error: unknown) => {
    assert.ok(error instanceof TongbanError, String(error));
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
}

/** The same value with every object's members inserted in reverse order. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).reverse().map(([key, member]) => [key, reverseKeys(member)]));
}

describe('canonical hash', () => {
  test('is stable: member order, YAML or JSON, and re-parsing do not change it', () => {
    const doc = agreementDoc();
    const reordered = reverseKeys(doc) as Agreement;
    assert.notEqual(JSON.stringify(reordered), JSON.stringify(doc));
    const intl = cryptoSuite('intl');
    assert.deepEqual(agreementHash(reordered, intl), agreementHash(doc, intl));
    assert.deepEqual(agreementHash(parseAgreementText(stringify(doc)), intl), agreementHash(doc, intl));
    assert.deepEqual(agreementHash(parseAgreementText(JSON.stringify(doc), { format: 'json' }), intl), agreementHash(doc, intl));
  });

  test('is the suite hash of the RFC 8785 form, pinned for a known document', () => {
    const minimal = { version: 1, title: '协议', id: 'agr-a-b' } as unknown as Agreement;
    const canonical = '{"id":"agr-a-b","title":"协议","version":1}';
    assert.equal(createHash('sha256').update(canonical).digest('hex'), '735cc3ab14bbc4936139c4353ac599edc687d7c3a1211e0c5cc6815f4877bb14');
    assert.deepEqual(agreementHashWith(minimal, 'sha256'), { hashAlg: 'sha256', hash: '735cc3ab14bbc4936139c4353ac599edc687d7c3a1211e0c5cc6815f4877bb14' });
    assert.equal(createHash('sm3').update(canonical).digest('hex'), 'b3526e1092bbdb76217b68fd5655c41b85fdceb1260075318315b417f7e42874');
    assert.deepEqual(agreementHashWith(minimal, 'sm3'), { hashAlg: 'sm3', hash: 'b3526e1092bbdb76217b68fd5655c41b85fdceb1260075318315b417f7e42874' });
  });

  test('changes with any member, including the version', () => {
    const base = agreementHashWith(agreementDoc(), 'sha256').hash;
    assert.notEqual(agreementHashWith(agreementDoc((doc) => (doc.version = 2)), 'sha256').hash, base);
    assert.notEqual(agreementHashWith(agreementDoc((doc) => doc.datasets[0]!.grants[0]!.query!.push('idNumber')), 'sha256').hash, base);
    assert.notEqual(agreementHashWith(agreementDoc((doc) => (doc.security.retentionDays = 181)), 'sha256').hash, base);
  });
});

describe('agreement signatures', () => {
  const document = agreementDoc();
  const providerKey = signerFor(provider);

  test('a party signature verifies against the document held here', () => {
    const jws = signJws(signature(document, provider), providerKey);
    const { payload, kid } = verified(jws, providerKey);
    assert.doesNotThrow(() => checkAgreementSignature(payload, kid, document));
  });

  test('a party on the sm suite signs its SM3 hash; the same document verifies', () => {
    const smKey = signerFor(requester, 'sm');
    const jws = signJws(signature(document, requester, 'sm'), smKey);
    const { payload, kid } = verified(jws, smKey);
    assert.equal(payload.hashAlg, 'sm3');
    assert.doesNotThrow(() => checkAgreementSignature(payload, kid, document));
  });

  test('a signature naming another party than the key it was made with is refused', () => {
    const jws = signJws(signature(document, requester), providerKey);
    const { payload, kid } = verified(jws, providerKey);
    refusedWith('signature_invalid', () => checkAgreementSignature(payload, kid, document), /names party 331083 but was made with 520400's key/);
  });

  test('a signature is refused for a tampered document', () => {
    const jws = signJws(signature(document, provider), providerKey);
    const { payload, kid } = verified(jws, providerKey);
    const tampered = agreementDoc((doc) => doc.datasets[0]!.grants[0]!.query!.push('idNumber'));
    refusedWith('signature_invalid', () => checkAgreementSignature(payload, kid, tampered), /over a different document/);
  });

  test('a signature on another version does not count for this one', () => {
    const version2 = agreementDoc((doc) => (doc.version = 2));
    const jws = signJws(signature(document, provider), providerKey);
    const { payload, kid } = verified(jws, providerKey);
    refusedWith('signature_invalid', () => checkAgreementSignature(payload, kid, version2), /for agr-520400-331083-social-insurance version 1, not .* version 2/);
  });

  test('a non-party signature, a tampered payload and the wrong key are refused', () => {
    const outsider = signerFor('110000');
    const jws = signJws(signature(document, '110000'), outsider);
    const { payload, kid } = verified(jws, outsider);
    refusedWith('not_a_party', () => checkAgreementSignature(payload, kid, document));

    const good = signJws(signature(document, provider), providerKey);
    const forged = { ...good, payload: Buffer.from(JSON.stringify({ ...signature(document, provider), hash: '0'.repeat(64) })).toString('base64url') };
    refusedWith('signature_invalid', () => verified(forged, providerKey));
    refusedWith('signature_invalid', () => verified(good, signerFor(provider)));
  });
});
