import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import type { Store } from '../../src/store/open-store.ts';
import { assertRulesFit, parseRuleFile, parseRules, type Rule } from '../../src/quality/domain/rules.ts';
import { evaluateRules, type ColumnKind, type RuleTarget } from '../../src/quality/store/rule-query.ts';
import { expectedFailures, generateRegister, registerColumns, standardRules, type RegisterRow } from '../../src/quality/sample-data.ts';
import { forEachEngine } from '../support/databases.ts';

const now = '2026-11-29T00:00:00.000Z';

async function createRegister(store: Store, table: string, rows: readonly RegisterRow[]): Promise<RuleTarget> {
  let builder = store.db.schema.createTable(table);
  for (const name of registerColumns) builder = builder.addColumn(name, 'text');
  await builder.execute();
  for (let start = 0; start < rows.length; start += 500) {
    const chunk = rows.slice(start, start + 500);
    const values = sql.join(chunk.map((row) => sql`(${sql.join(registerColumns.map((name) => sql`${row[name]}`))})`));
    await sql`insert into ${sql.table(table)} (${sql.join(registerColumns.map((name) => sql.id(name)))}) values ${values}`.execute(store.db);
  }
  return { db: store.db, dialect: store.dialect, table, columns: new Map<string, ColumnKind>(registerColumns.map((name) => [name, 'string'])) };
}

forEachEngine('the rule engine', ({ openFresh }) => {
  let store: Store;
  let target: RuleTarget;
  let rows: RegisterRow[];
  before(async () => {
    store = await openFresh({ migrate: false });
    rows = [...generateRegister(5000, 42)];
    target = await createRegister(store, 'ds_register', rows);
  });
  after(async () => {
    await store.db.destroy();
  });

  test('reports exactly the known violation counts of a generated register', async () => {
    const expected = expectedFailures(rows);
    // The generator must actually produce every kind of fault, or the test proves little.
    for (const [name, count] of expected) if (!name.endsWith('present') || name === 'idNumber present') assert.ok(count > 0, `${name} has faults`);
    const { results } = await evaluateRules(target, standardRules(), { now, samples: 3 });
    for (const result of results) {
      assert.equal(result.evaluated, 5000, result.name);
      assert.equal(result.failed, expected.get(result.name), result.name);
      assert.equal(result.status, result.failed > 0 ? 'fail' : 'pass', result.name);
    }
  });

  test('samples are masked: ID numbers keep only their division prefix', async () => {
    const { results } = await evaluateRules(target, standardRules(), { now, samples: 3 });
    const invalid = results.find((result) => result.name === 'idNumber valid')!;
    assert.equal(invalid.samples.length, 3);
    for (const sample of invalid.samples) assert.match(String(sample.idNumber), /^[0-9]{6}\*+$/);
    const duplicates = results.find((result) => result.name === 'idNumber unique')!;
    for (const sample of duplicates.samples) {
      assert.match(String(sample.idNumber), /^[0-9]{6}\*{12}$/);
      assert.ok(Number(sample.copies) > 1);
    }
  });

  test('warn and fail thresholds, range, length, allowed values, row count, schema, freshness', async () => {
    const rules: Rule[] = [
      { check: 'missing', name: 'name warn', field: 'name', warnAbove: 0.1, failAbove: 50 },
      { check: 'missing', name: 'name tolerated', field: 'name', failAbove: 50 },
      { check: 'length', name: 'id length', field: 'idNumber', min: 18, max: 18 },
      { check: 'allowedValues', name: 'sex values', field: 'sex', values: ['1', '2'] },
      { check: 'rowCount', name: 'enough rows', min: 5000 },
      { check: 'rowCount', name: 'too few', min: 5001 },
      { check: 'schema', name: 'columns', columns: ['idNumber', 'missingColumn'] },
      { check: 'freshness', name: 'fresh', field: 'registeredOn', maxAgeDays: 365 },
      { check: 'freshness', name: 'fresh enough', field: 'registeredOn', maxAgeDays: 10_000 },
    ];
    const byName = new Map((await evaluateRules(target, rules, { now })).results.map((result) => [result.name, result]));
    assert.equal(byName.get('name warn')!.status, 'warn');
    assert.equal(byName.get('name tolerated')!.status, 'pass');
    assert.equal(byName.get('id length')!.failed, rows.filter((row) => row.idNumber !== null && row.idNumber.length !== 18).length);
    assert.equal(byName.get('sex values')!.failed, rows.filter((row) => row.sex !== null && row.sex !== '1' && row.sex !== '2').length);
    assert.equal(byName.get('enough rows')!.status, 'pass');
    assert.equal(byName.get('too few')!.status, 'fail');
    assert.equal(byName.get('columns')!.status, 'fail');
    assert.match(byName.get('columns')!.detail!, /missingColumn/);
    assert.equal(byName.get('fresh')!.status, 'fail');
    assert.equal(byName.get('fresh enough')!.status, 'pass');
  });

  test('SQL injection through rule values is inert: values are bound', async () => {
    const evil = "1') or 1=1; drop table ds_register; --";
    const { results } = await evaluateRules(target, [{ check: 'allowedValues', name: 'evil', field: 'sex', values: [evil, '1', '2', '0', '9'] }], { now });
    assert.equal(results[0]!.failed, rows.filter((row) => row.sex === '3').length);
    const count = await sql<{ n: number | string }>`select count(*) as n from ds_register`.execute(store.db);
    assert.equal(Number(count.rows[0]!.n), 5000);
  });

  test('SQL injection through field names is refused before SQL, and quoted if it ever got there', async () => {
    assert.throws(() => parseRules({ rules: [{ check: 'missing', name: 'x', field: 'name"; drop table ds_register; --' }] }), /field/);
    // A column name with a quote in it, reaching the compiler directly, stays one quoted identifier.
    await assert.rejects(
      evaluateRules({ ...target, columns: new Map([['x"y', 'string']]) }, [{ check: 'missing', name: 'q', field: 'x"y' }], { now }),
      (error: Error) => /x"y|no such column|does not exist/.test(error.message),
    );
    const count = await sql<{ n: number | string }>`select count(*) as n from ds_register`.execute(store.db);
    assert.equal(Number(count.rows[0]!.n), 5000);
  });
});

describe('rule files', () => {
  const fields = new Set(registerColumns);

  test('a valid YAML file parses with the line of each rule', () => {
    const parsed = parseRuleFile(['rules:', '  - name: id valid', '    check: validator', '    field: idNumber', '    validator: citizenId', '  - name: unique', '    check: unique', '    fields: [idNumber]', ''].join('\n'));
    assert.deepEqual(parsed.lines, [2, 6]);
    assertRulesFit(parsed, fields);
  });

  test('an unknown field is named with its line', () => {
    const parsed = parseRuleFile(['rules:', '  - name: ok', '    check: missing', '    field: name', '  - name: bad', '    check: missing', '    field: surname', ''].join('\n'), 'rules.yaml');
    assert.throws(
      () => assertRulesFit(parsed, fields, 'rules.yaml'),
      (error: Error & { code?: string; details?: Record<string, unknown> }) =>
        error.code === 'invalid_input' && /rules\.yaml line 5/.test(error.message) && /surname/.test(error.message) && error.details?.field === 'surname' && error.details?.line === 5,
    );
  });

  test('malformed YAML and schema faults point at the line', () => {
    assert.throws(() => parseRuleFile('rules:\n  - name: a\n    check: missing\n   field: [\n', 'r.yaml'), /r\.yaml line \d/);
    assert.throws(() => parseRuleFile('rules:\n  - name: a\n    check: validator\n    field: idNumber\n    validator: nope\n', 'r.yaml'), /r\.yaml line 5: rules\.0\.validator/);
    assert.throws(() => parseRuleFile('rules:\n  - name: a\n    check: frobnicate\n', 'r.yaml'), /r\.yaml line 3/);
    assert.throws(() => parseRuleFile('\u0000\u0001binary'), /binary/);
  });

  test('duplicate rule names are refused', () => {
    const parsed = parseRules({ rules: [{ check: 'missing', name: 'a', field: 'name' }, { check: 'missing', name: 'a', field: 'sex' }] });
    assert.throws(() => assertRulesFit(parsed, fields), /used twice/);
  });
});
