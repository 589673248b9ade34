/** Pure checks of dataset documents and record values: good documents pass, each bad path is named. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TongbanError } from '../../src/core/errors.ts';
import { dataLayoutOf, managedTableName, parseDatasetDocument } from '../../src/catalog/domain/dataset.ts';
import { checkRow, fromStored, parseText } from '../../src/catalog/domain/record-values.ts';
import { parsePublication, publicationOf, publishedDatasetOf, queryString, searchTerms } from '../../src/catalog/domain/publication.ts';
import { datasetDocument } from './catalog-fixture.ts';

const provider = { code: '330000', name: '浙江省' };

function refusal(document: unknown): { message: string; path: unknown } {
  try {
    parseDatasetDocument(document, provider);
  } catch (error) {
    assert.ok(error instanceof TongbanError);
    assert.equal(error.code, 'invalid_input');
    return { message: error.message, path: error.details?.path };
  }
  assert.fail('the document was accepted');
}

describe('dataset documents', () => {
  test('a good document is completed with the full id and the provider', () => {
    const parsed = parseDatasetDocument(datasetDocument(), provider);
    assert.equal(parsed.id, '330000/household-register');
    assert.equal(parsed.provider, '330000');
    assert.equal(parsed.providerName, '浙江省公安厅');
    const { providerName: _omitted, ...withoutName } = datasetDocument({ id: '330000/household-register', sharing: { type: 'unconditional' } });
    const defaulted = parseDatasetDocument(withoutName, provider);
    assert.equal(defaulted.providerName, '浙江省');
    assert.equal(defaulted.sharing.type, 'unconditional');
  });

  const cases: Array<[string, Record<string, unknown>, string, RegExp?]> = [
    ['a missing name', { name: undefined }, 'name', /is required/],
    ['an unknown field', { colour: 'blue' }, 'colour', /not a known field/],
    ['a bad slug', { id: 'Household Register' }, 'id'],
    ["another node's id", { id: '310000/household-register' }, 'id', /330000/],
    ["another provider", { provider: '310000' }, 'provider'],
    ['a non-numeric code', { code: '1-A-3' }, 'code'],
    ['an unknown item type', { items: [{ name: 'idNumber', type: 'text' }] }, 'items[0].type', /one of: string, integer/],
    ['an item name that is not an identifier', { items: [{ name: 'id"; drop table x;--', type: 'string' }] }, 'items[0].name'],
    ['item names equal but for case', { items: [{ name: 'idNumber', type: 'string' }, { name: 'IDNUMBER', type: 'string' }] }, 'items[1].name'],
    ['an unknown field in an item', { items: [{ name: 'idNumber', type: 'string', width: 3 }] }, 'items[0].width'],
    ['no items', { items: [] }, 'items'],
    ['a key field that is not an item', { keyFields: ['passport'] }, 'keyFields[0]', /passport/],
    ['conditional sharing without a condition', { sharing: { type: 'conditional', legalBasis: 'x' } }, 'sharing.condition'],
    ['conditional sharing without a legal basis', { sharing: { type: 'conditional', condition: 'x' } }, 'sharing.legalBasis'],
    ['no sharing without a legal basis', { sharing: { type: 'none' } }, 'sharing.legalBasis'],
    ['an unknown sharing type', { sharing: { type: 'open' } }, 'sharing.type'],
    ['an unknown grade', { grade: 'secret' }, 'grade', /general, important, core/],
    ['an unknown update cycle', { updateCycle: 'hourly' }, 'updateCycle'],
    ['an impossible publish date', { publishedOn: '2026-02-30' }, 'publishedOn'],
  ];
  for (const [title, change, path, message] of cases) {
    test(`refuses ${title}, naming ${path}`, () => {
      const document: Record<string, unknown> = { ...datasetDocument(), ...change };
      for (const [key, value] of Object.entries(change)) if (value === undefined) delete document[key];
      const refused = refusal(document);
      assert.equal(refused.path, path);
      assert.ok(refused.message.includes(path), refused.message);
      if (message) assert.match(refused.message, message);
    });
  }

  test('refuses what is not a mapping', () => {
    assert.equal(refusal([1, 2]).path, '(document)');
    assert.equal(refusal('text').path, '(document)');
  });

  test('the data layout changes with item names, types and key fields only', () => {
    const base = parseDatasetDocument(datasetDocument(), provider);
    const renamed = parseDatasetDocument(datasetDocument({ name: 'another name', abstract: 'x' }), provider);
    assert.equal(dataLayoutOf(base), dataLayoutOf(renamed));
    const retyped = parseDatasetDocument(datasetDocument({ items: [{ name: 'idNumber', type: 'integer' }, { name: 'name', type: 'string' }] }), provider);
    assert.notEqual(dataLayoutOf(base), dataLayoutOf(retyped));
  });

  test('managed table names stay short enough for PostgreSQL', () => {
    assert.equal(managedTableName('household-register'), 'ds_household_register');
    const long = managedTableName('a'.repeat(64));
    assert.ok(long.length <= 40);
    assert.notEqual(long, managedTableName(`${'a'.repeat(63)}b`));
  });
});

describe('record values', () => {
  const items = parseDatasetDocument(datasetDocument(), provider).items;

  test('text cells are typed, blanks are null, times are normalised to UTC', () => {
    const checked = checkRow(
      items,
      ['idNumber'],
      { idNumber: '330102199001010011', name: '', birthDate: '1990-01-31', children: '+2', income: '-1.5e3', married: 'FALSE', registeredAt: '2026-03-01T08:30:00+08:00' },
      'text',
    );
    assert.ok(checked.ok);
    assert.deepEqual(checked.values, {
      idNumber: '330102199001010011',
      name: null,
      birthDate: '1990-01-31',
      children: 2,
      income: -1500,
      married: false,
      registeredAt: '2026-03-01T00:30:00.000Z',
    });
  });

  test('every bad field of a row is reported, values never echoed', () => {
    const checked = checkRow(items, ['idNumber'], { idNumber: '', birthDate: '1990-02-30', children: '2.5', income: 'NaN', married: 'yes', registeredAt: '2026-03-01 08:30' }, 'text');
    assert.ok(!checked.ok);
    assert.deepEqual(
      checked.problems.map((problem) => problem.field),
      ['birthDate', 'children', 'income', 'married', 'registeredAt', 'idNumber'],
    );
    for (const problem of checked.problems) assert.ok(!problem.problem.includes('1990-02-30'));
  });

  test('JSON values accept their own types and text, and refuse unknown fields and nesting', () => {
    const ok = checkRow(items, ['idNumber'], { idNumber: 330102, children: 3, income: 2.5, married: true, name: null }, 'json');
    assert.ok(ok.ok);
    assert.equal(ok.values.idNumber, '330102');
    const bad = checkRow(items, ['idNumber'], { idNumber: 'x', children: 1.5, married: 'x', name: { first: 'a' }, extra: 1 }, 'json');
    assert.ok(!bad.ok);
    assert.deepEqual(bad.problems.map((problem) => problem.field).sort(), ['children', 'extra', 'married', 'name']);
  });

  test('integers beyond 2^53 are refused rather than rounded', () => {
    assert.ok('problem' in parseText('integer', '9007199254740993'));
    assert.deepEqual(parseText('integer', '9007199254740991'), { value: 9007199254740991 });
  });

  test('stored values come back as the same JSON on both engines', () => {
    assert.equal(fromStored('boolean', 1), true);
    assert.equal(fromStored('boolean', 0), false);
    assert.equal(fromStored('date', new Date(2026, 0, 5)), '2026-01-05');
    assert.equal(fromStored('datetime', new Date('2026-03-01T00:30:00Z')), '2026-03-01T00:30:00.000Z');
    assert.equal(fromStored('number', '12.5'), 12.5);
    assert.equal(fromStored('string', null), null);
  });
});

describe('publications and queries', () => {
  const document = parseDatasetDocument(datasetDocument(), provider);
  const dataset = publishedDatasetOf(document, 2, '2026-03-01T00:00:00.000Z');

  test('a publication is accepted from its signer only, for its own datasets', () => {
    const publication = publicationOf('330000', 3, [dataset], new Date('2026-03-01T00:00:00Z'));
    assert.equal(parsePublication(JSON.parse(JSON.stringify(publication)), '330000').version, 3);
    assert.throws(() => parsePublication(publication, '310000'), /signed by 310000/);
    const foreign = publicationOf('310000', 1, [dataset], new Date());
    assert.throws(() => parsePublication(foreign, '310000'), (error: TongbanError) => error.details?.path === 'datasets[0].id');
    assert.throws(() => parsePublication({ ...publication, extra: 1 }, '330000'), (error: TongbanError) => error.code === 'invalid_input');
  });

  test('query strings are built in one order, and search terms are lower-cased words', () => {
    assert.equal(queryString({ offset: 5, q: '户籍 人口', limit: 10 }), '?q=%E6%88%B7%E7%B1%8D+%E4%BA%BA%E5%8F%A3&limit=10&offset=5');
    assert.equal(queryString({}), '');
    assert.deepEqual(searchTerms('  Marriage   RECORDS '), ['marriage', 'records']);
  });
});
