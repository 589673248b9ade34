import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TongbanError } from '../../src/core/errors.ts';
import { openStore, redactUrl } from '../../src/store/open-store.ts';
import { forEachEngine } from '../support/databases.ts';

const password = 'pa55-w0rd-never-shown';

function assertUnreachable(error: unknown): true {
  assert.ok(error instanceof TongbanError, `expected a TongbanError, got ${String(error)}`);
  assert.equal(error.code, 'database_unreachable');
  assert.equal(error.httpStatus, 503);
  assert.ok(!error.message.includes(password), `the message shows the password: ${error.message}`);
  assert.ok(!JSON.stringify(error.details ?? {}).includes(password), 'the details show the password');
  return true;
}

describe('openStore refusals', () => {
  test('an unreachable PostgreSQL URL is database_unreachable, without the password', async () => {
    await assert.rejects(openStore({ url: `postgres://tongban:${password}@127.0.0.1:1/tongban` }), (error: unknown) => {
      assertUnreachable(error);
      assert.match((error as Error).message, /127\.0\.0\.1:1/);
      return true;
    });
  });

  test('a SQLite file in a directory that does not exist is database_unreachable', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'tongban-open-'));
    try {
      await assert.rejects(openStore({ sqlitePath: join(parent, 'missing', 'node.sqlite') }), assertUnreachable);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });

  test('neither a URL nor a SQLite path is config_invalid', async () => {
    await assert.rejects(openStore({}), { code: 'config_invalid' });
  });

  test('redactUrl hides the password and keeps the rest', () => {
    assert.equal(redactUrl(`postgres://u:${password}@db.example:5433/x?sslmode=require`), 'postgres://u:***@db.example:5433/x?sslmode=require');
    assert.equal(redactUrl('postgres://u@db.example/x'), 'postgres://u@db.example/x');
    assert.ok(!redactUrl(`not a url ${password}`).includes(password));
  });
});

forEachEngine('openStore', ({ dialect, freshDatabase }) => {
  test('an open store reports its engine and a location without secrets', async () => {
    const database = await freshDatabase({ migrated: false });
    const url = database.storeOptions.url;
    // Trust authentication ignores the password, which lets this prove the location hides it.
    const withPassword = url === undefined ? undefined : url.replace('://postgres@', `://postgres:${password}@`);
    const store = await openStore({ ...database.storeOptions, url: withPassword });
    try {
      assert.equal(store.dialect, dialect);
      assert.ok(!store.location.includes(password));
      if (dialect === 'sqlite') assert.equal(store.location, database.storeOptions.sqlitePath);
    } finally {
      await store.close();
    }
  });
});
