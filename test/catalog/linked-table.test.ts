/** Datasets backed by a read-only PostgreSQL table or view named in `catalog.linked`. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { TongbanError } from '../../src/core/errors.ts';
import { systemActor } from '../../src/identity/index.ts';
import { openLinkedDatabase } from '../../src/catalog/store/linked-source.ts';
import { engines, freshPostgresUrl, type FreshPostgresDatabase } from '../support/databases.ts';
import { chunks, datasetDocument, openCatalogNode, type CatalogNode } from './catalog-fixture.ts';

const postgres = engines.find((engine) => engine.dialect === 'postgres')!;
const skip = postgres.unavailable !== undefined && !postgres.required ? `${postgres.unavailable}; set TEST_POSTGRES_URL to run these` : false;

describe('linked PostgreSQL tables', { skip }, () => {
  let source: FreshPostgresDatabase;
  let fixture: CatalogNode;

  before(async () => {
    source = await freshPostgresUrl();
    const client = new pg.Client({ connectionString: source.url });
    await client.connect();
    try {
      await client.query(`
        create schema registry;
        create table registry.people (id_number text primary key, full_name text, born date, children bigint, income numeric, married boolean, registered timestamptz);
        insert into registry.people values
          ('330102199001010011', '张三', '1990-01-01', 2, 1234.5, true, '2026-03-01T08:30:00+08:00'),
          ('330102199001010022', '李四', '1985-06-30', 0, null, false, null);
        create view registry.household as
          select id_number as "idNumber", full_name as "name", born as "birthDate", children, income,
                 married, registered as "registeredAt" from registry.people;
        create table narrow (id_number text);`);
    } finally {
      await client.end();
    }
    fixture = await openCatalogNode('sqlite', {
      linked: [
        { dataset: 'household-register', table: 'registry.household', url: source.url },
        { dataset: '330000/narrow-register', table: 'narrow', url: source.url },
      ],
    });
  });
  after(async () => {
    await fixture?.close();
    await source?.drop();
  });

  test('a dataset whose view covers its items reads through it, typed like managed data', async () => {
    const created = await fixture.node.catalog.create(systemActor, datasetDocument());
    assert.equal(created.backing, 'linked');
    assert.equal(created.data.linkedTable, 'registry.household');
    const records = await fixture.node.catalog.readRecords(
      '330000/household-register',
      { idNumber: '330102199001010011' },
      ['name', 'birthDate', 'children', 'income', 'married', 'registeredAt'],
      10,
    );
    assert.deepEqual(records, [
      { name: '张三', birthDate: '1990-01-01', children: 2, income: 1234.5, married: true, registeredAt: '2026-03-01T00:30:00.000Z' },
    ]);
    assert.deepEqual(await fixture.node.catalog.readRecords('330000/household-register', { idNumber: 'nobody' }, ['name'], 10), []);
    const check = await fixture.node.catalog.checkLinked();
    assert.deepEqual(check.find((entry) => entry.dataset === '330000/household-register'), { dataset: '330000/household-register', table: 'registry.household', ok: true });
  });

  test('a linked table that lacks columns for the items is refused clearly', async () => {
    await assert.rejects(
      fixture.node.catalog.create(systemActor, datasetDocument({ id: 'narrow-register' })),
      (error: TongbanError) => error.code === 'invalid_input' && /lacks columns for the items: idNumber, name, birthDate/.test(error.message),
    );
    const check = await fixture.node.catalog.checkLinked();
    const narrow = check.find((entry) => entry.dataset === '330000/narrow-register');
    assert.equal(narrow?.ok, false);
  });

  test('linked datasets take no imports', async () => {
    await assert.rejects(
      fixture.node.catalog.importRecords(systemActor, '330000/household-register', chunks('idNumber\n'), { format: 'csv' }),
      (error: TongbanError) => error.code === 'invalid_input' && /linked table/.test(error.message),
    );
  });

  test('the linked pool cannot write', async () => {
    const database = openLinkedDatabase(source.url);
    try {
      await assert.rejects(database.db.insertInto('narrow').values({ id_number: 'x' }).execute(), /read-only transaction/);
    } finally {
      await database.close();
    }
  });
});
