/** Quality scores published (signed) with the catalogue entry, the latest-score query, and agreement floors. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { systemActor } from '../../src/identity/index.ts';
import { checkQualityFloor } from '../../src/quality/domain/floor.ts';
import { startTestNode, type TestNode } from '../support/nodes.ts';
import { chunks, datasetDocument } from '../catalog/catalog-fixture.ts';

describe('agreement quality floors (pure)', () => {
  const agreement = { id: 'zj-sh-marriage', version: 3, service: { qualityFloor: { '330000/marriage-register': 90 } } };
  const latest = (overall: number | null) => ({ overall, runId: 'run-1', finishedAt: '2026-11-29T00:00:00.000Z' });

  test('no floor allows; at or above the floor allows; below, unscored or unchecked is refused with the clause', () => {
    assert.equal(checkQualityFloor(agreement, '330000/other', null).allow, true);
    assert.equal(checkQualityFloor({ id: 'a', version: 1 }, '330000/marriage-register', null).allow, true);
    assert.equal(checkQualityFloor(agreement, '330000/marriage-register', latest(90)).allow, true);
    const below = checkQualityFloor(agreement, '330000/marriage-register', latest(89.99));
    assert.equal(below.allow, false);
    assert.equal(below.code, 'quality_below_floor');
    assert.equal(below.clause, '/service/qualityFloor/330000~1marriage-register');
    assert.match(below.reason, /at least 90 .* latest score is 89\.99 \(run run-1/);
    assert.match(checkQualityFloor(agreement, '330000/marriage-register', null).reason, /not been checked yet; run `tongban quality run 330000\/marriage-register`/);
    assert.equal(checkQualityFloor(agreement, '330000/marriage-register', latest(null)).allow, false);
  });
});

describe('published quality scores', () => {
  let hub: TestNode;
  before(async () => {
    hub = await startTestNode({ code: '100000', name: '国家政务服务平台枢纽', level: 'hub', overrides: { 'federation.syncIntervalSeconds': 86_400 } });
  });
  after(async () => hub?.close());

  test('a run updates the latest score and the signed catalogue publication carries it', async () => {
    const { catalog, quality } = hub.running.node;
    const id = '100000/person-register';
    await catalog.create(systemActor, datasetDocument({ id: 'person-register', items: [{ name: 'idNumber', type: 'string', dataElement: 'GB11643.citizen-id' }], keyFields: ['idNumber'] }));
    assert.equal(await quality.latestScore(id), null);
    await catalog.importRecords(systemActor, id, chunks('idNumber\n11010519491231002X\n11010519491231002Y\n'), { format: 'csv' });
    const run = await quality.run(systemActor, id);
    const latest = await quality.latestScore(id);
    assert.deepEqual(latest, { overall: run.scores.overall, runId: run.id, finishedAt: run.finishedAt });
    await quality.runFile(systemActor, '/nonexistent.csv', { rules: { rules: [{ check: 'rowCount', name: 'rows', min: 1 }] } }).catch(() => undefined);
    const scores = await quality.publishedScores();
    assert.deepEqual([...scores.keys()], [id]);

    const status = await catalog.publish();
    assert.equal(status.state, 'published');
    const page = await catalog.federationSearch({});
    const entry = page.datasets.find((dataset) => dataset.id === id)!;
    assert.deepEqual(entry.quality, { overall: run.scores.overall, dimensions: run.scores.dimensions, status: run.status, runId: run.id, datasetVersion: run.datasetVersion, finishedAt: run.finishedAt });
  });
});
