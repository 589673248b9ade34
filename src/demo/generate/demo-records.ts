/**
 * The demo datasets: their catalogue documents, and the records of each generated person in
 * the household register (户籍), social-insurance enrolment (社保参保), medical-filing records
 * (异地就医备案) and the marriage register (婚姻登记), whose history is deliberately dirty at
 * seeded rates. Pure apart from reading the division table; deterministic for a given seed.
 */
import { InputError } from '../../core/errors.ts';
import type { Person } from '../people.ts';
import { idCheckChar } from '../people.ts';
import { createPersonSource, drawName, referenceCounties, type PersonSourceOptions } from './person-source.ts';

/** The datasets the generator writes, in file order. */
export const demoDatasetSlugs = ['household-registration', 'social-insurance-enrolment', 'medical-filing', 'marriage-register'] as const;
/** One demo dataset. */
export type DemoDatasetSlug = (typeof demoDatasetSlugs)[number];

/** A value of a generated record: null is a missing value. */
export type DemoValue = string | boolean | null;
/** One generated record, its fields in the dataset's item order. */
export type DemoRecord = Readonly<Record<string, DemoValue>>;

/** Kinds of defect injected into the marriage register's history. */
export const defectKinds = ['legacyId15', 'badCheckChar', 'missingField', 'impossibleDate', 'duplicate', 'sexMismatch', 'birthDateMismatch'] as const;
/** One kind of defect. */
export type DefectKind = (typeof defectKinds)[number];
/** The share (0–1) of marriage records that get each defect; a record gets at most one. */
export type DefectRates = Readonly<Record<DefectKind, number>>;

/**
 * Rates that reflect paper-era registers: many pre-1999 records still carry 15-digit IDs.
 * `duplicate` is the share of clean records entered a second time.
 */
export const defaultDefectRates: DefectRates = Object.freeze({
  legacyId15: 0.3,
  badCheckChar: 0.06,
  missingField: 0.1,
  impossibleDate: 0.06,
  duplicate: 0.06,
  sexMismatch: 0.06,
  birthDateMismatch: 0.06,
});

/** Fields of a marriage record a `missingField` defect may blank (never the key). */
export const marriageOptionalFields = ['name', 'birthDate', 'registeredOn', 'spouseIdNumber', 'spouseName'] as const;

const citizenId = 'GB11643.citizen-id';
const sexCode = 'GBT2261.1.sex';
const division = 'GBT2260.division';

/** The catalogue document of a demo dataset (a node registers it as its own). */
export function demoDatasetDocument(slug: DemoDatasetSlug) {
  const common = { format: 'database', updateCycle: 'daily' as const, publishedOn: '2026-01-15', keyFields: ['idNumber'] };
  switch (slug) {
    case 'household-registration':
      return {
        ...common,
        id: slug,
        code: '1-02-003-0001',
        name: '户籍登记信息',
        abstract: 'Registered residents: household, relation to the head of household and registration date, by citizen ID number.',
        providerName: '公安局',
        items: [
          { name: 'idNumber', type: 'string' as const, title: '公民身份号码', dataElement: citizenId },
          { name: 'name', type: 'string' as const, title: '姓名' },
          { name: 'sex', type: 'string' as const, title: '性别', dataElement: sexCode },
          { name: 'birthDate', type: 'date' as const, title: '出生日期' },
          { name: 'division', type: 'string' as const, title: '户籍地行政区划', dataElement: division },
          { name: 'householdNumber', type: 'string' as const, title: '户号' },
          { name: 'relationToHead', type: 'string' as const, title: '与户主关系' },
          { name: 'registeredOn', type: 'date' as const, title: '登记日期' },
          { name: 'hasRegistration', type: 'boolean' as const, title: '是否有户籍' },
        ],
        sharing: { type: 'conditional' as const, condition: 'to government departments handling cross-province items', legalBasis: '户口登记条例' },
        grade: 'important' as const,
      };
    case 'social-insurance-enrolment':
      return {
        ...common,
        id: slug,
        code: '2-05-001-0001',
        name: '社会保险参保登记信息',
        abstract: 'Who is insured, since when, where and in what status, by citizen ID number.',
        providerName: '人力资源和社会保障局',
        items: [
          { name: 'idNumber', type: 'string' as const, title: '公民身份号码', dataElement: citizenId },
          { name: 'name', type: 'string' as const, title: '姓名' },
          { name: 'sex', type: 'string' as const, title: '性别', dataElement: sexCode },
          { name: 'birthDate', type: 'date' as const, title: '出生日期' },
          { name: 'insuranceType', type: 'string' as const, title: '险种' },
          { name: 'insuredDivision', type: 'string' as const, title: '参保地', dataElement: division },
          { name: 'insuredStatus', type: 'string' as const, title: '参保状态' },
          { name: 'insuredSince', type: 'date' as const, title: '参保日期' },
          { name: 'isInsured', type: 'boolean' as const, title: '是否参保' },
        ],
        sharing: { type: 'unconditional' as const },
        grade: 'general' as const,
      };
    case 'medical-filing':
      return {
        ...common,
        id: slug,
        code: '2-05-004-0001',
        name: '异地就医备案信息',
        abstract: 'Filings of insured people for medical treatment outside their insurance place: where, why and for how long.',
        providerName: '医疗保障局',
        items: [
          { name: 'idNumber', type: 'string' as const, title: '公民身份号码', dataElement: citizenId },
          { name: 'name', type: 'string' as const, title: '姓名' },
          { name: 'filingNumber', type: 'string' as const, title: '备案编号' },
          { name: 'insuredDivision', type: 'string' as const, title: '参保地', dataElement: division },
          { name: 'destinationDivision', type: 'string' as const, title: '就医地', dataElement: division },
          { name: 'filingType', type: 'string' as const, title: '备案类型' },
          { name: 'validFrom', type: 'date' as const, title: '备案开始日期' },
          { name: 'validTo', type: 'date' as const, title: '备案截止日期' },
          { name: 'status', type: 'string' as const, title: '备案状态' },
          { name: 'hasValidFiling', type: 'boolean' as const, title: '是否有有效备案' },
        ],
        sharing: { type: 'unconditional' as const },
        grade: 'general' as const,
      };
    case 'marriage-register':
      return {
        ...common,
        id: slug,
        code: '1-03-002-0001',
        name: '婚姻登记信息',
        abstract: 'Latest marriage registration of each person, digitised from historic paper registers; dates are kept as written.',
        providerName: '民政局',
        items: [
          { name: 'idNumber', type: 'string' as const, title: '公民身份号码', dataElement: citizenId },
          { name: 'name', type: 'string' as const, title: '姓名' },
          { name: 'sex', type: 'string' as const, title: '性别', dataElement: sexCode },
          // Historic registers: dates as written, so impossible ones survive the import for quality to find.
          { name: 'birthDate', type: 'string' as const, title: '出生日期（原始记录）' },
          { name: 'maritalStatus', type: 'string' as const, title: '婚姻状况' },
          { name: 'registeredOn', type: 'string' as const, title: '登记日期（原始记录）' },
          { name: 'certificateNumber', type: 'string' as const, title: '结婚证/离婚证字号' },
          { name: 'spouseIdNumber', type: 'string' as const, title: '配偶公民身份号码' },
          { name: 'spouseName', type: 'string' as const, title: '配偶姓名' },
          { name: 'office', type: 'string' as const, title: '登记机关行政区划', dataElement: division },
        ],
        sharing: { type: 'conditional' as const, condition: 'to registration authorities handling household moves to join a spouse', legalBasis: '婚姻登记条例' },
        grade: 'important' as const,
      };
  }
}

/** The column names of a demo dataset, in file order. */
export function demoDatasetColumns(slug: DemoDatasetSlug): string[] {
  return demoDatasetDocument(slug).items.map((item) => item.name);
}

/** What `demoRecords` needs. */
export interface DemoRecordsOptions extends PersonSourceOptions {
  /** How many people to generate. */
  readonly people: number;
  /** Counties people file for medical treatment in (default: reference counties outside `counties`, or all of them). */
  readonly destinations?: readonly string[];
  /** Defect rates of the marriage register (missing kinds keep their default). */
  readonly defectRates?: Partial<DefectRates>;
  /** The day the data describes (`YYYY-MM-DD`, default 2026-01-01): filings valid then are `valid`. */
  readonly asOf?: string;
}

/** One generated record and the defect injected into it, if any. */
export interface GeneratedRecord {
  readonly dataset: DemoDatasetSlug;
  readonly record: DemoRecord;
  readonly defect?: DefectKind;
}

/** A person and every record about them. */
export interface PersonRecords {
  readonly person: Person;
  readonly records: readonly GeneratedRecord[];
}

const dayMs = 86_400_000;
const dayOf = (date: string) => Date.parse(`${date}T00:00:00Z`) / dayMs;
const dateOf = (day: number) => new Date(day * dayMs).toISOString().slice(0, 10);
const addYears = (date: string, years: number) => `${String(Number(date.slice(0, 4)) + years).padStart(4, '0')}${date.slice(4).replace('02-29', '02-28')}`;

/** Checks the rates: each 0–1 and together at most 1. */
export function resolveDefectRates(rates: Partial<DefectRates> = {}): DefectRates {
  const resolved = { ...defaultDefectRates, ...rates };
  for (const kind of defectKinds) {
    const rate = resolved[kind];
    if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) throw new InputError(`The ${kind} defect rate must be a number from 0 to 1.`, { defect: kind });
  }
  const total = defectKinds.reduce((sum, kind) => sum + resolved[kind], 0);
  if (total > 1) throw new InputError(`The defect rates add up to ${total.toFixed(3)}; a record gets at most one defect, so they must add up to at most 1.`);
  return Object.freeze(resolved);
}

/**
 * Yields each generated person with their records, one person at a time (bounded memory for
 * any count). The same options always yield the same records in the same order.
 */
export function demoRecords(options: DemoRecordsOptions): Generator<PersonRecords> {
  // Options are checked now, not at the first record, so callers can refuse before writing anything.
  const setup = recordSetup(options);
  return generateRecords(options, setup);
}

interface RecordSetup {
  readonly rates: DefectRates;
  readonly source: ReturnType<typeof createPersonSource>;
  readonly destinations: readonly string[];
  readonly allCounties: readonly string[];
}

function recordSetup(options: DemoRecordsOptions): RecordSetup {
  if (!Number.isInteger(options.people) || options.people < 1 || options.people > 50_000_000) throw new InputError('The number of people must be a whole number from 1 to 50000000.');
  const rates = resolveDefectRates(options.defectRates);
  const source = createPersonSource(options);
  if (options.people > source.capacity) throw new InputError(`These counties and birth years hold only ${source.capacity} distinct ID numbers; ask for fewer people.`);
  const home = new Set(source.counties);
  const allCounties = referenceCounties();
  const elsewhere = allCounties.filter((code) => !home.has(code));
  const destinations = [...(options.destinations ?? (elsewhere.length > 0 ? elsewhere : allCounties))];
  if (destinations.length === 0) throw new InputError('Give at least one destination county for medical filings.');
  const unknown = destinations.filter((code) => !allCounties.includes(code));
  if (unknown.length > 0) throw new InputError(`Not county codes of reference/gb-t-2260-divisions.csv: ${unknown.join(', ')}.`, { unknown });
  if (options.asOf !== undefined && !(/^\d{4}-\d{2}-\d{2}$/.test(options.asOf) && dateOf(dayOf(options.asOf)) === options.asOf)) throw new InputError('asOf must be a real date written YYYY-MM-DD.');
  return { rates, source, destinations, allCounties };
}

function* generateRecords(options: DemoRecordsOptions, setup: RecordSetup): Generator<PersonRecords> {
  const { rates, source, destinations, allCounties } = setup;
  const asOf = options.asOf ?? '2026-01-01';
  const lastDay = dayOf(asOf) - 1;
  const random = source.random;
  const between = (from: number, to: number) => (to <= from ? from : from + Math.floor(random() * (to - from + 1)));
  const pick = <T>(values: readonly T[]) => values[Math.floor(random() * values.length)]!;
  // Treatment elsewhere: never the person's own county when there is another to choose.
  const destinationFor = (home: string) => {
    let destination = pick(destinations);
    for (let attempt = 0; destination === home && destinations.length > 1 && attempt < 16; attempt++) destination = pick(destinations);
    return destination === home ? destinations.find((code) => code !== home) ?? home : destination;
  };
  const cumulativeRates = defectKinds.map((_, index) => defectKinds.slice(0, index + 1).reduce((sum, kind) => sum + rates[kind], 0));

  let household = { number: '', left: 0, members: 0, division: '' };
  let households = 0;
  let filings = 0;
  let certificates = 0;

  for (let index = 0; index < options.people; index++) {
    const person = source.next();
    const records: GeneratedRecord[] = [];
    const born = dayOf(person.birthDate);

    // 户籍: consecutive people share a household of one to five.
    if (household.left === 0) {
      households += 1;
      household = { number: `${person.division}${String(households).padStart(9, '0')}`, left: 1 + Math.floor(random() * random() * 5), members: 0, division: person.division };
    }
    household.left -= 1;
    household.members += 1;
    records.push({
      dataset: 'household-registration',
      record: {
        idNumber: person.idNumber,
        name: person.name,
        sex: person.sex,
        birthDate: person.birthDate,
        division: household.division,
        householdNumber: household.number,
        relationToHead: household.members === 1 ? '户主' : household.members === 2 ? '配偶' : '子女',
        registeredOn: dateOf(between(born, lastDay)),
        hasRegistration: true,
      },
    });

    // 社保参保: most insured, some lapsed, some never.
    const statusDraw = random();
    const insuredStatus = statusDraw < 0.78 ? 'active' : statusDraw < 0.9 ? 'lapsed' : 'never';
    const insuredSince = insuredStatus === 'never' ? null : dateOf(between(Math.max(dayOf(addYears(person.birthDate, 18)), dayOf('1995-01-01')), lastDay));
    records.push({
      dataset: 'social-insurance-enrolment',
      record: {
        idNumber: person.idNumber,
        name: person.name,
        sex: person.sex,
        birthDate: person.birthDate,
        insuranceType: random() < 0.6 ? '城镇职工基本养老保险' : '城乡居民基本养老保险',
        insuredDivision: person.division,
        insuredStatus,
        insuredSince,
        isInsured: insuredStatus === 'active',
      },
    });

    // 异地就医备案: a share of the insured file for treatment where they work or live.
    if (insuredStatus === 'active' && random() < 0.3) {
      filings += 1;
      const validFrom = between(dayOf('2023-01-01'), lastDay);
      const validTo = dateOf(dayOf(addYears(dateOf(validFrom), random() < 0.5 ? 1 : 2)) - 1);
      const cancelled = random() < 0.05;
      const status = cancelled ? 'cancelled' : validTo >= asOf ? 'valid' : 'expired';
      const retired = person.birthDate < '1966-01-01';
      records.push({
        dataset: 'medical-filing',
        record: {
          idNumber: person.idNumber,
          name: person.name,
          filingNumber: `YD${person.division}${String(filings).padStart(8, '0')}`,
          insuredDivision: person.division,
          destinationDivision: destinationFor(person.division),
          filingType: retired && random() < 0.6 ? '异地安置退休' : pick(['常驻异地工作', '异地长期居住', '异地转诊就医']),
          validFrom: dateOf(validFrom),
          validTo,
          status,
          hasValidFiling: status === 'valid',
        },
      });
    }

    // 婚姻登记: the latest registration of people born before 2000, from historic registers.
    if (person.birthDate < '2000-01-01' && random() < 0.6) {
      certificates += 1;
      const earliest = Math.max(dayOf(addYears(person.birthDate, person.sex === '1' ? 22 : 20)), dayOf('1980-01-01'));
      const registeredDay = between(earliest, lastDay);
      const registeredOn = dateOf(registeredDay);
      const divorced = random() < 0.15;
      const spouseSex = person.sex === '1' ? '2' : '1';
      const spouseBirth = dateOf(Math.min(born + between(-5 * 365, 5 * 365), registeredDay - 20 * 365));
      const spouseFirst17 = `${pick(allCounties)}${spouseBirth.replace(/-/g, '')}${String(between(0, 499) * 2 + (spouseSex === '1' ? 1 : 0)).padStart(3, '0')}`;
      const clean: Record<string, DemoValue> = {
        idNumber: person.idNumber,
        name: person.name,
        sex: person.sex,
        birthDate: person.birthDate,
        maritalStatus: divorced ? 'divorced' : 'married',
        registeredOn,
        certificateNumber: `${divorced ? 'L' : 'J'}${person.division}-${registeredOn.slice(0, 4)}-${String(certificates).padStart(6, '0')}`,
        spouseIdNumber: spouseFirst17 + idCheckChar(spouseFirst17),
        spouseName: drawName(random, spouseSex),
        office: person.division,
      };
      const draw = random();
      const defectIndex = cumulativeRates.findIndex((limit) => draw < limit);
      const defect = defectIndex < 0 ? undefined : defectKinds[defectIndex];
      if (defect === 'duplicate') {
        // The same registration entered twice: the first copy is clean, the second is the defect.
        records.push({ dataset: 'marriage-register', record: clean });
        records.push({ dataset: 'marriage-register', record: { ...clean }, defect });
      } else if (defect) {
        records.push({ dataset: 'marriage-register', record: injectDefect(clean, defect, random), defect });
      } else {
        records.push({ dataset: 'marriage-register', record: clean });
      }
    }
    yield { person, records };
  }
}

const checkChars = '0123456789X';

/** Spoils a clean marriage record in one way. */
function injectDefect(clean: Readonly<Record<string, DemoValue>>, defect: Exclude<DefectKind, 'duplicate'>, random: () => number): Record<string, DemoValue> {
  const record = { ...clean };
  const id = clean.idNumber as string;
  switch (defect) {
    case 'legacyId15':
      // The pre-1999 15-digit form: no century in the birth date and no check character.
      record.idNumber = id.slice(0, 6) + id.slice(8, 17);
      break;
    case 'badCheckChar': {
      const right = checkChars.indexOf(id[17]!);
      record.idNumber = id.slice(0, 17) + checkChars[(right + 1 + Math.floor(random() * 10)) % 11]!;
      break;
    }
    case 'missingField':
      record[marriageOptionalFields[Math.floor(random() * marriageOptionalFields.length)]!] = null;
      break;
    case 'impossibleDate': {
      const year = (clean.registeredOn as string).slice(0, 4);
      const day = String(1 + Math.floor(random() * 28)).padStart(2, '0');
      const impossible = [`${year}-02-30`, `${year}-02-31`, `${year}-04-31`, `${year}-06-31`, `${year}-09-31`, `${year}-11-31`, `${year}-13-${day}`, `${year}-00-${day}`];
      record.registeredOn = impossible[Math.floor(random() * impossible.length)]!;
      break;
    }
    case 'sexMismatch':
      record.sex = clean.sex === '1' ? '2' : '1';
      break;
    case 'birthDateMismatch': {
      const shift = (1 + Math.floor(random() * 3650)) * (random() < 0.5 ? -1 : 1);
      record.birthDate = dateOf(dayOf(clean.birthDate as string) + shift);
      break;
    }
  }
  return record;
}
