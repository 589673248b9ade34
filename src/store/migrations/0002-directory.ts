/** Tables of the directory context: the hub's registry and publications, a member's link to its hub. */
import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../dialect.ts';

/** Creates the directory context's tables. */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  // --- hub side ---
  await db.schema
    .createTable('directory_members')
    .addColumn('code', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('level', 'text', (c) => c.notNull())
    .addColumn('parent', 'text')
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('endpoint', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('status_reason', 'text')
    .addColumn('admitted_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('directory_member_keys')
    .addColumn('kid', 'text', (c) => c.primaryKey())
    .addColumn('member_code', 'text', (c) => c.notNull().references('directory_members.code'))
    .addColumn('use', 'text', (c) => c.notNull())
    .addColumn('suite', 'text', (c) => c.notNull())
    .addColumn('public_key', 'text', (c) => c.notNull())
    .addColumn('valid_from', 'text', (c) => c.notNull())
    .addColumn('valid_until', 'text')
    .execute();
  await db.schema.createIndex('directory_member_keys_member').on('directory_member_keys').column('member_code').execute();

  await db.schema
    .createTable('directory_applications')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('level', 'text', (c) => c.notNull())
    .addColumn('parent', 'text')
    .addColumn('endpoint', 'text', (c) => c.notNull())
    .addColumn('keys', 'text', (c) => c.notNull())
    .addColumn('document', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('decided_at', 'text')
    .addColumn('decided_by', 'text')
    .addColumn('reason', 'text')
    .execute();
  // At most one pending application per node, even when two hub processes receive one at once.
  // Partial indexes are written the same way in SQLite and PostgreSQL.
  await sql
    .raw(`create unique index directory_applications_one_pending on directory_applications (code) where status = 'pending'`)
    .execute(db);

  await db.schema
    .createTable('directory_publications')
    .addColumn('version', 'integer', (c) => c.primaryKey())
    .addColumn('document', 'text', (c) => c.notNull())
    .addColumn('issued_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('signed_by', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('directory_publication_head')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('version', 'integer', (c) => c.notNull())
    .execute();
  await db.insertInto('directory_publication_head' as never).values({ id: 1, version: 0 } as never).execute();

  await db.schema
    .createTable('directory_hub_key_transitions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('previous_kid', 'text', (c) => c.notNull())
    .addColumn('next_kid', 'text', (c) => c.notNull().unique())
    .addColumn('document', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  // --- member side ---
  await db.schema
    .createTable('directory_membership')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('hub_url', 'text', (c) => c.notNull())
    .addColumn('hub_code', 'text', (c) => c.notNull())
    .addColumn('hub_name', 'text', (c) => c.notNull())
    .addColumn('anchor', 'text', (c) => c.notNull())
    .addColumn('endpoint', 'text', (c) => c.notNull())
    .addColumn('joined_at', 'text', (c) => c.notNull())
    .addColumn('sync_failing', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_sync_at', 'text')
    .addColumn('last_sync_error', 'text')
    .execute();

  await db.schema
    .createTable('directory_cache')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('document', 'text', (c) => c.notNull())
    .addColumn('etag', 'text')
    .addColumn('issued_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('fetched_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('directory_key_updates')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('document', 'text', (c) => c.notNull())
    .addColumn('key_set', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('sent_at', 'text')
    .addColumn('error', 'text')
    .execute();
  await db.schema.createIndex('directory_key_updates_status').on('directory_key_updates').columns(['status', 'created_at']).execute();
}
