/**
 * Two indexes narrowed to the rows their one reader looks at, because every exchange paid for
 * an index entry nobody would read (a random page written per event on both nodes):
 * - `events_subject` serves the data subject's access report, which reads only answered
 *   exchanges (`exchange.answered`); the requester's `exchange.requested` events and the rest
 *   keep their subject hash in the row, unindexed.
 * - `exchange_outbound_due` serves the outbox, which claims only rows still to deliver; the
 *   finished and synchronous rows, nearly all of them, leave it.
 * Partial indexes are written the same way in SQLite and PostgreSQL; a query uses one only when
 * its WHERE repeats the index's condition with the same literals (see access-report.ts, outbox.ts).
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('events_subject').execute();
  await sql.raw(`create index events_subject_answered on events (subject_hash, seq) where type = 'exchange.answered'`).execute(db);
  await db.schema.dropIndex('exchange_outbound_due').execute();
  await sql
    .raw(`create index exchange_outbound_due on exchange_outbound (next_attempt_at) where status in ('queued', 'delivering')`)
    .execute(db);
}
