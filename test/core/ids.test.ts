import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '../../src/core/ids.ts';

const uuidV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('ids are RFC 9562 UUIDv7 carrying the time they were made', () => {
  const before = Date.now();
  const id = newId();
  const after = Date.now();
  assert.match(id, uuidV7);
  const ms = parseInt(id.replace(/-/g, '').slice(0, 12), 16);
  assert.ok(ms >= before && ms <= after, `${ms} within ${before}..${after}`);
});

test('ids made by one process strictly increase, also many within one millisecond', () => {
  const ids = Array.from({ length: 100_000 }, () => newId());
  for (let index = 1; index < ids.length; index += 1) assert.ok(ids[index]! > ids[index - 1]!, `${ids[index - 1]} then ${ids[index]}`);
  assert.ok(ids.every((id) => uuidV7.test(id)));
  assert.equal(new Set(ids).size, ids.length);
});

test('the random part differs between ids made in the same millisecond', () => {
  const ids = Array.from({ length: 1000 }, () => newId());
  const tails = new Set(ids.map((id) => id.slice(19)));
  assert.equal(tails.size, ids.length);
});
