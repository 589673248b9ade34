/** The pure parts of the exchange: envelope schema, masking, idempotency hash, back-off. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TongbanError } from '../../src/core/errors.ts';
import { newId } from '../../src/core/ids.ts';
import { maskValue, shapeRecord } from '../../src/exchange/domain/masking.ts';
import { parseBody, parseMessage, type Message } from '../../src/exchange/domain/message.ts';
import { requestHash, subjectHashOf } from '../../src/exchange/gateway.ts';
import { backoffMs } from '../../src/exchange/outbox.ts';

const message = (): Message => ({
  id: newId(),
  ts: '2026-11-29T08:00:00.000Z',
  from: '330000',
  to: '520400',
  op: 'query',
  agreement: 'agr-520400-330000-si@3',
  item: '就医结算备案',
  purpose: 'medical-filing',
  operator: 'staff:01a224c9-54ba-7080-8f3c-65540a025611',
  body: { dataset: '520400/social-insurance-enrolment', key: { idNumber: '11010519491231002X' }, fields: ['name', 'insuredStatus'] },
});

function code(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof TongbanError);
    return `${error.code}:${String(error.details?.path)}`;
  }
  return 'accepted';
}

test('a well-formed envelope parses', () => {
  const parsed = parseMessage(message());
  assert.equal(parsed.op, 'query');
});

test('malformed envelopes are envelope_invalid with the offending path', () => {
  assert.equal(code(() => parseMessage('text')), 'envelope_invalid:/');
  assert.equal(code(() => parseMessage({ ...message(), id: 'not-a-uuid' })), 'envelope_invalid:/id');
  assert.equal(code(() => parseMessage({ ...message(), op: 'delete' })), 'envelope_invalid:/op');
  assert.equal(code(() => parseMessage({ ...message(), agreement: 'no-version' })), 'envelope_invalid:/agreement');
  assert.equal(code(() => parseMessage({ ...message(), extra: true })), 'envelope_invalid:/extra');
  assert.equal(code(() => parseMessage({ ...message(), ts: 'yesterday' })).startsWith('envelope_invalid'), true);
  const injected = { ...message(), body: { dataset: '520400/x', key: { 'name; drop table x': 'a' }, fields: ['name'] } };
  assert.equal(code(() => parseMessage(injected)).startsWith('envelope_invalid'), true);
});

test('a body must match its operation', () => {
  assert.equal(code(() => parseBody('verify', { dataset: '520400/marriage', key: { idNumber: 'x' }, fields: ['a'] })).startsWith('envelope_invalid'), true);
  assert.equal(code(() => parseBody('verify', { dataset: '520400/marriage', key: { idNumber: 'x' } })), 'accepted');
  assert.equal(code(() => parseBody('query', { dataset: '520400/marriage', key: {}, fields: ['a'] })).startsWith('envelope_invalid'), true);
});

test('masks keep only what the agreement allows to be seen', () => {
  assert.equal(maskValue('keep-first-char', '张三丰'), '张**');
  assert.equal(maskValue('keep-last-4', '13800138000'), '*******8000');
  assert.equal(maskValue('id-number', '11010519491231002X'), '110105********002X');
  assert.equal(maskValue('year-only', '1949-12-31'), '1949');
  assert.equal(maskValue('redact', 'anything'), null);
  assert.deepEqual(shapeRecord({ name: '李四', secret: 'x', insuredSince: '2019-03-01' }, ['name', 'insuredSince'], { name: 'keep-first-char' }), {
    name: '李*',
    insuredSince: '2019-03-01',
  });
});

test('the idempotency hash ignores only the time, so a re-signed retry matches and any other change does not', () => {
  const first = message();
  const retry = { ...first, ts: '2026-11-29T09:30:00.000Z' };
  assert.equal(requestHash(first), requestHash(retry));
  assert.notEqual(requestHash(first), requestHash({ ...first, purpose: 'other' }));
  assert.notEqual(requestHash(first), requestHash({ ...first, body: { ...first.body, fields: ['name'] } } as Message));
});

test('subject hashes are keyed: same person same hash, different key different hash', () => {
  const key = Buffer.alloc(32, 7);
  const a = subjectHashOf(key, { idNumber: '11010519491231002X' });
  assert.equal(a, subjectHashOf(key, { idNumber: '11010519491231002X' }));
  assert.notEqual(a, subjectHashOf(Buffer.alloc(32, 8), { idNumber: '11010519491231002X' }));
  assert.ok(!a.includes('11010519491231002X'));
});

test('outbox back-off doubles, is capped at an hour, and is jittered', () => {
  assert.equal(backoffMs(0, () => 0.5), 1000);
  assert.equal(backoffMs(3, () => 0.5), 8000);
  assert.equal(backoffMs(30, () => 0.5), 3_600_000);
  assert.equal(backoffMs(3, () => 0), 6400);
  assert.equal(backoffMs(3, () => 1), 9600);
});
