import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError, SignatureInvalidError, TongbanError } from '../../src/core/errors.ts';
import { formatKid, parseKid, signJws, verifyJws, type FlattenedJws, type JwsKeyResolver } from '../../src/crypto/jws.ts';
import { cryptoSuite, type CryptoSuite, type SuiteName } from '../../src/crypto/suite.ts';

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');
const unb64 = (text: string): string => Buffer.from(text, 'base64url').toString('utf8');

function signerFor(suite: CryptoSuite, kid = '520400#sig-2026') {
  const keys = suite.generateSigningKey();
  const resolve: JwsKeyResolver = (asked) => (asked === kid ? { suite, publicKey: keys.publicKey } : undefined);
  return { signer: { kid, suite, privateKey: keys.privateKey }, resolve, keys };
}

const envelope = {
  id: '01890f4e-9b1c-7cc2-8e5a-3f4b2a1c0d9e',
  ts: '2026-03-01T08:30:00.000Z',
  from: '331083',
  to: '520400',
  op: 'query',
  body: { fields: ['name', 'insuredStatus'], key: { citizenId: '11010519491231002X' }, purpose: '就医结算备案' },
};

for (const name of ['intl', 'sm'] as const satisfies readonly SuiteName[]) {
  const suite = cryptoSuite(name);

  describe(`JWS with the ${name} suite`, () => {
    test('round trip: canonical payload, { alg, kid } header', () => {
      const { signer, resolve } = signerFor(suite);
      const jws = signJws(envelope, signer);
      assert.deepEqual(Object.keys(jws).sort(), ['payload', 'protected', 'signature']);
      assert.equal(unb64(jws.protected), `{"alg":"${suite.jwsAlgorithm}","kid":"520400#sig-2026"}`);
      assert.equal(
        unb64(jws.payload),
        '{"body":{"fields":["name","insuredStatus"],"key":{"citizenId":"11010519491231002X"},"purpose":"就医结算备案"},' +
          '"from":"331083","id":"01890f4e-9b1c-7cc2-8e5a-3f4b2a1c0d9e","op":"query","to":"520400","ts":"2026-03-01T08:30:00.000Z"}',
      );
      const verified = verifyJws(jws, resolve);
      assert.deepEqual(verified.payload, envelope);
      assert.equal(verified.kid, '520400#sig-2026');
      assert.deepEqual(verified.header, { alg: suite.jwsAlgorithm, kid: '520400#sig-2026' });
    });

    test('survives a JSON round trip of the JWS itself', () => {
      const { signer, resolve } = signerFor(suite);
      const wire = JSON.parse(JSON.stringify(signJws(envelope, signer))) as FlattenedJws;
      assert.deepEqual(verifyJws(wire, resolve).payload, envelope);
    });

    test('a tampered payload fails with signature_invalid', () => {
      const { signer, resolve } = signerFor(suite);
      const jws = signJws(envelope, signer);
      const tampered = { ...jws, payload: b64(unb64(jws.payload).replace('"query"', '"deliver"')) };
      assert.throws(() => verifyJws(tampered, resolve), SignatureInvalidError);
    });

    test('a tampered signature fails with signature_invalid', () => {
      const { signer, resolve } = signerFor(suite);
      const jws = signJws(envelope, signer);
      const bytes = Buffer.from(jws.signature, 'base64url');
      bytes[bytes.length - 3] = (bytes[bytes.length - 3] as number) ^ 0x04;
      assert.throws(() => verifyJws({ ...jws, signature: bytes.toString('base64url') }, resolve), SignatureInvalidError);
      assert.throws(() => verifyJws({ ...jws, signature: 'not base64url!' }, resolve), SignatureInvalidError);
    });

    test('an unknown kid fails with key_unknown', () => {
      const { signer } = signerFor(suite);
      const jws = signJws(envelope, signer);
      assert.throws(
        () => verifyJws(jws, () => undefined),
        (error: unknown) => error instanceof TongbanError && error.code === 'key_unknown' && error.details?.kid === signer.kid,
      );
    });

    test('a signature by another key under the same kid fails', () => {
      const { signer } = signerFor(suite);
      const impostor = signerFor(suite);
      const jws = signJws(envelope, signer);
      assert.throws(() => verifyJws(jws, impostor.resolve), SignatureInvalidError);
    });

    test('a non-canonical payload is refused even with a valid signature', () => {
      const { signer, resolve, keys } = signerFor(suite);
      const signRaw = (payloadText: string): FlattenedJws => {
        const protectedHeader = b64(`{"alg":"${suite.jwsAlgorithm}","kid":"${signer.kid}"}`);
        const payload = b64(payloadText);
        const signature = suite.sign(keys.privateKey, Buffer.from(`${protectedHeader}.${payload}`, 'ascii'));
        return { payload, protected: protectedHeader, signature: Buffer.from(signature).toString('base64url') };
      };
      // Sanity: the hand-made path works for canonical text.
      assert.deepEqual(verifyJws(signRaw('{"a":1,"b":2}'), resolve).payload, { a: 1, b: 2 });
      for (const text of ['{"b":2,"a":1}', '{"a": 1}', '{"a":1.0}', '{"a":1,"a":1}', '{"a":"\\u0041"}', '\ufeff{"a":1}', '{"a":-0}']) {
        assert.throws(() => verifyJws(signRaw(text), resolve), InputError, text);
      }
      const invalidUtf8 = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]).toString('base64url');
      const protectedHeader = b64(`{"alg":"${suite.jwsAlgorithm}","kid":"${signer.kid}"}`);
      const signature = suite.sign(keys.privateKey, Buffer.from(`${protectedHeader}.${invalidUtf8}`, 'ascii'));
      assert.throws(
        () => verifyJws({ payload: invalidUtf8, protected: protectedHeader, signature: Buffer.from(signature).toString('base64url') }, resolve),
        InputError,
      );
    });

    test('malformed JWS objects are input errors', () => {
      const { signer, resolve } = signerFor(suite);
      const jws = signJws(envelope, signer);
      assert.throws(() => verifyJws(null as unknown as FlattenedJws, resolve), InputError);
      assert.throws(() => verifyJws({ ...jws, payload: 42 } as unknown as FlattenedJws, resolve), InputError);
      assert.throws(() => verifyJws({ ...jws, header: { kid: 'x' } } as unknown as FlattenedJws, resolve), InputError);
      assert.throws(() => verifyJws({ ...jws, protected: 'e30' }, resolve), InputError); // {}
      assert.throws(() => verifyJws({ ...jws, protected: b64('{"alg":"EdDSA","crit":["b64"],"kid":"520400#k"}') }, resolve), InputError);
      assert.throws(() => verifyJws({ ...jws, protected: b64('{"kid":"520400#k","alg":"EdDSA"}') }, resolve), InputError);
      assert.throws(() => verifyJws({ ...jws, payload: `${jws.payload}*` }, resolve), InputError);
    });
  });
}

describe('JWS algorithm confusion', () => {
  test('a header alg that is not the resolved key\'s suite is refused before verifying', () => {
    const intl = cryptoSuite('intl');
    const sm = cryptoSuite('sm');
    const { signer } = signerFor(intl);
    const jws = signJws(envelope, signer);
    const smKeys = sm.generateSigningKey();
    // The directory says this kid is an SM2 key; the message claims EdDSA.
    assert.throws(
      () => verifyJws(jws, () => ({ suite: sm, publicKey: smKeys.publicKey })),
      (error: unknown) => error instanceof SignatureInvalidError && error.details?.expected === 'SM2-SM3',
    );
  });

  test('an unknown or "none" alg is refused', () => {
    const intl = cryptoSuite('intl');
    const { signer, resolve } = signerFor(intl);
    const jws = signJws(envelope, signer);
    for (const alg of ['none', 'HS256', 'ES256']) {
      assert.throws(() => verifyJws({ ...jws, protected: b64(`{"alg":"${alg}","kid":"${signer.kid}"}`), signature: '' }, resolve), SignatureInvalidError);
    }
  });
});

describe('kid', () => {
  test('formats and parses <node code>#<key id>', () => {
    assert.equal(formatKid('520400', 'sig-2026_a'), '520400#sig-2026_a');
    assert.deepEqual(parseKid('520400#sig-2026_a'), { node: '520400', keyId: 'sig-2026_a' });
    assert.deepEqual(parseKid('MOHRSS#k1'), { node: 'MOHRSS', keyId: 'k1' });
    assert.deepEqual(parseKid('mps01#k'), { node: 'mps01', keyId: 'k' });
  });

  test('refuses malformed parts', () => {
    for (const kid of ['520400', '52040#k', '5204000#k', '#k', '520400#', '520400#k k', '520400#a#b', `520400#${'k'.repeat(65)}`, 'A#k', '湖南#k', '520400#ключ']) {
      assert.throws(() => parseKid(kid), InputError, kid);
    }
    assert.throws(() => formatKid('520400', ''), InputError);
    assert.throws(() => formatKid('52 04 00', 'k'), InputError);
  });

  test('signing with a malformed kid is refused', () => {
    const intl = cryptoSuite('intl');
    const { signer } = signerFor(intl);
    assert.throws(() => signJws({ a: 1 }, { ...signer, kid: 'not a kid' }), InputError);
  });
});
