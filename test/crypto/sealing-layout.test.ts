/**
 * Sealed-message layouts: version 2 reuses a sender's ephemeral key for one recipient for a while
 * and salts every message with its own nonce; version 1 (a fresh ephemeral key per message), as
 * nodes sealed before, still opens. The version-1 messages here are built by hand from the
 * documented layout, not by the code under test.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createECDH, createHmac, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes } from 'node:crypto';
import { TongbanError } from '../../src/core/errors.ts';
import { ephemeralReuse, sealKdfInfo, sealNonceBytes, sealSchemeTag } from '../../src/crypto/sealing.ts';
import { cryptoSuite, type SuiteName } from '../../src/crypto/suite.ts';

const rejected = (error: unknown): boolean =>
  error instanceof TongbanError && error.code === 'invalid_input' && error.message === 'sealed message failed authentication';

/** Version 1, intl: 0x01 ‖ ephemeral X25519 (32) ‖ AES-256-GCM ciphertext ‖ tag (16). */
function sealIntlV1(recipientPublicKey: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Buffer {
  const recipient = { key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(recipientPublicKey).toString('base64url') }, format: 'jwk' } as const;
  const ephemeral = generateKeyPairSync('x25519');
  const ephemeralPublic = Buffer.from(ephemeral.publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const shared = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: createPublicKey(recipient) });
  const okm = Buffer.from(hkdfSync('sha256', shared, Buffer.concat([ephemeralPublic, recipientPublicKey]), sealKdfInfo.intl, 44));
  const cipher = createCipheriv('aes-256-gcm', okm.subarray(0, 32), okm.subarray(32, 44));
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Uint8Array.of(0x01), ephemeralPublic, ciphertext, cipher.getAuthTag()]);
}

/** Version 1, sm: 0x02 ‖ ephemeral SM2 point (65) ‖ SM4-CBC ciphertext ‖ HMAC-SM3 tag (32). */
function sealSmV1(recipientPublicKey: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Buffer {
  const ephemeral = createECDH('SM2');
  const ephemeralPublic = ephemeral.generateKeys();
  const shared = ephemeral.computeSecret(recipientPublicKey);
  const okm = Buffer.from(hkdfSync('sm3', shared, Buffer.concat([ephemeralPublic, recipientPublicKey]), sealKdfInfo.sm, 64));
  const cipher = createCipheriv('sm4-cbc', okm.subarray(0, 16), okm.subarray(48, 64));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const bits = Buffer.alloc(8);
  bits.writeBigUInt64BE(BigInt(aad.length) * 8n);
  const tag = createHmac('sm3', okm.subarray(16, 48)).update(aad).update(ephemeralPublic).update(ciphertext).update(bits).digest();
  return Buffer.concat([Uint8Array.of(0x02), ephemeralPublic, ciphertext, tag]);
}

const layouts = {
  intl: { v1: sealIntlV1, v1Tag: sealSchemeTag.intl, v2Tag: sealSchemeTag.intlV2, ephemeralBytes: 32 },
  sm: { v1: sealSmV1, v1Tag: sealSchemeTag.sm, v2Tag: sealSchemeTag.smV2, ephemeralBytes: 65 },
} as const;

for (const name of ['intl', 'sm'] as const satisfies readonly SuiteName[]) {
  const suite = cryptoSuite(name);
  const layout = layouts[name];
  const ephemeralOf = (sealed: Uint8Array) => Buffer.from(sealed.subarray(1, 1 + layout.ephemeralBytes)).toString('hex');
  const nonceOf = (sealed: Uint8Array) => Buffer.from(sealed.subarray(1 + layout.ephemeralBytes, 1 + layout.ephemeralBytes + sealNonceBytes)).toString('hex');

  describe(`${name} sealed layouts`, () => {
    const saved = { ...ephemeralReuse };
    after(() => Object.assign(ephemeralReuse, saved));

    test('seals to one recipient share an ephemeral key, each with its own nonce; another recipient gets another key', () => {
      const recipient = suite.generateAgreementKey();
      const other = suite.generateAgreementKey();
      const aad = Buffer.from('the same aad on purpose');
      const sealed = [0, 1, 2].map(() => suite.seal(recipient.publicKey, Buffer.from('same body'), aad));
      for (const one of sealed) assert.equal(one[0], layout.v2Tag);
      assert.equal(new Set(sealed.map(ephemeralOf)).size, 1);
      assert.equal(new Set(sealed.map(nonceOf)).size, 3);
      // Same key, body and aad, yet three different ciphertexts: the nonce makes every message's key new.
      assert.equal(new Set(sealed.map((one) => Buffer.from(one.subarray(1 + layout.ephemeralBytes + sealNonceBytes)).toString('hex'))).size, 3);
      for (const one of sealed) assert.equal(Buffer.from(suite.open(recipient.privateKey, one, aad)).toString(), 'same body');
      assert.notEqual(ephemeralOf(suite.seal(other.publicKey, Buffer.from('x'), aad)), ephemeralOf(sealed[0]!));
    });

    test('the ephemeral key is replaced once it has served its number of seals', () => {
      ephemeralReuse.maxSeals = 2;
      const recipient = suite.generateAgreementKey();
      const ephemerals = [0, 1, 2, 3, 4].map(() => ephemeralOf(suite.seal(recipient.publicKey, Buffer.from('x'), new Uint8Array(0))));
      assert.equal(ephemerals[0], ephemerals[1]);
      assert.notEqual(ephemerals[1], ephemerals[2]);
      assert.equal(ephemerals[2], ephemerals[3]);
      assert.notEqual(ephemerals[3], ephemerals[4]);
      Object.assign(ephemeralReuse, saved);
    });

    test('a version-1 sealed message still opens; relabelled as the other version it does not', () => {
      const recipient = suite.generateAgreementKey();
      const aad = Buffer.from('tongban/sealed-body/v1|request|01JTEST|520400');
      for (const size of [0, 1, 16, 1000]) {
        const plaintext = randomBytes(size);
        const v1 = layout.v1(recipient.publicKey, plaintext, aad);
        assert.deepEqual(Buffer.from(suite.open(recipient.privateKey, v1, aad)), plaintext);
        assert.throws(() => suite.open(recipient.privateKey, Buffer.concat([Uint8Array.of(layout.v2Tag), v1.subarray(1)]), aad), rejected);
        const v2 = Buffer.from(suite.seal(recipient.publicKey, plaintext, aad));
        assert.throws(() => suite.open(recipient.privateKey, Buffer.concat([Uint8Array.of(layout.v1Tag), v2.subarray(1)]), aad), rejected);
      }
    });

    test("a reused ephemeral key does not let one message be opened under another message's aad", () => {
      const recipient = suite.generateAgreementKey();
      const first = suite.seal(recipient.publicKey, Buffer.from('first'), Buffer.from('message 1'));
      const second = suite.seal(recipient.publicKey, Buffer.from('second'), Buffer.from('message 2'));
      assert.equal(ephemeralOf(first), ephemeralOf(second));
      assert.throws(() => suite.open(recipient.privateKey, first, Buffer.from('message 2')), rejected);
      // A nonce moved from one message to the other breaks it.
      const swapped = Buffer.from(second);
      Buffer.from(first).copy(swapped, 1 + layout.ephemeralBytes, 1 + layout.ephemeralBytes, 1 + layout.ephemeralBytes + sealNonceBytes);
      assert.throws(() => suite.open(recipient.privateKey, swapped, Buffer.from('message 2')), rejected);
    });
  });
}
