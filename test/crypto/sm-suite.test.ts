import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import {
  decodeSm2Signature,
  encodeSm2Signature,
  nativeSm2Works,
  sm2SignNative,
  sm2SignPure,
  sm2SignWithK,
  sm2VerifyNative,
  sm2VerifyPure,
  sm2ZValue,
} from '../../src/crypto/sm2.ts';
import { cryptoSuite } from '../../src/crypto/suite.ts';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex').toUpperCase();
const sm = cryptoSuite('sm');

// GM/T 0003.5 Annex A (also OpenSSL test/sm2_internal_test.c), see shared STANDARDS.md §2.
const vector = {
  message: Buffer.from('message digest'),
  d: hex('3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8'),
  publicKey: hex(`04 09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020
                    CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13`),
  k: hex('59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21'),
  z: 'B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3',
  e: 'F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640',
  r: 0xf5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3n,
  s: 0xb1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aan,
};
const n = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;
const officialSignature = encodeSm2Signature(vector.r, vector.s);
const verifiers = { native: sm2VerifyNative, pure: sm2VerifyPure, suite: sm.verify.bind(sm) };

describe('SM3 (GB/T 32905)', () => {
  test('SM3("abc")', () => {
    assert.equal(
      Buffer.from(sm.hash(Buffer.from('abc'))).toString('hex'),
      '66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0',
    );
  });
  test('SM3("abcd" × 16)', () => {
    assert.equal(
      Buffer.from(sm.hash(Buffer.from('abcd'.repeat(16)))).toString('hex'),
      'debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732',
    );
  });
});

describe('SM4 (GB/T 32907)', () => {
  test('ECB example: key = plaintext = 0123456789ABCDEFFEDCBA9876543210', () => {
    const key = hex('0123456789ABCDEFFEDCBA9876543210');
    const cipher = createCipheriv('sm4-ecb', key, null).setAutoPadding(false);
    const ciphertext = Buffer.concat([cipher.update(key), cipher.final()]);
    assert.equal(toHex(ciphertext), '681EDF34D206965E86B3E94F536E4246');
  });
});

describe('SM2 signatures (GM/T 0003.5 Annex A)', () => {
  test('the public key follows from d', () => {
    assert.equal(toHex(sm.signingPublicKey(vector.d)), toHex(vector.publicKey));
  });

  test('Z with the default ID 1234567812345678, and e = SM3(Z ‖ M)', () => {
    const z = sm2ZValue(vector.publicKey);
    assert.equal(toHex(z), vector.z);
    assert.equal(toHex(sm2ZValue(vector.publicKey, '1234567812345678')), vector.z);
    assert.equal(toHex(sm.hash(Buffer.concat([z, vector.message]))), vector.e);
    assert.notEqual(toHex(sm2ZValue(vector.publicKey, '')), vector.z);
  });

  test('signing with the example k gives exactly the example r and s', () => {
    const result = sm2SignWithK(vector.d, vector.message, vector.k);
    assert.equal(result.r, vector.r);
    assert.equal(result.s, vector.s);
    assert.deepEqual(Buffer.from(result.signature), Buffer.from(officialSignature));
    assert.deepEqual(decodeSm2Signature(result.signature), { r: vector.r, s: vector.s });
  });

  test('the native path is in use on this platform', () => {
    assert.equal(nativeSm2Works(), true);
  });

  for (const [name, verify] of Object.entries(verifiers)) {
    test(`${name} verifier accepts the example and rejects tampering`, () => {
      assert.equal(verify(vector.publicKey, vector.message, officialSignature), true);
      assert.equal(verify(vector.publicKey, Buffer.from('message digesT'), officialSignature), false);
      assert.equal(verify(vector.publicKey, Buffer.from('message digest '), officialSignature), false);
      assert.equal(verify(vector.publicKey, vector.message, encodeSm2Signature(vector.r + 1n, vector.s)), false);
      assert.equal(verify(vector.publicKey, vector.message, encodeSm2Signature(vector.r, vector.s - 1n)), false);
      assert.equal(verify(vector.publicKey, vector.message, encodeSm2Signature(vector.s, vector.r)), false);
      const flipped = Buffer.from(officialSignature);
      flipped[20] = (flipped[20] as number) ^ 0x01;
      assert.equal(verify(vector.publicKey, vector.message, flipped), false);
      // Out-of-range components.
      assert.equal(verify(vector.publicKey, vector.message, encodeSm2Signature(0n, vector.s)), false);
      assert.equal(verify(vector.publicKey, vector.message, encodeSm2Signature(vector.r, n)), false);
      assert.equal(verify(vector.publicKey, vector.message, encodeSm2Signature(vector.r + n, vector.s)), false);
    });

    test(`${name} verifier returns false on garbage rather than throwing`, () => {
      const offCurve = Buffer.from(vector.publicKey);
      offCurve[64] = (offCurve[64] as number) ^ 0x01;
      assert.equal(verify(offCurve, vector.message, officialSignature), false);
      assert.equal(verify(vector.publicKey.subarray(1), vector.message, officialSignature), false);
      assert.equal(verify(vector.publicKey, vector.message, new Uint8Array(0)), false);
      assert.equal(verify(vector.publicKey, vector.message, randomBytes(70)), false);
      assert.equal(verify(vector.publicKey, vector.message, Buffer.concat([officialSignature, Uint8Array.of(0)])), false);
    });
  }

  test('DER must be minimal: a padded INTEGER is refused', () => {
    const rBytes = hex(vector.r.toString(16));
    const sBytes = hex(vector.s.toString(16));
    // r with an extra (unneeded) leading zero byte: 0x00 0x00 F5...
    const body = Buffer.concat([Uint8Array.of(0x02, 34, 0, 0), rBytes, Uint8Array.of(0x02, 33, 0), sBytes]);
    const padded = Buffer.concat([Uint8Array.of(0x30, body.length), body]);
    assert.equal(decodeSm2Signature(padded), undefined);
    assert.equal(sm2VerifyPure(vector.publicKey, vector.message, padded), false);
    assert.equal(sm2VerifyNative(vector.publicKey, vector.message, padded), false);
  });

  test('Node one-shot SM2 (empty user ID) would not accept the official example: why Z is ours', () => {
    // Documents the pitfall the module exists for; see STANDARDS.md §2.
    const zEmpty = sm2ZValue(vector.publicKey, '');
    const eEmpty = createHash('sm3').update(zEmpty).update(vector.message).digest('hex').toUpperCase();
    assert.notEqual(eEmpty, vector.e);
  });
});

describe('SM2 signatures with fresh keys', () => {
  test('sign → verify round trips on both verification paths', () => {
    for (let i = 0; i < 4; i++) {
      const keys = sm.generateSigningKey();
      assert.equal(keys.publicKey.length, 65);
      assert.equal(keys.privateKey.length, 32);
      assert.deepEqual(Buffer.from(sm.signingPublicKey(keys.privateKey)), Buffer.from(keys.publicKey));
      const message = randomBytes(1 + i * 300);
      const signature = sm.sign(keys.privateKey, message);
      assert.equal(sm2VerifyNative(keys.publicKey, message, signature), true);
      assert.equal(sm2VerifyPure(keys.publicKey, message, signature), true);
      assert.equal(sm.verify(keys.publicKey, Buffer.concat([message, Uint8Array.of(1)]), signature), false);
      const other = sm.generateSigningKey();
      assert.equal(sm.verify(other.publicKey, message, signature), false);
    }
  });

  test('both signers (native, BigInt) are accepted by both verifiers (native, noble)', () => {
    const keys = sm.generateSigningKey();
    const message = Buffer.from('跨省通办');
    const signatures = [
      sm2SignNative(keys.privateKey, message),
      sm2SignPure(keys.privateKey, message),
      sm2SignWithK(keys.privateKey, message, randomBytes(32).fill(0x11, 0, 1)).signature,
    ];
    for (const signature of signatures) {
      assert.equal(sm2VerifyNative(keys.publicKey, message, signature), true);
      assert.equal(sm2VerifyPure(keys.publicKey, message, signature), true);
      assert.equal(sm2VerifyPure(keys.publicKey, Buffer.from('跨省通辦'), signature), false);
    }
  });

  test('malformed private keys are refused with invalid_input', () => {
    assert.throws(() => sm.sign(new Uint8Array(31), Buffer.from('x')), { code: 'invalid_input' });
    assert.throws(() => sm.sign(new Uint8Array(32), Buffer.from('x')), { code: 'invalid_input' });
    assert.throws(() => sm.sign(hex(n.toString(16)), Buffer.from('x')), { code: 'invalid_input' });
  });

  test('sm2SignWithK refuses k outside [1, n−1]', () => {
    assert.throws(() => sm2SignWithK(vector.d, vector.message, 0n), { code: 'invalid_input' });
    assert.throws(() => sm2SignWithK(vector.d, vector.message, n), { code: 'invalid_input' });
  });
});
