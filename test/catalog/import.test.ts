/** Imports into node-managed tables on SQLite and PostgreSQL, and the record reads the gateway makes. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TongbanError } from '../../src/core/errors.ts';
import { systemActor } from '../../src/identity/index.ts';
import type { CatalogService } from '../../src/catalog/index.ts';
import { forEachEngine } from '../support/databases.ts';
import { chunks, csvHeader, datasetDocument, idNumber, openCatalogNode, type CatalogNode } from './catalog-fixture.ts';

const id = '330000/household-register';

async function refused(work: Promise<unknown>, code: string): Promise<TongbanError> {
  try {
    await work;
  } catch (error) {
    assert.ok(error instanceof TongbanError, String(error));
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected ${code}`);
}

function csv(...rows: string[]): string {
  return [csvHeader, ...rows].join('\n') + '\n';
}

const zhang = `${idNumber(1)},"Zhang, San",1990-01-01,2,1234.5,true,2026-03-01T08:30:00+08:00`;
const li = `${idNumber(2)},李四,1985-06-30,0,,0,`;

forEachEngine('catalogue imports', ({ dialect }) => {
  let fixture: CatalogNode;
  let catalog: CatalogService;
  before(async () => {
    fixture = await openCatalogNode(dialect);
    catalog = fixture.node.catalog;
    await catalog.create(systemActor, datasetDocument());
  });
  after(async () => fixture.close());

  async function tableNames(): Promise<string[]> {
    return (await fixture.node.store.db.introspection.getTables()).map((table) => table.name).filter((name) => name.startsWith('ds_'));
  }

  test('CSV with quoting, embedded commas and newlines, a BOM and bad rows reported per row', async () => {
    const file = `\uFEFF${csv(zhang, `${idNumber(3)},"line one\nline two",1990-13-01,x,,maybe,`, li, `,nobody,,,,,`, `${idNumber(4)},"a ""quoted"" name",2000-02-29,1,2,false,2026-01-01T00:00:00Z`)}`;
    const result = await catalog.importRecords(systemActor, id, chunks(file), { format: 'csv' });
    assert.equal(result.rowsRead, 5);
    assert.equal(result.rowsImported, 3);
    assert.equal(result.rowsRejected, 2);
    assert.equal(result.rowCount, 3);
    assert.deepEqual(result.errors, [
      { line: 3, field: 'birthDate', problem: 'is not a date as YYYY-MM-DD' },
      { line: 3, field: 'children', problem: 'is not an integer (or is too large)' },
      { line: 3, field: 'married', problem: 'is not a boolean (true, false, 1 or 0)' },
      { line: 6, field: 'idNumber', problem: 'is a key field and must have a value' },
    ]);
    const [record] = await catalog.readRecords(id, { idNumber: idNumber(1) }, ['name', 'birthDate', 'children', 'income', 'married', 'registeredAt'], 5);
    assert.deepEqual(record, { name: 'Zhang, San', birthDate: '1990-01-01', children: 2, income: 1234.5, married: true, registeredAt: '2026-03-01T00:30:00.000Z' });
    assert.deepEqual(await catalog.readRecords(id, { idNumber: idNumber(2) }, ['name', 'income', 'married', 'registeredAt'], 5), [
      { name: '李四', income: null, married: false, registeredAt: null },
    ]);
    assert.deepEqual(await catalog.readRecords(id, { idNumber: idNumber(4) }, ['name'], 5), [{ name: 'a "quoted" name' }]);
    assert.equal((await catalog.get(id)).data.rows, 3);
    assert.deepEqual(await tableNames(), ['ds_household_register'], 'no staging table is left behind');
  });

  test('the import is recorded with counts and never with row contents', async () => {
    const events = await fixture.node.events.list({ type: 'catalog.import_completed' });
    const last = events.at(-1)!;
    assert.equal(last.details.rowsImported, 3);
    assert.equal(last.details.rowsRejected, 2);
    assert.ok(!JSON.stringify(last.details).includes(idNumber(1)));
  });

  test('a dry run checks everything and writes nothing', async () => {
    const before = await catalog.get(id);
    const result = await catalog.importRecords(systemActor, id, chunks(csv(li, `${idNumber(9)},x,1990-01-01,1,1,1,bad`)), { format: 'csv', dryRun: true });
    assert.equal(result.dryRun, true);
    assert.equal(result.rowsImported, 1);
    assert.equal(result.rowsRejected, 1);
    assert.equal(result.rowCount, 3);
    assert.deepEqual(await catalog.get(id), before);
    assert.deepEqual(await catalog.readRecords(id, { idNumber: idNumber(9) }, ['name'], 5), []);
    assert.deepEqual(await tableNames(), ['ds_household_register']);
  });

  test('exceeding --max-errors aborts and leaves the old data intact', async () => {
    const file = csv(`${idNumber(20)},new,1990-01-01,1,1,1,`, `${idNumber(21)},bad,nope,1,1,1,`, `${idNumber(22)},bad,nope,1,1,1,`);
    const error = await refused(catalog.importRecords(systemActor, id, chunks(file), { format: 'csv', maxErrors: 1 }), 'import_invalid');
    assert.match(error.message, /nothing was written/);
    assert.equal((await catalog.get(id)).data.rows, 3);
    assert.deepEqual(await catalog.readRecords(id, { idNumber: idNumber(20) }, ['name'], 5), []);
    assert.equal((await catalog.readRecords(id, { idNumber: idNumber(1) }, ['name'], 5)).length, 1);
    assert.deepEqual(await tableNames(), ['ds_household_register']);
    const failed = await fixture.node.events.list({ type: 'catalog.import_failed' });
    assert.equal(failed.at(-1)!.details.code, 'import_invalid');
  });

  test('append adds rows; replace swaps the whole table', async () => {
    const appended = await catalog.importRecords(systemActor, id, chunks(`{"idNumber":"${idNumber(30)}","name":"王五","children":"3"}\n\n{"idNumber":"${idNumber(31)}","name":"赵六","married":true}\n`), {
      format: 'jsonl',
      mode: 'append',
    });
    assert.equal(appended.rowsImported, 2);
    assert.equal(appended.rowCount, 5);
    assert.deepEqual(await catalog.readRecords(id, { idNumber: idNumber(30) }, ['name', 'children'], 5), [{ name: '王五', children: 3 }]);
    assert.equal((await catalog.readRecords(id, { idNumber: idNumber(1) }, ['name'], 5)).length, 1);

    const replaced = await catalog.importRecords(systemActor, id, chunks(csv(li)), { format: 'csv', mode: 'replace' });
    assert.equal(replaced.rowCount, 1);
    assert.deepEqual(await catalog.readRecords(id, { idNumber: idNumber(30) }, ['name'], 5), []);
    assert.equal((await catalog.get(id)).data.rows, 1);
  });

  test('JSON Lines rows are checked: bad JSON, non-objects, unknown fields, wrong types', async () => {
    const file = ['{"idNumber":"a1","name":"ok"}', '{"idNumber":"a2"', '[1,2]', '{"idNumber":"a3","colour":"red"}', '{"idNumber":"a4","children":1.5}'].join('\r\n');
    const result = await catalog.importRecords(systemActor, id, chunks(file), { format: 'jsonl', dryRun: true });
    assert.deepEqual(
      result.errors.map((error) => [error.line, error.field, error.problem]),
      [
        [2, null, 'is not valid JSON'],
        [3, null, 'is not a JSON object'],
        [4, 'colour', 'is not an item of the dataset'],
        [5, 'children', 'is not an integer (or is too large)'],
      ],
    );
  });

  test('a file that is not UTF-8 is refused with a hint about GBK, and GBK can be read on request', async () => {
    const gbk = Buffer.concat([Buffer.from(`${csvHeader}\n${idNumber(40)},`), Buffer.from([0xc0, 0xee, 0xcb, 0xc4]), Buffer.from(',,,,,\n')]);
    const error = await refused(catalog.importRecords(systemActor, id, chunks(gbk), { format: 'csv' }), 'import_invalid');
    assert.match(error.message, /not valid UTF-8.*GBK/);
    assert.equal((await catalog.get(id)).data.rows, 1);
    const result = await catalog.importRecords(systemActor, id, chunks(gbk), { format: 'csv', encoding: 'gbk', mode: 'append' });
    assert.equal(result.rowsImported, 1);
    assert.deepEqual(await catalog.readRecords(id, { idNumber: idNumber(40) }, ['name'], 5), [{ name: '李四' }]);
  });

  test('a header that does not match the items is refused, naming the columns', async () => {
    const error = await refused(
      catalog.importRecords(systemActor, id, chunks('idNumber,name,colour,birthDate\n1,a,red,1990-01-01\n'), { format: 'csv' }),
      'import_invalid',
    );
    assert.match(error.message, /unknown columns: colour/);
    assert.match(error.message, /missing columns: children, income, married, registeredAt/);
    assert.deepEqual(error.details?.unknown, ['colour']);
    await refused(catalog.importRecords(systemActor, id, chunks(''), { format: 'csv' }), 'import_invalid');
    await refused(catalog.importRecords(systemActor, id, chunks(`${csvHeader}\n"unclosed,1\n`), { format: 'csv' }), 'import_invalid');
    assert.equal((await catalog.get(id)).data.rows, 2);
  });

  test('SQL in values is stored as text; SQL in names is refused', async () => {
    const evil = `x'); drop table catalog_datasets; --`;
    const result = await catalog.importRecords(systemActor, id, chunks(csv(`${idNumber(50)},"${evil}",,,,,`)), { format: 'csv', mode: 'append' });
    assert.equal(result.rowsImported, 1);
    assert.deepEqual(await catalog.readRecords(id, { idNumber: idNumber(50) }, ['name'], 5), [{ name: evil }]);
    assert.deepEqual(await catalog.readRecords(id, { idNumber: `' or '1'='1` }, ['name'], 5), []);
    await refused(
      catalog.importRecords(systemActor, id, chunks(`${csvHeader.replace('name', 'name"; drop table catalog_datasets; --')}\n`), { format: 'csv' }),
      'import_invalid',
    );
    await refused(catalog.readRecords(id, { idNumber: idNumber(50) }, ['name" from catalog_datasets; --'], 5), 'invalid_input');
    await refused(catalog.readRecords(id, { 'idNumber" = "idNumber" or 1=1; --': 'x' }, ['name'], 5), 'invalid_input');
    await refused(
      catalog.create(systemActor, datasetDocument({ id: 'evil', items: [{ name: 'a"b', type: 'string' }], keyFields: ['a"b'] })),
      'invalid_input',
    );
    assert.equal((await catalog.list()).total, 1);
  });

  test('readRecords checks keys and fields, and knows nothing of unknown datasets', async () => {
    const notKey = await refused(catalog.readRecords(id, { name: 'x' }, ['name'], 1), 'invalid_input');
    assert.equal(notKey.details?.field, 'name');
    const notItem = await refused(catalog.readRecords(id, { idNumber: 'x' }, ['salary'], 1), 'invalid_input');
    assert.equal(notItem.details?.field, 'salary');
    await refused(catalog.readRecords(id, {}, ['name'], 1), 'invalid_input');
    await refused(catalog.readRecords(id, { idNumber: 'x' }, [], 1), 'invalid_input');
    await refused(catalog.readRecords('330000/nothing-here', { idNumber: 'x' }, ['name'], 1), 'dataset_unknown');
    assert.equal(await catalog.dataset('330000/nothing-here'), undefined);
    assert.deepEqual((await catalog.dataset(id))?.keyFields, ['idNumber']);
  });

  test('updates bump the version, identical documents change nothing, column changes need the data cleared', async () => {
    const first = await catalog.get(id);
    const same = await catalog.update(systemActor, id, datasetDocument());
    assert.equal(same.version, first.version);
    const renamed = await catalog.update(systemActor, id, datasetDocument({ name: '户籍人口信息' }));
    assert.equal(renamed.version, first.version + 1);
    assert.equal(renamed.data.rows, first.data.rows, 'metadata changes keep the rows');
    const items = [...datasetDocument().items, { name: 'address', type: 'string' as const }];
    await refused(catalog.update(systemActor, id, datasetDocument({ items })), 'dataset_has_data');
    await catalog.clearData(systemActor, id);
    assert.deepEqual(await catalog.readRecords(id, { idNumber: idNumber(2) }, ['name'], 5), []);
    const widened = await catalog.update(systemActor, id, datasetDocument({ items }));
    assert.equal(widened.version, first.version + 2);
    await refused(catalog.create(systemActor, datasetDocument()), 'already_exists');
    const refusals = await fixture.node.events.list({ type: 'catalog.dataset_refused' });
    assert.ok(refusals.some((event) => event.details.code === 'dataset_has_data'));
    assert.ok(refusals.some((event) => event.details.code === 'already_exists'));
  });

  test('a generated 200,000-row CSV streams through in batches', async () => {
    await catalog.create(systemActor, {
      id: 'bulk-register',
      code: '9-99-999-0001',
      name: 'bulk',
      abstract: 'generated rows',
      items: [
        { name: 'idNumber', type: 'string' },
        { name: 'seq', type: 'integer' },
        { name: 'born', type: 'date' },
      ],
      keyFields: ['idNumber'],
      sharing: { type: 'unconditional' },
      updateCycle: 'yearly',
      grade: 'general',
    });
    const rows = 200_000;
    async function* generate(): AsyncGenerator<string> {
      yield 'idNumber,seq,born\n';
      let block = '';
      for (let index = 0; index < rows; index += 1) {
        block += `${idNumber(index)},${index},${1950 + (index % 60)}-0${1 + (index % 9)}-1${index % 10}\n`;
        if (index % 2000 === 1999) {
          yield block;
          block = '';
        }
      }
      if (block) yield block;
    }
    let progressCalls = 0;
    const result = await catalog.importRecords(systemActor, '330000/bulk-register', generate(), {
      format: 'csv',
      onProgress: () => {
        progressCalls += 1;
      },
    });
    assert.equal(result.rowsRead, rows);
    assert.equal(result.rowsImported, rows);
    assert.equal(result.rowsRejected, 0);
    assert.equal(result.rowCount, rows);
    assert.ok(progressCalls >= 100);
    assert.deepEqual(await catalog.readRecords('330000/bulk-register', { idNumber: idNumber(123_456) }, ['seq', 'born'], 5), [
      { seq: 123_456, born: '1986-04-16' },
    ]);
  });
});
