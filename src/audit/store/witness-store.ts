/** Stored witnessing: checkpoints this node co-signed for others, cosignatures on its own, and alerts it raised. */
import { newId } from '../../core/ids.ts';
import type { Db } from '../../store/open-store.ts';
import { isUniqueViolation } from '../../store/dialect.ts';

/** A checkpoint of another node this node witnessed. */
export interface WitnessedCheckpoint {
  readonly id: string;
  readonly node: string;
  readonly size: number;
  readonly root: Uint8Array;
  readonly note: string;
  readonly cosignature: string;
  readonly witnessedAt: string;
}

/** A witness's cosignature on one of this node's checkpoints. */
export interface StoredCosignature {
  readonly size: number;
  readonly root: Uint8Array;
  readonly witness: string;
  readonly cosignature: string;
  readonly signedAt: string;
  readonly receivedAt: string;
}

/** An alert this node raised as a witness. */
export interface RaisedAlert {
  readonly id: string;
  readonly node: string;
  readonly kind: string;
  readonly message: string;
  readonly evidence: Readonly<Record<string, unknown>>;
  readonly createdAt: string;
  readonly reportedAt: string | null;
}

/** The largest checkpoint of `node` this node witnessed. */
export async function latestWitnessed(db: Db, node: string): Promise<WitnessedCheckpoint | undefined> {
  const row = await db.selectFrom('witnessed_checkpoints').selectAll().where('node', '=', node).orderBy('tree_size', 'desc').orderBy('witnessed_at', 'desc').limit(1).executeTakeFirst();
  return row
    ? { id: row.id, node: row.node, size: Number(row.tree_size), root: row.root_hash, note: row.note, cosignature: row.cosignature, witnessedAt: row.witnessed_at }
    : undefined;
}

/** Records a witnessed checkpoint. */
export async function insertWitnessed(db: Db, value: Omit<WitnessedCheckpoint, 'id'>): Promise<void> {
  await db
    .insertInto('witnessed_checkpoints')
    .values({ id: newId(), node: value.node, tree_size: value.size, root_hash: Buffer.from(value.root), note: value.note, cosignature: value.cosignature, witnessed_at: value.witnessedAt })
    .execute();
}

/** Stores a cosignature unless this witness already cosigned this size; returns whether it was new. */
export async function insertCosignature(db: Db, value: StoredCosignature): Promise<boolean> {
  try {
    await db
      .insertInto('checkpoint_cosignatures')
      .values({
        id: newId(),
        tree_size: value.size,
        root_hash: Buffer.from(value.root),
        witness: value.witness,
        cosignature: value.cosignature,
        signed_at: value.signedAt,
        received_at: value.receivedAt,
      })
      .execute();
    return true;
  } catch (error) {
    if (isUniqueViolation(error)) return false;
    throw error;
  }
}

/** Cosignatures on checkpoints of the given sizes. */
export async function cosignaturesFor(db: Db, sizes: readonly number[]): Promise<StoredCosignature[]> {
  if (sizes.length === 0) return [];
  const rows = await db.selectFrom('checkpoint_cosignatures').selectAll().where('tree_size', 'in', [...sizes]).orderBy('witness').execute();
  return rows.map((row) => ({
    size: Number(row.tree_size),
    root: row.root_hash,
    witness: row.witness,
    cosignature: row.cosignature,
    signedAt: row.signed_at,
    receivedAt: row.received_at,
  }));
}

type AlertRow = { id: string; node: string; kind: string; message: string; evidence: string; created_at: string; reported_at: string | null };
const toAlert = (row: AlertRow): RaisedAlert => ({
  id: row.id,
  node: row.node,
  kind: row.kind,
  message: row.message,
  evidence: JSON.parse(row.evidence) as Record<string, unknown>,
  createdAt: row.created_at,
  reportedAt: row.reported_at,
});

/** The alert with this evidence, if one was raised already. */
export async function alertByEvidence(db: Db, node: string, evidenceHash: string): Promise<RaisedAlert | undefined> {
  const row = await db.selectFrom('integrity_alerts').selectAll().where('node', '=', node).where('evidence_hash', '=', evidenceHash).executeTakeFirst();
  return row ? toAlert(row) : undefined;
}

/** Stores a new alert. */
export async function insertAlert(db: Db, alert: Omit<RaisedAlert, 'reportedAt'>, evidenceHash: string): Promise<void> {
  await db
    .insertInto('integrity_alerts')
    .values({
      id: alert.id,
      node: alert.node,
      kind: alert.kind,
      message: alert.message,
      evidence: JSON.stringify(alert.evidence),
      evidence_hash: evidenceHash,
      created_at: alert.createdAt,
      reported_at: null,
    })
    .execute();
}

/** Alerts, newest first; only those the hub does not have yet when `unreported`. */
export async function listAlerts(db: Db, options: { unreported?: boolean; node?: string } = {}): Promise<RaisedAlert[]> {
  let select = db.selectFrom('integrity_alerts').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(1000);
  if (options.unreported) select = select.where('reported_at', 'is', null);
  if (options.node) select = select.where('node', '=', options.node);
  return (await select.execute()).map(toAlert);
}

/** Marks an alert as delivered to the hub. */
export async function markAlertReported(db: Db, id: string, at: string): Promise<void> {
  await db.updateTable('integrity_alerts').set({ reported_at: at }).where('id', '=', id).execute();
}
