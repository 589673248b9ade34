/** The README's configuration reference must name every setting the schema accepts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { listSettings } from '../../src/config/load-config.ts';

test('README documents every setting and its environment variable', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  for (const setting of listSettings()) {
    assert.ok(readme.includes(`\`${setting.path}\``), `README lacks ${setting.path}`);
    assert.ok(readme.includes(`\`${setting.env}\``), `README lacks ${setting.env}`);
  }
});
