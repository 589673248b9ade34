/**
 * The demo data generator: deterministic to the byte, valid where it is meant to be clean, and
 * dirty in the marriage register by exactly the counts its manifest states.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { validateCitizenId, validateDate } from '../../src/standards/index.ts';
import { TongbanError } from '../../src/core/errors.ts';
import { demoDataFileName, generateDemoData, manifestFileName, type DemoDataManifest } from '../../src/demo/generate/generate-demo-data.ts';
import { defectKinds, demoDatasetColumns, demoDatasetSlugs, demoRecords, marriageOptionalFields, type DefectKind, type DemoDatasetSlug } from '../../src/demo/generate/demo-records.ts';
import { createPermutation, createPersonSource, referenceCounties } from '../../src/demo/generate/person-source.ts';

const root = mkdtempSync(join(tmpdir(), 'tongban-generate-'));
after(() => rmSync(root, { recursive: true, force: true }));

type Row = Record<string, string | boolean | null>;

/** Reads a generated file back into records (CSV cells: '' is a missing value). */
function readRows(dir: string, slug: DemoDatasetSlug, format: 'csv' | 'jsonl'): Row[] {
  const text = readFileSync(join(dir, demoDataFileName(slug, format)), 'utf8');
  if (format === 'jsonl') return text.trimEnd().split('\n').map((line) => JSON.parse(line) as Row);
  const records = parse(text, { columns: true }) as Record<string, string>[];
  return records.map((record) => Object.fromEntries(Object.entries(record).map(([key, value]) => [key, value === '' ? null : value])));
}

function filesOf(dir: string): Map<string, Buffer> {
  return new Map(readdirSync(dir).sort().map((name) => [name, readFileSync(join(dir, name))]));
}

/** Finds every defect in a marriage register from the data alone, the way a quality engineer would. */
function detectDefects(rows: readonly Row[]): { counts: Record<DefectKind, number>; clean: Row[] } {
  const counts = Object.fromEntries(defectKinds.map((kind) => [kind, 0])) as Record<DefectKind, number>;
  const clean: Row[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    const whole = JSON.stringify(row);
    const id = String(row.idNumber);
    const parsed = validateCitizenId(id);
    if (seen.has(whole)) counts.duplicate += 1;
    else if (/^\d{15}$/.test(id)) counts.legacyId15 += 1;
    else if (parsed.reason === 'check') counts.badCheckChar += 1;
    else if (marriageOptionalFields.some((field) => row[field] === null)) counts.missingField += 1;
    else if (!validateDate(String(row.registeredOn)).valid) counts.impossibleDate += 1;
    else if (parsed.valid && parsed.sex !== row.sex) counts.sexMismatch += 1;
    else if (parsed.valid && parsed.birthDate !== row.birthDate) counts.birthDateMismatch += 1;
    else clean.push(row);
    seen.add(whole);
  }
  return { counts, clean };
}

describe('demo data generator', () => {
  const people = 4000;
  const first = join(root, 'first');
  const second = join(root, 'second');
  const jsonl = join(root, 'jsonl');
  let manifest: DemoDataManifest;

  test('the same seed writes the same bytes; another seed writes other people', async () => {
    manifest = await generateDemoData({ people, seed: 77, out: first });
    const again = await generateDemoData({ people, seed: 77, out: second });
    assert.deepEqual(again, manifest);
    const [a, b] = [filesOf(first), filesOf(second)];
    assert.deepEqual([...a.keys()], [manifestFileName, ...demoDatasetSlugs.map((slug) => demoDataFileName(slug, 'csv'))].sort());
    for (const [name, bytes] of a) assert.ok(bytes.equals(b.get(name)!), `${name} differs between two runs with the same seed`);
    const other = await generateDemoData({ people: 50, seed: 78, out: join(root, 'other') });
    assert.notEqual(other.datasets['household-registration'].sha256, (await generateDemoData({ people: 50, seed: 77, out: join(root, 'other') })).datasets['household-registration'].sha256);
  });

  test('the manifest states the rows, sizes and hashes of the files', () => {
    for (const slug of demoDatasetSlugs) {
      const file = manifest.datasets[slug];
      const bytes = readFileSync(join(first, file.file));
      assert.equal(file.bytes, bytes.length);
      assert.equal(readRows(first, slug, 'csv').length, file.rows);
      assert.deepEqual(Object.keys(readRows(first, slug, 'csv')[0]!), demoDatasetColumns(slug));
    }
    assert.equal(manifest.datasets['household-registration'].rows, people);
    assert.equal(manifest.datasets['social-insurance-enrolment'].rows, people);
    assert.ok(manifest.datasets['medical-filing'].rows > 0 && manifest.datasets['medical-filing'].rows < people);
    assert.deepEqual(JSON.parse(readFileSync(join(first, manifestFileName), 'utf8')), manifest);
  });

  test('every person has a valid GB 11643 number from a reference county, unique, agreeing with sex and birth date', () => {
    const counties = new Set(referenceCounties());
    const household = readRows(first, 'household-registration', 'csv');
    const ids = new Set<string>();
    for (const row of household) {
      const id = String(row.idNumber);
      const parsed = validateCitizenId(id);
      assert.ok(parsed.valid, `${id} is not a valid GB 11643 number`);
      assert.ok(counties.has(id.slice(0, 6)), `${id} has an address code outside the reference table`);
      assert.equal(parsed.sex, row.sex);
      assert.equal(parsed.birthDate, row.birthDate);
      assert.match(String(row.name), /^[\u4e00-\u9fff]{2,3}$/);
      assert.ok(!ids.has(id), `${id} is generated twice`);
      ids.add(id);
    }
    for (const slug of ['social-insurance-enrolment', 'medical-filing'] as const) {
      for (const row of readRows(first, slug, 'csv')) {
        assert.ok(validateCitizenId(String(row.idNumber)).valid);
        assert.ok(ids.has(String(row.idNumber)), `${slug} names someone not in the household register`);
      }
    }
    for (const row of readRows(first, 'medical-filing', 'csv')) {
      assert.notEqual(row.destinationDivision, row.insuredDivision, 'a filing is for treatment elsewhere');
      assert.equal(row.hasValidFiling, row.status === 'valid' ? 'true' : 'false');
    }
  });

  test('the marriage register holds exactly the defects the manifest counts, and its clean rows are clean', () => {
    const rows = readRows(first, 'marriage-register', 'csv');
    const { counts, clean } = detectDefects(rows);
    assert.deepEqual(counts, manifest.defects.counts);
    assert.equal(clean.length, manifest.defects.cleanRows);
    assert.equal(rows.length, clean.length + Object.values(counts).reduce((sum, count) => sum + count, 0));
    for (const kind of defectKinds) assert.ok(counts[kind] > 0, `no ${kind} defect in ${rows.length} rows`);
    for (const row of clean) {
      const parsed = validateCitizenId(String(row.idNumber));
      assert.ok(parsed.valid && parsed.sex === row.sex && parsed.birthDate === row.birthDate);
      assert.ok(validateCitizenId(String(row.spouseIdNumber)).valid);
    }
    // Seeded rates: the counts follow them within sampling error.
    const marriages = rows.length - counts.duplicate;
    assert.ok(Math.abs(counts.legacyId15 / marriages - manifest.defects.rates.legacyId15) < 0.05);
  });

  test('JSON Lines carries the same records as CSV, with typed booleans and nulls', async () => {
    const viaJson = await generateDemoData({ people, seed: 77, out: jsonl, format: 'jsonl' });
    assert.deepEqual(viaJson.defects, manifest.defects);
    for (const slug of demoDatasetSlugs) {
      const fromCsv = readRows(first, slug, 'csv');
      const fromJson = readRows(jsonl, slug, 'jsonl').map((row) => Object.fromEntries(Object.entries(row).map(([key, value]) => [key, typeof value === 'boolean' ? String(value) : value])));
      assert.deepEqual(fromJson, fromCsv, `${slug} differs between formats`);
    }
    assert.equal(typeof readRows(jsonl, 'household-registration', 'jsonl')[0]!.hasRegistration, 'boolean');
  });

  test('people come from the counties asked for; the records stream lazily', () => {
    const records = demoRecords({ people: 1_000_000, seed: 5, counties: ['520402', '520423'] });
    for (let index = 0; index < 500; index++) {
      const { person } = records.next().value as { person: { division: string } };
      assert.ok(['520402', '520423'].includes(person.division));
    }
  });

  test('the permutation behind unique ID numbers is a bijection', () => {
    for (const size of [1, 2, 7, 1000, 4099]) {
      const permute = createPermutation(size, 42);
      const seen = new Set<number>();
      for (let index = 0; index < size; index++) seen.add(permute(index));
      assert.equal(seen.size, size);
      assert.ok([...seen].every((value) => value >= 0 && value < size));
    }
    const source = createPersonSource({ seed: 1, counties: ['310118'], bornFrom: '2000-01-01', bornTo: '2000-01-02' });
    assert.equal(source.capacity, 1000);
    const ids = new Set(Array.from({ length: 1000 }, () => source.next().idNumber));
    assert.equal(ids.size, 1000);
    assert.throws(() => source.next(), /hold only 1000/);
  });

  test('bad options are refused with invalid_input and leave no files behind', async () => {
    const out = join(root, 'refused');
    const refused = async (options: Parameters<typeof generateDemoData>[0], message: RegExp) => {
      await assert.rejects(generateDemoData(options), (error: unknown) => error instanceof TongbanError && error.code === 'invalid_input' && message.test(error.message));
    };
    await refused({ people: 10, seed: 1, out, counties: ['999999'] }, /999999/);
    await refused({ people: 10, seed: 1, out, defectRates: { legacyId15: 0.9, duplicate: 0.5 } }, /add up/);
    await refused({ people: 0, seed: 1, out }, /number of people/);
    await refused({ people: 10, seed: -1, out }, /seed/);
    await refused({ people: 2000, seed: 1, out, counties: ['310118'], bornFrom: '2000-01-01', bornTo: '2000-01-01' }, /distinct ID numbers/);
    assert.deepEqual(existsSync(out) ? readdirSync(out) : [], []);
  });
});
