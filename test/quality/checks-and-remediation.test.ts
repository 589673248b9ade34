/**
 * The newer check types (regex, reference, row-count change, drift, typed schema, custom SQL) and
 * remediation tasks, end to end on a real node's catalogue, on SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { TongbanError } from '../../src/core/errors.ts';
import { systemActor } from '../../src/identity/index.ts';
import type { QualityService } from '../../src/quality/index.ts';
import { queryReadOnly } from '../../src/quality/store/rule-query.ts';
import { forEachEngine } from '../support/databases.ts';
import { chunks, datasetDocument, openCatalogNode, type CatalogNode } from '../catalog/catalog-fixture.ts';

const id = '330000/marriage-register';
const header = 'idNumber,sex,division';
const good = ['11010519491231002X,2,110105', '440524188001010014,1,330106', '110105194912310029,2,110105'];
const bad = ['11010519491231002Y,5,430371', '11010519491231002X,2,999999'];

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

forEachEngine('quality checks and remediation', ({ dialect }) => {
  let fixture: CatalogNode;
  let quality: QualityService;
  const load = async (dataset: string, lines: readonly string[], csvHeader = header) => {
    const result = await fixture.node.catalog.importRecords(systemActor, dataset, chunks([csvHeader, ...lines, ''].join('\n')), { format: 'csv' });
    assert.equal(result.rowsImported, lines.length);
  };
  const rulesOf = (rules: unknown[]) => ({ rules: { rules } });

  before(async () => {
    fixture = await openCatalogNode(dialect);
    const { catalog } = fixture.node;
    await catalog.create(
      systemActor,
      datasetDocument({
        id: 'marriage-register',
        items: [
          { name: 'idNumber', type: 'string', dataElement: 'GB11643.citizen-id' },
          { name: 'sex', type: 'string', dataElement: 'GBT2261.1.sex' },
          { name: 'division', type: 'string' },
        ],
        keyFields: ['idNumber'],
      }),
    );
    await catalog.create(systemActor, datasetDocument({ id: 'county-list', items: [{ name: 'code', type: 'string' }, { name: 'name', type: 'string' }], keyFields: ['code'] }));
    await load('330000/county-list', ['110105,朝阳区', '330106,西湖区', '430371,湘潭'], 'code,name');
    await load(id, [...good, ...bad]);
    quality = fixture.node.quality;
  });
  after(async () => fixture.close());

  test('reference to another dataset, typed schema, custom SQL and injection through values', async () => {
    const run = await quality.run(
      systemActor,
      id,
      rulesOf([
        { check: 'reference', name: 'division listed', field: 'division', dataset: '330000/county-list', datasetField: 'code' },
        { check: 'schema', name: 'typed', columns: [{ name: 'idNumber', type: 'string' }, { name: 'division', type: 'integer' }] },
        { check: 'sql', name: 'women from Beijing', query: "select * from dataset where sex = '2' and division like '11%'", dimension: 'consistency' },
        { check: 'allowedValues', name: 'injection is a value', field: 'sex', values: ["1') or 1=1 --", '1', '2'] },
      ]),
    );
    const byName = new Map(run.results.map((result) => [result.name, result]));
    assert.equal(byName.get('division listed')!.failed, 1);
    assert.equal(byName.get('typed')!.detail, 'division is string, expected integer');
    assert.equal(byName.get('women from Beijing')!.failed, 2);
    assert.equal(byName.get('women from Beijing')!.dimension, 'consistency');
    assert.match(String(byName.get('women from Beijing')!.samples[0]!.idNumber), /^110105\*+$/);
    assert.equal(byName.get('injection is a value')!.failed, 1);
  });

  test('custom SQL that writes, reads node tables or hides text is refused, recorded, and nothing is stored', async () => {
    const before = (await quality.runs(id)).length;
    for (const query of [
      'delete from dataset',
      'select * from dataset; drop table quality_runs',
      'select * from quality_runs where dataset = dataset',
      'select * from dataset /* hidden */',
      'select * from dataset where 1 = 1 -- and more',
      `select * from dataset, ${dialect === 'sqlite' ? 'sqlite_master' : 'pg_catalog.pg_user'}`,
      'select * from "Quality_Remediation_Tasks", dataset',
      'with x as (insert into quality_runs default values returning *) select * from dataset',
    ]) {
      const error = await refused(quality.run(systemActor, id, rulesOf([{ check: 'sql', name: 'sneaky', query }])), 'quality_sql_refused');
      assert.match(error.message, /sneaky.*refused/, query);
    }
    assert.equal((await quality.runs(id)).length, before);
    const events = await fixture.node.events.list({ type: 'quality.run_refused' });
    assert.equal(events.at(-1)!.details.code, 'quality_sql_refused');
  });

  test('custom SQL runs read-only: a write that got past the screen still fails', async () => {
    const target = { db: fixture.node.store.db, dialect, table: 'quality_runs', columns: new Map() } as const;
    await assert.rejects(queryReadOnly(target, sql`insert into quality_remediation_tasks (id) values ('x') returning id`), /read-?only/i);
    // The connection is writable again afterwards.
    assert.ok(await quality.run(systemActor, id, rulesOf([{ check: 'missing', name: 'sex present', field: 'sex' }])));
  });

  test(`regex rules run in ${dialect === 'sqlite' ? 'SQLite (REGEXP)' : 'PostgreSQL (~)'}`, async () => {
    const run = await quality.run(
      systemActor,
      id,
      rulesOf([
        { check: 'regex', name: 'id shape', field: 'idNumber', pattern: '^[0-9]{17}[0-9X]$' },
        { check: 'regex', name: 'sex digit', field: 'sex', pattern: '^[12]$' },
        { check: 'regex', name: 'Beijing or Hangzhou', field: 'division', pattern: '^(11|33)' },
        { check: 'regex', name: 'injection is a value', field: 'sex', pattern: "^x' or '1'='1" },
      ]),
    );
    assert.deepEqual(
      run.results.map((result) => [result.name, result.failed]),
      [['id shape', 1], ['sex digit', 1], ['Beijing or Hangzhou', 2], ['injection is a value', 5]],
    );
    assert.match(String(run.results[0]!.samples[0]!.idNumber), /^110105\*+$/);
    await refused(quality.run(systemActor, id, rulesOf([{ check: 'regex', name: 'broken', field: 'sex', pattern: '([' }])), 'invalid_input');
    const before = (await quality.runs(id)).length;
    const error = await refused(quality.run(systemActor, id, rulesOf([{ check: 'regex', name: 'slow', field: 'sex', pattern: '^(\\d+)+$' }])), 'invalid_input');
    assert.match(error.message, /exponential time/);
    assert.equal((await quality.runs(id)).length, before);
  });

  test('row-count change and distribution drift compare with the previous run', async () => {
    const rules = rulesOf([
      { check: 'rowCountChange', name: 'row count steady', maxChangePercent: 30 },
      { check: 'drift', name: 'sex mix steady', field: 'sex', maxDriftPercent: 20 },
    ]);
    await quality.run(systemActor, id, rules);
    const steady = await quality.run(systemActor, id, rules);
    assert.deepEqual(steady.results.map((result) => result.status), ['pass', 'pass']);
    assert.match(steady.results[1]!.detail!, /moved 0\.00 %/);
    await load(id, [...good, ...bad, '110105194912310037,1,110105', '110105194912310045,1,110105', '110105194912310053,1,110105']);
    const moved = await quality.run(systemActor, id, rules);
    assert.deepEqual(moved.results.map((result) => result.status), ['fail', 'fail']);
    assert.match(moved.results[0]!.detail!, /5 → 8 rows \(60\.00 % change\)/);
    assert.equal(moved.results[1]!.distribution!['1'], 0.5);
    await load(id, [...good, ...bad]);
  });

  test('remediation: tasks open from failures, move through their states, and a passing re-run verifies them', async () => {
    const rules = rulesOf([
      { check: 'codeList', name: 'sex coded', field: 'sex', codeList: 'gb-t-2261.1' },
      { check: 'validator', name: 'id valid', field: 'idNumber', validator: 'citizenId' },
      { check: 'unique', name: 'id unique', fields: ['idNumber'] },
    ]);
    const run = await quality.run(systemActor, id, { ...rules, openTasks: true });
    const { remediation } = quality;
    const tasks = await remediation.list({ dataset: id, states: ['open'] });
    assert.deepEqual(tasks.map((task) => task.rule).sort(), ['id unique', 'id valid', 'sex coded']);
    assert.ok(tasks.every((task) => task.openedRun === run.id && task.failedAtOpen > 0));
    const again = await remediation.openFromRun(systemActor, run.id);
    assert.deepEqual(again.results.map((result) => result.status), ['already_open', 'already_open', 'already_open']);
    await refused(remediation.openFromRun(systemActor, run.id, ['no such rule']), 'invalid_input');

    const sex = tasks.find((task) => task.rule === 'sex coded')!;
    const unique = tasks.find((task) => task.rule === 'id unique')!;
    const valid = tasks.find((task) => task.rule === 'id valid')!;
    const error = await refused(remediation.markFixed(systemActor, sex.id, 'fixed'), 'remediation_transition_invalid');
    assert.match(error.message, /is open.*possible now: assign, wont_fix/);
    assert.equal((await fixture.node.events.list({ type: 'quality.task_refused' })).at(-1)!.details.code, 'remediation_transition_invalid');
    assert.equal((await remediation.assign(systemActor, sex.id, 'steward:li')).state, 'assigned');
    assert.equal((await remediation.markFixed(systemActor, sex.id, 'recoded 5 as 9 after checking the paper file')).state, 'fixed');
    assert.equal((await remediation.wontFix(systemActor, valid.id, 'legacy paper records')).state, 'wont_fix');
    await refused(remediation.assign(systemActor, valid.id, 'someone'), 'remediation_transition_invalid');
    await refused(remediation.get('no-such-task'), 'not_found');

    // The data is fixed: the sex code and the duplicate; the invalid ID stays.
    await load(id, [...good, '11010519491231002Y,9,430371']);
    const rerun = await quality.run(systemActor, id, rules);
    const after = new Map((await remediation.list({ dataset: id })).map((task) => [task.id, task]));
    assert.equal(after.get(sex.id)!.state, 'verified');
    assert.equal(after.get(sex.id)!.verifiedRun, rerun.id);
    assert.equal(after.get(unique.id)!.state, 'verified', 'an open task is verified by a passing run too');
    assert.equal(after.get(valid.id)!.state, 'wont_fix');
    const verified = await fixture.node.events.list({ type: 'quality.task_verified' });
    assert.equal(verified.length, 2);
    assert.equal((await fixture.node.events.list({ type: 'quality.task_opened' })).length, 3);
  });
});
