import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorCodes } from '../../src/core/errors.ts';
import { errorsZhCN } from '../../web/src/i18n/errors.zh-CN.ts';

const codes = Object.keys(errorCodes);

test('every stable error code has a Chinese sentence', () => {
  const missing = codes.filter((code) => typeof errorsZhCN[code] !== 'string' || errorsZhCN[code].trim() === '');
  assert.deepEqual(missing, [], `add these codes to web/src/i18n/errors.zh-CN.ts: ${missing.join(', ')}`);
});

test('the Chinese table names no code the server does not have', () => {
  const unknown = Object.keys(errorsZhCN).filter((code) => !(code in errorCodes));
  assert.deepEqual(unknown, [], `remove or rename these entries in web/src/i18n/errors.zh-CN.ts: ${unknown.join(', ')}`);
});

test('each sentence is written in Chinese, not left in English', () => {
  const english = Object.entries(errorsZhCN).filter(([, text]) => !/[\u4e00-\u9fff]/.test(text)).map(([code]) => code);
  assert.deepEqual(english, [], `translate these entries: ${english.join(', ')}`);
});

/** Every key path of a nested message table. */
function keyPaths(table: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(table).flatMap(([key, value]) =>
    value !== null && typeof value === 'object' ? keyPaths(value as Record<string, unknown>, `${prefix}${key}.`) : [`${prefix}${key}`],
  );
}

test('the quality and accounts screens have every message in both languages, none empty', async () => {
  for (const area of ['quality', 'accounts']) {
    const { messages } = (await import(`../../web/src/i18n/messages/${area}.ts`)) as { messages: Record<'zh-CN' | 'en', Record<string, unknown>> };
    const zh = keyPaths(messages['zh-CN']);
    const en = keyPaths(messages.en);
    assert.deepEqual(zh.filter((key) => !en.includes(key)), [], `${area}: keys missing in en`);
    assert.deepEqual(en.filter((key) => !zh.includes(key)), [], `${area}: keys missing in zh-CN`);
    const empty = keyPaths(messages['zh-CN']).filter((key) => {
      const value = key.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], messages['zh-CN']);
      return typeof value !== 'string' || value.trim() === '';
    });
    assert.deepEqual(empty, [], `${area}: empty zh-CN messages`);
  }
});
