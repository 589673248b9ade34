/**
 * (hub) The federation catalogue can be ordered by code and by when a dataset last changed, as a
 * node's own catalogue can: both were only inside each dataset's published metadata (JSON), so
 * they get columns of their own, filled from that metadata for publications already held.
 */
import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../dialect.ts';

export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  await db.schema.alterTable('catalog_federation_datasets').addColumn('code', 'text').execute();
  await db.schema.alterTable('catalog_federation_datasets').addColumn('updated_at', 'text').execute();
  await backfill(db, dialect);
}

/** Copies code and update time out of the metadata of rows that lack them. */
export async function backfill(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const field = (name: 'code' | 'updatedAt') => (dialect === 'postgres' ? sql.raw(`(metadata::json ->> '${name}')`) : sql.raw(`json_extract(metadata, '$.${name}')`));
  await sql`update catalog_federation_datasets set code = ${field('code')}, updated_at = ${field('updatedAt')} where code is null or updated_at is null`.execute(db);
}
