/**
 * Runs one contract suite on every storage engine: SQLite always, PostgreSQL when it answers
 * (and mandatorily when `CI` is set). Every fresh PostgreSQL store gets a throwaway database of
 * its own, so test files running in parallel processes never see each other's rows.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import pg from 'pg';
import type { DialectName } from '../../src/store/dialect.ts';
import { migrateToLatest } from '../../src/store/migrate.ts';
import { openStore, redactUrl, type Store, type StoreOptions } from '../../src/store/open-store.ts';

/** The server tests create their databases on; the database it names serves as the admin connection. */
const adminUrl = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ciValue = process.env.CI;
const inCi = ciValue !== undefined && ciValue !== '' && ciValue !== 'false' && ciValue !== '0';
const startCommand = 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start';

/** A storage engine a suite can run on, and whether it can run here. */
export interface Engine {
  readonly dialect: DialectName;
  readonly label: string;
  /** Why the engine cannot be used on this machine; absent when it can. */
  readonly unavailable?: string;
  /** Whether an unavailable engine fails the run (CI) rather than skipping its suites. */
  readonly required: boolean;
}

export interface OpenFreshOptions {
  /** Hand the store over with every migration applied; defaults to true. */
  readonly migrate?: boolean;
  readonly poolSize?: number;
}

/** A new database that several stores may open at once, e.g. to race two writers. */
export interface FreshDatabase {
  /** What `openStore` needs to reach it: a temp file for SQLite, a URL for PostgreSQL. */
  readonly storeOptions: StoreOptions;
  /** Opens a store on it (never migrating); closed when the test, or from `before`, the suite ends. */
  open(options?: { readonly poolSize?: number }): Promise<Store>;
}

/** What a contract suite gets for the engine it is running on. */
export interface EngineContext {
  readonly engine: Engine;
  readonly dialect: DialectName;
  /** A store on a new database (in-memory for SQLite), migrated unless `migrate: false`. */
  openFresh(options?: OpenFreshOptions): Promise<Store>;
  /** A new database that can be opened more than once (a file for SQLite), migrated unless `migrated: false`. */
  freshDatabase(options?: { readonly migrated?: boolean }): Promise<FreshDatabase>;
}

/** A throwaway PostgreSQL database for tests that start real node processes. */
export interface FreshPostgresDatabase {
  readonly name: string;
  readonly url: string;
  /** Ends every session on the database and drops it; safe to call twice. */
  drop(): Promise<void>;
}

async function probePostgres(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (error) {
    return (error as Error).message || String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const postgresProblem = await probePostgres(adminUrl);

/** SQLite always; PostgreSQL at TEST_POSTGRES_URL (or the local default) when reachable. */
export const engines: readonly Engine[] = Object.freeze([
  { dialect: 'sqlite', label: 'SQLite', required: true },
  postgresProblem === undefined
    ? { dialect: 'postgres', label: 'PostgreSQL', required: inCi }
    : {
        dialect: 'postgres',
        label: 'PostgreSQL',
        required: inCi,
        unavailable: `PostgreSQL not reachable at ${redactUrl(adminUrl)} (${postgresProblem})`,
      },
]);

let adminPool: pg.Pool | undefined;

/** One small pool per process for CREATE/DROP DATABASE; its idle clients never hold the process open. */
function admin(): pg.Pool {
  if (!adminPool) {
    adminPool = new pg.Pool({ connectionString: adminUrl, max: 2, idleTimeoutMillis: 1000, allowExitOnIdle: true });
    adminPool.on('error', () => undefined);
  }
  return adminPool;
}

function databaseUrl(name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function createDatabase(template?: string): Promise<FreshPostgresDatabase> {
  if (postgresProblem !== undefined) {
    throw new Error(`PostgreSQL not reachable at ${redactUrl(adminUrl)} (${postgresProblem}); start it with: ${startCommand}`);
  }
  // Names are [a-z0-9_] only, so double quotes are all the quoting they need.
  const name = `tongban_test_${randomBytes(6).toString('hex')}`;
  await admin().query(`create database "${name}"${template ? ` template "${template}"` : ''}`);
  let dropping: Promise<void> | undefined;
  return { name, url: databaseUrl(name), drop: () => (dropping ??= dropDatabase(name)) };
}

async function dropDatabase(name: string): Promise<void> {
  // WITH (FORCE) (PostgreSQL 13+) first terminates every session still on the database, so a
  // pool a failed test forgot to close cannot keep it alive.
  await admin().query(`drop database if exists "${name}" with (force)`);
}

/** Creates an empty, uniquely named PostgreSQL database (`tongban_test_<random>`); the caller must `drop()` it. */
export async function freshPostgresUrl(): Promise<FreshPostgresDatabase> {
  return createDatabase();
}

let migratedTemplate: Promise<FreshPostgresDatabase> | undefined;

/**
 * A migrated database that migrated test databases are cloned from: CREATE DATABASE … TEMPLATE
 * copies files, which is much quicker than running every migration again for each test.
 * Made on first use; each `forEachEngine` suite drops it as it ends (suites in a file run one by one).
 */
function templateDatabase(): Promise<FreshPostgresDatabase> {
  migratedTemplate ??= (async () => {
    const database = await createDatabase();
    try {
      const store = await openStore({ url: database.url, poolSize: 1 });
      // Closing before anyone clones: PostgreSQL refuses a template that has sessions on it.
      await migrateToLatest(store).finally(() => store.close());
      return database;
    } catch (error) {
      await database.drop().catch(() => undefined);
      throw error;
    }
  })();
  return migratedTemplate;
}

async function dropTemplate(): Promise<void> {
  const template = migratedTemplate;
  migratedTemplate = undefined;
  const database = await template?.catch(() => undefined);
  await database?.drop();
}

/**
 * Declares `title` once per engine as a `describe` block and hands `suite` a context for that
 * engine. Stores opened through the context are closed, and their databases dropped, when the
 * test that opened them ends (for stores opened in `before` hooks: when the suite ends).
 */
export function forEachEngine(title: string, suite: (context: EngineContext) => void): void {
  for (const engine of engines) {
    const name = `${title} (${engine.label})`;
    if (engine.unavailable !== undefined && engine.required) {
      describe(name, () => {
        test(`${engine.label} is required when CI is set`, () => {
          assert.fail(
            `${engine.unavailable}. CI must run every store suite on ${engine.label}: start it with ` +
              `\`${startCommand}\`, or point TEST_POSTGRES_URL at a server.`,
          );
        });
      });
    } else if (engine.unavailable !== undefined) {
      describe(name, { skip: `${engine.unavailable}; set TEST_POSTGRES_URL to run these` }, () => undefined);
    } else {
      describe(name, () => suite(engineContext(engine)));
    }
  }
}

/** What one test (or the suite's own hooks) opened, released together. */
interface Scope {
  readonly stores: Store[];
  readonly drops: Array<() => Promise<void>>;
}

async function release(scope: Scope): Promise<void> {
  await Promise.allSettled(scope.stores.map((store) => store.close()));
  const results = await Promise.allSettled(scope.drops.map((drop) => drop()));
  const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure) throw failure.reason;
}

function engineContext(engine: Engine): EngineContext {
  // Stores a test opened are released as soon as it ends, in the background, so dropping its
  // database overlaps the next test; stores opened in `before` hooks live until `after`.
  const suiteScope: Scope = { stores: [], drops: [] };
  let scope = suiteScope;
  const releasing: Array<Promise<void>> = [];
  let tempDirectory: string | undefined;

  beforeEach(() => {
    scope = { stores: [], drops: [] };
  });
  afterEach(() => {
    const released = release(scope);
    scope = suiteScope;
    released.catch(() => undefined); // reported by `after`
    releasing.push(released);
  });
  after(async () => {
    const results = await Promise.allSettled([...releasing, release(suiteScope)]);
    if (engine.dialect === 'postgres') results.push(...(await Promise.allSettled([dropTemplate()])));
    if (tempDirectory) rmSync(tempDirectory, { recursive: true, force: true });
    const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failure) throw failure.reason;
  });

  async function open(storeOptions: StoreOptions, poolSize?: number): Promise<Store> {
    const store = await openStore({ ...storeOptions, poolSize: poolSize ?? storeOptions.poolSize });
    let closing: Promise<void> | undefined;
    // Ending a pg pool twice throws; a test may close early and the scope always closes.
    const tracked: Store = {
      db: store.db,
      dialect: store.dialect,
      location: store.location,
      close: () => (closing ??= store.close()),
    };
    scope.stores.push(tracked);
    return tracked;
  }

  async function freshDatabase(options: { readonly migrated?: boolean } = {}): Promise<FreshDatabase> {
    const migrated = options.migrated ?? true;
    let storeOptions: StoreOptions;
    if (engine.dialect === 'sqlite') {
      tempDirectory ??= mkdtempSync(join(tmpdir(), 'tongban-test-'));
      storeOptions = { sqlitePath: join(tempDirectory, `${randomBytes(6).toString('hex')}.sqlite`) };
      if (migrated) {
        const store = await openStore(storeOptions);
        await migrateToLatest(store).finally(() => store.close());
      }
    } else {
      const database = await createDatabase(migrated ? (await templateDatabase()).name : undefined);
      scope.drops.push(database.drop);
      storeOptions = { url: database.url, poolSize: 4 };
    }
    return { storeOptions, open: (openOptions = {}) => open(storeOptions, openOptions.poolSize) };
  }

  return {
    engine,
    dialect: engine.dialect,
    async openFresh(options = {}) {
      const migrate = options.migrate ?? true;
      if (engine.dialect === 'postgres') return (await freshDatabase({ migrated: migrate })).open(options);
      // An in-memory SQLite database is private to its store already.
      const store = await open({ sqlitePath: ':memory:' });
      if (migrate) await migrateToLatest(store);
      return store;
    },
    freshDatabase,
  };
}
