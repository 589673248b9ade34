import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { TongbanError } from '../../src/core/errors.ts';
import { isSchemaCurrent, migrateToLatest, migrationNames, migrationState } from '../../src/store/migrate.ts';
import type { Store } from '../../src/store/open-store.ts';
import { answeredAbout } from '../../src/audit/access-report.ts';
import { dueRows } from '../../src/exchange/outbox.ts';
import { CompiledQuery } from 'kysely';
import { forEachEngine } from '../support/databases.ts';

const foundationTables = ['api_tokens', 'event_log_head', 'events', 'node_info', 'node_keys', 'staff_accounts', 'staff_sessions'];

async function tableNames(store: Store): Promise<string[]> {
  return (await store.db.introspection.getTables()).map((table) => table.name).sort();
}

/** The table Kysely's migrator keeps, made by hand so a test can plant rows before any migration runs. */
async function createMigrationTable(store: Store): Promise<void> {
  await sql`create table schema_migrations (name varchar(255) not null primary key, timestamp varchar(255) not null)`.execute(
    store.db,
  );
}

async function recordMigration(store: Store, name: string): Promise<void> {
  await sql`insert into schema_migrations (name, timestamp) values (${name}, ${new Date().toISOString()})`.execute(store.db);
}

forEachEngine('migrations', ({ dialect, openFresh, freshDatabase }) => {
  test('apply every migration to an empty database', async () => {
    const store = await openFresh({ migrate: false });
    assert.deepEqual(await tableNames(store), []);
    const result = await migrateToLatest(store);
    assert.deepEqual(result.applied, migrationNames);
    assert.equal(result.state.length, migrationNames.length);
    assert.ok(result.state.every((migration) => migration.executedAt !== null));
    assert.equal(await isSchemaCurrent(store), true);
  });

  test('re-running applies nothing', async () => {
    const store = await openFresh();
    const again = await migrateToLatest(store);
    assert.deepEqual(again.applied, []);
    assert.deepEqual(
      again.state.map((migration) => migration.name),
      migrationNames,
    );
  });

  test('migrationState lists every migration, pending ones without a time', async () => {
    const store = await openFresh({ migrate: false });
    assert.deepEqual(await migrationState(store), migrationNames.map((name) => ({ name, executedAt: null })));
    assert.equal(await isSchemaCurrent(store), false);
    await migrateToLatest(store);
    const [foundation] = await migrationState(store);
    assert.equal(foundation?.name, '0001-foundation');
    assert.ok(foundation?.executedAt && !Number.isNaN(Date.parse(foundation.executedAt)));
  });

  test('the foundation tables exist, with an empty log head', async () => {
    const store = await openFresh();
    const names = await tableNames(store);
    for (const table of foundationTables) assert.ok(names.includes(table), `table ${table} is missing`);
    const head = await store.db.selectFrom('event_log_head').selectAll().execute();
    assert.deepEqual(head.map(({ id, size }) => ({ id, size })), [{ id: 1, size: 0 }]);
  });

  test('a database with an unknown migration is refused before anything changes', async () => {
    const store = await openFresh({ migrate: false });
    // As if a newer Tongban had started on this database: its first migration recorded, ours not yet run.
    await createMigrationTable(store);
    await recordMigration(store, '9999-from-the-future');
    const before = await tableNames(store);

    for (const call of [() => migrateToLatest(store), () => migrationState(store)]) {
      await assert.rejects(call, (error: unknown) => {
        assert.ok(error instanceof TongbanError);
        assert.equal(error.code, 'database_too_new');
        assert.match(error.message, /9999-from-the-future/);
        assert.deepEqual(error.details, { unknown: ['9999-from-the-future'] });
        return true;
      });
    }
    assert.deepEqual(await tableNames(store), before, 'no table was created');
    const rows = await sql<{ name: string }>`select name from schema_migrations`.execute(store.db);
    assert.deepEqual(
      rows.rows.map((row) => row.name),
      ['9999-from-the-future'],
    );
  });

  test('a migrated database that a newer version migrated further is refused', async () => {
    const store = await openFresh();
    await recordMigration(store, '9000-not-released-yet');
    await assert.rejects(migrateToLatest(store), { code: 'database_too_new' });
    await assert.rejects(isSchemaCurrent(store), { code: 'database_too_new' });
  });

  test('a migration that fails half-way leaves nothing behind', async () => {
    const store = await openFresh({ migrate: false });
    // 0001 creates node_info and four more tables before it reaches `events`; a clash there must undo them all.
    await sql`create table events (unrelated integer)`.execute(store.db);
    await assert.rejects(migrateToLatest(store), (error: unknown) => {
      assert.ok(error instanceof TongbanError);
      assert.equal(error.code, 'migration_failed');
      assert.match(error.message, /0001-foundation/);
      return true;
    });
    const names = await tableNames(store);
    assert.ok(!names.includes('node_info'), `half-applied migration left: ${names.join(', ')}`);
    assert.deepEqual(await migrationState(store), migrationNames.map((name) => ({ name, executedAt: null })));
    // Once the clash is gone the same migration applies cleanly.
    await sql`drop table events`.execute(store.db);
    assert.deepEqual((await migrateToLatest(store)).applied, migrationNames);
  });

  test(
    'two stores migrating one database at once apply each migration once',
    {
      skip:
        dialect === 'sqlite'
          ? 'one process holds a SQLite file through one connection; two in one thread would wait on each other'
          : false,
    },
    async () => {
      const database = await freshDatabase({ migrated: false });
      const [first, second] = await Promise.all([database.open(), database.open()]);
      const results = await Promise.all([migrateToLatest(first), migrateToLatest(second)]);
      assert.deepEqual(results.map((result) => result.applied).flat(), migrationNames);
      assert.equal(await isSchemaCurrent(first), true);
    },
  );

  test('the access report and the outbox read the partial indexes made for them', async () => {
    const store = await openFresh();
    /** The index names in the engine's plan for a query (PostgreSQL told to avoid table scans, as it would on a large table). */
    const indexesUsed = async (query: CompiledQuery): Promise<string> =>
      store.db.transaction().execute(async (trx) => {
        if (dialect === 'sqlite') {
          const plan = await trx.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${query.sql}`, [...query.parameters]));
          return plan.rows.map((row) => row.detail).join('; ');
        }
        await sql`set local enable_seqscan = off`.execute(trx);
        const plan = await trx.executeQuery<{ 'QUERY PLAN': unknown }>(CompiledQuery.raw(`explain (format json) ${query.sql}`, [...query.parameters]));
        return JSON.stringify(plan.rows[0]!['QUERY PLAN']);
      });
    assert.match(await indexesUsed(answeredAbout(store.db, 'subject-hash', 10).limit(51).compile()), /events_subject_answered/);
    assert.match(await indexesUsed(dueRows(store.db, new Date()).limit(20).compile()), /exchange_outbound_due/);
  });
});
