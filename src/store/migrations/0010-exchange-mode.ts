/**
 * `exchange_outbound` lists every request a node sent: `mode` says whether the caller waited for
 * the answer (`sync`) or the outbox delivers it (`async`, every row before this migration).
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('exchange_outbound').addColumn('mode', 'text', (c) => c.notNull().defaultTo('async')).execute();
  await db.schema.createIndex('exchange_outbound_created').on('exchange_outbound').columns(['created_at', 'id']).execute();
}
