// One contract every crypto suite must meet; suite-specific vectors live in *-suite.test.ts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { TongbanError } from '../../src/core/errors.ts';
import { cryptoSuite, suiteForJwsAlgorithm, type SuiteName } from '../../src/crypto/suite.ts';

const rejected = (error: unknown): boolean =>
  error instanceof TongbanError && error.code === 'invalid_input' && error.message === 'sealed message failed authentication';

for (const name of ['intl', 'sm'] as const satisfies readonly SuiteName[]) {
  const suite = cryptoSuite(name);
  const other = cryptoSuite(name === 'intl' ? 'sm' : 'intl');

  describe(`${name} suite contract`, () => {
    test('names itself consistently', () => {
      assert.equal(suite.name, name);
      assert.equal(suiteForJwsAlgorithm(suite.jwsAlgorithm), suite);
      assert.equal(suite.hash(Buffer.from('x')).length, 32);
    });

    test('sign → verify, and verify never throws on garbage', () => {
      const keys = suite.generateSigningKey();
      const data = randomBytes(100);
      const signature = suite.sign(keys.privateKey, data);
      assert.equal(suite.verify(keys.publicKey, data, signature), true);
      assert.equal(suite.verify(keys.publicKey, data.subarray(1), signature), false);
      assert.equal(suite.verify(keys.publicKey, data, signature.subarray(1)), false);
      assert.equal(suite.verify(new Uint8Array(3), data, signature), false);
      assert.equal(suite.verify(keys.publicKey, data, new Uint8Array(0)), false);
      const foreign = other.generateSigningKey();
      assert.equal(suite.verify(foreign.publicKey, data, other.sign(foreign.privateKey, data)), false);
    });

    test('seal → open round trip, including empty plaintext and aad', () => {
      const keys = suite.generateAgreementKey();
      for (const size of [0, 1, 15, 16, 17, 4096]) {
        const plaintext = randomBytes(size);
        const aad = Buffer.from(`{"alg":"${name}","size":${size}}`);
        const sealed = suite.seal(keys.publicKey, plaintext, aad);
        assert.deepEqual(Buffer.from(suite.open(keys.privateKey, sealed, aad)), plaintext);
      }
      const sealed = suite.seal(keys.publicKey, Buffer.from('body'), new Uint8Array(0));
      assert.equal(Buffer.from(suite.open(keys.privateKey, sealed, new Uint8Array(0))).toString(), 'body');
    });

    test('sealing twice gives different bytes (a fresh nonce, and a fresh ephemeral key now and then)', () => {
      const keys = suite.generateAgreementKey();
      const a = suite.seal(keys.publicKey, Buffer.from('same'), Buffer.from('aad'));
      const b = suite.seal(keys.publicKey, Buffer.from('same'), Buffer.from('aad'));
      assert.notDeepEqual(Buffer.from(a), Buffer.from(b));
    });

    test('any flipped bit, truncation, wrong aad or wrong key is rejected alike', () => {
      const keys = suite.generateAgreementKey();
      const aad = Buffer.from('protected-header');
      const sealed = Buffer.from(suite.seal(keys.publicKey, Buffer.from('relayed body of a radial message'), aad));
      for (let index = 0; index < sealed.length; index += 7) {
        const tampered = Buffer.from(sealed);
        tampered[index] = (tampered[index] as number) ^ 0x40;
        assert.throws(() => suite.open(keys.privateKey, tampered, aad), rejected, `byte ${index}`);
      }
      assert.throws(() => suite.open(keys.privateKey, sealed.subarray(0, sealed.length - 1), aad), rejected);
      assert.throws(() => suite.open(keys.privateKey, sealed.subarray(0, 10), aad), rejected);
      assert.throws(() => suite.open(keys.privateKey, new Uint8Array(0), aad), rejected);
      assert.throws(() => suite.open(keys.privateKey, sealed, Buffer.from('other-header')), rejected);
      const stranger = suite.generateAgreementKey();
      assert.throws(() => suite.open(stranger.privateKey, sealed, aad), rejected);
    });

    test('a message sealed by the other suite is rejected', () => {
      const keys = suite.generateAgreementKey();
      const foreign = other.generateAgreementKey();
      const sealed = other.seal(foreign.publicKey, Buffer.from('x'), new Uint8Array(0));
      assert.throws(() => suite.open(keys.privateKey, sealed, new Uint8Array(0)), rejected);
    });

    test('malformed keys are input errors', () => {
      assert.throws(() => suite.sign(new Uint8Array(5), Buffer.from('x')), { code: 'invalid_input' });
      assert.throws(() => suite.seal(new Uint8Array(5), Buffer.from('x'), new Uint8Array(0)), { code: 'invalid_input' });
      assert.throws(() => suite.open(new Uint8Array(5), new Uint8Array(200), new Uint8Array(0)), { code: 'invalid_input' });
    });
  });
}

test('an unknown suite name is an input error', () => {
  assert.throws(() => cryptoSuite('rot13' as SuiteName), { code: 'invalid_input' });
  assert.equal(suiteForJwsAlgorithm('HS256'), undefined);
});
