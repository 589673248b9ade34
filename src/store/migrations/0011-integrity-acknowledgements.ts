/**
 * (hub) An integrity alert stays open — listed with its member in the signed directory — until a
 * hub administrator acknowledges it with a reason; alerts received before this migration are open.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('directory_integrity_alerts').addColumn('acknowledged_at', 'text').execute();
  await db.schema.alterTable('directory_integrity_alerts').addColumn('acknowledged_by', 'text').execute();
  await db.schema.alterTable('directory_integrity_alerts').addColumn('acknowledgement_reason', 'text').execute();
}
