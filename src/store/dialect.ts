/**
 * The few places where SQLite and PostgreSQL differ, each named once with both paths explained.
 */
import { sql, type ColumnDataType, type Expression, type RawBuilder } from 'kysely';

export type DialectName = 'sqlite' | 'postgres';

/** Column type for raw bytes: SQLite stores BLOBs, PostgreSQL `bytea`; both drivers hand back Buffers. */
export function binaryType(dialect: DialectName): ColumnDataType {
  return dialect === 'sqlite' ? 'blob' : 'bytea';
}

/**
 * Column type for 64-bit integers. SQLite's INTEGER is already 64-bit; PostgreSQL needs `bigint`,
 * which the pg adapter parses back to a JS number (safe: log sizes stay far below 2^53).
 */
export function bigintType(dialect: DialectName): ColumnDataType {
  return dialect === 'sqlite' ? 'integer' : 'bigint';
}

/**
 * `SELECT ... FOR UPDATE` where it means something. PostgreSQL needs the row lock so that
 * concurrent processes serialise; SQLite has one writer at a time already and has no such clause.
 */
export function lockRowsClause(dialect: DialectName): RawBuilder<unknown> {
  return dialect === 'postgres' ? sql`for update` : sql``;
}

/**
 * A text column to order by code point, as SQLite's default BINARY collation does. PostgreSQL's
 * database collation (a locale) would skip punctuation and fold case, so one query could page
 * through rows in a different order on each engine; `COLLATE "C"` makes it the same order.
 */
export function byCodePoint(dialect: DialectName, column: Expression<string>): Expression<string> {
  return dialect === 'postgres' ? sql<string>`${column} collate "C"` : column;
}

/** Case-insensitive comparison: PostgreSQL `ILIKE`; SQLite's LIKE is already ASCII case-insensitive. */
export function likeInsensitive(dialect: DialectName, column: Expression<string>, pattern: string): RawBuilder<boolean> {
  return dialect === 'postgres' ? sql<boolean>`${column} ilike ${pattern}` : sql<boolean>`${column} like ${pattern}`;
}

/**
 * Whether `haystack` contains `needle` as plain text, with no wildcards to escape: SQLite's
 * `instr` and PostgreSQL's `strpos` both return the 1-based position, or 0 when absent.
 */
export function textContains(dialect: DialectName, haystack: Expression<string>, needle: string): RawBuilder<boolean> {
  return dialect === 'postgres' ? sql<boolean>`strpos(${haystack}, ${needle}) > 0` : sql<boolean>`instr(${haystack}, ${needle}) > 0`;
}

/** The kinds of value a dataset's information item may hold. */
export type ValueKind = 'string' | 'integer' | 'number' | 'boolean' | 'date' | 'datetime';

/**
 * Column type for a dataset value. PostgreSQL gets its real types (`bigint`, `double precision`,
 * `boolean`, `date`, `timestamptz`), so its own checks and later quality rules apply; SQLite has
 * no boolean or date types: booleans are stored as 0/1 and dates as ISO 8601 text, which sorts
 * correctly. Readers normalise both back to the same JSON values.
 */
export function valueColumnType(dialect: DialectName, kind: ValueKind): ColumnDataType {
  if (dialect === 'postgres') {
    const types: Record<ValueKind, ColumnDataType> = {
      string: 'text',
      integer: 'bigint',
      number: 'double precision',
      boolean: 'boolean',
      date: 'date',
      datetime: 'timestamptz',
    };
    return types[kind];
  }
  const types: Record<ValueKind, ColumnDataType> = {
    string: 'text',
    integer: 'integer',
    number: 'real',
    boolean: 'integer',
    date: 'text',
    datetime: 'text',
  };
  return types[kind];
}

/** A boolean as the engine binds it: better-sqlite3 cannot bind JS booleans (SQLite stores 0/1); pg sends `true`/`false`. */
export function storedBoolean(dialect: DialectName, value: boolean): boolean | number {
  return dialect === 'sqlite' ? (value ? 1 : 0) : value;
}

/**
 * Lets concurrent workers claim different rows of a queue. PostgreSQL: `FOR UPDATE SKIP LOCKED`,
 * so each row is delivered by exactly one process; SQLite: nothing, its single writer already
 * serialises the claiming UPDATE.
 */
export function claimLock<Q extends { forUpdate(): Q; skipLocked(): Q }>(query: Q, dialect: DialectName): Q {
  return dialect === 'postgres' ? query.forUpdate().skipLocked() : query;
}

/**
 * Whether an error is a unique-key violation, so a race between two inserts ends as a conflict
 * rather than an internal error. SQLite (better-sqlite3) reports extended result codes for UNIQUE
 * and PRIMARY KEY constraints; PostgreSQL (pg) SQLSTATE 23505, unique_violation.
 */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('code' in error)) return false;
  const code = (error as { code: unknown }).code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

/** One character position of a fixed-length pattern: a literal character, or a bracket class such as `0-9X`. */
export type CharSlot = { readonly literal: string } | { readonly anyOf: string };

/**
 * Whether `text` is exactly the sequence of character slots (so also exactly that long).
 * SQLite has no regular expressions built in but its case-sensitive `GLOB` has bracket classes;
 * PostgreSQL uses an anchored POSIX regular expression. Classes hold only letters, digits and
 * `-` ranges, which mean the same in both.
 */
export function matchesSlots(dialect: DialectName, text: Expression<unknown>, slots: readonly CharSlot[]): RawBuilder<boolean> {
  if (dialect === 'postgres') {
    const regex = slots.map((slot) => ('anyOf' in slot ? `[${slot.anyOf}]` : slot.literal.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&'))).join('');
    return sql<boolean>`(${text} ~ ${`^${regex}$`})`;
  }
  const glob = slots.map((slot) => ('anyOf' in slot ? `[${slot.anyOf}]` : slot.literal.replace(/[*?[]/g, '[$&]'))).join('');
  return sql<boolean>`(${text} glob ${glob})`;
}

/** Whether every character of `text` is in the bracket class (true for the empty string): SQLite `NOT GLOB '*[^..]*'`, PostgreSQL `!~ '[^..]'`. */
export function onlyCharsIn(dialect: DialectName, text: Expression<unknown>, anyOf: string): RawBuilder<boolean> {
  return dialect === 'postgres' ? sql<boolean>`(${text} !~ ${`[^${anyOf}]`})` : sql<boolean>`(${text} not glob ${`*[^${anyOf}]*`})`;
}

/** The 1-based position of `needle` in `haystack`, 0 when absent: SQLite `instr`, PostgreSQL `strpos`. */
export function textPosition(dialect: DialectName, haystack: Expression<unknown>, needle: Expression<unknown>): RawBuilder<number> {
  return dialect === 'postgres' ? sql<number>`strpos(${haystack}, ${needle})` : sql<number>`instr(${haystack}, ${needle})`;
}

/**
 * A value as text for string functions: PostgreSQL's `substr`/`~` need text, so non-text columns
 * (bigint, date) are cast (dates print as ISO `YYYY-MM-DD`); SQLite converts on its own.
 */
export function asText(dialect: DialectName, value: Expression<unknown>): RawBuilder<string> {
  return dialect === 'postgres' ? sql<string>`cast(${value} as text)` : sql<string>`${value}`;
}

/**
 * A text column as a JSON string literal (NULL as `null`), for comparing columns with the JSON text
 * they were written into: SQLite `json_quote`; PostgreSQL `to_json(..)::text`, which is NULL for
 * NULL, hence the coalesce. Control characters may be escaped differently from `JSON.stringify`
 * (`\u000a` against `\n`), so a mismatch means "look closer", never "changed".
 */
export function jsonQuoted(dialect: DialectName, value: Expression<unknown>): RawBuilder<string> {
  return dialect === 'postgres' ? sql<string>`coalesce(to_json(${value})::text, 'null')` : sql<string>`json_quote(${value})`;
}

/** The first `count` characters of `text`: PostgreSQL `left`; SQLite has no `left`, so `substr` from 1. */
export function textHead(dialect: DialectName, text: Expression<unknown>, count: Expression<number>): RawBuilder<string> {
  return dialect === 'postgres' ? sql<string>`left(${text}, ${count})` : sql<string>`substr(${text}, 1, ${count})`;
}

/** The last `count` characters of `text`: PostgreSQL `right`; SQLite `substr` with a negative start counts from the end. */
export function textTail(dialect: DialectName, text: Expression<unknown>, count: Expression<number>): RawBuilder<string> {
  return dialect === 'postgres' ? sql<string>`right(${text}, ${count})` : sql<string>`substr(${text}, -(${count}))`;
}

/**
 * A text expression over all rows of a group, joined by `separator`, so a range of rows comes back
 * as one value instead of thousands of row objects (bulk reads such as verifying the whole audit
 * log). PostgreSQL: `string_agg(.. order by ..)`, as text (bytea would travel hex-encoded, twice
 * the size). SQLite: `group_concat` cast to a BLOB, so its UTF-8 bytes arrive without a decode, in
 * scan order — SQLite's `ORDER BY` inside an aggregate sorts in a temporary b-tree even when the
 * scan is already ordered — so callers read a range of the primary key (scanned in key order) and
 * check the order from the values themselves. NULL for no rows.
 */
export function concatText(dialect: DialectName, value: Expression<unknown>, separator: string, orderBy: Expression<unknown>): RawBuilder<string | Buffer | null> {
  return dialect === 'postgres'
    ? sql<string | null>`string_agg(${value}, ${separator} order by ${orderBy})`
    : sql<Buffer | null>`cast(group_concat(${value}, ${separator}) as blob)`;
}

/**
 * Byte columns of all rows of a group, back to back (see `concatText` on order).
 * PostgreSQL: `string_agg` over `bytea`; SQLite: `group_concat` copies a BLOB's bytes unchanged
 * into its text result, and casting that back to a BLOB keeps them. NULL for no rows.
 */
export function concatBytes(dialect: DialectName, value: Expression<unknown>, orderBy: Expression<unknown>): RawBuilder<Buffer | null> {
  return dialect === 'postgres' ? sql<Buffer | null>`string_agg(${value}, ''::bytea order by ${orderBy})` : sql<Buffer | null>`cast(group_concat(${value}, '') as blob)`;
}
