/** Quality runs end to end on a real node's catalogue, on SQLite and PostgreSQL. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TongbanError } from '../../src/core/errors.ts';
import { systemActor } from '../../src/identity/index.ts';
import { createQualityService, type QualityService } from '../../src/quality/index.ts';
import { forEachEngine } from '../support/databases.ts';
import { chunks, datasetDocument, openCatalogNode, type CatalogNode } from '../catalog/catalog-fixture.ts';

const id = '330000/person-register';
const csv = [
  'idNumber,name,sex,birthDate,division',
  '11010519491231002X,王芳,2,1949-12-31,110000',
  '11010519491231002Y,,3,1949-12-31,430371',
  '440524188001010014,李伟,1,1880-01-02,430300',
  '110105491231002,张敏,2,1949-12-31,110000',
  '',
].join('\n');

const ruleFile = [
  'rules:',
  '  - name: id matches birth date and sex',
  '    check: idConsistency',
  '    idField: idNumber',
  '    birthDateField: birthDate',
  '    sexField: sex',
  '  - name: name present',
  '    check: missing',
  '    field: name',
  '    failAbove: 50',
  '    warnAbove: 10',
  '',
].join('\n');

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

forEachEngine('quality runs', ({ dialect }) => {
  let fixture: CatalogNode;
  let quality: QualityService;
  before(async () => {
    fixture = await openCatalogNode(dialect);
    const { catalog } = fixture.node;
    await catalog.create(
      systemActor,
      datasetDocument({
        id: 'person-register',
        items: [
          { name: 'idNumber', type: 'string', dataElement: 'GB11643.citizen-id' },
          { name: 'name', type: 'string' },
          { name: 'sex', type: 'string', dataElement: 'GBT2261.1.sex' },
          { name: 'birthDate', type: 'date' },
          { name: 'division', type: 'string', dataElement: 'GBT2260.division' },
        ],
        keyFields: ['idNumber'],
      }),
    );
    quality = createQualityService(fixture.node, { catalog });
  });
  after(async () => fixture.close());

  test('a dataset without imported rows is refused clearly, and the refusal recorded', async () => {
    const error = await refused(quality.run(systemActor, id), 'invalid_input');
    assert.match(error.message, /no imported rows/);
    const events = await fixture.node.events.list({ type: 'quality.run_refused' });
    assert.equal(events.at(-1)!.details.dataset, id);
  });

  test('rules generated from the mapped data elements find the known faults; the run is stored with an event', async () => {
    const imported = await fixture.node.catalog.importRecords(systemActor, id, chunks(csv), { format: 'csv' });
    assert.equal(imported.rowsImported, 4);
    const run = await quality.run(systemActor, id, { samples: 5 });
    assert.equal(run.rulesSource, 'generated');
    assert.equal(run.rowCount, 4);
    const failed = Object.fromEntries(run.results.map((result) => [result.name, result.failed]));
    assert.deepEqual(failed, {
      'idNumber present': 0,
      'idNumber unique': 0,
      'idNumber is a valid Citizen ID number': 2,
      'sex in GB/T 2261.1-2003': 1,
      'division in GB/T 2260': 1,
    });
    assert.equal(run.status, 'fail');
    // validity: (100 + 50 + 50 + 75)/… by the documented formula: each dimension is the mean of its rules.
    assert.equal(run.scores.dimensions.validity, 50);
    assert.equal(run.scores.dimensions.accuracy, 75);
    assert.equal(run.scores.dimensions.completeness, 100);
    assert.equal(run.scores.dimensions.uniqueness, 100);
    assert.equal(run.scores.dimensions.timeliness, null);
    assert.equal(run.scores.overall, 81.25);
    const invalid = run.results.find((result) => result.name === 'idNumber is a valid Citizen ID number')!;
    assert.deepEqual(invalid.samples.map((sample) => sample.idNumber).sort(), ['110105*********', '110105************']);
    const stored = await quality.getRun(run.id);
    assert.deepEqual(stored, run);
    const [event] = (await fixture.node.events.list({ type: 'quality.run_finished' })).slice(-1);
    assert.equal(event!.details.run, run.id);
    assert.ok(!JSON.stringify(event!.details).includes('11010519491231002'), 'no ID numbers in events');
  });

  test('a rule file: cross-field consistency and warn thresholds; history and trend', async () => {
    const run = await quality.run(systemActor, id, { ruleFile: { name: 'person.yaml', text: ruleFile } });
    const byName = new Map(run.results.map((result) => [result.name, result]));
    assert.equal(byName.get('id matches birth date and sex')!.failed, 1);
    assert.equal(byName.get('id matches birth date and sex')!.samples[0]!.idNumber, '440524************');
    assert.equal(byName.get('name present')!.status, 'warn');
    assert.equal(run.rulesSource, 'file:person.yaml');
    const runs = await quality.runs(id);
    assert.equal(runs.length, 2);
    assert.equal(runs[0]!.id, run.id);
    const score = await quality.score(id);
    assert.equal(score.latest!.id, run.id);
    assert.deepEqual(score.trend.map((point) => point.runId), [runs[1]!.id, runs[0]!.id]);
  });

  test('a rule naming an unknown field is refused with the field and line; nothing is stored', async () => {
    const before = (await quality.runs(id)).length;
    const error = await refused(quality.run(systemActor, id, { ruleFile: { name: 'bad.yaml', text: 'rules:\n  - name: x\n    check: missing\n    field: surname\n' } }), 'invalid_input');
    assert.match(error.message, /bad\.yaml line 2.*surname/);
    assert.equal((await quality.runs(id)).length, before);
  });

  test('a run interrupted mid-way writes no half result', async () => {
    const before = (await quality.runs(id)).length;
    const events = (await fixture.node.events.list({ type: 'quality.run_finished' })).length;
    await assert.rejects(
      quality.run(systemActor, id, {
        onProgress: (progress) => {
          if (progress.phase === 'rules') throw new Error('interrupted');
        },
      }),
      /interrupted/,
    );
    assert.equal((await quality.runs(id)).length, before);
    assert.equal((await fixture.node.events.list({ type: 'quality.run_finished' })).length, events);
  });

  test('an unknown dataset is refused with dataset_unknown', async () => {
    await refused(quality.run(systemActor, '330000/nothing-here'), 'dataset_unknown');
    await refused(quality.score('330000/nothing-here'), 'dataset_unknown');
  });
});
