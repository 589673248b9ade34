/** Stored checkpoints of this node's log. */
import { newId } from '../../core/ids.ts';
import type { Db } from '../../store/open-store.ts';

/** A checkpoint as stored. */
export interface StoredCheckpoint {
  readonly id: string;
  readonly size: number;
  readonly root: Uint8Array;
  readonly note: string;
  readonly createdAt: string;
}

function toCheckpoint(row: { id: string; tree_size: number; root_hash: Buffer; note: string; created_at: string }): StoredCheckpoint {
  return { id: row.id, size: Number(row.tree_size), root: row.root_hash, note: row.note, createdAt: row.created_at };
}

/** Inserts a signed checkpoint. */
export async function insertCheckpoint(db: Db, value: Omit<StoredCheckpoint, 'id'>): Promise<StoredCheckpoint> {
  const id = newId();
  await db
    .insertInto('checkpoints')
    .values({ id, tree_size: value.size, root_hash: Buffer.from(value.root), note: value.note, created_at: value.createdAt })
    .execute();
  return { id, ...value };
}

/** The checkpoint of the largest size (the latest signed one among equals). */
export async function latestCheckpoint(db: Db): Promise<StoredCheckpoint | undefined> {
  const row = await db.selectFrom('checkpoints').selectAll().orderBy('tree_size', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
  return row ? toCheckpoint(row) : undefined;
}

/** Checkpoints, newest first; `beforeSize` pages backwards. */
export async function listCheckpoints(db: Db, options: { limit?: number; beforeSize?: number } = {}): Promise<StoredCheckpoint[]> {
  const limit = Math.max(1, Math.min(Math.trunc(options.limit ?? 100) || 100, 1000));
  let select = db.selectFrom('checkpoints').selectAll().orderBy('tree_size', 'desc').orderBy('id', 'desc').limit(limit);
  if (options.beforeSize !== undefined) select = select.where('tree_size', '<', options.beforeSize);
  return (await select.execute()).map(toCheckpoint);
}

/** Every checkpoint, in size order (for verification). */
export async function allCheckpoints(db: Db): Promise<StoredCheckpoint[]> {
  return (await db.selectFrom('checkpoints').selectAll().orderBy('tree_size', 'asc').orderBy('id', 'asc').execute()).map(toCheckpoint);
}
