/**
 * A seeded person register with known quality faults, for the benchmark and the exactness test,
 * and the standard rule set that checks it. The expected counts are computed by the TypeScript
 * validators row by row, independently of the SQL the engine runs.
 */
import { builtInDivisionCodes } from '../standards/code-tables.ts';
import { citizenIdCheckChar, validateCitizenId, validateDateInRange, validateDivisionCode, validateSexCode } from '../standards/domain/validators.ts';
import type { Rule } from './domain/rules.ts';

/** One row of the generated register. */
export interface RegisterRow {
  readonly idNumber: string | null;
  readonly name: string | null;
  readonly sex: string | null;
  readonly birthDate: string | null;
  readonly division: string | null;
  readonly registeredOn: string | null;
}

/** The columns of the register, all text (dates as ISO text). */
export const registerColumns = ['idNumber', 'name', 'sex', 'birthDate', 'division', 'registeredOn'] as const;

/** The date range the standard rules accept for `registeredOn`. */
export const registeredRange = { min: '2000-01-01', max: '2024-12-31' } as const;

/** The standard rule set of the benchmark. */
export function standardRules(): Rule[] {
  return [
    ...(['idNumber', 'name', 'sex', 'birthDate', 'division'] as const).map((field): Rule => ({ check: 'missing', name: `${field} present`, field })),
    { check: 'validator', name: 'idNumber valid', field: 'idNumber', validator: 'citizenId' },
    { check: 'unique', name: 'idNumber unique', fields: ['idNumber'] },
    { check: 'codeList', name: 'division in GB/T 2260', field: 'division', codeList: 'gb-t-2260' },
    { check: 'codeList', name: 'sex in GB/T 2261.1', field: 'sex', codeList: 'gb-t-2261.1' },
    { check: 'idConsistency', name: 'idNumber matches birthDate', idField: 'idNumber', birthDateField: 'birthDate' },
    { check: 'dateRange', name: 'registeredOn in range', field: 'registeredOn', ...registeredRange },
  ];
}

/** mulberry32: the same seed always gives the same register. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const names = ['王芳', '李伟', '张敏', '刘洋', '陈静', '杨磊', '赵丽', '黄强'];

/** Generates `count` rows; about 0.2–1 % of them carry each kind of fault. */
export function* generateRegister(count: number, seed: number): Generator<RegisterRow> {
  const random = seeded(seed);
  const counties = [...builtInDivisionCodes()].filter((code) => !code.endsWith('00'));
  const issued: string[] = [];
  const pad = (value: number, width: number) => String(value).padStart(width, '0');
  for (let index = 0; index < count; index++) {
    const division = counties[Math.floor(random() * counties.length)]!;
    const birth = new Date(Date.UTC(1940, 0, 1) + Math.floor(random() * 25_000) * 86_400_000).toISOString().slice(0, 10);
    const male = random() < 0.5;
    const first17 = `${division}${birth.replace(/-/g, '')}${pad(Math.floor(random() * 500) * 2 + (male ? 1 : 0), 3)}`;
    let idNumber: string | null = first17 + citizenIdCheckChar(first17);
    const fault = random();
    if (fault < 0.003) idNumber = null;
    else if (fault < 0.008) idNumber = first17 + (citizenIdCheckChar(first17) === '0' ? '1' : '0');
    else if (fault < 0.010 && issued.length > 0) idNumber = issued[Math.floor(random() * issued.length)]!;
    else if (fault < 0.011) idNumber = first17.slice(0, 15);
    if (idNumber !== null && issued.length < 10_000) issued.push(idNumber);
    const registered = new Date(Date.UTC(1998, 0, 1) + Math.floor(random() * 10_000) * 86_400_000).toISOString().slice(0, 10);
    yield {
      idNumber,
      name: random() < 0.01 ? null : names[Math.floor(random() * names.length)]!,
      sex: random() < 0.006 ? null : random() < 0.005 ? '3' : male ? '1' : '2',
      birthDate: random() < 0.008 ? null : random() < 0.004 ? new Date(Date.parse(birth) + 86_400_000).toISOString().slice(0, 10) : birth,
      division: random() < 0.007 ? null : random() < 0.005 ? '430371' : division,
      registeredOn: random() < 0.002 ? null : registered,
    };
  }
}

/** What the standard rules must report for the rows, rule name → failing rows. */
export function expectedFailures(rows: Iterable<RegisterRow>): Map<string, number> {
  const counts = new Map<string, number>(standardRules().map((rule) => [rule.name, 0]));
  const bump = (name: string) => counts.set(name, counts.get(name)! + 1);
  const ids = new Map<string, number>();
  const divisions = builtInDivisionCodes();
  for (const row of rows) {
    for (const field of ['idNumber', 'name', 'sex', 'birthDate', 'division'] as const) if (row[field] === null || row[field] === '') bump(`${field} present`);
    if (row.idNumber !== null) {
      const id = validateCitizenId(row.idNumber);
      if (!id.valid) bump('idNumber valid');
      else if (row.birthDate !== null && id.birthDate !== row.birthDate) bump('idNumber matches birthDate');
      ids.set(row.idNumber, (ids.get(row.idNumber) ?? 0) + 1);
    }
    if (row.division !== null && !validateDivisionCode(row.division, divisions).valid) bump('division in GB/T 2260');
    if (row.sex !== null && !validateSexCode(row.sex).valid) bump('sex in GB/T 2261.1');
    if (row.registeredOn !== null && !validateDateInRange(row.registeredOn, registeredRange).valid) bump('registeredOn in range');
  }
  for (const copies of ids.values()) if (copies > 1) counts.set('idNumber unique', counts.get('idNumber unique')! + copies);
  return counts;
}

/**
 * The same kind of register generated by DuckDB itself, for the 10 M-row benchmark: row `i`'s
 * values and faults follow from `i` by fixed arithmetic (no random state), so the failures are
 * known exactly without reading the rows back (`plannedFailures`). Faults per field are picked by
 * `(i × a + b) mod p` bands for distinct primes p; a duplicated ID always copies the previous
 * row's (always valid) ID. IDs stay unique up to 25 M rows, the generator's limit.
 */
export const maxPlannedRows = 25_000_000;

const plannedWeights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const band = (i: number, multiplier: number, offset: number, modulus: number) => (i * multiplier + offset) % modulus;
const idBand = (i: number) => band(i, 7919, 13, 10_007);
const nameBand = (i: number) => band(i, 3001, 5, 10_061);
const sexBand = (i: number) => band(i, 6007, 7, 10_009);
const birthBand = (i: number) => band(i, 5003, 3, 10_037);
const divisionBand = (i: number) => band(i, 4001, 1, 10_039);
const registeredBand = (i: number) => band(i, 2003, 11, 10_069);
/** Days after 1998-01-01 of the first and last day `registeredRange` accepts. */
const registeredFirstOffset = (Date.parse(registeredRange.min) - Date.parse('1998-01-01')) / 86_400_000;
const registeredLastOffset = (Date.parse(registeredRange.max) - Date.parse('1998-01-01')) / 86_400_000;

/** A DuckDB SELECT producing `rows` register rows (columns as `registerColumns`, all VARCHAR). */
export function plannedRegisterSql(rows: number): string {
  if (!Number.isInteger(rows) || rows < 1 || rows > maxPlannedRows) throw new RangeError(`rows must be an integer from 1 to ${maxPlannedRows}`);
  const counties = [...builtInDivisionCodes()].filter((code) => !code.endsWith('00'));
  const list = (values: readonly string[]) => `[${values.map((value) => `'${value}'`).join(', ')}]`;
  const first17 = (k: string) =>
    `(${list(counties)}[(${k}) % ${counties.length} + 1] || strftime(date '1940-01-01' + cast(((${k}) // 1000) % 25000 as integer), '%Y%m%d') || lpad(cast((${k}) % 1000 as varchar), 3, '0'))`;
  const check = (text: string) => `substr('10X98765432', (${plannedWeights.map((weight, index) => `cast(substr(${text}, ${index + 1}, 1) as integer) * ${weight}`).join(' + ')}) % 11 + 1, 1)`;
  const mod = (multiplier: number, offset: number, modulus: number) => `((i * ${multiplier} + ${offset}) % ${modulus})`;
  return `with base as (
    select i, ${first17('i')} as f17, ${first17('i - 1')} as p17,
      date '1940-01-01' + cast((i // 1000) % 25000 as integer) as birth
    from range(${rows}) as t(i)
  ), checked as (select *, ${check('f17')} as c17, ${check('p17')} as pc17 from base)
  select
    case when ${mod(7919, 13, 10_007)} < 30 then null
         when ${mod(7919, 13, 10_007)} < 80 then f17 || (case when c17 = '0' then '1' else '0' end)
         when ${mod(7919, 13, 10_007)} < 100 then p17 || pc17
         when ${mod(7919, 13, 10_007)} < 110 then substr(f17, 1, 15)
         else f17 || c17 end as "idNumber",
    case when ${mod(3001, 5, 10_061)} < 100 then null else ${list(names)}[i % ${names.length} + 1] end as "name",
    case when ${mod(6007, 7, 10_009)} < 60 then null when ${mod(6007, 7, 10_009)} < 110 then '3' when i % 2 = 1 then '1' else '2' end as "sex",
    case when ${mod(5003, 3, 10_037)} < 80 then null when ${mod(5003, 3, 10_037)} < 120 then strftime(birth + 1, '%Y-%m-%d') else strftime(birth, '%Y-%m-%d') end as "birthDate",
    case when ${mod(4001, 1, 10_039)} < 70 then null when ${mod(4001, 1, 10_039)} < 120 then '430371' else ${list(counties)}[i % ${counties.length} + 1] end as "division",
    case when ${mod(2003, 11, 10_069)} < 20 then null else strftime(date '1998-01-01' + cast((i * 37) % 10000 as integer), '%Y-%m-%d') end as "registeredOn"
  from checked`;
}

/** What the standard rules must report on `plannedRegisterSql(rows)`, rule name → failing rows, from the plan alone. */
export function plannedFailures(rows: number): Map<string, number> {
  const counts = new Map<string, number>(standardRules().map((rule) => [rule.name, 0]));
  const add = (name: string, by = 1) => counts.set(name, counts.get(name)! + by);
  const counties = [...builtInDivisionCodes()].filter((code) => !code.endsWith('00')).length;
  const legacy = new Map<string, number>();
  for (let i = 0; i < rows; i++) {
    const id = idBand(i);
    const day = Math.floor(i / 1000) % 25_000;
    const birth = birthBand(i);
    const birthDay = birth < 80 ? null : birth < 120 ? day + 1 : day;
    if (id < 30) add('idNumber present');
    else if (id < 80 || id >= 100 && id < 110) add('idNumber valid');
    if (id >= 80 && id < 100) add('idNumber unique', 2);
    if (id >= 100 && id < 110) {
      const key = `${i % counties}|${day}|${Math.floor((i % 1000) / 100)}`;
      legacy.set(key, (legacy.get(key) ?? 0) + 1);
    }
    const idDay = id >= 110 ? day : id >= 80 && id < 100 ? Math.floor((i - 1) / 1000) % 25_000 : null;
    if (idDay !== null && birthDay !== null && idDay !== birthDay) add('idNumber matches birthDate');
    if (nameBand(i) < 100) add('name present');
    const sex = sexBand(i);
    if (sex < 60) add('sex present');
    else if (sex < 110) add('sex in GB/T 2261.1');
    if (birthDay === null) add('birthDate present');
    const division = divisionBand(i);
    if (division < 70) add('division present');
    else if (division < 120) add('division in GB/T 2260');
    const offset = (i * 37) % 10_000;
    if (registeredBand(i) >= 20 && (offset < registeredFirstOffset || offset > registeredLastOffset)) add('registeredOn in range');
  }
  for (const copies of legacy.values()) if (copies > 1) add('idNumber unique', copies);
  return counts;
}
