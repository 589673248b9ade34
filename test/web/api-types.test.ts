import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { consoleApiTypes, schemaFile } from '../../scripts/console-api-types.ts';

test('the console API types are generated from the node OpenAPI document and up to date', async () => {
  assert.equal(readFileSync(schemaFile, 'utf8'), await consoleApiTypes(), 'run: npm run console:api');
});
