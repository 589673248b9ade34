/** The quality HTTP API on a real node: run, list runs, read a run, score and trend, permissions. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestNode, type TestNode } from '../support/nodes.ts';
import { datasetDocument } from '../catalog/catalog-fixture.ts';

const base = '/api/v1/quality/datasets/330000/person-register';

describe('quality HTTP API', () => {
  let node: TestNode;
  let steward: string;
  let caseworker: string;

  async function account(admin: string, username: string, role: string): Promise<string> {
    const password = `Pw-quality-${username.length}-long-enough-1`;
    const created = await node.call('POST', '/api/v1/accounts', { token: admin, body: { username, displayName: username, roles: [role], password } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const login = await node.call('POST', '/api/v1/auth/login', { body: { username, password } });
    return login.body.accessToken as string;
  }

  before(async () => {
    node = await startTestNode();
    const admin = await node.adminToken();
    steward = await account(admin, 'steward1', 'steward');
    caseworker = await account(admin, 'caseworker1', 'caseworker');
    const document = datasetDocument({
      id: 'person-register',
      items: [
        { name: 'idNumber', type: 'string', dataElement: 'GB11643.citizen-id' },
        { name: 'sex', type: 'string', dataElement: 'GBT2261.1.sex' },
      ],
      keyFields: ['idNumber'],
    });
    assert.equal((await node.call('POST', '/api/v1/catalog/datasets', { token: steward, body: document })).status, 201);
    const imported = await node.call('POST', '/api/v1/catalog/datasets/330000/person-register/import', {
      token: steward,
      rawBody: 'idNumber,sex\n11010519491231002X,2\n11010519491231002Y,5\n',
      headers: { 'content-type': 'text/csv; charset=utf-8' },
    });
    assert.equal(imported.status, 200, JSON.stringify(imported.body));
  });
  after(async () => node.close());

  test('a steward runs generated rules; anyone logged in reads runs and the score; a caseworker cannot run', async () => {
    const run = await node.call('POST', `${base}/runs`, { token: steward, body: {} });
    assert.equal(run.status, 201, JSON.stringify(run.body));
    assert.equal(run.body.status, 'fail');
    assert.equal(run.body.rowCount, 2);
    const results = run.body.results as { name: string; failed: number; samples: { idNumber?: string }[] }[];
    const invalid = results.find((result) => result.name === 'idNumber is a valid Citizen ID number')!;
    assert.equal(invalid.failed, 1);
    assert.deepEqual(invalid.samples, [{ idNumber: '110105************' }]);

    const second = await node.call('POST', `${base}/runs`, { token: steward, body: { rules: [{ check: 'codeList', name: 'sex', field: 'sex', codeList: 'gb-t-2261.1' }] } });
    assert.equal(second.status, 201, JSON.stringify(second.body));
    assert.equal(second.body.rulesSource, 'api');

    const runs = await node.call('GET', `${base}/runs`, { token: caseworker });
    assert.equal(runs.status, 200);
    assert.equal((runs.body.runs as unknown[]).length, 2);
    const one = await node.call('GET', `/api/v1/quality/runs/${run.body.id as string}`, { token: caseworker });
    assert.equal(one.status, 200);
    assert.equal(one.body.id, run.body.id);
    const score = await node.call('GET', `${base}/score`, { token: caseworker });
    assert.equal(score.status, 200);
    assert.equal((score.body.trend as unknown[]).length, 2);

    const denied = await node.call('POST', `${base}/runs`, { token: caseworker, body: {} });
    assert.equal(denied.status, 403);
    assert.equal((await node.call('GET', `${base}/score`)).status, 401);
  });

  test('bad rule files point at the line and unknown fields are named; unknown datasets are 404', async () => {
    const bad = await node.call('POST', `${base}/runs`, { token: steward, body: { ruleFile: 'rules:\n  - name: x\n    check: missing\n    field: surname\n' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 'invalid_input');
    assert.match(bad.body.message as string, /line 2.*surname/);
    const injected = await node.call('POST', `${base}/runs`, { token: steward, body: { rules: [{ check: 'missing', name: 'x', field: 'sex" or 1=1 --' }] } });
    assert.equal(injected.status, 400);
    const unknown = await node.call('POST', '/api/v1/quality/datasets/330000/nothing-here/runs', { token: steward, body: {} });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, 'dataset_unknown');
  });
});
