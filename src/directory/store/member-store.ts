/**
 * A member's link to its hub in its own database: the membership (hub URL and pinned anchor),
 * the last verified directory, and signed key updates waiting to reach the hub.
 */
import type { FlattenedJws } from '../../crypto/index.ts';
import type { Db } from '../../store/open-store.ts';
import type { AnchorKey } from '../domain/anchor.ts';
import type { DirectoryKeyUpdateTable } from './tables.ts';

/** The hub this node joined. */
export interface Membership {
  readonly hubUrl: string;
  readonly hubCode: string;
  readonly hubName: string;
  readonly anchor: readonly AnchorKey[];
  readonly endpoint: string;
  readonly joinedAt: string;
  readonly syncFailing: boolean;
  readonly lastSyncAt: string | null;
  readonly lastSyncError: string | null;
}

/** The last directory this node verified. */
export interface CachedDirectory {
  readonly version: number;
  readonly jws: FlattenedJws;
  readonly etag: string | null;
  readonly issuedAt: string;
  readonly expiresAt: string;
  readonly fetchedAt: string;
}

/** The membership, once joined. */
export async function readMembership(db: Db): Promise<Membership | undefined> {
  const row = await db.selectFrom('directory_membership').selectAll().where('id', '=', 1).executeTakeFirst();
  if (!row) return undefined;
  return {
    hubUrl: row.hub_url,
    hubCode: row.hub_code,
    hubName: row.hub_name,
    anchor: JSON.parse(row.anchor) as AnchorKey[],
    endpoint: row.endpoint,
    joinedAt: row.joined_at,
    syncFailing: row.sync_failing === 1,
    lastSyncAt: row.last_sync_at,
    lastSyncError: row.last_sync_error,
  };
}

/** Records (or replaces, on a second join) the membership. */
export async function saveMembership(
  db: Db,
  membership: Pick<Membership, 'hubUrl' | 'hubCode' | 'hubName' | 'anchor' | 'endpoint' | 'joinedAt'>,
): Promise<void> {
  const values = {
    hub_url: membership.hubUrl,
    hub_code: membership.hubCode,
    hub_name: membership.hubName,
    anchor: JSON.stringify(membership.anchor),
    endpoint: membership.endpoint,
    joined_at: membership.joinedAt,
    sync_failing: 0,
    last_sync_at: null,
    last_sync_error: null,
  };
  await db
    .insertInto('directory_membership')
    .values({ id: 1, ...values })
    .onConflict((conflict) => conflict.column('id').doUpdateSet(values))
    .execute();
}

/**
 * Notes a failed sync. Returns true only for the attempt that turned a working link into a
 * failing one, so the caller records one event per outage, however many processes try.
 */
export async function markSyncFailed(db: Db, error: string, at: string): Promise<boolean> {
  const flipped = await db
    .updateTable('directory_membership')
    .set({ sync_failing: 1, last_sync_at: at, last_sync_error: error })
    .where('id', '=', 1)
    .where('sync_failing', '=', 0)
    .executeTakeFirst();
  if (Number(flipped.numUpdatedRows) === 1) return true;
  await db.updateTable('directory_membership').set({ last_sync_at: at, last_sync_error: error }).where('id', '=', 1).execute();
  return false;
}

/** Notes a sync that reached the hub and got a valid answer. */
export async function markSyncOk(db: Db, at: string): Promise<void> {
  await db.updateTable('directory_membership').set({ sync_failing: 0, last_sync_at: at, last_sync_error: null }).where('id', '=', 1).execute();
}

/** The cached directory, if any. */
export async function readCache(db: Db): Promise<CachedDirectory | undefined> {
  const row = await db.selectFrom('directory_cache').selectAll().where('id', '=', 1).executeTakeFirst();
  if (!row) return undefined;
  return {
    version: Number(row.version),
    jws: JSON.parse(row.document) as FlattenedJws,
    etag: row.etag,
    issuedAt: row.issued_at,
    expiresAt: row.expires_at,
    fetchedAt: row.fetched_at,
  };
}

/** Only the cached version (cheap: for checking whether the in-memory view is current). */
export async function cachedVersion(db: Db): Promise<number> {
  const row = await db.selectFrom('directory_cache').select('version').where('id', '=', 1).executeTakeFirst();
  return row ? Number(row.version) : 0;
}

/**
 * Replaces the cached directory with a newer version. Returns false (and changes nothing) when the
 * cache already holds this version or a newer one, e.g. stored by another process meanwhile.
 */
export async function storeCache(db: Db, copy: CachedDirectory): Promise<boolean> {
  const values = {
    version: copy.version,
    document: JSON.stringify(copy.jws),
    etag: copy.etag,
    issued_at: copy.issuedAt,
    expires_at: copy.expiresAt,
    fetched_at: copy.fetchedAt,
  };
  const result = await db
    .insertInto('directory_cache')
    .values({ id: 1, ...values })
    .onConflict((conflict) => conflict.column('id').doUpdateSet(values).where('directory_cache.version', '<', copy.version))
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** A signed key update in the outbox. */
export interface KeyUpdateRecord {
  readonly id: string;
  readonly jws: FlattenedJws;
  readonly keySet: string;
  readonly status: DirectoryKeyUpdateTable['status'];
  readonly createdAt: string;
  readonly attempts: number;
  readonly error: string | null;
}

function toKeyUpdate(row: DirectoryKeyUpdateTable): KeyUpdateRecord {
  return {
    id: row.id,
    jws: JSON.parse(row.document) as FlattenedJws,
    keySet: row.key_set,
    status: row.status,
    createdAt: row.created_at,
    attempts: Number(row.attempts),
    error: row.error,
  };
}

/** Queues a signed key update for the hub. */
export async function insertKeyUpdate(db: Db, update: { id: string; jws: FlattenedJws; keySet: string; createdAt: string }): Promise<void> {
  await db
    .insertInto('directory_key_updates')
    .values({
      id: update.id,
      document: JSON.stringify(update.jws),
      key_set: update.keySet,
      status: 'pending',
      created_at: update.createdAt,
      attempts: 0,
      sent_at: null,
      error: null,
    })
    .execute();
}

/** Whether an update proposing exactly this key set was already signed (and not refused). */
export async function hasKeyUpdateFor(db: Db, keySet: string): Promise<boolean> {
  const row = await db
    .selectFrom('directory_key_updates')
    .select('id')
    .where('key_set', '=', keySet)
    .where('status', '!=', 'refused')
    .executeTakeFirst();
  return row !== undefined;
}

/** Key updates still waiting for the hub, oldest first. */
export async function pendingKeyUpdates(db: Db): Promise<KeyUpdateRecord[]> {
  const rows = await db
    .selectFrom('directory_key_updates')
    .selectAll()
    .where('status', '=', 'pending')
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map(toKeyUpdate);
}

/** Records the outcome of sending a key update. */
export async function markKeyUpdate(
  db: Db,
  id: string,
  outcome: { status: DirectoryKeyUpdateTable['status']; error: string | null; at: string },
): Promise<void> {
  await db
    .updateTable('directory_key_updates')
    .set((eb) => ({
      status: outcome.status,
      error: outcome.error,
      sent_at: outcome.status === 'pending' ? null : outcome.at,
      attempts: eb('attempts', '+', 1),
    }))
    .where('id', '=', id)
    .execute();
}
