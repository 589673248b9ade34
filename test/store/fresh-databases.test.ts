import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { engines, freshPostgresUrl } from '../support/databases.ts';

const postgres = engines.find((engine) => engine.dialect === 'postgres');
const skip = postgres?.unavailable !== undefined && !postgres.required ? `${postgres.unavailable}; set TEST_POSTGRES_URL to run these` : false;

async function exists(url: string, name: string): Promise<boolean> {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    return (await client.query('select 1 from pg_database where datname = $1', [name])).rowCount === 1;
  } finally {
    await client.end();
  }
}

test('freshPostgresUrl makes a uniquely named database that drop() removes, even with sessions open', { skip }, async () => {
  const [first, second] = await Promise.all([freshPostgresUrl(), freshPostgresUrl()]);
  assert.match(first.name, /^tongban_test_[0-9a-f]{12}$/);
  assert.notEqual(first.name, second.name);
  assert.ok(first.url.endsWith(`/${first.name}`));
  const session = new pg.Client({ connectionString: first.url });
  session.on('error', () => undefined); // dropping the database ends this session
  await session.connect();
  assert.ok(await exists(first.url, first.name));
  await Promise.all([first.drop(), second.drop()]);
  await first.drop(); // a second call is harmless
  assert.equal(await exists(first.url, first.name), false);
  assert.equal(await exists(second.url, second.name), false);
  await session.end().catch(() => undefined);
});
