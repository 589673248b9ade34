/** Signed membership applications and key updates: what the hub accepts and how it refuses the rest. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cryptoSuite, signJws, type JwsSigner } from '../../src/crypto/index.ts';
import { applicationType, verifyApplication, verifySignedUpdate, type MembershipApplication } from '../../src/directory/domain/membership-application.ts';
import { memberKeysType, memberKeysUpdateSchema } from '../../src/directory/domain/member-keys.ts';

const suite = cryptoSuite('intl');
const now = new Date('2026-03-02T08:00:00.000Z');

function applicant(code = '330000') {
  const signing = suite.generateSigningKey();
  const sealing = suite.generateAgreementKey();
  const signer: JwsSigner = { kid: `${code}#s-1`, suite, privateKey: signing.privateKey };
  const application: MembershipApplication = {
    type: applicationType,
    code,
    name: '浙江省',
    level: 'province',
    parent: null,
    endpoint: 'https://zj.example.gov.cn/tongban',
    keys: [
      { kid: `${code}#s-1`, use: 'sign', suite: 'intl', publicKey: Buffer.from(signing.publicKey).toString('base64url'), validFrom: now.toISOString() },
      { kid: `${code}#e-1`, use: 'encrypt', suite: 'intl', publicKey: Buffer.from(sealing.publicKey).toString('base64url'), validFrom: now.toISOString() },
    ],
    ts: now.toISOString(),
  };
  return { signer, application, signingPublicKey: signing.publicKey };
}

const options = { now, skewSeconds: 300 };

describe('membership application', () => {
  test('a self-signed application verifies and names its signer', () => {
    const { signer, application } = applicant();
    const verified = verifyApplication(signJws(application, signer), options);
    assert.equal(verified.kid, '330000#s-1');
    assert.equal(verified.application.endpoint, application.endpoint);
  });

  test('a forged signature, or a key the application does not list, is signature_invalid', () => {
    const { signer, application } = applicant();
    const jws = signJws(application, signer);
    const forged = { ...jws, signature: signJws({ other: true }, signer).signature };
    assert.throws(() => verifyApplication(forged, options), { code: 'signature_invalid' });
    const other = applicant();
    assert.throws(() => verifyApplication(signJws(application, { ...other.signer }), options), { code: 'signature_invalid' });
    const unlisted: JwsSigner = { kid: '330000#s-9', suite, privateKey: suite.generateSigningKey().privateKey };
    assert.throws(() => verifyApplication(signJws(application, unlisted), options), { code: 'signature_invalid', message: /one of the signing keys it lists/ });
  });

  test('malformed applications say where the fault is', () => {
    const { signer, application } = applicant();
    const cases: Array<[Partial<MembershipApplication> & Record<string, unknown>, RegExp]> = [
      [{ code: '33' }, /application\.code/],
      [{ level: 'hub' }, /application\.level/],
      [{ endpoint: 'mailto:a@b' }, /application\.endpoint/],
      [{ keys: [application.keys[0]!] }, /application\.keys/],
      [{ keys: [application.keys[0]!, { ...application.keys[1]!, kid: '310000#e-1' }] }, /own code/],
      [{ keys: [application.keys[0]!, { ...application.keys[1]!, publicKey: 'AAAA' }] }, /application\.keys\.1\.publicKey/],
      [{ extra: 1 }, /application/],
    ];
    for (const [change, message] of cases) {
      assert.throws(() => verifyApplication(signJws({ ...application, ...change }, signer), options), { code: 'invalid_input', message }, JSON.stringify(change));
    }
    assert.throws(() => verifyApplication({ payload: 1 }, options), { code: 'invalid_input' });
    assert.throws(() => verifyApplication({ payload: '!!', protected: 'x', signature: 'y' }, options), { code: 'invalid_input' });
  });

  test('an application signed long ago (a replay) or in the future is clock_skew', () => {
    const { signer, application } = applicant();
    assert.throws(() => verifyApplication(signJws({ ...application, ts: '2026-03-02T07:00:00.000Z' }, signer), options), { code: 'clock_skew' });
    assert.throws(() => verifyApplication(signJws({ ...application, ts: '2026-03-02T08:10:00.000Z' }, signer), options), { code: 'clock_skew' });
  });
});

describe('signed key update', () => {
  test('verifies only with a key the resolver accepts for the member the update names', () => {
    const { signer, application, signingPublicKey } = applicant();
    const update = { type: memberKeysType, code: '330000', keys: application.keys.map((key) => ({ ...key, validUntil: null })), ts: now.toISOString() };
    const resolver = (code: string, kid: string) => (code === '330000' && kid === signer.kid ? { suite, publicKey: signingPublicKey } : undefined);
    assert.equal(verifySignedUpdate(signJws(update, signer), memberKeysUpdateSchema, 'keyUpdate', resolver, options).kid, signer.kid);
    // Claiming to be another member does not help: the signer's kid must belong to the claimed code.
    const claimed = { ...update, code: '310000', keys: update.keys.map((key) => ({ ...key, kid: key.kid.replace('330000', '310000') })) };
    assert.throws(() => verifySignedUpdate(signJws(claimed, signer), memberKeysUpdateSchema, 'keyUpdate', resolver, options), { code: 'key_unknown' });
    assert.throws(() => verifySignedUpdate(signJws({ ...update, code: '310000' }, signer), memberKeysUpdateSchema, 'keyUpdate', resolver, options), {
      code: 'invalid_input',
      message: /own code/,
    });
    const stranger: JwsSigner = { kid: '330000#s-2', suite, privateKey: suite.generateSigningKey().privateKey };
    assert.throws(() => verifySignedUpdate(signJws(update, stranger), memberKeysUpdateSchema, 'keyUpdate', resolver, options), { code: 'key_unknown' });
  });
});
