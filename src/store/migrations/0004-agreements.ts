/** Tables of the agreements context. */
import type { Kysely } from 'kysely';
import { bigintType, type DialectName } from '../dialect.ts';

export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('agreements')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('document', 'text', (c) => c.notNull())
    .addColumn('hash_alg', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('proposed_by', 'text')
    .addColumn('superseded_by', 'integer')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('agreements_pk', ['id', 'version'])
    .execute();
  await db.schema.createIndex('agreements_state').on('agreements').column('state').execute();

  await db.schema
    .createTable('agreement_signatures')
    .addColumn('agreement_id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('party', 'text', (c) => c.notNull())
    .addColumn('kid', 'text', (c) => c.notNull())
    .addColumn('hash_alg', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('signed_at', 'text', (c) => c.notNull())
    .addColumn('jws', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('agreement_signatures_pk', ['agreement_id', 'version', 'party'])
    .addForeignKeyConstraint('agreement_signatures_version', ['agreement_id', 'version'], 'agreements', ['id', 'version'])
    .execute();

  await db.schema
    .createTable('agreement_transitions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('agreement_id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('from_state', 'text')
    .addColumn('to_state', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('at', 'text', (c) => c.notNull())
    .addForeignKeyConstraint('agreement_transitions_version', ['agreement_id', 'version'], 'agreements', ['id', 'version'])
    .execute();
  await db.schema.createIndex('agreement_transitions_version').on('agreement_transitions').columns(['agreement_id', 'version']).execute();

  await db.schema
    .createTable('agreement_approvals')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('agreement_id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('dataset', 'text', (c) => c.notNull())
    .addColumn('requester', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('items', 'text')
    .addColumn('purposes', 'text')
    .addColumn('valid_from', 'text', (c) => c.notNull())
    .addColumn('valid_to', 'text', (c) => c.notNull())
    .addColumn('jws', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addForeignKeyConstraint('agreement_approvals_version', ['agreement_id', 'version'], 'agreements', ['id', 'version'])
    .execute();
  await db.schema.createIndex('agreement_approvals_version').on('agreement_approvals').columns(['agreement_id', 'version']).execute();

  await db.schema
    .createTable('agreement_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('agreement_id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('jws', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('agreement_deliveries_due').on('agreement_deliveries').columns(['status', 'next_attempt_at']).execute();

  await db.schema
    .createTable('agreement_revision')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('revision', bigintType(dialect), (c) => c.notNull())
    .execute();
  await db.insertInto('agreement_revision' as never).values({ id: 1, revision: 0 } as never).execute();
}
