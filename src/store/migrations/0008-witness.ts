/**
 * Witnessing and retention: checkpoints this node witnessed for others, cosignatures others
 * made on this node's checkpoints, integrity alerts (raised here as a witness, and received by the
 * hub), and the one change to the event log's guard that pruning needs.
 */
import { sql, type Kysely } from 'kysely';
import { bigintType, binaryType, type DialectName } from '../dialect.ts';

export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  // Witness side: every checkpoint of another node this node verified and co-signed.
  await db.schema
    .createTable('witnessed_checkpoints')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('node', 'text', (c) => c.notNull())
    .addColumn('tree_size', bigintType(dialect), (c) => c.notNull())
    .addColumn('root_hash', binaryType(dialect), (c) => c.notNull())
    .addColumn('note', 'text', (c) => c.notNull())
    .addColumn('cosignature', 'text', (c) => c.notNull())
    .addColumn('witnessed_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('witnessed_checkpoints_node').on('witnessed_checkpoints').columns(['node', 'tree_size']).execute();

  // Node side: who witnessed which of this node's checkpoints.
  await db.schema
    .createTable('checkpoint_cosignatures')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tree_size', bigintType(dialect), (c) => c.notNull())
    .addColumn('root_hash', binaryType(dialect), (c) => c.notNull())
    .addColumn('witness', 'text', (c) => c.notNull())
    .addColumn('cosignature', 'text', (c) => c.notNull())
    .addColumn('signed_at', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('checkpoint_cosignatures_one', ['witness', 'tree_size'])
    .execute();

  // Witness side: inconsistencies this node found in another node's log, and whether the hub has them.
  await db.schema
    .createTable('integrity_alerts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('node', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('evidence', 'text', (c) => c.notNull())
    .addColumn('evidence_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('reported_at', 'text')
    .addUniqueConstraint('integrity_alerts_once', ['node', 'evidence_hash'])
    .execute();

  // Hub side: alerts witnesses reported, shown with the member in the registry.
  await db.schema
    .createTable('directory_integrity_alerts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('node', 'text', (c) => c.notNull())
    .addColumn('reported_by', 'text', (c) => c.notNull())
    .addColumn('alert_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('evidence', 'text', (c) => c.notNull())
    .addColumn('detected_at', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('directory_integrity_alerts_once', ['reported_by', 'alert_id'])
    .execute();
  await db.schema.createIndex('directory_integrity_alerts_node').on('directory_integrity_alerts').column('node').execute();

  await allowPruning(db, dialect);
}

/**
 * Retention pruning replaces an old entry's payload with a marker that keeps its indexed facts
 * (`"pruned": true`, no details) and leaves its leaf hash alone. The guard on `events` is narrowed
 * to allow exactly that, once per entry; every other UPDATE, and every DELETE, is still refused.
 */
async function allowPruning(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const message = 'events is append-only (only retention pruning may replace a payload)';
  if (dialect === 'sqlite') {
    await sql.raw('drop trigger events_no_update').execute(db);
    await sql
      .raw(
        // coalesce: a payload that is not JSON with those keys makes the test NULL, which must refuse too.
        `create trigger events_no_update before update on events when not coalesce((
           new.seq = old.seq and new.id = old.id and new.ts = old.ts and new.type = old.type
           and new.actor is old.actor and new.outcome = old.outcome and new.subject_hash is old.subject_hash
           and new.leaf_hash = old.leaf_hash
           and json_extract(old.payload, '$.pruned') is null and json_extract(new.payload, '$.pruned') = 1
           and json_extract(new.payload, '$.details') is null), 0)
         begin select raise(abort, '${message}'); end`,
      )
      .execute(db);
    return;
  }
  await sql.raw('drop trigger events_no_change on events').execute(db);
  await sql.raw(`create trigger events_no_delete before delete on events for each row execute function events_append_only()`).execute(db);
  await sql
    .raw(
      `create function events_prune_only() returns trigger language plpgsql as $$ begin
         if new.seq = old.seq and new.id = old.id and new.ts = old.ts and new.type = old.type
            and new.actor is not distinct from old.actor and new.outcome = old.outcome
            and new.subject_hash is not distinct from old.subject_hash and new.leaf_hash = old.leaf_hash
            and (old.payload::jsonb -> 'pruned') is null and (new.payload::jsonb -> 'pruned') = 'true'::jsonb
            and (new.payload::jsonb -> 'details') is null then
           return new;
         end if;
         raise exception '${message}';
       end $$`,
    )
    .execute(db);
  await sql.raw(`create trigger events_no_update before update on events for each row execute function events_prune_only()`).execute(db);
}
