import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { InputError, TongbanError } from '../../src/core/errors.ts';
import { defaultKeyWrapParams, unwrapPrivateKey, wrapPrivateKey, wrappedKeyParams, type KeyWrapParams } from '../../src/crypto/key-wrap.ts';

// Cheap scrypt for tests; the format carries the parameters, so unwrap needs no hint.
const fast: KeyWrapParams = { logN: 10, r: 8, p: 1 };
const secret = 'correct horse battery staple';
const aad = 'node:520400 key:sig-2026 purpose:signing';

const isSecretInvalid = (error: unknown): boolean =>
  error instanceof TongbanError &&
  error.code === 'key_secret_invalid' &&
  error.message.includes('TONGBAN_KEYS_SECRET');

describe('private keys at rest', () => {
  test('round trip, in the self-describing tbk1 format', () => {
    const key = randomBytes(32);
    const wrapped = wrapPrivateKey(secret, key, aad, fast);
    assert.match(wrapped, /^tbk1\.n10r8p1\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{22}$/);
    assert.deepEqual(Buffer.from(unwrapPrivateKey(secret, wrapped, aad)), key);
    assert.deepEqual(wrappedKeyParams(wrapped), fast);
  });

  test('the default parameters are N = 2^15, r = 8, p = 1', () => {
    assert.deepEqual(defaultKeyWrapParams, { logN: 15, r: 8, p: 1 });
  });

  test('each wrap has its own IV', () => {
    const key = randomBytes(32);
    assert.notEqual(wrapPrivateKey(secret, key, aad, fast), wrapPrivateKey(secret, key, aad, fast));
  });

  test('a wrong secret is key_secret_invalid with the operator hint', () => {
    const wrapped = wrapPrivateKey(secret, randomBytes(32), aad, fast);
    assert.throws(() => unwrapPrivateKey('Correct horse battery staple', wrapped, aad), isSecretInvalid);
  });

  test('a key moved to another slot (different aad) does not open', () => {
    const wrapped = wrapPrivateKey(secret, randomBytes(32), aad, fast);
    assert.throws(() => unwrapPrivateKey(secret, wrapped, 'node:520400 key:agr-2026 purpose:agreement'), isSecretInvalid);
  });

  test('tampering is caught: key_secret_invalid or invalid_input, never a wrong key', () => {
    const wrapped = wrapPrivateKey(secret, randomBytes(32), aad, fast);
    const parts = wrapped.split('.');
    const variants: string[] = [];
    for (let part = 2; part < parts.length; part++) {
      const bytes = Buffer.from(parts[part] as string, 'base64url');
      bytes[0] = (bytes[0] as number) ^ 0x01;
      variants.push([...parts.slice(0, part), bytes.toString('base64url'), ...parts.slice(part + 1)].join('.'));
    }
    variants.push(wrapped.replace('.n10r8p1.', '.n11r8p1.')); // parameters are authenticated
    variants.push(wrapped.replace('.n10r8p1.', '.n99r8p1.'));
    variants.push(wrapped.slice(0, -2));
    variants.push(wrapped.replace('tbk1.', 'tbk2.'));
    variants.push(`${wrapped}.x`);
    variants.push('');
    for (const variant of variants) {
      assert.throws(
        () => unwrapPrivateKey(secret, variant, aad),
        (error: unknown) => error instanceof TongbanError && (error.code === 'key_secret_invalid' || error.code === 'invalid_input'),
        variant,
      );
    }
  });

  test('parameters out of the supported range are refused', () => {
    for (const params of [
      { logN: 0, r: 8, p: 1 },
      { logN: 23, r: 8, p: 1 },
      { logN: 21, r: 8, p: 1 }, // 2 GiB of memory
      { logN: 10, r: 0, p: 1 },
      { logN: 10, r: 8, p: 0 },
      { logN: 10.5, r: 8, p: 1 },
    ]) {
      assert.throws(() => wrapPrivateKey(secret, randomBytes(32), aad, params), InputError, JSON.stringify(params));
    }
  });

  test('an empty secret is refused', () => {
    assert.throws(() => wrapPrivateKey('', randomBytes(32), aad, fast), InputError);
    assert.throws(() => unwrapPrivateKey('', 'tbk1.n10r8p1.a.b.c.d', aad), InputError);
  });

  test('the derived KEK is cached: a second unwrap costs no scrypt', () => {
    const params: KeyWrapParams = { logN: 14, r: 8, p: 1 };
    const wrapped = wrapPrivateKey(`${secret}-cache`, randomBytes(32), aad, params);
    const start = performance.now();
    for (let i = 0; i < 20; i++) unwrapPrivateKey(`${secret}-cache`, wrapped, aad);
    // 20 scrypt runs at N = 2^14 would take well over a second.
    assert.ok(performance.now() - start < 500, `took ${performance.now() - start} ms`);
  });
});
