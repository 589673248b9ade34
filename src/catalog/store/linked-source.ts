/**
 * Datasets backed by a read-only PostgreSQL table or view named in `catalog.linked`: a small pool
 * per database URL whose sessions are read-only, a check that the columns cover the items, and
 * reads through Kysely like the node-managed tables.
 */
import pg from 'pg';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { redactUrl } from '../../store/open-store.ts';
import type { InformationItem } from '../domain/dataset.ts';
import { dynamic } from './managed-table.ts';

const int8Oid = 20;
const dateOid = 1082;

/** A read-only connection to a database that holds linked tables. */
export interface LinkedDatabase {
  readonly db: Kysely<Record<string, Record<string, unknown>>>;
  readonly location: string;
  close(): Promise<void>;
}

/** Opens a small pool whose every transaction is read-only, so no query through it can change the source. */
export function openLinkedDatabase(url: string): LinkedDatabase {
  const pool = new pg.Pool({
    connectionString: url,
    max: 4,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5000,
    options: '-c default_transaction_read_only=on',
    types: {
      // int8 as numbers (record values are JSON); dates as the YYYY-MM-DD text they are.
      getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
        if (oid === int8Oid) return (value: string) => Number(value);
        if (oid === dateOid) return (value: string) => value;
        return pg.types.getTypeParser(oid, format as 'text');
      }) as typeof pg.types.getTypeParser,
    },
  });
  pool.on('error', () => {
    // An idle client lost its connection; the pool replaces it on next use.
  });
  const db = new Kysely<Record<string, Record<string, unknown>>>({ dialect: new PostgresDialect({ pool }) });
  let closing: Promise<void> | undefined;
  return { db, location: redactUrl(url), close: () => (closing ??= db.destroy()) };
}

/** Splits `schema.table` (or `table`) as named in the config. */
export function splitTableName(table: string): { schema: string | null; name: string } {
  const dot = table.indexOf('.');
  return dot < 0 ? { schema: null, name: table } : { schema: table.slice(0, dot), name: table.slice(dot + 1) };
}

/** The columns of a linked table or view (empty when it does not exist or cannot be seen). */
export async function linkedColumns(database: LinkedDatabase, table: string): Promise<string[]> {
  const { schema, name } = splitTableName(table);
  const result = await sql<{ column_name: string }>`
    select column_name from information_schema.columns
    where table_name = ${name} and table_schema = coalesce(${schema}::text, current_schema())
    order by ordinal_position`.execute(dynamic(database.db));
  return result.rows.map((row) => row.column_name);
}

/** The items a linked table lacks a column for. */
export function missingColumns(items: readonly InformationItem[], columns: readonly string[]): string[] {
  const present = new Set(columns);
  return items.filter((item) => !present.has(item.name)).map((item) => item.name);
}
