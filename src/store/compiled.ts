/**
 * Statements that run on every exchange are built with the query builder once and re-run with
 * fresh parameters: building one costs about as much as SQLite running it. Each parameter to
 * fill in is compiled as a sentinel value; where each sentinel landed is found once, so the
 * order stays Kysely's and filling in is a copy by position.
 */
import type { CompiledQuery } from 'kysely';
import type { Db } from './open-store.ts';
import type { Tables } from './tables.ts';

/** A parameter value no caller passes, standing for `label` until bound. */
export function sentinel(label: string): string {
  return `\u0000tongban-parameter:${label}`;
}

/**
 * A function that fills `compiled` with `values[i]` wherever `sentinels[i]` stands. Other
 * parameters (literals the builder made parameters, e.g. `id = 1`) stay as compiled.
 */
export function binder(compiled: CompiledQuery, sentinels: readonly unknown[]): (values: readonly unknown[]) => CompiledQuery {
  const slots = compiled.parameters.map((parameter) => sentinels.indexOf(parameter));
  const missing = sentinels.filter((value) => !compiled.parameters.includes(value));
  if (missing.length > 0) throw new Error(`sentinels not in the statement ${compiled.sql}: ${missing.map(String).join(', ')}`);
  return (values) => ({ ...compiled, parameters: slots.map((slot, index) => (slot < 0 ? compiled.parameters[index] : values[slot])) });
}

/**
 * A multi-row INSERT into `table`, compiled once per row count (up to 64 counts kept); values go
 * row by row, column by column. Rows must fit the database's bound-parameter limit.
 */
export function compiledInsert<T extends keyof Tables & string>(
  db: Db,
  table: T,
  columns: readonly string[],
): (rows: ReadonlyArray<Readonly<Record<string, unknown>>>) => CompiledQuery {
  const byCount = new Map<number, (values: readonly unknown[]) => CompiledQuery>();
  return (rows) => {
    let bind = byCount.get(rows.length);
    if (!bind) {
      const sentinels = rows.map((_, row) => columns.map((column) => sentinel(`${table}:${row}:${column}`)));
      const templates = sentinels.map((row) => Object.fromEntries(columns.map((column, at) => [column, row[at]])));
      bind = binder(db.insertInto(table).values(templates as never).compile(), sentinels.flat());
      if (byCount.size < 64) byCount.set(rows.length, bind);
    }
    const values: unknown[] = [];
    for (const row of rows) for (const column of columns) values.push(row[column]);
    return bind(values);
  };
}
