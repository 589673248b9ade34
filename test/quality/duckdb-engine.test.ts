import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { sql } from 'kysely';
import type { TongbanError } from '../../src/core/errors.ts';
import type { Rule } from '../../src/quality/domain/rules.ts';
import { expectedFailures, generateRegister, plannedFailures, plannedRegisterSql, registerColumns, standardRules, type RegisterRow } from '../../src/quality/sample-data.ts';
import { openFileTarget, type FileTarget } from '../../src/quality/store/duckdb-target.ts';
import { evaluateRules, queryReadOnly } from '../../src/quality/store/rule-query.ts';

const now = '2026-11-29T00:00:00.000Z';

/** Writes register rows to a CSV or Parquet file with DuckDB's own writer. */
async function writeRows(connection: DuckDBConnection, rows: readonly RegisterRow[], path: string): Promise<void> {
  await connection.run(`create or replace table register (${registerColumns.map((name) => `"${name}" varchar`).join(', ')})`);
  const appender = await connection.createAppender('register');
  for (const row of rows) {
    for (const name of registerColumns) {
      const value = row[name];
      if (value === null) appender.appendNull();
      else appender.appendVarchar(value);
    }
    appender.endRow();
  }
  appender.closeSync();
  await connection.run(`copy register to '${path}' (format ${path.endsWith('.csv') ? 'csv, header true' : 'parquet'})`);
}

async function readRows(connection: DuckDBConnection, path: string): Promise<RegisterRow[]> {
  return (await connection.runAndReadAll(`select * from read_parquet('${path}')`)).getRowObjectsJS() as unknown as RegisterRow[];
}

function failures(results: readonly { name: string; failed: number }[]): Map<string, number> {
  return new Map(results.map((result) => [result.name, result.failed]));
}

describe('the rule engine on DuckDB over CSV and Parquet files', () => {
  let dir: string;
  let instance: DuckDBInstance;
  let connection: DuckDBConnection;
  let rows: RegisterRow[];
  const opened: FileTarget[] = [];
  const open = async (path: string, references?: ReadonlyMap<string, string>) => {
    const target = await openFileTarget(path, references);
    opened.push(target);
    return target;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tongban-duckdb-'));
    instance = await DuckDBInstance.create(':memory:');
    connection = await instance.connect();
    rows = [...generateRegister(5000, 42)];
    await writeRows(connection, rows, join(dir, 'register.parquet'));
    await writeRows(connection, rows, join(dir, 'register.csv'));
  });
  after(() => {
    for (const target of opened) target.close();
    connection.closeSync();
    instance.closeSync();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const format of ['parquet', 'csv'] as const) {
    test(`reports exactly the known violation counts of a generated register (${format})`, async () => {
      const { target } = await open(join(dir, `register.${format}`));
      assert.deepEqual([...target.columns.keys()], [...registerColumns]);
      const { total, results } = await evaluateRules(target, standardRules(), { now, samples: 3 });
      assert.equal(total, 5000);
      assert.deepEqual(failures(results), expectedFailures(rows));
      const invalid = results.find((result) => result.name === 'idNumber valid')!;
      assert.equal(invalid.samples.length, 3);
      for (const sample of invalid.samples) assert.match(String(sample.idNumber), /^[0-9]{6}\*+$/);
    });
  }

  test('the DuckDB-generated benchmark register has exactly the planned faults, checked three ways', async () => {
    const path = join(dir, 'planned.parquet');
    await connection.run(`copy (${plannedRegisterSql(30_000)}) to '${path}' (format parquet)`);
    const planned = plannedFailures(30_000);
    for (const [name, count] of planned) assert.ok(count > 0, `${name} has faults`);
    // The plan agrees with the TypeScript validators run row by row over the file's rows …
    assert.deepEqual(expectedFailures(await readRows(connection, path)), planned);
    // … and the rule engine pushed down to DuckDB reports the same.
    const { target } = await open(path);
    const { results } = await evaluateRules(target, standardRules(), { now, samples: 0 });
    assert.deepEqual(failures(results), planned);
  });

  test('regex, reference to another file, schema with types and custom SQL', async () => {
    const divisions = join(dir, 'divisions.csv');
    writeFileSync(divisions, 'code,name\n110105,朝阳区\n330106,西湖区\n');
    const { target, referenceTables } = await open(join(dir, 'register.parquet'), new Map([['divisions', divisions]]));
    const rules: Rule[] = [
      { check: 'regex', name: 'name is Han', field: 'name', pattern: '^\\p{Han}+$' },
      { check: 'regex', name: 'id shape', field: 'idNumber', pattern: '^[0-9]{17}[0-9X]$' },
      { check: 'reference', name: 'division known', field: 'division', dataset: 'divisions', datasetField: 'code' },
      { check: 'schema', name: 'typed', columns: [{ name: 'idNumber', type: 'string' }, { name: 'birthDate', type: 'date' }] },
      { check: 'sql', name: 'born after registration', query: "select * from dataset where \"birthDate\" > \"registeredOn\" and \"idNumber\" like '11%'" },
    ];
    const byName = new Map((await evaluateRules(target, rules, { now, referenceTables })).results.map((result) => [result.name, result]));
    assert.equal(byName.get('name is Han')!.failed, 0);
    assert.equal(byName.get('id shape')!.failed, rows.filter((row) => row.idNumber !== null && !/^[0-9]{17}[0-9X]$/.test(row.idNumber)).length);
    assert.equal(byName.get('division known')!.failed, rows.filter((row) => row.division !== null && row.division !== '110105' && row.division !== '330106').length);
    assert.equal(byName.get('typed')!.status, 'fail');
    assert.match(byName.get('typed')!.detail!, /birthDate is string, expected date/);
    assert.equal(byName.get('born after registration')!.failed, rows.filter((row) => row.birthDate !== null && row.registeredOn !== null && row.birthDate > row.registeredOn && row.idNumber?.startsWith('11')).length);
  });

  test('the DuckDB sandbox reads only the target files and runs custom SQL read-only', async () => {
    const { target } = await open(join(dir, 'register.csv'));
    await assert.rejects(queryReadOnly(target, sql`select * from read_text('/etc/hostname')`), /disabled by configuration/);
    await assert.rejects(queryReadOnly(target, sql`create table stolen as select 1`), /read-only/);
    await assert.rejects(target.duckdb.run('set enable_external_access = true'), /locked/);
    await assert.rejects(
      evaluateRules(target, [{ check: 'sql', name: 'peek', query: "select * from dataset, read_csv('/etc/passwd')" }], { now }),
      (error: TongbanError) => error.code === 'quality_sql_refused',
    );
  });

  test('unreadable files are refused clearly: missing, binary, GBK, not Parquet, unknown extension', async () => {
    const gbk = join(dir, 'gbk.csv');
    // "姓名,性别\n王芳,2\n" in GBK.
    writeFileSync(gbk, Buffer.from('d0d5c3fb2cd0d4b1f00acdf5b7bc2c320a', 'hex'));
    const binary = join(dir, 'binary.csv');
    writeFileSync(binary, Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0x01]));
    const fake = join(dir, 'fake.parquet');
    writeFileSync(fake, 'idNumber\n1\n');
    const cases: [string, RegExp][] = [
      [join(dir, 'missing.csv'), /Cannot read/],
      [binary, /binary data/],
      [gbk, /not UTF-8 text \(a GBK export\?\)/],
      [fake, /not a Parquet file/],
      [join(dir, 'register.xlsx'), /neither a CSV/],
    ];
    for (const [path, message] of cases) {
      await assert.rejects(openFileTarget(path), (error: TongbanError) => error.code === 'quality_file_unreadable' && message.test(error.message), path);
    }
  });
});
