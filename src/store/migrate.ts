/**
 * Versioned schema migrations that run on both SQLite and PostgreSQL.
 */
import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { TongbanError } from '../core/errors.ts';
import type { DialectName } from './dialect.ts';
import type { Store } from './open-store.ts';
import * as foundation from './migrations/0001-foundation.ts';
import * as directory from './migrations/0002-directory.ts';
import * as catalog from './migrations/0003-catalog.ts';
import * as agreements from './migrations/0004-agreements.ts';
import * as exchange from './migrations/0005-exchange.ts';
import * as audit from './migrations/0006-audit.ts';
import * as quality from './migrations/0007-quality.ts';
import * as witness from './migrations/0008-witness.ts';
import * as remediation from './migrations/0009-remediation.ts';
import * as exchangeMode from './migrations/0010-exchange-mode.ts';
import * as integrityAcknowledgements from './migrations/0011-integrity-acknowledgements.ts';
import * as narrowIndexes from './migrations/0012-narrow-indexes.ts';
import * as federationSortColumns from './migrations/0013-federation-sort-columns.ts';

interface DialectMigration {
  up(db: Kysely<unknown>, dialect: DialectName): Promise<void>;
}

/** Every migration, in order. Names are permanent once released. */
const migrations: ReadonlyArray<readonly [string, DialectMigration]> = [
  ['0001-foundation', foundation],
  ['0002-directory', directory],
  ['0003-catalog', catalog],
  ['0004-agreements', agreements],
  ['0005-exchange', exchange],
  ['0006-audit', audit],
  ['0007-quality', quality],
  ['0008-witness', witness],
  ['0009-remediation', remediation],
  ['0010-exchange-mode', exchangeMode],
  ['0011-integrity-acknowledgements', integrityAcknowledgements],
  ['0012-narrow-indexes', narrowIndexes],
  ['0013-federation-sort-columns', federationSortColumns],
];

/** The names of every migration this build knows, in order. */
export const migrationNames: readonly string[] = migrations.map(([name]) => name);

const migrationTable = 'schema_migrations';
const migrationLockTable = 'schema_migrations_lock';

export interface MigrationState {
  readonly name: string;
  readonly executedAt: string | null;
}

export interface MigrateResult {
  /** Migrations applied by this call. */
  readonly applied: readonly string[];
  readonly state: readonly MigrationState[];
}

function migrator(store: Store): Migrator {
  const provider: MigrationProvider = {
    async getMigrations() {
      const byName: Record<string, Migration> = {};
      for (const [name, migration] of migrations) {
        byName[name] = { up: (db) => migration.up(db, store.dialect) };
      }
      return byName;
    },
  };
  return new Migrator({
    db: store.db,
    provider,
    migrationTableName: migrationTable,
    migrationLockTableName: migrationLockTable,
  });
}

async function executedNames(store: Store): Promise<string[]> {
  const tables = await store.db.introspection.getTables();
  if (!tables.some((table) => table.name === migrationTable)) return [];
  const rows = await sql<{ name: string }>`select name from ${sql.table(migrationTable)}`.execute(store.db);
  return rows.rows.map((row) => row.name);
}

/** Refuses a database that a newer Tongban migrated, before anything touches it. */
export async function assertSchemaNotNewer(store: Store): Promise<void> {
  const known = new Set(migrations.map(([name]) => name));
  const unknown = (await executedNames(store)).filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new TongbanError(
      'database_too_new',
      `The database at ${store.location} was migrated by a newer Tongban (unknown migrations: ${unknown.join(', ')}). Upgrade this node's software.`,
      { unknown },
    );
  }
}

/** Applies every pending migration in one transaction; nothing is half-applied on failure. */
export async function migrateToLatest(store: Store): Promise<MigrateResult> {
  await assertSchemaNotNewer(store);
  const { error, results } = await migrator(store).migrateToLatest();
  if (error) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName;
    throw new TongbanError(
      'migration_failed',
      `Migration ${failed ?? '(unknown)'} failed and was rolled back: ${error instanceof Error ? error.message : String(error)}`,
      { migration: failed },
      { cause: error },
    );
  }
  return {
    applied: (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName),
    state: await migrationState(store),
  };
}

/** Which migrations exist and when each ran. */
export async function migrationState(store: Store): Promise<MigrationState[]> {
  await assertSchemaNotNewer(store);
  const infos = await migrator(store).getMigrations();
  return infos.map((info) => ({ name: info.name, executedAt: info.executedAt ? info.executedAt.toISOString() : null }));
}

/** Whether every known migration has run. */
export async function isSchemaCurrent(store: Store): Promise<boolean> {
  return (await migrationState(store)).every((migration) => migration.executedAt !== null);
}
