/**
 * The message text with and without its time, cut from or spliced into the canonical text: it must
 * equal serialising again, for any message the schema accepts, or the request hash would differ
 * between requester, hub and provider.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { canonicalJson } from '../../src/crypto/index.ts';
import { withoutTimestamp, withTimestamp } from '../../src/exchange/domain/canonical-message.ts';
import type { Message } from '../../src/exchange/domain/message.ts';
import { requestHash, requestHashOfCanonical } from '../../src/exchange/gateway.ts';

const fieldName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,8}$/);
const nodeCode = fc.oneof(fc.stringMatching(/^\d{6}$/), fc.stringMatching(/^[A-Z]{2,8}$/));
// Values and key names that look like the `ts` member, to tempt a text search.
const tricky = fc.oneof(fc.string({ maxLength: 30 }), fc.constant(',"ts":"2026-11-29T08:00:00.000Z"}'), fc.constant('"ts"'));

const messages = fc.record(
  {
    id: fc.uuid({ version: 7 }),
    ts: fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((date) => date.toISOString()),
    from: nodeCode,
    to: nodeCode,
    via: nodeCode,
    op: fc.constantFrom('query' as const, 'verify' as const),
    agreement: fc.stringMatching(/^[a-z0-9][a-z0-9-]{1,20}@[1-9][0-9]{0,3}$/),
    item: tricky.filter((text) => text.length > 0),
    purpose: tricky.filter((text) => text.length > 0),
    case: tricky.filter((text) => text.length > 0),
    operator: tricky.filter((text) => text.length > 0),
    body: fc.record({
      dataset: fc.constant('520400/social-insurance-enrolment'),
      key: fc.dictionary(fc.oneof(fieldName, fc.constant('ts')), tricky.filter((text) => text.length > 0), { minKeys: 1, maxKeys: 4 }),
      fields: fc.uniqueArray(fc.oneof(fieldName, fc.constant('ts')), { minLength: 1, maxLength: 5 }),
    }),
  },
  { requiredKeys: ['id', 'ts', 'from', 'to', 'op', 'agreement', 'item', 'purpose', 'operator', 'body'] },
) as fc.Arbitrary<Message>;

test('cutting ts out of the canonical text equals serialising the message without it', () => {
  fc.assert(
    fc.property(messages, (message) => {
      const { ts: _ts, ...timeless } = message;
      const signed = canonicalJson(message);
      assert.equal(withoutTimestamp(signed, message), canonicalJson(timeless));
      assert.equal(requestHashOfCanonical(signed, message), requestHash(message));
    }),
    { numRuns: 500 },
  );
});

test('splicing ts into the timeless canonical text equals serialising the whole message', () => {
  fc.assert(
    fc.property(messages, (message) => {
      const { ts: _ts, ...timeless } = message;
      assert.equal(withTimestamp(canonicalJson(timeless), message), canonicalJson(message));
    }),
    { numRuns: 500 },
  );
});

test('text whose ts is not the top-level member is not cut, and the hash takes the general path', () => {
  const message = { agreement: 'a@1', body: { ts: '2026-11-29T08:00:00.000Z' }, ts: '2026-11-29T09:00:00.000Z' } as unknown as Message;
  const nested = canonicalJson({ agreement: 'a@1', body: { ts: '2026-11-29T08:00:00.000Z' } });
  assert.equal(withoutTimestamp(nested, { ts: '2026-11-29T08:00:00.000Z' }), undefined, 'a nested ts is left alone');
  assert.equal(withoutTimestamp(`${nested.slice(0, -1)},"zz":1}`, message), undefined);
  assert.equal(requestHashOfCanonical(canonicalJson(message), message), requestHash(message));
});
