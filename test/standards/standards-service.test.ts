/**
 * Standards import/export (elements and code lists, CSV and JSON, dry runs, GBK), a user-supplied
 * full GB/T 2260 table used by quality rules, and mapping with the conformance report; on SQLite
 * and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TongbanError } from '../../src/core/errors.ts';
import { systemActor } from '../../src/identity/index.ts';
import { parseElements } from '../../src/standards/index.ts';
import { forEachEngine } from '../support/databases.ts';
import { chunks, datasetDocument, openCatalogNode, type CatalogNode } from '../catalog/catalog-fixture.ts';

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

const utf8 = (text: string) => new TextEncoder().encode(text);

/** Encodes text as GBK with a table built from Node's own GBK decoder (ASCII stays one byte). */
function gbk(text: string): Uint8Array {
  const decoder = new TextDecoder('gbk');
  const table = new Map<string, number[]>();
  for (let lead = 0x81; lead <= 0xfe; lead++) {
    for (let trail = 0x40; trail <= 0xfe; trail++) {
      if (trail === 0x7f) continue;
      const char = decoder.decode(new Uint8Array([lead, trail]));
      if (char.length === 1 && char !== '\ufffd' && !table.has(char)) table.set(char, [lead, trail]);
    }
  }
  return new Uint8Array([...text].flatMap((char) => (char.charCodeAt(0) < 0x80 ? [char.charCodeAt(0)] : table.get(char)!)));
}
const fullDivisions = 'code,name\n110000,北京市\n110105,朝阳区\n430000,湖南省\n430300,湘潭市\n430371,湘潭高新技术产业开发区\n';

forEachEngine('data standards on a node', ({ dialect }) => {
  let fixture: CatalogNode;
  before(async () => {
    fixture = await openCatalogNode(dialect);
  });
  after(async () => fixture.close());

  test('a full GB/T 2260 table in GBK imports with --encoding gbk, is refused clearly as UTF-8, and dry runs store nothing', async () => {
    const { standards } = fixture.node;
    const gbkBytes = gbk(fullDivisions);
    const request = { kind: 'codeLists', format: 'csv', codeList: { name: 'gb-t-2260', version: 2, sourceStandard: 'GB/T 2260-2007 (full)' } } as const;
    const wrong = await refused(standards.importStandards(systemActor, { ...request, bytes: gbkBytes }), 'import_invalid');
    assert.match(wrong.message, /not valid UTF-8 text\. It reads as GBK: import it with --encoding gbk/);
    const dry = await standards.importStandards(systemActor, { ...request, bytes: gbkBytes, encoding: 'gbk', dryRun: true });
    assert.deepEqual(dry.results, [{ id: 'gb-t-2260', version: 2, status: 'would_import', codes: 5 }]);
    assert.equal((await standards.codeList('gb-t-2260')).version, 1, 'the dry run stored nothing');
    const imported = await standards.importStandards(systemActor, { ...request, bytes: gbkBytes, encoding: 'gbk' });
    assert.equal(imported.results[0]!.status, 'imported');
    const list = await standards.codeList('gb-t-2260');
    assert.equal(list.version, 2);
    assert.deepEqual(list.codes.at(-1), { code: '430371', name: '湘潭高新技术产业开发区' });
    assert.equal((await standards.importStandards(systemActor, { ...request, bytes: utf8(fullDivisions) })).results[0]!.status, 'unchanged');
    await refused(standards.importStandards(systemActor, { ...request, bytes: utf8('code,name\n110000,北京\n') }), 'import_invalid');
    const duplicate = await refused(standards.importStandards(systemActor, { ...request, codeList: { ...request.codeList, version: 3 }, bytes: utf8('code,name\n110000,a\n110000,b\n') }), 'import_invalid');
    assert.match(duplicate.message, /110000 twice \(line 3\)/);
    await refused(standards.importStandards(systemActor, { ...request, bytes: new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0x00]) }), 'import_invalid');
    const events = await fixture.node.events.list({ type: 'standards.import_refused' });
    assert.ok(events.length >= 3);
  });

  test('the imported full table replaces the built-in subset in quality rules', async () => {
    const { catalog, quality } = fixture.node;
    await catalog.create(systemActor, datasetDocument({ id: 'places', items: [{ name: 'division', type: 'string', dataElement: 'GBT2260.division' }, { name: 'sex', type: 'string' }], keyFields: ['sex'] }));
    await catalog.importRecords(systemActor, '330000/places', chunks('division,sex\n430371,1\n999999,3\n'), { format: 'csv' });
    const run = await quality.run(systemActor, '330000/places');
    const division = run.results.find((result) => result.name === 'division in GB/T 2260')!;
    assert.equal(division.failed, 1, '430371 is in the imported table, 999999 is not');
  });

  test('elements import from JSON and CSV with line-pointed errors, and export round trips', async () => {
    const { standards } = fixture.node;
    const elements = {
      elements: [
        { id: 'MCA.marriage-status', version: 1, nameZh: '婚姻状况', nameEn: 'Marital status', definition: 'GB/T 2261.2 marital status', dataType: 'string', allowedValues: ['10', '20', '21', '22', '23', '30', '40', '90'], sourceStandard: 'GB/T 2261.2-2003' },
        { id: 'local.county', version: 1, nameZh: '县区', nameEn: 'County', definition: 'A county code', dataType: 'string', codeList: 'gb-t-2260', sourceStandard: 'GB/T 2260' },
      ],
    };
    const result = await standards.importStandards(systemActor, { kind: 'elements', format: 'json', bytes: utf8(JSON.stringify(elements)) });
    assert.deepEqual(result.results.map((entry) => entry.status), ['imported', 'imported']);
    const orphan = await refused(standards.importStandards(systemActor, { kind: 'elements', format: 'json', bytes: utf8(JSON.stringify({ elements: [{ ...elements.elements[1], id: 'x', codeList: 'nowhere' }] })) }), 'import_invalid');
    assert.match(orphan.message, /code list nowhere, which is not imported/);
    const csv = 'id,version,nameZh,nameEn,definition,dataType,sourceStandard\nlocal.a,1,甲,A,first,string,local\nlocal.b,1,乙,B,second,text,local\n';
    const bad = await refused(standards.importStandards(systemActor, { kind: 'elements', format: 'csv', bytes: utf8(csv) }), 'import_invalid');
    assert.match(bad.message, /^Line 3 of the elements CSV: dataType:/);
    const exported = await standards.exportStandards('elements', 'csv');
    const reread = parseElements(exported, 'csv');
    assert.deepEqual(reread, await standards.elements());
    assert.ok(reread.some((element) => element.id === 'MCA.marriage-status' && element.allowedValues?.length === 8));
    const listCsv = await standards.exportStandards('codeLists', 'csv', 'gb-t-2260');
    assert.equal(listCsv, fullDivisions);
  });

  test('mapping fields to elements and the conformance report', async () => {
    const { catalog, quality } = fixture.node;
    await catalog.create(
      systemActor,
      datasetDocument({
        id: 'marriages',
        items: [
          { name: 'idNumber', type: 'string' },
          { name: 'status', type: 'string' },
          { name: 'county', type: 'string' },
          { name: 'married', type: 'date' },
          { name: 'note', type: 'string' },
        ],
        keyFields: ['note'],
      }),
    );
    await catalog.importRecords(systemActor, '330000/marriages', chunks('idNumber,status,county,married,note\n11010519491231002X,20,110105,2001-05-01,a\n11010519491231002Y,99,999999,2002-06-01,b\n'), { format: 'csv' });
    const before = await quality.conformance('330000/marriages');
    assert.equal(before.summary.unmapped, 5);
    await refused(quality.mapFields(systemActor, '330000/marriages', { nothing: 'MCA.marriage-status' }), 'invalid_input');
    await refused(quality.mapFields(systemActor, '330000/marriages', { status: 'no.such.element' }), 'invalid_input');
    const report = await quality.mapFields(systemActor, '330000/marriages', { idNumber: 'GB11643.citizen-id', status: 'MCA.marriage-status', county: 'local.county', married: 'GB11643.citizen-id' });
    const byField = new Map(report.fields.map((field) => [field.field, field]));
    assert.equal(byField.get('idNumber')!.status, 'values_outside');
    assert.equal(byField.get('idNumber')!.outside, 1);
    assert.equal(byField.get('status')!.outside, 1);
    assert.equal(byField.get('county')!.outside, 1);
    assert.equal(byField.get('married')!.status, 'type_mismatch');
    assert.equal(byField.get('note')!.status, 'unmapped');
    assert.deepEqual(report.summary, { fields: 5, mapped: 4, unmapped: 1, typeMismatches: 1, fieldsWithValuesOutside: 3 });
    assert.equal((await catalog.get('330000/marriages')).items.find((item) => item.name === 'status')!.dataElement, 'MCA.marriage-status');
    const cleared = await quality.mapFields(systemActor, '330000/marriages', { married: null });
    assert.equal(cleared.fields.find((field) => field.field === 'married')!.status, 'unmapped');
  });
});
