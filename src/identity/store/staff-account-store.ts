/**
 * Queries on `staff_accounts`. Every function takes the query builder to run on, so a service
 * can pass its transaction and have the change commit with the event that records it.
 */
import type { Updateable } from 'kysely';
import { lockRowsClause, type DialectName } from '../../store/dialect.ts';
import type { Db } from '../../store/open-store.ts';
import type { StaffAccount } from '../domain/account.ts';
import { isRole, requiresSecondFactor, type Role } from '../domain/roles.ts';
import type { StaffAccountTable } from './tables.ts';

export type StaffAccountRow = StaffAccountTable;

/** Roles as stored: a JSON array of names. */
export function encodeRoles(held: readonly Role[]): string {
  return JSON.stringify(held);
}

/** Roles read back, ignoring any name this version does not know (never granting by accident). */
export function decodeRoles(stored: string): Role[] {
  try {
    const parsed: unknown = JSON.parse(stored);
    return Array.isArray(parsed) ? parsed.filter((name): name is Role => typeof name === 'string' && isRole(name)) : [];
  } catch {
    return [];
  }
}

/** The public view of a row: no hash, no secret. */
export function toStaffAccount(row: StaffAccountRow): StaffAccount {
  const held = decodeRoles(row.roles);
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    roles: held,
    status: row.status,
    secondFactorRequired: requiresSecondFactor(held),
    secondFactorEnrolled: row.totp_secret !== null,
    failedLogins: Number(row.failed_logins),
    lockedUntil: row.locked_until,
    passwordChangedAt: row.password_changed_at,
    createdAt: row.created_at,
    createdBy: row.created_by,
    updatedAt: row.updated_at,
  };
}

export const staffAccountStore = {
  /** The row with this id, if any. */
  async findById(db: Db, id: string): Promise<StaffAccountRow | undefined> {
    return db.selectFrom('staff_accounts').selectAll().where('id', '=', id).executeTakeFirst();
  },

  /** The row with this user name, if any. */
  async findByUsername(db: Db, username: string): Promise<StaffAccountRow | undefined> {
    return db.selectFrom('staff_accounts').selectAll().where('username', '=', username).executeTakeFirst();
  },

  /** Every row, by user name. */
  async list(db: Db): Promise<StaffAccountRow[]> {
    return db.selectFrom('staff_accounts').selectAll().orderBy('username', 'asc').execute();
  },

  async insert(db: Db, row: StaffAccountRow): Promise<void> {
    await db.insertInto('staff_accounts').values(row).execute();
  },

  async update(db: Db, id: string, patch: Updateable<StaffAccountTable>): Promise<void> {
    await db.updateTable('staff_accounts').set(patch).where('id', '=', id).execute();
  },

  /**
   * Counts a failed login atomically; at `maxFailedLogins` it locks the account until `lockUntil`
   * and starts the count again, so the account gets a fresh set of attempts once the lock ends.
   */
  async recordFailedLogin(
    db: Db,
    id: string,
    options: { maxFailedLogins: number; lockUntil: string; now: string },
  ): Promise<{ failedLogins: number; lockedUntil: string | null }> {
    const counted = await db
      .updateTable('staff_accounts')
      .set((eb) => ({ failed_logins: eb('failed_logins', '+', 1) }))
      .where('id', '=', id)
      .returning('failed_logins')
      .executeTakeFirstOrThrow();
    const failedLogins = Number(counted.failed_logins);
    if (failedLogins < options.maxFailedLogins) return { failedLogins, lockedUntil: null };
    await db
      .updateTable('staff_accounts')
      .set({ failed_logins: 0, locked_until: options.lockUntil, updated_at: options.now })
      .where('id', '=', id)
      .execute();
    return { failedLogins, lockedUntil: options.lockUntil };
  },

  /**
   * Records a TOTP step as used, only if it is later than the last one used. False means another
   * login already used this step (or a later one): the code is a replay.
   */
  async acceptTotpStep(db: Db, id: string, step: number): Promise<boolean> {
    const result = await db
      .updateTable('staff_accounts')
      .set({ totp_last_step: step })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  },

  /**
   * Ids of active accounts holding `admin`. On PostgreSQL the rows stay locked until commit, so
   * two administrators disabling each other at once cannot leave the node with none.
   */
  async activeAdminIds(db: Db, dialect: DialectName): Promise<string[]> {
    const rows = await db
      .selectFrom('staff_accounts')
      .select(['id', 'roles'])
      .where('status', '=', 'active')
      .modifyEnd(lockRowsClause(dialect))
      .execute();
    return rows.filter((row) => decodeRoles(row.roles).includes('admin')).map((row) => row.id);
  },
};
