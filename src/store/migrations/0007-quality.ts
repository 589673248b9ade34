/** Tables of the quality context: finished quality runs (run records with results and scores). */
import type { Kysely } from 'kysely';
import { bigintType, valueColumnType, type DialectName } from '../dialect.ts';

export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('quality_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('dataset', 'text', (c) => c.notNull())
    .addColumn('dataset_version', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('rules_source', 'text', (c) => c.notNull())
    .addColumn('rule_count', 'integer', (c) => c.notNull())
    .addColumn('row_count', bigintType(dialect), (c) => c.notNull())
    .addColumn('overall', valueColumnType(dialect, 'number'))
    .addColumn('dimensions', 'text', (c) => c.notNull())
    .addColumn('results', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('quality_runs_dataset').on('quality_runs').columns(['dataset', 'finished_at']).execute();
}
