/** The catalogue's HTTP API on a real node: register datasets, import over HTTP, list, search. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { startTestNode, type TestNode } from '../support/nodes.ts';
import { csvHeader, datasetDocument, idNumber } from './catalog-fixture.ts';

describe('catalogue HTTP API', () => {
  let node: TestNode;
  let steward: string;
  let caseworker: string;

  async function account(admin: string, username: string, role: string): Promise<string> {
    const password = `Pw-catalogue-${username.length}-long-enough-1`;
    const created = await node.call('POST', '/api/v1/accounts', { token: admin, body: { username, displayName: username, roles: [role], password } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const login = await node.call('POST', '/api/v1/auth/login', { body: { username, password } });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    return login.body.accessToken as string;
  }

  before(async () => {
    node = await startTestNode();
    const admin = await node.adminToken();
    steward = await account(admin, 'steward1', 'steward');
    caseworker = await account(admin, 'caseworker1', 'caseworker');
  });
  after(async () => node.close());

  test('a steward registers datasets as JSON or YAML; bad documents name the path', async () => {
    const created = await node.call('POST', '/api/v1/catalog/datasets', { token: steward, body: datasetDocument() });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.id, '330000/household-register');
    assert.equal(created.body.version, 1);
    assert.deepEqual(created.body.data, { rows: null, importedAt: null });

    const yaml = stringify(datasetDocument({ id: 'marriage-records', name: '婚姻登记信息', sharing: { type: 'unconditional' }, grade: 'general' }));
    const fromYaml = await node.call('POST', '/api/v1/catalog/datasets', { token: steward, rawBody: yaml, headers: { 'content-type': 'application/yaml' } });
    assert.equal(fromYaml.status, 201, JSON.stringify(fromYaml.body));

    const bad = await node.call('POST', '/api/v1/catalog/datasets', { token: steward, body: datasetDocument({ keyFields: ['passport'] }) });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 'invalid_input');
    assert.deepEqual(bad.body.details, { path: 'keyFields[0]' });

    const badYaml = await node.call('POST', '/api/v1/catalog/datasets', { token: steward, rawBody: 'id: [unclosed', headers: { 'content-type': 'application/yaml' } });
    assert.equal(badYaml.status, 400);

    const duplicate = await node.call('POST', '/api/v1/catalog/datasets', { token: steward, body: datasetDocument() });
    assert.equal(duplicate.status, 409);
    assert.equal(duplicate.body.code, 'already_exists');
  });

  test('reading needs a login; changing needs catalog.manage', async () => {
    assert.equal((await node.call('GET', '/api/v1/catalog/datasets')).status, 401);
    const read = await node.call('GET', '/api/v1/catalog/datasets', { token: caseworker });
    assert.equal(read.status, 200);
    const denied = await node.call('POST', '/api/v1/catalog/datasets', { token: caseworker, body: datasetDocument({ id: 'other' }) });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.code, 'forbidden');
  });

  test('rows are imported over HTTP as CSV or JSON Lines, with dry runs and per-row reports', async () => {
    const csv = `${csvHeader}\n${idNumber(1)},"Zhang, San",1990-01-01,2,1.5,true,\n${idNumber(2)},bad,1990-02-31,,,,\n`;
    const imported = await node.call('POST', '/api/v1/catalog/datasets/330000/household-register/import', {
      token: steward,
      rawBody: csv,
      headers: { 'content-type': 'text/csv; charset=utf-8' },
    });
    assert.equal(imported.status, 200, JSON.stringify(imported.body));
    assert.equal(imported.body.rowsImported, 1);
    assert.equal(imported.body.rowsRejected, 1);
    assert.deepEqual(imported.body.errors, [{ line: 3, field: 'birthDate', problem: 'is not a date as YYYY-MM-DD' }]);

    const dryRun = await node.call('POST', '/api/v1/catalog/datasets/330000/household-register/import?dryRun=true&mode=append', {
      token: steward,
      rawBody: `{"idNumber":"${idNumber(3)}","name":"王五"}\n`,
      headers: { 'content-type': 'application/x-ndjson' },
    });
    assert.equal(dryRun.status, 200, JSON.stringify(dryRun.body));
    assert.equal(dryRun.body.dryRun, true);
    assert.equal(dryRun.body.rowCount, 1);

    const appended = await node.call('POST', '/api/v1/catalog/datasets/330000/household-register/import?mode=append', {
      token: steward,
      rawBody: `{"idNumber":"${idNumber(3)}","name":"王五"}\n`,
      headers: { 'content-type': 'application/x-ndjson' },
    });
    assert.equal(appended.body.rowCount, 2);

    const header = await node.call('POST', '/api/v1/catalog/datasets/330000/household-register/import', {
      token: steward,
      rawBody: 'idNumber,colour\n1,red\n',
      headers: { 'content-type': 'text/csv' },
    });
    assert.equal(header.status, 400);
    assert.equal(header.body.code, 'import_invalid');

    const wrongType = await node.call('POST', '/api/v1/catalog/datasets/330000/household-register/import', { token: steward, body: { rows: [] } });
    assert.equal(wrongType.status, 400);
    assert.equal(wrongType.body.code, 'unsupported_media_type');

    const unknown = await node.call('POST', '/api/v1/catalog/datasets/330000/nothing-here/import', { token: steward, rawBody: 'x\n', headers: { 'content-type': 'text/csv' } });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, 'dataset_unknown');

    const forbidden = await node.call('POST', '/api/v1/catalog/datasets/330000/household-register/import', { token: caseworker, rawBody: csv, headers: { 'content-type': 'text/csv' } });
    assert.equal(forbidden.status, 403);

    const shown = await node.call('GET', '/api/v1/catalog/datasets/330000/household-register', { token: caseworker });
    assert.equal((shown.body.data as { rows: number }).rows, 2);

    const records = await node.running.node.catalog.readRecords('330000/household-register', { idNumber: idNumber(1) }, ['name', 'married'], 1);
    assert.deepEqual(records, [{ name: 'Zhang, San', married: true }]);
  });

  test('list, search, update and publication status', async () => {
    const all = await node.call('GET', '/api/v1/catalog/datasets', { token: caseworker });
    assert.equal(all.body.total, 2);
    const found = await node.call('GET', `/api/v1/catalog/datasets?q=${encodeURIComponent('婚姻')}`, { token: caseworker });
    assert.deepEqual((found.body.datasets as { id: string }[]).map((d) => d.id), ['330000/marriage-records']);
    const conditional = await node.call('GET', '/api/v1/catalog/datasets?sharing=conditional&grade=important', { token: caseworker });
    assert.deepEqual((conditional.body.datasets as { id: string }[]).map((d) => d.id), ['330000/household-register']);
    const badQuery = await node.call('GET', '/api/v1/catalog/datasets?grade=secret', { token: caseworker });
    assert.equal(badQuery.status, 400);

    const updated = await node.call('PUT', '/api/v1/catalog/datasets/330000/marriage-records', {
      token: steward,
      body: { ...datasetDocument({ id: 'marriage-records', name: '婚姻登记信息（历史）', sharing: { type: 'unconditional' }, grade: 'general' }) },
    });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    assert.equal(updated.body.version, 2);
    const mismatch = await node.call('PUT', '/api/v1/catalog/datasets/330000/marriage-records', { token: steward, body: datasetDocument() });
    assert.equal(mismatch.status, 400);

    const status = await node.call('GET', '/api/v1/catalog/publication', { token: caseworker });
    assert.equal(status.status, 200);
    assert.equal(status.body.state, 'waiting_for_hub');
    assert.equal(status.body.version, 3);

    const search = await node.call('GET', '/api/v1/catalog/search?q=x', { token: caseworker });
    assert.equal(search.status, 503);
    assert.equal(search.body.code, 'directory_unavailable');
  });

  test('the catalogue routes are in the OpenAPI document', async () => {
    const doc = await node.call('GET', '/openapi.json');
    const paths = Object.keys(doc.body.paths as object);
    for (const path of [
      '/api/v1/catalog/datasets',
      '/api/v1/catalog/datasets/{provider}/{slug}',
      '/api/v1/catalog/datasets/{provider}/{slug}/import',
      '/api/v1/catalog/search',
      '/api/v1/catalog/federation',
    ]) {
      assert.ok(paths.includes(path), `${path} missing`);
    }
  });
});
