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

/** Case-insensitive comparison: PostgreSQL `ILIKE`; SQLite's LIKE is already ASCII case-insensitive. */
export function likeInsensitive(dialect: DialectName, column: Expression<string>, pattern: string): RawBuilder<boolean> {
  return dialect === 'postgres' ? sql<boolean>`${column} ilike ${pattern}` : sql<boolean>`${column} like ${pattern}`;
}
