/**
 * The hub's registry in its database: members and their keys, applications, publications and
 * hub key transitions. Every function takes the transaction (or database) to run in.
 */
import type { FlattenedJws } from '../../crypto/index.ts';
import { lockRowsClause, type DialectName } from '../../store/dialect.ts';
import type { Db } from '../../store/open-store.ts';
import type { DirectoryKey, DirectoryMember } from '../domain/directory-member.ts';
import type { KeyMerge } from '../domain/member-keys.ts';
import type {
  DirectoryApplicationTable,
  DirectoryMemberKeyTable,
  DirectoryMemberTable,
  DirectoryPublicationTable,
} from './tables.ts';

/** A member as the registry holds it, with why it is suspended. */
export interface RegisteredMember extends DirectoryMember {
  readonly statusReason: string | null;
  readonly admittedAt: string;
  readonly updatedAt: string;
  /** Integrity alerts witnesses reported about this member (set by the registry listing). */
  readonly integrityAlerts?: number;
}

function toKey(row: DirectoryMemberKeyTable): DirectoryKey {
  return {
    kid: row.kid,
    use: row.use,
    suite: row.suite,
    publicKey: row.public_key,
    validFrom: row.valid_from,
    validUntil: row.valid_until,
  };
}

function toMember(row: DirectoryMemberTable, keys: readonly DirectoryMemberKeyTable[]): RegisteredMember {
  return {
    code: row.code,
    name: row.name,
    level: row.level,
    parent: row.parent,
    role: row.role,
    endpoint: row.endpoint,
    status: row.status,
    keys: keys.map(toKey).sort((a, b) => (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0)),
    statusReason: row.status_reason,
    admittedAt: row.admitted_at,
    updatedAt: row.updated_at,
  };
}

/** The public part of a registered member: what the directory document lists. */
export function publicMember(member: RegisteredMember): DirectoryMember {
  const { code, name, level, parent, role, endpoint, status, keys } = member;
  return { code, name, level, parent, role, endpoint, status, keys };
}

/** Every member with its keys. */
export async function listMembers(db: Db): Promise<RegisteredMember[]> {
  const [rows, keys] = await Promise.all([
    db.selectFrom('directory_members').selectAll().orderBy('code').execute(),
    db.selectFrom('directory_member_keys').selectAll().orderBy('kid').execute(),
  ]);
  const byMember = new Map<string, DirectoryMemberKeyTable[]>();
  for (const key of keys) byMember.set(key.member_code, [...(byMember.get(key.member_code) ?? []), key]);
  return rows.map((row) => toMember(row, byMember.get(row.code) ?? []));
}

/** One member with its keys; with `lockFor`, its row stays locked until the transaction ends (PostgreSQL). */
export async function findMember(db: Db, code: string, lockFor?: DialectName): Promise<RegisteredMember | undefined> {
  let query = db.selectFrom('directory_members').selectAll().where('code', '=', code);
  if (lockFor) query = query.modifyEnd(lockRowsClause(lockFor));
  const row = await query.executeTakeFirst();
  if (!row) return undefined;
  const keys = await db.selectFrom('directory_member_keys').selectAll().where('member_code', '=', code).execute();
  return toMember(row, keys);
}

/** Adds a member and its keys; does nothing when the code is already registered (returns false). */
export async function insertMember(db: Db, member: DirectoryMember, now: string): Promise<boolean> {
  const inserted = await db
    .insertInto('directory_members')
    .values({
      code: member.code,
      name: member.name,
      level: member.level,
      parent: member.parent,
      role: member.role,
      endpoint: member.endpoint,
      status: member.status,
      status_reason: null,
      admitted_at: now,
      updated_at: now,
    })
    .onConflict((conflict) => conflict.column('code').doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return false;
  if (member.keys.length > 0) {
    await db
      .insertInto('directory_member_keys')
      .values(
        member.keys.map((key) => ({
          kid: key.kid,
          member_code: member.code,
          use: key.use,
          suite: key.suite,
          public_key: key.publicKey,
          valid_from: key.validFrom,
          valid_until: key.validUntil,
        })),
      )
      .execute();
  }
  return true;
}

/** Changes a member's status (and the reason shown for a suspension). */
export async function setMemberStatus(db: Db, code: string, status: 'active' | 'suspended', reason: string | null, now: string): Promise<void> {
  await db.updateTable('directory_members').set({ status, status_reason: reason, updated_at: now }).where('code', '=', code).execute();
}

/** Changes where a member is reached. */
export async function setMemberEndpoint(db: Db, code: string, endpoint: string, now: string): Promise<void> {
  await db.updateTable('directory_members').set({ endpoint, updated_at: now }).where('code', '=', code).execute();
}

/** Applies a key merge: inserts the added keys and retires the retired ones. */
export async function applyKeyMerge(db: Db, code: string, merge: KeyMerge, now: string): Promise<void> {
  const byKid = new Map(merge.keys.map((key) => [key.kid, key]));
  const added = merge.added.map((kid) => byKid.get(kid)!);
  if (added.length > 0) {
    await db
      .insertInto('directory_member_keys')
      .values(
        added.map((key) => ({
          kid: key.kid,
          member_code: code,
          use: key.use,
          suite: key.suite,
          public_key: key.publicKey,
          valid_from: key.validFrom,
          valid_until: key.validUntil,
        })),
      )
      .execute();
  }
  for (const kid of merge.retired) {
    await db
      .updateTable('directory_member_keys')
      .set({ valid_until: byKid.get(kid)!.validUntil })
      .where('kid', '=', kid)
      .where('member_code', '=', code)
      .where('valid_until', 'is', null)
      .execute();
  }
  await db.updateTable('directory_members').set({ updated_at: now }).where('code', '=', code).execute();
}

/**
 * Takes the next publication version. The UPDATE locks the head row until commit (PostgreSQL) or
 * runs under SQLite's single writer, so versions are handed out once each and in commit order.
 */
export async function nextVersion(db: Db): Promise<number> {
  const row = await db
    .updateTable('directory_publication_head')
    .set((eb) => ({ version: eb('version', '+', 1) }))
    .where('id', '=', 1)
    .returning('version')
    .executeTakeFirstOrThrow();
  return Number(row.version);
}

/** Stores a publication. */
export async function insertPublication(db: Db, row: DirectoryPublicationTable): Promise<void> {
  await db.insertInto('directory_publications').values(row).execute();
}

/** A stored publication, parsed. */
export interface StoredPublication {
  readonly version: number;
  readonly jws: FlattenedJws;
  readonly issuedAt: string;
  readonly expiresAt: string;
  readonly signedBy: string;
}

/** The newest publication, if any. */
export async function latestPublication(db: Db): Promise<StoredPublication | undefined> {
  const row = await db.selectFrom('directory_publications').selectAll().orderBy('version', 'desc').limit(1).executeTakeFirst();
  if (!row) return undefined;
  return {
    version: Number(row.version),
    jws: JSON.parse(row.document) as FlattenedJws,
    issuedAt: row.issued_at,
    expiresAt: row.expires_at,
    signedBy: row.signed_by,
  };
}

/** The newest publication's version only (cheap: for checking whether a view is current). */
export async function latestVersion(db: Db): Promise<number> {
  const row = await db.selectFrom('directory_publication_head').select('version').where('id', '=', 1).executeTakeFirst();
  return Number(row?.version ?? 0);
}

/** Every hub key transition, oldest first. */
export async function listTransitions(db: Db): Promise<FlattenedJws[]> {
  const rows = await db.selectFrom('directory_hub_key_transitions').select('document').orderBy('created_at').orderBy('id').execute();
  return rows.map((row) => JSON.parse(row.document) as FlattenedJws);
}

/** Stores a hub key transition; a second one for the same next key is ignored. */
export async function insertTransition(
  db: Db,
  row: { id: string; previousKid: string; nextKid: string; jws: FlattenedJws; createdAt: string },
): Promise<void> {
  await db
    .insertInto('directory_hub_key_transitions')
    .values({ id: row.id, previous_kid: row.previousKid, next_kid: row.nextKid, document: JSON.stringify(row.jws), created_at: row.createdAt })
    .onConflict((conflict) => conflict.column('next_kid').doNothing())
    .execute();
}

/** An application as the hub's administrators see it. */
export interface ApplicationRecord {
  readonly id: string;
  readonly code: string;
  readonly name: string;
  readonly level: string;
  readonly parent: string | null;
  readonly endpoint: string;
  readonly keys: readonly DirectoryKey[];
  readonly status: DirectoryApplicationTable['status'];
  readonly receivedAt: string;
  readonly decidedAt: string | null;
  readonly decidedBy: string | null;
  readonly reason: string | null;
}

function toApplication(row: DirectoryApplicationTable): ApplicationRecord {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    level: row.level,
    parent: row.parent,
    endpoint: row.endpoint,
    keys: JSON.parse(row.keys) as DirectoryKey[],
    status: row.status,
    receivedAt: row.received_at,
    decidedAt: row.decided_at,
    decidedBy: row.decided_by,
    reason: row.reason,
  };
}

/** Stores a received application. Throws the database's unique violation when one is already pending for the code. */
export async function insertApplication(db: Db, row: DirectoryApplicationTable): Promise<ApplicationRecord> {
  await db.insertInto('directory_applications').values(row).execute();
  return toApplication(row);
}

/** The pending application of a node, locked for the decision on PostgreSQL when `lockFor` is given. */
export async function pendingApplication(db: Db, code: string, lockFor?: DialectName): Promise<ApplicationRecord | undefined> {
  let query = db.selectFrom('directory_applications').selectAll().where('code', '=', code).where('status', '=', 'pending');
  if (lockFor) query = query.modifyEnd(lockRowsClause(lockFor));
  const row = await query.executeTakeFirst();
  return row ? toApplication(row) : undefined;
}

/** Applications, newest first, optionally of one status. */
export async function listApplications(db: Db, status?: DirectoryApplicationTable['status'], limit = 500): Promise<ApplicationRecord[]> {
  let query = db.selectFrom('directory_applications').selectAll().orderBy('received_at', 'desc').orderBy('id', 'desc').limit(limit);
  if (status) query = query.where('status', '=', status);
  return (await query.execute()).map(toApplication);
}

/** Records the decision on a pending application; false when it was no longer pending (decided elsewhere meanwhile). */
export async function decideApplication(
  db: Db,
  id: string,
  decision: { status: 'approved' | 'rejected'; by: string; reason: string | null; at: string },
): Promise<boolean> {
  const result = await db
    .updateTable('directory_applications')
    .set({ status: decision.status, decided_by: decision.by, reason: decision.reason, decided_at: decision.at })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
