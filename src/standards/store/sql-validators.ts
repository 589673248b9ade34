/**
 * The built-in validators as SQL boolean expressions, so quality rules run inside SQLite or
 * PostgreSQL instead of pulling every row into JavaScript. Each function takes the (already
 * quoted) column expression and answers exactly what its twin in domain/validators.ts answers:
 * never NULL for a non-NULL value; NULL input gives false. Engine differences go through the
 * named functions of src/store/dialect.ts (storage) and ./sql-flavour.ts (DuckDB) only.
 *
 * Constant tables (check characters, charsets) are SQL literals, not bound values, so every
 * engine sees them as constants when it plans the query.
 *
 * Casts to integer sit inside `CASE WHEN <format> THEN … END`, which both engines evaluate in
 * order, so a malformed value never reaches a cast (PostgreSQL would raise an error).
 */
import { sql, type Expression, type RawBuilder } from 'kysely';
import type { CharSlot } from '../../store/dialect.ts';
import { flavourAsText, flavourMatchesSlots, flavourOnlyCharsIn, flavourTextPosition, type SqlFlavour } from './sql-flavour.ts';
import { citizenIdCheckChars, citizenIdWeights, creditCodeCharset, creditCodeWeights, licensePrefix, sexCodes } from '../domain/validators.ts';

/** A SQL boolean (SQLite answers 1/0, PostgreSQL true/false). */
export type SqlCondition = RawBuilder<boolean>;

const digit: CharSlot = { anyOf: '0-9' };
const alnumSlot: CharSlot = { anyOf: '0-9A-Z' };
const alnum = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

function repeat(slot: CharSlot, times: number): CharSlot[] {
  return Array.from({ length: times }, () => slot);
}
function literals(text: string): CharSlot[] {
  return [...text].map((literal) => ({ literal }));
}

function substr(text: Expression<unknown>, start: number, length: number): RawBuilder<string> {
  return sql<string>`substr(${text}, ${sql.lit(start)}, ${sql.lit(length)})`;
}
function intAt(text: Expression<unknown>, start: number, length: number): RawBuilder<number> {
  return sql<number>`cast(${substr(text, start, length)} as integer)`;
}

/** Whether integer year/month/day expressions make a real proleptic Gregorian day (caller guarantees digits). */
function realDay(year: Expression<number>, month: Expression<number>, day: Expression<number>): SqlCondition {
  const leap = sql`((${year} % 4 = 0 and ${year} % 100 <> 0) or ${year} % 400 = 0)`;
  return sql<boolean>`(${month} between 1 and 12 and ${day} between 1 and (case when ${month} = 2 then (case when ${leap} then 29 else 28 end) when ${month} in (4, 6, 9, 11) then 30 else 31 end))`;
}

/** `case when guard then body else false end`, the ordered evaluation that keeps casts safe. */
function guarded(guard: SqlCondition, body: SqlCondition): SqlCondition {
  return sql<boolean>`(case when ${guard} then ${body} else false end)`;
}

/** GB 11643 18-digit number: format, real birth date, MOD 11-2 check (twin of `validateCitizenId(v).valid`). */
export function citizenIdSql(dialect: SqlFlavour, column: Expression<unknown>): SqlCondition {
  const text = flavourAsText(dialect, column);
  const terms = citizenIdWeights.map((weight, index) => sql`${intAt(text, index + 1, 1)} * ${sql.lit(weight)}`);
  const sum = sql.join(terms, sql` + `);
  const body = sql<boolean>`(${realDay(intAt(text, 7, 4), intAt(text, 11, 2), intAt(text, 13, 2))} and substr(${sql.lit(citizenIdCheckChars)}, ((${sum}) % 11) + 1, 1) = ${substr(text, 18, 1)})`;
  return guarded(flavourMatchesSlots(dialect, text, [...repeat(digit, 17), { anyOf: '0-9X' }]), body);
}

/** A recognised legacy 15-digit GB 11643 number with a real 19YYMMDD date (twin of `kind === 'legacy'`). */
export function citizenIdLegacySql(dialect: SqlFlavour, column: Expression<unknown>): SqlCondition {
  const text = flavourAsText(dialect, column);
  const body = realDay(sql<number>`(1900 + ${intAt(text, 7, 2)})`, intAt(text, 9, 2), intAt(text, 11, 2));
  return guarded(flavourMatchesSlots(dialect, text, repeat(digit, 15)), body);
}

/** The birth date inside an ID number as `YYYY-MM-DD` text (18-digit: positions 7–14; 15-digit: 19 + 7–12); other lengths give NULL. */
export function citizenIdBirthDateSql(dialect: SqlFlavour, column: Expression<unknown>): RawBuilder<string> {
  const text = flavourAsText(dialect, column);
  return sql<string>`(case when length(${text}) = 18 then ${substr(text, 7, 4)} || '-' || ${substr(text, 11, 2)} || '-' || ${substr(text, 13, 2)} when length(${text}) = 15 then '19' || ${substr(text, 7, 2)} || '-' || ${substr(text, 9, 2)} || '-' || ${substr(text, 11, 2)} end)`;
}

/** The GB/T 2261.1 sex inside an ID number (`1` odd sequence, `2` even); NULL unless 15 or 18 characters with a digit there. */
export function citizenIdSexSql(dialect: SqlFlavour, column: Expression<unknown>): RawBuilder<string> {
  const text = flavourAsText(dialect, column);
  const lastSequence = sql`(case when length(${text}) = 18 then ${substr(text, 17, 1)} when length(${text}) = 15 then ${substr(text, 15, 1)} end)`;
  return sql<string>`(case when ${flavourMatchesSlots(dialect, lastSequence, [digit])} then (case when cast(${lastSequence} as integer) % 2 = 1 then '1' else '2' end) end)`;
}

/** GB 32100 credit code: 18 charset characters and the check character (twin of `validateCreditCode`). */
export function creditCodeSql(dialect: SqlFlavour, column: Expression<unknown>): SqlCondition {
  const text = flavourAsText(dialect, column);
  const terms = creditCodeWeights.map(
    (weight, index) => sql`(${flavourTextPosition(dialect, sql.lit(creditCodeCharset), substr(text, index + 1, 1))} - 1) * ${sql.lit(weight)}`,
  );
  const sum = sql.join(terms, sql` + `);
  const body = sql<boolean>`(substr(${sql.lit(creditCodeCharset)}, ((31 - ((${sum}) % 31)) % 31) + 1, 1) = ${substr(text, 18, 1)})`;
  return guarded(flavourMatchesSlots(dialect, text, repeat({ anyOf: creditCodeCharset }, 18)), body);
}

/**
 * GB/T 36904 license identifier: format and MOD 37,36 over type+issuer+serial+version (twin of
 * `validateLicenseId`). The serial has a variable length, so the check runs as a small recursive
 * CTE per value; its names are prefixed so they cannot capture a dataset column.
 */
export function licenseIdSql(dialect: SqlFlavour, column: Expression<unknown>): SqlCondition {
  const text = flavourAsText(dialect, column);
  const head = flavourMatchesSlots(dialect, substr(text, 1, 56), [...literals(licensePrefix), ...repeat(alnumSlot, 21), { literal: '.' }, ...repeat(alnumSlot, 18), { literal: '.' }]);
  const tail = flavourMatchesSlots(dialect, sql`substr(${text}, length(${text}) - 5, 6)`, [{ literal: '.' }, digit, digit, digit, { literal: '.' }, alnumSlot]);
  const serial = sql`substr(${text}, 57, length(${text}) - 62)`;
  const guard = sql<boolean>`(length(${text}) >= 63 and ${head} and ${tail} and ${flavourOnlyCharsIn(dialect, serial, '0-9A-Z')})`;
  const payload = sql`(${substr(text, 16, 21)} || ${substr(text, 38, 18)} || ${serial} || substr(${text}, length(${text}) - 4, 3))`;
  const value = (char: Expression<unknown>) => sql`(${flavourTextPosition(dialect, sql.lit(alnum), char)} - 1)`;
  const body = sql<boolean>`(with recursive tb_m37(tb_i, tb_p) as (select 0, 36 union all select tb_i + 1, (2 * (((tb_p + ${value(sql`substr(${payload}, tb_i + 1, 1)`)} - 1) % 36) + 1)) % 37 from tb_m37 where tb_i < length(${payload})) select ${value(sql`substr(${text}, length(${text}), 1)`)} = (37 - tb_p) % 36 from tb_m37 where tb_i = length(${payload}))`;
  return guarded(guard, body);
}

/** A real calendar date written `YYYY-MM-DD` (twin of `validateDate`). */
export function dateSql(dialect: SqlFlavour, column: Expression<unknown>): SqlCondition {
  const text = flavourAsText(dialect, column);
  const shape = flavourMatchesSlots(dialect, text, [digit, digit, digit, digit, { literal: '-' }, digit, digit, { literal: '-' }, digit, digit]);
  return guarded(shape, realDay(intAt(text, 1, 4), intAt(text, 6, 2), intAt(text, 9, 2)));
}

/** A real date inside an inclusive range; bounds are bound values (twin of `validateDateInRange`). */
export function dateInRangeSql(dialect: SqlFlavour, column: Expression<unknown>, range: { readonly min?: string; readonly max?: string }): SqlCondition {
  const text = flavourAsText(dialect, column);
  const bounds = [
    ...(range.min === undefined ? [] : [sql`${text} >= ${range.min}`]),
    ...(range.max === undefined ? [] : [sql`${text} <= ${range.max}`]),
  ];
  if (bounds.length === 0) return dateSql(dialect, column);
  return guarded(dateSql(dialect, column), sql<boolean>`(${sql.join(bounds, sql` and `)})`);
}

/** Membership in a list of allowed text values, each bound (an empty list allows nothing). */
export function inValuesSql(dialect: SqlFlavour, column: Expression<unknown>, values: readonly string[]): SqlCondition {
  if (values.length === 0) return sql<boolean>`false`;
  const text = flavourAsText(dialect, column);
  return sql<boolean>`coalesce(${text} in (${sql.join(values.map((value) => sql`${value}`))}), false)`;
}

/** A GB/T 2261.1 sex code (twin of `validateSexCode`). */
export function sexCodeSql(dialect: SqlFlavour, column: Expression<unknown>): SqlCondition {
  return inValuesSql(dialect, column, Object.keys(sexCodes));
}

/** A six-digit division code present in the code table (twin of `validateDivisionCode`). */
export function divisionCodeSql(dialect: SqlFlavour, column: Expression<unknown>, codes: ReadonlySet<string>): SqlCondition {
  return inValuesSql(dialect, column, [...codes]);
}
