/** Tables of the catalog context. */
import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.ts';

export async function up(_db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  // Filled in by the catalog context.
}
