import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { errorCodes, httpStatusOf, InputError, markRecorded, isRecorded, toTongbanError, TongbanError } from '../../src/core/errors.ts';
import { errorReference } from '../../scripts/error-reference.ts';

test('docs/errors.md is generated from the code table and up to date', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  assert.equal(doc, errorReference(), 'run: node --import tsx scripts/error-reference.ts > docs/errors.md');
});

test('codes are snake_case and map to one HTTP status each', () => {
  for (const code of Object.keys(errorCodes) as (keyof typeof errorCodes)[]) {
    assert.match(code, /^[a-z][a-z0-9_]*$/);
    assert.ok([400, 401, 403, 404, 409, 413, 429, 500, 503].includes(httpStatusOf(code)));
  }
});

test('errors serialise to the one shape', () => {
  assert.deepEqual(new InputError('bad', { path: 'a.b' }).toBody(), { code: 'invalid_input', message: 'bad', details: { path: 'a.b' } });
  assert.deepEqual(new TongbanError('not_found', 'gone').toBody(), { code: 'not_found', message: 'gone' });
  const unknown = toTongbanError(new RangeError('boom'));
  assert.equal(unknown.code, 'internal_error');
  assert.ok(!unknown.message.includes('boom'), 'internal details are not shown to callers');
});

test('a refusal can be marked as already recorded', () => {
  const error = new InputError('x');
  assert.equal(isRecorded(error), false);
  assert.equal(isRecorded(markRecorded(error)), true);
});
