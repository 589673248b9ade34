/**
 * Node-managed dataset tables: one real table per dataset with typed columns from its items and
 * an index on its key fields. Identifiers are always quoted by Kysely and values always bound;
 * item names are checked against `^[A-Za-z][A-Za-z0-9_]{0,62}$` before they get here.
 */
import { randomBytes } from 'node:crypto';
import { sql, type CompiledQuery, type Kysely } from 'kysely';
import { binder, sentinel } from '../../store/compiled.ts';
import { storedBoolean, valueColumnType, type DialectName } from '../../store/dialect.ts';
import type { Db } from '../../store/open-store.ts';
import type { InformationItem } from '../domain/dataset.ts';
import { fromStored, type RecordValue } from '../domain/record-values.ts';

/** Tables whose names are only known at run time. */
type DynamicTables = Record<string, Record<string, unknown>>;

/** The same database seen with dataset tables, whose names and columns are data. */
export function dynamic(db: Db | Kysely<DynamicTables>): Kysely<DynamicTables> {
  return db as unknown as Kysely<DynamicTables>;
}

/** Most bound parameters one INSERT may carry on both engines (SQLite allows 32766, PostgreSQL 65535). */
const maxParameters = 30_000;

/** Rows per INSERT statement for a table of `columns` columns. */
export function rowsPerInsert(columns: number): number {
  return Math.max(1, Math.min(1000, Math.floor(maxParameters / Math.max(1, columns))));
}

/** A staging table created for one import. */
export interface StagingTable {
  readonly name: string;
}

/**
 * Creates a fresh staging table for an import into `base`. Its name (and its index's) carries a
 * random suffix, so two imports never collide and index names stay unique after the swap.
 */
export async function createStagingTable(
  db: Db,
  dialect: DialectName,
  base: string,
  items: readonly InformationItem[],
  keyFields: readonly string[],
): Promise<StagingTable> {
  const suffix = randomBytes(4).toString('hex');
  const name = `${base}__s${suffix}`;
  let builder = db.schema.createTable(name);
  for (const item of items) builder = builder.addColumn(item.name, valueColumnType(dialect, item.type));
  await builder.execute();
  await db.schema.createIndex(`${base}__k${suffix}`).on(name).columns([...keyFields]).execute();
  return { name };
}

/** Inserts checked rows (all items present, typed) into a table, in statements of bounded size. */
export async function insertRows(
  db: Db,
  dialect: DialectName,
  table: string,
  items: readonly InformationItem[],
  rows: readonly Readonly<Record<string, RecordValue>>[],
): Promise<void> {
  const booleans = items.filter((item) => item.type === 'boolean').map((item) => item.name);
  const stored =
    booleans.length === 0
      ? rows
      : rows.map((row) => {
          const copy: Record<string, unknown> = { ...row };
          for (const name of booleans) {
            const value = row[name];
            if (typeof value === 'boolean') copy[name] = storedBoolean(dialect, value);
          }
          return copy;
        });
  const chunk = rowsPerInsert(items.length);
  for (let start = 0; start < stored.length; start += chunk) {
    await dynamic(db).insertInto(table).values(stored.slice(start, start + chunk)).execute();
  }
}

/** Drops a table if it exists. */
export async function dropTable(db: Db, name: string): Promise<void> {
  await db.schema.dropTable(name).ifExists().execute();
}

/** Makes the staging table the live one; run inside the transaction that records it. */
export async function replaceLiveTable(trx: Db, live: string, staging: string): Promise<void> {
  await trx.schema.dropTable(live).ifExists().execute();
  await trx.schema.alterTable(staging).renameTo(live).execute();
}

/** Adds the staging table's rows to the live table and drops the staging table; inside a transaction. */
export async function appendToLiveTable(trx: Db, live: string, staging: string, columns: readonly string[]): Promise<void> {
  const tables = dynamic(trx);
  await tables
    .insertInto(live)
    .columns([...columns])
    .expression(tables.selectFrom(staging).select([...columns]))
    .execute();
  await trx.schema.dropTable(staging).execute();
}

/** Rows in a table. */
export async function countRows(db: Db, table: string): Promise<number> {
  const row = await dynamic(db)
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number | string>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/**
 * The one indexed SELECT behind every exchange query: `fields` of rows whose key fields equal
 * `match`, at most `limit`, as JSON values. Reads by one text key issued together (the messages
 * of a batch are decided together) go to the database as one query: see `coalescedRead`.
 */
export async function selectRecords(
  db: Kysely<DynamicTables>,
  table: string,
  items: ReadonlyMap<string, InformationItem>,
  match: Readonly<Record<string, RecordValue>>,
  fields: readonly string[],
  limit: number,
): Promise<Record<string, RecordValue>[]> {
  const keys = Object.keys(match);
  const value = match[keys[0]!];
  const rows =
    keys.length === 1 && items.get(keys[0]!)?.type === 'string' && typeof value === 'string'
      ? await coalescedRead(db, table, keys[0]!, fields, limit, value)
      : (await db.executeQuery<Record<string, unknown>>(readStatement(db, table, keys, fields)([...keys.map((key) => match[key]), limit]))).rows;
  return rows.map((row) => {
    const record: Record<string, RecordValue> = {};
    for (const field of fields) record[field] = fromStored(items.get(field)!.type, row[field]);
    return record;
  });
}

/** Reads waiting to go together: one group per database and shape of read. */
interface ReadGroup {
  readonly db: Kysely<DynamicTables>;
  readonly table: string;
  readonly key: string;
  readonly fields: readonly string[];
  readonly limit: number;
  readonly waiting: { readonly value: string; readonly resolve: (rows: Record<string, unknown>[]) => void; readonly reject: (error: unknown) => void }[];
}
const readGroups = new WeakMap<object, Map<string, ReadGroup>>();

/**
 * Reads by one text key made in the same turn of the event loop share one query: `key IN (…)`,
 * with at most `limit` rows per key value (`row_number()` over the key), each caller getting the
 * rows of its own value; a read alone runs the single-key statement. Either way the read waits one
 * turn of the event loop for company. The key is text, so the rows are told apart by exact string
 * equality on both engines.
 */
function coalescedRead(db: Kysely<DynamicTables>, table: string, key: string, fields: readonly string[], limit: number, value: string): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    let groups = readGroups.get(db);
    if (!groups) readGroups.set(db, (groups = new Map()));
    const shape = JSON.stringify([table, key, fields, limit]);
    let group = groups.get(shape);
    if (!group) {
      const created: ReadGroup = { db, table, key, fields, limit, waiting: [] };
      groups.set(shape, (group = created));
      setImmediate(() => {
        groups.delete(shape);
        void runGroup(created);
      });
    }
    group.waiting.push({ value, resolve, reject });
  });
}

async function runGroup(group: ReadGroup): Promise<void> {
  const { db, table, key, fields, limit, waiting } = group;
  try {
    if (waiting.length === 1) {
      const only = waiting[0]!;
      only.resolve((await db.executeQuery<Record<string, unknown>>(readStatement(db, table, [key], fields)([only.value, limit]))).rows);
      return;
    }
    const values = [...new Set(waiting.map((entry) => entry.value))];
    const byValue = new Map<string, Record<string, unknown>[]>(values.map((value) => [value, []]));
    for (let at = 0; at < values.length; at += maxReadValues) {
      const chunk = values.slice(at, at + maxReadValues);
      const { rows } = await db.executeQuery<Record<string, unknown>>(manyReadStatement(db, table, key, fields, chunk.length)([...chunk, limit]));
      for (const row of rows) byValue.get(String(row[key]))?.push(row);
    }
    for (const entry of waiting) entry.resolve(byValue.get(entry.value)!);
  } catch (error) {
    for (const entry of waiting) entry.reject(error);
  }
}

/** Key values per coalesced query (a batch carries at most 64 messages). */
const maxReadValues = 64;

/** The read of `fields` (and the key) for `count` values of one key, at most a limit of rows each. */
function manyReadStatement(db: Kysely<DynamicTables>, table: string, key: string, fields: readonly string[], count: number): (values: readonly unknown[]) => CompiledQuery {
  let statements = readStatements.get(db);
  if (!statements) readStatements.set(db, (statements = new Map()));
  const shape = JSON.stringify(['many', table, key, fields, count]);
  let read = statements.get(shape);
  if (!read) {
    const sentinels = Array.from({ length: count }, (_, at) => sentinel(`match:${key}:${at}`));
    const columns = [...new Set([key, ...fields])];
    const ranked = db
      .selectFrom(table)
      .select(columns)
      .select(sql<number>`row_number() over (partition by ${sql.ref(key)})`.as('tongban_rank'))
      .where(key, 'in', sentinels)
      .as('matched');
    read = binder(db.selectFrom(ranked).select(columns).where('tongban_rank', '<=', limitSentinel).compile(), [...sentinels, limitSentinel]);
    if (statements.size >= 256) statements.delete(statements.keys().next().value!);
    statements.set(shape, read);
  }
  return read;
}

const limitSentinel = -987_654_400;
/** Record reads run on every exchange, so each shape of read is compiled once per database (store/compiled.ts). */
const readStatements = new WeakMap<object, Map<string, (values: readonly unknown[]) => CompiledQuery>>();

/** The read of `fields` by `keys`, filled with the keys' values and then the limit. */
function readStatement(db: Kysely<DynamicTables>, table: string, keys: readonly string[], fields: readonly string[]): (values: readonly unknown[]) => CompiledQuery {
  let statements = readStatements.get(db);
  if (!statements) readStatements.set(db, (statements = new Map()));
  const shape = JSON.stringify([table, keys, fields]);
  let read = statements.get(shape);
  if (!read) {
    const sentinels = keys.map((key) => sentinel(`match:${key}`));
    let query = db.selectFrom(table).select([...fields]);
    keys.forEach((key, at) => (query = query.where(key, '=', sentinels[at]!)));
    read = binder(query.limit(limitSentinel).compile(), [...sentinels, limitSentinel]);
    if (statements.size >= 256) statements.delete(statements.keys().next().value!);
    statements.set(shape, read);
  }
  return read;
}
