/** Tables of the catalog context: datasets, their versions, publication state, and (hub) the federation catalogue. */
import type { Kysely } from 'kysely';
import { bigintType, type DialectName } from '../dialect.ts';

/** Creates the catalogue's tables (dataset tables themselves are created by imports). */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('catalog_datasets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('slug', 'text', (c) => c.notNull().unique())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('grade', 'text', (c) => c.notNull())
    .addColumn('sharing', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('document', 'text', (c) => c.notNull())
    .addColumn('search_text', 'text', (c) => c.notNull())
    .addColumn('table_name', 'text', (c) => c.notNull().unique())
    .addColumn('data_layout', 'text')
    .addColumn('row_count', bigintType(dialect))
    .addColumn('imported_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('catalog_dataset_versions')
    .addColumn('dataset_id', 'text', (c) => c.notNull().references('catalog_datasets.id'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('document', 'text', (c) => c.notNull())
    .addColumn('changed_at', 'text', (c) => c.notNull())
    .addColumn('changed_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('catalog_dataset_versions_pk', ['dataset_id', 'version'])
    .execute();

  await db.schema
    .createTable('catalog_state')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('version', bigintType(dialect), (c) => c.notNull())
    .addColumn('published_version', bigintType(dialect), (c) => c.notNull())
    .addColumn('published_at', 'text')
    .addColumn('publish_state', 'text', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .execute();
  await db
    .insertInto('catalog_state' as never)
    .values({ id: 1, version: 0, published_version: 0, publish_state: 'ok' } as never)
    .execute();

  await db.schema
    .createTable('catalog_federation_nodes')
    .addColumn('node', 'text', (c) => c.primaryKey())
    .addColumn('version', bigintType(dialect), (c) => c.notNull())
    .addColumn('ts', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('kid', 'text', (c) => c.notNull())
    .addColumn('jws', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('catalog_federation_datasets')
    .addColumn('dataset_id', 'text', (c) => c.primaryKey())
    .addColumn('node', 'text', (c) => c.notNull().references('catalog_federation_nodes.node'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('grade', 'text', (c) => c.notNull())
    .addColumn('sharing', 'text', (c) => c.notNull())
    .addColumn('search_text', 'text', (c) => c.notNull())
    .addColumn('metadata', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('catalog_federation_datasets_node').on('catalog_federation_datasets').column('node').execute();
}
