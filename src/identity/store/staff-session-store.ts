/** Queries on `staff_sessions`. */
import type { Db } from '../../store/open-store.ts';
import type { StaffSessionTable } from './tables.ts';

export type StaffSessionRow = StaffSessionTable;

export const staffSessionStore = {
  async insert(db: Db, row: StaffSessionRow): Promise<void> {
    await db.insertInto('staff_sessions').values(row).execute();
  },

  /** The session with this id, if any. */
  async findById(db: Db, id: string): Promise<StaffSessionRow | undefined> {
    return db.selectFrom('staff_sessions').selectAll().where('id', '=', id).executeTakeFirst();
  },

  /** Marks the session as seen now (for the idle timeout). */
  async touch(db: Db, id: string, now: string): Promise<void> {
    await db.updateTable('staff_sessions').set({ last_seen_at: now }).where('id', '=', id).where('revoked_at', 'is', null).execute();
  },

  /** Revokes one session; false when it was already revoked. */
  async revoke(db: Db, id: string, now: string): Promise<boolean> {
    const result = await db
      .updateTable('staff_sessions')
      .set({ revoked_at: now })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  },

  /** Revokes every open session of an account, except `keep` if given; returns how many. */
  async revokeForAccount(db: Db, accountId: string, now: string, keep?: string): Promise<number> {
    let update = db
      .updateTable('staff_sessions')
      .set({ revoked_at: now })
      .where('account_id', '=', accountId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now);
    if (keep !== undefined) update = update.where('id', '!=', keep);
    const result = await update.executeTakeFirst();
    return Number(result.numUpdatedRows);
  },
};
