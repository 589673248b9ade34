/**
 * Data elements and code lists are versioned objects: importing a changed one without a version
 * makes the next version, an unchanged one stays, a published version never changes, and quality
 * runs keep pointing at the versions they used. On SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TongbanError } from '../../src/core/errors.ts';
import { systemActor } from '../../src/identity/index.ts';
import { forEachEngine } from '../support/databases.ts';
import { chunks, datasetDocument, openCatalogNode, type CatalogNode } from '../catalog/catalog-fixture.ts';

const utf8 = (text: string) => new TextEncoder().encode(text);
const dataset = '330000/marriage-register';

function elementFile(allowedValues: string[], version?: number): Uint8Array {
  const element = {
    id: 'MR.marital-status',
    ...(version === undefined ? {} : { version }),
    nameZh: '婚姻状况',
    nameEn: 'Marital status',
    definition: 'Marital status code.',
    dataType: 'string',
    allowedValues,
    sourceStandard: 'GB/T 2261.2-2003',
  };
  return utf8(JSON.stringify({ elements: [element] }));
}

forEachEngine('versioned data elements and code lists', ({ dialect }) => {
  let fixture: CatalogNode;
  before(async () => {
    fixture = await openCatalogNode(dialect);
  });
  after(async () => fixture.close());

  test('importing a changed element makes a new version; old runs keep the version they used', async () => {
    const { standards, catalog, quality } = fixture.node;
    const importElement = (bytes: Uint8Array, dryRun = false) => standards.importStandards(systemActor, { kind: 'elements', format: 'json', bytes, ...(dryRun ? { dryRun } : {}) });

    assert.deepEqual((await importElement(elementFile(['10', '20']))).results, [{ id: 'MR.marital-status', version: 1, status: 'imported' }]);
    assert.deepEqual((await importElement(elementFile(['10', '20']))).results, [{ id: 'MR.marital-status', version: 1, status: 'unchanged' }]);

    await catalog.create(systemActor, datasetDocument({ id: 'marriage-register', items: [{ name: 'id', type: 'string' }, { name: 'status', type: 'string', dataElement: 'MR.marital-status' }], keyFields: ['id'] }));
    await catalog.importRecords(systemActor, dataset, chunks('id,status\n1,10\n2,20\n3,30\n4,40\n'), { format: 'csv' });
    const statusRule = (run: { results: readonly { name: string; failed: number; standards?: string[] }[] }) =>
      run.results.filter((result) => result.name.startsWith('status ')).map((result) => [result.failed, result.standards]);
    const first = await quality.run(systemActor, dataset);
    assert.equal(first.rulesSource, 'generated');
    assert.deepEqual(statusRule(first), [[2, ['element:MR.marital-status@1']]]);
    assert.equal(first.results.find((result) => result.name === 'id present')!.standards, undefined, 'key-field rules use no standard');

    // A dry run of the changed element says which version it would become and stores nothing.
    assert.deepEqual((await importElement(elementFile(['10', '20', '30']), true)).results, [{ id: 'MR.marital-status', version: 2, status: 'would_import' }]);
    assert.equal((await standards.element('MR.marital-status'))!.version, 1);
    assert.deepEqual((await importElement(elementFile(['10', '20', '30']))).results, [{ id: 'MR.marital-status', version: 2, status: 'imported' }]);
    const current = await standards.element('MR.marital-status');
    assert.equal(current!.version, 2);
    assert.deepEqual(current!.allowedValues, ['10', '20', '30']);

    const second = await quality.run(systemActor, dataset);
    assert.deepEqual(statusRule(second), [[1, ['element:MR.marital-status@2']]]);
    const old = await quality.getRun(first.id);
    assert.deepEqual(statusRule(old), [[2, ['element:MR.marital-status@1']]], 'the old run still points at version 1');

    // A version named in the file is a published one: changing it is refused, with nothing stored.
    const changed = await standards.importStandards(systemActor, { kind: 'elements', format: 'json', bytes: elementFile(['10'], 1) }).catch((error: unknown) => error);
    assert.ok(changed instanceof TongbanError && changed.code === 'import_invalid', String(changed));
    assert.match(changed.message, /version 1 is already imported with other content/);
    assert.equal((await standards.element('MR.marital-status'))!.version, 2);
    // Two unversioned copies of one element in a file are ambiguous.
    const twice = utf8(JSON.stringify({ elements: [JSON.parse(new TextDecoder().decode(elementFile(['10']))).elements[0], JSON.parse(new TextDecoder().decode(elementFile(['20']))).elements[0]] }));
    await assert.rejects(importElement(twice), /appears twice/);
  });

  test('importing changed codes without a version makes the next code list version; runs record the one they used', async () => {
    const { standards, catalog, quality } = fixture.node;
    const importList = (codes: string) => standards.importStandards(systemActor, { kind: 'codeLists', format: 'csv', bytes: utf8(`code,name\n${codes}`), codeList: { name: 'mr-status', sourceStandard: 'GB/T 2261.2-2003' } });
    assert.equal((await importList('10,未婚\n20,已婚\n')).results[0]!.version, 1);
    await catalog.create(systemActor, datasetDocument({ id: 'status-list', items: [{ name: 'id', type: 'string' }, { name: 'status', type: 'string' }], keyFields: ['id'] }));
    await catalog.importRecords(systemActor, '330000/status-list', chunks('id,status\n1,10\n2,20\n3,30\n'), { format: 'csv' });
    const rules = { rules: [{ check: 'codeList', name: 'status coded', field: 'status', codeList: 'mr-status' }] };
    const first = await quality.run(systemActor, '330000/status-list', { rules });
    assert.deepEqual(first.results.map((result) => [result.failed, result.standards]), [[1, ['codeList:mr-status@1']]]);

    assert.deepEqual((await importList('10,未婚\n20,已婚\n')).results[0], { id: 'mr-status', version: 1, status: 'unchanged', codes: 2 });
    assert.deepEqual((await importList('10,未婚\n20,已婚\n30,丧偶\n')).results[0], { id: 'mr-status', version: 2, status: 'imported', codes: 3 });
    const second = await quality.run(systemActor, '330000/status-list', { rules });
    assert.deepEqual(second.results.map((result) => [result.failed, result.standards]), [[0, ['codeList:mr-status@2']]]);
    assert.deepEqual((await quality.getRun(first.id)).results[0]!.standards, ['codeList:mr-status@1']);
  });
});
