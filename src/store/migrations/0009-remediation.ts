/**
 * Remediation tasks of the quality context (opened from failed rules, assigned, fixed, verified by
 * a passing re-run), and the data elements and code lists a steward imports (standards context).
 */
import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.ts';

export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('quality_remediation_tasks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('dataset', 'text', (c) => c.notNull())
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('opened_run', 'text', (c) => c.notNull())
    .addColumn('failed_at_open', 'integer', (c) => c.notNull())
    .addColumn('assignee', 'text')
    .addColumn('note', 'text')
    .addColumn('verified_run', 'text')
    .addColumn('opened_by', 'text', (c) => c.notNull())
    .addColumn('opened_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('quality_remediation_tasks_dataset').on('quality_remediation_tasks').columns(['dataset', 'state']).execute();
  await db.schema
    .createTable('standards_elements')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('document', 'text', (c) => c.notNull())
    .addColumn('imported_by', 'text', (c) => c.notNull())
    .addColumn('imported_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('standards_elements_pk', ['id', 'version'])
    .execute();
  await db.schema
    .createTable('standards_code_lists')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('source_standard', 'text', (c) => c.notNull())
    .addColumn('code_count', 'integer', (c) => c.notNull())
    .addColumn('codes', 'text', (c) => c.notNull())
    .addColumn('imported_by', 'text', (c) => c.notNull())
    .addColumn('imported_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('standards_code_lists_pk', ['name', 'version'])
    .execute();
}
