/** Node identity, keys, staff accounts, API tokens and the append-only event table. */
import { sql, type Kysely } from 'kysely';
import { bigintType, binaryType, type DialectName } from '../dialect.ts';

export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('node_info')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('level', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('suite', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('node_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('suite', 'text', (c) => c.notNull())
    .addColumn('use', 'text', (c) => c.notNull())
    .addColumn('public_key', binaryType(dialect))
    .addColumn('wrapped_private', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('retired_at', 'text')
    .execute();

  await db.schema
    .createTable('staff_accounts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('username', 'text', (c) => c.notNull().unique())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('roles', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('password_changed_at', 'text', (c) => c.notNull())
    .addColumn('totp_secret', 'text')
    .addColumn('totp_enrolled_at', 'text')
    .addColumn('totp_last_step', bigintType(dialect))
    .addColumn('failed_logins', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('locked_until', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('staff_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('staff_accounts.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .execute();
  await db.schema.createIndex('staff_sessions_account').on('staff_sessions').column('account_id').execute();

  await db.schema
    .createTable('api_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('roles', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text')
    .addColumn('revoked_at', 'text')
    .addColumn('last_used_at', 'text')
    .execute();

  await db.schema
    .createTable('events')
    .addColumn('seq', bigintType(dialect), (c) => c.primaryKey())
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('ts', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('actor', 'text')
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('subject_hash', 'text')
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('leaf_hash', binaryType(dialect), (c) => c.notNull())
    .execute();
  await db.schema.createIndex('events_type_ts').on('events').columns(['type', 'ts']).execute();
  await db.schema.createIndex('events_subject').on('events').column('subject_hash').execute();

  await db.schema
    .createTable('event_log_head')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('size', bigintType(dialect), (c) => c.notNull())
    .execute();
  await db.insertInto('event_log_head' as never).values({ id: 1, size: 0 } as never).execute();

  await forbidChanges(db, dialect, 'events');
}

/**
 * Makes a table append-only inside the database itself, so neither a bug nor a person with
 * SQL access can quietly rewrite history: UPDATE and DELETE are refused by a trigger.
 */
async function forbidChanges(db: Kysely<unknown>, dialect: DialectName, table: string): Promise<void> {
  const message = `${table} is append-only`;
  if (dialect === 'sqlite') {
    for (const action of ['update', 'delete']) {
      await sql
        .raw(
          `create trigger ${table}_no_${action} before ${action} on ${table} begin select raise(abort, '${message}'); end`,
        )
        .execute(db);
    }
    return;
  }
  await sql
    .raw(
      `create function ${table}_append_only() returns trigger language plpgsql as $$ begin raise exception '${message}'; end $$`,
    )
    .execute(db);
  await sql
    .raw(`create trigger ${table}_no_change before update or delete on ${table} for each row execute function ${table}_append_only()`)
    .execute(db);
  await sql.raw(`create trigger ${table}_no_truncate before truncate on ${table} execute function ${table}_append_only()`).execute(db);
}
