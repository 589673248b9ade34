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
