/** Queries on `api_tokens`. Only hashes of token secrets are ever stored. */
import type { Db } from '../../store/open-store.ts';
import type { ApiTokenTable } from './tables.ts';

export type ApiTokenRow = ApiTokenTable;

export const apiTokenStore = {
  async insert(db: Db, row: ApiTokenRow): Promise<void> {
    await db.insertInto('api_tokens').values(row).execute();
  },

  /** The token with this id, if any. */
  async findById(db: Db, id: string): Promise<ApiTokenRow | undefined> {
    return db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
  },

  /** Every token, oldest first. */
  async list(db: Db): Promise<ApiTokenRow[]> {
    return db.selectFrom('api_tokens').selectAll().orderBy('created_at', 'asc').orderBy('id', 'asc').execute();
  },

  /** Revokes the token; false when it was already revoked. */
  async revoke(db: Db, id: string, now: string): Promise<boolean> {
    const result = await db
      .updateTable('api_tokens')
      .set({ revoked_at: now })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  },

  /** Marks the token as used now. */
  async touch(db: Db, id: string, now: string): Promise<void> {
    await db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', id).execute();
  },
};
