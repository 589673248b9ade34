import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BoundedCache, PrivateKeyCache } from '../../src/crypto/bounded-cache.ts';

describe('BoundedCache', () => {
  test('evicts the least recently used entry', () => {
    const cache = new BoundedCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    assert.equal(cache.get('a'), 1); // a is now newer than b
    cache.set('c', 3);
    assert.equal(cache.get('b'), undefined);
    assert.equal(cache.get('a'), 1);
    assert.equal(cache.get('c'), 3);
    assert.equal(cache.size, 2);
  });

  test('getOrCreate builds once', () => {
    const cache = new BoundedCache<string, object>(4);
    let built = 0;
    const first = cache.getOrCreate('k', () => ({ n: ++built }));
    assert.equal(cache.getOrCreate('k', () => ({ n: ++built })), first);
    assert.equal(built, 1);
  });

  test('refuses a non-positive capacity', () => {
    assert.throws(() => new BoundedCache(0), RangeError);
  });
});

describe('PrivateKeyCache', () => {
  test('hits by identity and by content, and notices a mutated array', () => {
    let built = 0;
    const cache = new PrivateKeyCache<number>(8, (key) => Buffer.from(key).toString('hex'));
    const create = (key: Uint8Array): number => (built++, key[0] as number);
    const key = Uint8Array.of(1, 2, 3);
    assert.equal(cache.getOrCreate(key, create), 1);
    assert.equal(cache.getOrCreate(key, create), 1);
    assert.equal(cache.getOrCreate(Uint8Array.of(1, 2, 3), create), 1);
    assert.equal(built, 1);
    key[0] = 9;
    assert.equal(cache.getOrCreate(key, create), 9);
    assert.equal(built, 2);
  });
});
