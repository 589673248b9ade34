/**
 * The storage port: one Kysely instance over SQLite (default) or PostgreSQL (by URL).
 */
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, SqliteAdapter, SqliteDialect, sql, type DialectAdapter, type SqliteDatabase, type Transaction } from 'kysely';
import { TongbanError, UnavailableError } from '../core/errors.ts';
import type { DialectName } from './dialect.ts';
import type { Tables } from './tables.ts';

/** A query builder over the node's database, or a transaction on it. */
export type Db = Kysely<Tables>;
export type Trx = Transaction<Tables>;

/** An open database. */
export interface Store {
  readonly db: Db;
  readonly dialect: DialectName;
  /** Where the data lives, with any password removed. */
  readonly location: string;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** A postgres:// URL; when absent, `sqlitePath` is used. */
  readonly url?: string;
  /** A SQLite file path, or `:memory:`. */
  readonly sqlitePath?: string;
  readonly poolSize?: number;
}

const int8Oid = 20;

/** Opens the database the options name and checks it answers. */
export async function openStore(options: StoreOptions): Promise<Store> {
  if (options.url) return openPostgres(options.url, options.poolSize ?? 10);
  if (!options.sqlitePath) throw new TongbanError('config_invalid', 'Either database.url or a SQLite file is required.');
  return openSqlite(options.sqlitePath);
}

function openSqlite(path: string): Store {
  let database: BetterSqlite3.Database;
  try {
    database = new BetterSqlite3(path);
    // WAL lets readers proceed while one writer appends; NORMAL sync is durable across crashes in WAL mode.
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = NORMAL');
    database.pragma('foreign_keys = ON');
    database.pragma('busy_timeout = 5000');
    // Every exchange rewrites the same hot pages (the log head, index roots, the newest leaves). A
    // checkpoint copies each page once however often the WAL holds it, so checkpointing every 16 MiB
    // instead of every 4 MiB writes less and syncs a quarter as often; the WAL is cut back to
    // 64 MiB after each. An 8 MiB page cache keeps those pages and the index paths of lookups; a
    // larger one costs every commit more (SQLite walks the cache's page hash to drop pages past
    // the end: 3–4 µs more per inserted row at 32 MiB, measured), and the OS caches the rest.
    database.pragma('wal_autocheckpoint = 4000');
    database.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
    database.pragma('cache_size = -8192');
    database.pragma('temp_store = MEMORY');
    registerRegexp(database);
  } catch (error) {
    throw new UnavailableError(`Cannot open the SQLite database ${path}: ${(error as Error).message}`, { path });
  }
  const db = new Kysely<Tables>({ dialect: new TransactionalDdlSqliteDialect({ database: withStatementCache(database) }) });
  return { db, dialect: 'sqlite', location: path, close: () => db.destroy() };
}

/** Values longer than this never match `REGEXP`: a backtracking engine must not run on unbounded input. */
export const sqliteRegexpMaxInput = 2_000;

/**
 * SQLite parses `value REGEXP pattern` but ships no implementation: this registers one, calling
 * JavaScript's engine with the `u` flag (as quality rules are validated). Compiled patterns are
 * cached (bounded); an invalid pattern is an error; NULL in gives NULL out. Quality rules with
 * nested quantifiers are refused before they get here; the input cap bounds the rest.
 */
function registerRegexp(database: BetterSqlite3.Database, capacity = 64): void {
  const compiled = new Map<string, RegExp>();
  database.function('regexp', { deterministic: true }, (pattern: unknown, value: unknown) => {
    if (pattern === null || value === null) return null;
    const source = String(pattern);
    let regex = compiled.get(source);
    if (!regex) {
      regex = new RegExp(source, 'u');
      if (compiled.size >= capacity) compiled.delete(compiled.keys().next().value!);
      compiled.set(source, regex);
    }
    const text = String(value);
    return text.length <= sqliteRegexpMaxInput && regex.test(text) ? 1 : 0;
  });
}

/**
 * Kysely's SQLite driver prepares every statement anew, which costs more than running it for the
 * short statements of an event append. Statements are reused by SQL text (bounded LRU); Kysely's
 * single-connection lock means one statement never runs twice at once.
 */
function withStatementCache(database: BetterSqlite3.Database, capacity = 256): SqliteDatabase {
  const statements = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => database.close(),
    prepare(text: string) {
      let statement = statements.get(text);
      if (statement) {
        statements.delete(text);
      } else {
        statement = database.prepare(text);
        if (statements.size >= capacity) statements.delete(statements.keys().next().value!);
      }
      statements.set(text, statement);
      return statement as unknown as ReturnType<SqliteDatabase['prepare']>;
    },
  };
}

/**
 * SQLite runs CREATE TABLE and friends inside transactions, but Kysely's adapter says it cannot,
 * so its migrator would apply SQLite migrations statement by statement and leave a failed one
 * half-applied. Claiming transactional DDL makes it wrap each run in BEGIN … COMMIT, as on PostgreSQL.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class TransactionalDdlSqliteDialect extends SqliteDialect {
  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

async function openPostgres(url: string, poolSize: number): Promise<Store> {
  const location = redactUrl(url);
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: 5000,
    // bigint columns hold log sequence numbers, far below 2^53: hand them back as numbers.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === int8Oid ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  });
  pool.on('error', () => {
    // An idle client lost its connection; the pool replaces it on next use.
  });
  const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
  try {
    await sql`select 1`.execute(db);
  } catch (error) {
    await db.destroy().catch(() => undefined);
    throw new UnavailableError(`Cannot reach the PostgreSQL database at ${location}: ${(error as Error).message}`, {
      location,
    });
  }
  return { db, dialect: 'postgres', location, close: () => db.destroy() };
}

/** A connection URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://(unparseable URL)';
  }
}
