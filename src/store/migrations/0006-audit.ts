/** Tables of the audit context: stored Merkle subtrees, the tree's right edge, and signed checkpoints. */
import { sql, type Kysely } from 'kysely';
import { bigintType, binaryType, type DialectName } from '../dialect.ts';

export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  // Every complete subtree of 2^level leaves (level ≥ 1; leaves live in events.leaf_hash),
  // written in the transaction of the append that completes it, so proofs read O(log n) rows.
  await db.schema
    .createTable('merkle_nodes')
    .addColumn('level', 'integer', (c) => c.notNull())
    .addColumn('idx', bigintType(dialect), (c) => c.notNull())
    .addColumn('hash', binaryType(dialect), (c) => c.notNull())
    .addPrimaryKeyConstraint('merkle_nodes_pk', ['level', 'idx'])
    .execute();

  // The tree's size and right edge (hashes of the complete subtrees making up its root), kept on
  // the head row that appenders lock anyway. Logs written before this migration start at 0 and
  // are caught up on the next append.
  await db.schema.alterTable('event_log_head').addColumn('tree_size', bigintType(dialect), (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('event_log_head').addColumn('frontier', binaryType(dialect)).execute();

  await db.schema
    .createTable('checkpoints')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tree_size', bigintType(dialect), (c) => c.notNull())
    .addColumn('root_hash', binaryType(dialect), (c) => c.notNull())
    .addColumn('note', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('checkpoints_size').on('checkpoints').column('tree_size').execute();

  for (const table of ['merkle_nodes', 'checkpoints']) await forbidChanges(db, dialect, table);
}

/** Same guard as on `events`: stored tree nodes and checkpoints are never rewritten. */
async function forbidChanges(db: Kysely<unknown>, dialect: DialectName, table: string): Promise<void> {
  const message = `${table} is append-only`;
  if (dialect === 'sqlite') {
    for (const action of ['update', 'delete']) {
      await sql.raw(`create trigger ${table}_no_${action} before ${action} on ${table} begin select raise(abort, '${message}'); end`).execute(db);
    }
    return;
  }
  await sql.raw(`create function ${table}_append_only() returns trigger language plpgsql as $$ begin raise exception '${message}'; end $$`).execute(db);
  await sql.raw(`create trigger ${table}_no_change before update or delete on ${table} for each row execute function ${table}_append_only()`).execute(db);
  await sql.raw(`create trigger ${table}_no_truncate before truncate on ${table} execute function ${table}_append_only()`).execute(db);
}
