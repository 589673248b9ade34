/** Queries on the agreements tables. Every state change is a conditional update, so concurrent processes never both win. */
import { lockRowsClause, type DialectName } from '../../store/dialect.ts';
import type { Db } from '../../store/open-store.ts';
import type { AgreementState } from '../domain/lifecycle.ts';
import type {
  AgreementApprovalTable,
  AgreementDeliveryTable,
  AgreementSignatureTable,
  AgreementTransitionTable,
  AgreementVersionTable,
} from './tables.ts';

export type AgreementVersionRow = AgreementVersionTable;
export type AgreementSignatureRow = AgreementSignatureTable;
export type AgreementTransitionRow = AgreementTransitionTable;
export type AgreementApprovalRow = AgreementApprovalTable;
export type AgreementDeliveryRow = AgreementDeliveryTable;

export const agreementStore = {
  async version(db: Db, id: string, version: number): Promise<AgreementVersionRow | undefined> {
    return db.selectFrom('agreements').selectAll().where('id', '=', id).where('version', '=', version).executeTakeFirst();
  },

  /**
   * Reads a version and, on PostgreSQL, locks its row until the transaction ends, so work on one
   * version (e.g. two signatures arriving at once, each checking whether it was the last) is serialised.
   */
  async lockVersion(db: Db, dialect: DialectName, id: string, version: number): Promise<AgreementVersionRow | undefined> {
    return db
      .selectFrom('agreements')
      .selectAll()
      .where('id', '=', id)
      .where('version', '=', version)
      .modifyEnd(lockRowsClause(dialect))
      .executeTakeFirst();
  },

  /** Every version of one agreement, newest first. */
  async versions(db: Db, id: string): Promise<AgreementVersionRow[]> {
    return db.selectFrom('agreements').selectAll().where('id', '=', id).orderBy('version', 'desc').execute();
  },

  /** Every version of every agreement, by id then version. */
  async all(db: Db): Promise<AgreementVersionRow[]> {
    return db.selectFrom('agreements').selectAll().orderBy('id', 'asc').orderBy('version', 'asc').execute();
  },

  async insertVersion(db: Db, row: AgreementVersionRow): Promise<void> {
    await db.insertInto('agreements').values(row).execute();
  },

  /** Replaces the content of a draft; false when the version is no longer a draft. */
  async replaceDraft(db: Db, id: string, version: number, change: Pick<AgreementVersionRow, 'title' | 'document' | 'hash_alg' | 'hash' | 'updated_at'>): Promise<boolean> {
    const result = await db
      .updateTable('agreements')
      .set(change)
      .where('id', '=', id)
      .where('version', '=', version)
      .where('state', '=', 'draft')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  },

  /** Moves a version from one state to another; false when it was no longer in `from`. */
  async changeState(
    db: Db,
    id: string,
    version: number,
    from: AgreementState,
    to: AgreementState,
    now: string,
    extra: Partial<Pick<AgreementVersionRow, 'proposed_by' | 'superseded_by'>> = {},
  ): Promise<boolean> {
    const result = await db
      .updateTable('agreements')
      .set({ state: to, updated_at: now, ...extra })
      .where('id', '=', id)
      .where('version', '=', version)
      .where('state', '=', from)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  },

  async insertTransition(db: Db, row: AgreementTransitionRow): Promise<void> {
    await db.insertInto('agreement_transitions').values(row).execute();
  },

  async transitions(db: Db, id: string, version: number): Promise<AgreementTransitionRow[]> {
    return db
      .selectFrom('agreement_transitions')
      .selectAll()
      .where('agreement_id', '=', id)
      .where('version', '=', version)
      .orderBy('at', 'asc')
      .orderBy('id', 'asc')
      .execute();
  },

  async signatures(db: Db, id: string, version: number): Promise<AgreementSignatureRow[]> {
    return db
      .selectFrom('agreement_signatures')
      .selectAll()
      .where('agreement_id', '=', id)
      .where('version', '=', version)
      .orderBy('signed_at', 'asc')
      .execute();
  },

  async allSignatures(db: Db): Promise<AgreementSignatureRow[]> {
    return db.selectFrom('agreement_signatures').selectAll().execute();
  },

  /** Stores a signature; false when this party's signature on the version is already held. */
  async insertSignature(db: Db, row: AgreementSignatureRow): Promise<boolean> {
    const result = await db
      .insertInto('agreement_signatures')
      .values(row)
      .onConflict((conflict) => conflict.columns(['agreement_id', 'version', 'party']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  },

  async approvals(db: Db, id: string, version: number): Promise<AgreementApprovalRow[]> {
    return db
      .selectFrom('agreement_approvals')
      .selectAll()
      .where('agreement_id', '=', id)
      .where('version', '=', version)
      .orderBy('created_at', 'asc')
      .execute();
  },

  async allApprovals(db: Db): Promise<AgreementApprovalRow[]> {
    return db.selectFrom('agreement_approvals').selectAll().execute();
  },

  /** Stores an approval; false when the same approval is already held. */
  async insertApproval(db: Db, row: AgreementApprovalRow): Promise<boolean> {
    const result = await db
      .insertInto('agreement_approvals')
      .values(row)
      .onConflict((conflict) => conflict.column('id').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  },

  async insertDeliveries(db: Db, rows: readonly AgreementDeliveryRow[]): Promise<void> {
    if (rows.length > 0) await db.insertInto('agreement_deliveries').values([...rows]).execute();
  },

  async delivery(db: Db, id: string): Promise<AgreementDeliveryRow | undefined> {
    return db.selectFrom('agreement_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
  },

  /** Pending deliveries whose next attempt is due, oldest first. */
  async dueDeliveries(db: Db, now: string, limit: number): Promise<AgreementDeliveryRow[]> {
    return db
      .selectFrom('agreement_deliveries')
      .selectAll()
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .orderBy('next_attempt_at', 'asc')
      .limit(limit)
      .execute();
  },

  async deliveriesFor(db: Db, id: string, version: number): Promise<AgreementDeliveryRow[]> {
    return db
      .selectFrom('agreement_deliveries')
      .selectAll()
      .where('agreement_id', '=', id)
      .where('version', '=', version)
      .orderBy('created_at', 'asc')
      .execute();
  },

  /**
   * Takes a pending delivery for one attempt by pushing its next attempt past the lease: of
   * several processes reading the same due row, only the one whose update matches wins it.
   */
  async claimDelivery(db: Db, row: AgreementDeliveryRow, leaseUntil: string, now: string): Promise<boolean> {
    const result = await db
      .updateTable('agreement_deliveries')
      .set({ next_attempt_at: leaseUntil, updated_at: now })
      .where('id', '=', row.id)
      .where('status', '=', 'pending')
      .where('next_attempt_at', '=', row.next_attempt_at)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  },

  async finishDelivery(
    db: Db,
    id: string,
    change: Pick<AgreementDeliveryRow, 'status' | 'attempts' | 'next_attempt_at' | 'last_error' | 'updated_at'>,
  ): Promise<void> {
    await db.updateTable('agreement_deliveries').set(change).where('id', '=', id).execute();
  },

  /** Counts a change, so other processes of the node recompile their policies. */
  async bumpRevision(db: Db): Promise<void> {
    await db
      .updateTable('agreement_revision')
      .set((eb) => ({ revision: eb('revision', '+', 1) }))
      .where('id', '=', 1)
      .execute();
  },

  async revision(db: Db): Promise<number> {
    const row = await db.selectFrom('agreement_revision').select('revision').where('id', '=', 1).executeTakeFirst();
    return Number(row?.revision ?? 0);
  },
};
