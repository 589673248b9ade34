/**
 * The SQL twins of the validators must answer exactly what the TypeScript validators answer, on
 * SQLite, PostgreSQL and DuckDB, for random strings and for random valid and mutated identifiers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import fc from 'fast-check';
import { sql, type Expression, type RawBuilder } from 'kysely';
import { queryTarget } from '../../src/quality/store/rule-query.ts';
import type { SqlFlavour } from '../../src/standards/store/sql-flavour.ts';
import type { Store } from '../../src/store/open-store.ts';
import {
  citizenIdBirthDateSql,
  citizenIdLegacySql,
  citizenIdSexSql,
  citizenIdSql,
  creditCodeSql,
  dateInRangeSql,
  dateSql,
  divisionCodeSql,
  licenseIdSql,
  sexCodeSql,
} from '../../src/standards/store/sql-validators.ts';
import {
  citizenIdCheckChar,
  creditCodeCharset,
  creditCodeCheckChar,
  mod3736CheckChar,
  validateCitizenId,
  validateCreditCode,
  validateDate,
  validateDateInRange,
  validateDivisionCode,
  validateLicenseId,
  validateSexCode,
} from '../../src/standards/domain/validators.ts';
import { builtInDivisionCodes } from '../../src/standards/code-tables.ts';
import { forEachEngine } from '../support/databases.ts';

type Twin = {
  readonly name: string;
  readonly sql: (dialect: SqlFlavour, column: Expression<unknown>) => RawBuilder<unknown>;
  readonly ts: (value: string) => string | boolean | null;
};

const divisions = builtInDivisionCodes();
const range = { min: '1950-01-01', max: '2010-12-31' };
const twins: readonly Twin[] = [
  { name: 'citizenId', sql: citizenIdSql, ts: (value) => validateCitizenId(value).valid },
  { name: 'citizenIdLegacy', sql: citizenIdLegacySql, ts: (value) => validateCitizenId(value).kind === 'legacy' },
  { name: 'creditCode', sql: creditCodeSql, ts: (value) => validateCreditCode(value).valid },
  { name: 'licenseId', sql: licenseIdSql, ts: (value) => validateLicenseId(value).valid },
  { name: 'date', sql: dateSql, ts: (value) => validateDate(value).valid },
  { name: 'dateInRange', sql: (dialect, column) => dateInRangeSql(dialect, column, range), ts: (value) => validateDateInRange(value, range).valid },
  { name: 'sex', sql: sexCodeSql, ts: (value) => validateSexCode(value).valid },
  { name: 'division', sql: (dialect, column) => divisionCodeSql(dialect, column, divisions), ts: (value) => validateDivisionCode(value, divisions).valid },
  // For valid numbers the decoded facts must match too.
  { name: 'idBirthDate', sql: citizenIdBirthDateSql, ts: (value) => (validateCitizenId(value).valid ? (validateCitizenId(value).birthDate ?? null) : null) },
  { name: 'idSex', sql: citizenIdSexSql, ts: (value) => (validateCitizenId(value).valid ? (validateCitizenId(value).sex ?? null) : null) },
];

/** Where the twins run: a store (SQLite, PostgreSQL) or an embedded DuckDB. */
type Engine = { readonly dialect: SqlFlavour; readonly store?: Store; readonly duckdb?: DuckDBConnection };

/** Runs every twin over a batch of values in one query and returns the answers per value. */
async function evaluate(engine: Engine, values: readonly string[]): Promise<Record<string, unknown>[]> {
  const source = sql.join(
    values.map((value, index) => sql`select ${sql.lit(index)} as n, cast(${value} as text) as v`),
    sql` union all `,
  );
  const column = sql.ref('t.v');
  const selections = twins.map((twin) => sql`${twin.sql(engine.dialect, column)} as ${sql.id(twin.name)}`);
  const query = sql<Record<string, unknown>>`select t.n, ${sql.join(selections)} from (${source}) t order by t.n`;
  if (engine.duckdb) return queryTarget({ duckdb: engine.duckdb, dialect: 'duckdb', table: 't', columns: new Map() }, query);
  return (await query.execute(engine.store!.db)).rows;
}

function normalise(name: string, answer: unknown): string | boolean | null {
  if (name === 'idBirthDate' || name === 'idSex') return answer === null ? null : String(answer);
  return answer === true || answer === 1;
}

async function assertParity(engine: Engine, values: readonly string[]): Promise<void> {
  const rows = await evaluate(engine, values);
  values.forEach((value, index) => {
    for (const twin of twins) {
      const fromSql = normalise(twin.name, rows[index]![twin.name]);
      const expected = twin.ts(value);
      // The decoders are only compared on valid numbers: SQL decodes any 15/18-character value.
      if ((twin.name === 'idBirthDate' || twin.name === 'idSex') && expected === null) continue;
      assert.equal(fromSql, expected, `${twin.name}(${JSON.stringify(value)}) on ${engine.dialect}`);
    }
  });
}

const digits = '0123456789';
const digitString = (length: number) => fc.string({ unit: fc.constantFrom(...digits), minLength: length, maxLength: length });
const realDate = fc.date({ min: new Date(Date.UTC(1800, 0, 1)), max: new Date(Date.UTC(2099, 11, 31)), noInvalidDate: true }).map((date) => date.toISOString().slice(0, 10).replace(/-/g, ''));
const validCitizenId = fc.tuple(digitString(6), realDate, digitString(3)).map(([division, date, sequence]) => {
  const first17 = division + date + sequence;
  return first17 + citizenIdCheckChar(first17);
});
const creditChar = fc.constantFrom(...creditCodeCharset);
const validCreditCode = fc.string({ unit: creditChar, minLength: 17, maxLength: 17 }).map((first17) => first17 + creditCodeCheckChar(first17));
const alnumChar = fc.constantFrom(...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ');
const alnumString = (min: number, max: number) => fc.string({ unit: alnumChar, minLength: min, maxLength: max });
const validLicenseId = fc.tuple(alnumString(21, 21), alnumString(18, 18), alnumString(1, 20), digitString(3)).map(([type, issuer, serial, version]) => `1.2.156.3005.2.${type}.${issuer}.${serial}.${version}.${mod3736CheckChar(type + issuer + serial + version)}`);
/** Replaces one character by one from a small alphabet of near misses (digits, X, letters, dots). */
function mutate(valid: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.tuple(valid, fc.nat(), fc.constantFrom(...'0123456789XABLU.-x ')).map(([value, position, char]) => {
    const index = position % value.length;
    return value.slice(0, index) + char + value.slice(index + 1);
  });
}
// No NUL: PostgreSQL text cannot hold it. Otherwise any character, including multi-byte ones.
const anyString = fc.string({ unit: 'binary', maxLength: 30 }).filter((value) => !value.includes('\u0000'));
const shaped = fc.oneof(
  anyString,
  validCitizenId,
  mutate(validCitizenId),
  digitString(15),
  fc.tuple(digitString(6), realDate, digitString(3), fc.constantFrom(...'0123456789X')).map((parts) => parts.join('')),
  validCreditCode,
  mutate(validCreditCode),
  validLicenseId,
  mutate(validLicenseId),
  realDate.map((date) => `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6)}`),
  fc.tuple(digitString(4), digitString(2), digitString(2)).map((parts) => parts.join('-')),
  fc.constantFrom('0', '1', '2', '9', '3', '', '430300', '430371', '110000'),
);

const fixedCases = [
  '11010519491231002X',
  '440524188001010014',
  '11010519491231002x',
  '110105194902300021',
  '110105491231002',
  '91110000600037341L',
  '91110000600037341I',
  '1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U',
  '1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.V',
  '1.2.156.3005.2.11100000000013338W011.11430000006122244L.2023.0000403.001.U',
  '2024-02-29',
  '2023-02-29',
  '1900-02-29',
  '2000-02-29',
  '湘潭县',
  "'; drop table x; --",
];

function paritySuite(engine: () => Engine): void {
  test('published samples and fixed edge cases', async () => {
    await assertParity(engine(), fixedCases);
  });

  test('random strings and random valid and mutated identifiers (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(shaped, { minLength: 1, maxLength: 60 }), async (values) => {
        await assertParity(engine(), values);
      }),
      { numRuns: 60 },
    );
  });
}

forEachEngine('SQL validators agree with the TypeScript validators', ({ openFresh }) => {
  let store: Store;
  before(async () => {
    store = await openFresh({ migrate: false });
  });
  after(async () => {
    await store.db.destroy();
  });
  paritySuite(() => ({ dialect: store.dialect, store }));
});

describe('SQL validators agree with the TypeScript validators [duckdb]', () => {
  let instance: DuckDBInstance;
  let connection: DuckDBConnection;
  before(async () => {
    instance = await DuckDBInstance.create(':memory:');
    connection = await instance.connect();
  });
  after(() => {
    connection.closeSync();
    instance.closeSync();
  });
  paritySuite(() => ({ dialect: 'duckdb', duckdb: connection }));
});
