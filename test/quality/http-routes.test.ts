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

  test('the HTML report is a readable page with masked samples; remediation tasks through the API', async () => {
    const run = await node.call('POST', `${base}/runs`, { token: steward, body: { openTasks: true } });
    assert.equal(run.status, 201, JSON.stringify(run.body));
    const runId = run.body.id as string;
    const page = await fetch(`${node.url}/api/v1/quality/runs/${runId}/report`, { headers: { authorization: `Bearer ${caseworker}` } });
    assert.equal(page.status, 200);
    assert.match(String(page.headers.get('content-type')), /^text\/html/);
    const html = await page.text();
    assert.match(html, /<h1>质量报告 Quality report: 330000\/person-register<\/h1>/);
    assert.match(html, /110105\*{12}/);
    assert.ok(!html.includes('11010519491231002Y'), 'samples stay masked');
    assert.equal((await fetch(`${node.url}/api/v1/quality/runs/${runId}/report`)).status, 401);

    const listed = await node.call('GET', '/api/v1/quality/tasks?dataset=330000/person-register&state=open', { token: caseworker });
    assert.equal(listed.status, 200);
    const tasks = listed.body.tasks as { id: string; rule: string; state: string }[];
    assert.deepEqual(tasks.map((task) => task.rule).sort(), ['idNumber is a valid Citizen ID number', 'sex in GB/T 2261.1-2003']);
    const again = await node.call('POST', `/api/v1/quality/runs/${runId}/tasks`, { token: steward, body: {} });
    assert.equal(again.status, 201);
    assert.ok((again.body.results as { status: string }[]).every((result) => result.status !== 'opened'));
    const task = tasks[0]!;
    const move = (body: unknown, token = steward) => node.call('POST', `/api/v1/quality/tasks/${task.id}/transitions`, { token, body });
    assert.equal((await move({ action: 'assign', assignee: 'steward1' }, caseworker)).status, 403);
    const early = await move({ action: 'fix' });
    assert.equal(early.status, 409);
    assert.equal(early.body.code, 'remediation_transition_invalid');
    assert.equal((await move({ action: 'wont_fix' })).status, 400);
    assert.equal((await move({ action: 'assign', assignee: 'steward1' })).body.state, 'assigned');
    assert.equal((await move({ action: 'fix', note: 'corrected from the paper file' })).body.state, 'fixed');
    const one = await node.call('GET', `/api/v1/quality/tasks/${task.id}`, { token: caseworker });
    assert.equal(one.body.note, 'corrected from the paper file');
    assert.equal((await node.call('GET', '/api/v1/quality/tasks/nothing', { token: caseworker })).status, 404);
  });

  test('standards import (dry run first) and export over HTTP; mapping and conformance', async () => {
    const content = 'code,name\n1,男\n2,女\n';
    const body = { kind: 'codeLists', format: 'csv', content, codeList: { name: 'local-sex', version: 1, sourceStandard: 'local' } };
    const dry = await node.call('POST', '/api/v1/standards/import', { token: steward, body: { ...body, dryRun: true } });
    assert.equal(dry.status, 200, JSON.stringify(dry.body));
    assert.equal((dry.body.results as { status: string }[])[0]!.status, 'would_import');
    assert.equal((await node.call('POST', '/api/v1/standards/import', { token: caseworker, body })).status, 403);
    assert.equal((await node.call('POST', '/api/v1/standards/import', { token: steward, body })).status, 200);
    const lists = await node.call('GET', '/api/v1/standards/code-lists', { token: caseworker });
    assert.ok((lists.body.codeLists as { name: string }[]).some((list) => list.name === 'local-sex'));
    const exported = await fetch(`${node.url}/api/v1/standards/export?kind=codeLists&format=csv&name=local-sex`, { headers: { authorization: `Bearer ${caseworker}` } });
    assert.equal(await exported.text(), content);
    const bad = await node.call('POST', '/api/v1/standards/import', { token: steward, body: { kind: 'elements', format: 'csv', content: 'id,version\nx,1\n' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 'import_invalid');

    const conformance = await node.call('GET', `${base}/conformance`, { token: caseworker });
    assert.equal(conformance.status, 200, JSON.stringify(conformance.body));
    assert.equal((conformance.body.summary as { mapped: number }).mapped, 2);
    const mapped = await node.call('PUT', `${base}/mapping`, { token: steward, body: { mappings: { sex: null } } });
    assert.equal(mapped.status, 200, JSON.stringify(mapped.body));
    assert.equal((mapped.body.summary as { unmapped: number }).unmapped, 1);
    assert.equal((await node.call('PUT', `${base}/mapping`, { token: caseworker, body: { mappings: { sex: null } } })).status, 403);
  });
});
