/** Tables of the audit context. */
import type { Generated } from 'kysely';

/**
 * One row per event, in log order. `seq` is the dense leaf index (0, 1, 2, …) the Merkle tree
 * is built over; `payload` is the canonical JSON leaf and `leaf_hash` its RFC 9162 leaf hash,
 * so the tree can be (re)built and checked without re-serialising anything.
 */
export interface EventTable {
  seq: number;
  id: string;
  ts: string;
  type: string;
  actor: string | null;
  outcome: string;
  /** Keyed hash of the data subject (e.g. an ID number); never the identifier itself. */
  subject_hash: string | null;
  payload: string;
  leaf_hash: Buffer;
}

/** A single row holding the log size; appenders lock it so sequence numbers never gap or fork. */
export interface EventLogHeadTable {
  id: number;
  size: number;
  /** Leaves covered by the stored Merkle nodes; equals `size` except on logs older than the audit migration. */
  tree_size: Generated<number>;
  /** Concatenated hashes of the complete subtrees that make up the root of `tree_size` leaves, left to right. */
  frontier: Buffer | null;
}

/** A complete Merkle subtree of 2^level leaves (level ≥ 1), the idx-th at its level. */
export interface MerkleNodeTable {
  level: number;
  idx: number;
  hash: Buffer;
}

/** A signed checkpoint of this node's log (C2SP tlog-checkpoint signed note). */
export interface CheckpointTable {
  id: string;
  tree_size: number;
  root_hash: Buffer;
  note: string;
  created_at: string;
}

/** (witness) A checkpoint of another node that this node verified and co-signed. */
export interface WitnessedCheckpointTable {
  id: string;
  node: string;
  tree_size: number;
  root_hash: Buffer;
  /** The node's signed note as fetched. */
  note: string;
  /** This node's cosignature line on it. */
  cosignature: string;
  witnessed_at: string;
}

/** A witness's cosignature on one of this node's checkpoints, as the witness posted it back. */
export interface CheckpointCosignatureTable {
  id: string;
  tree_size: number;
  root_hash: Buffer;
  witness: string;
  cosignature: string;
  /** The time inside the cosignature. */
  signed_at: string;
  received_at: string;
}

/** (witness) An inconsistency found in another node's log; `reported_at` once the hub has it. */
export interface IntegrityAlertTable {
  id: string;
  node: string;
  kind: string;
  message: string;
  /** JSON: the checkpoints (and proof) that disagree. */
  evidence: string;
  evidence_hash: string;
  created_at: string;
  reported_at: string | null;
}

export interface AuditTables {
  events: EventTable;
  event_log_head: EventLogHeadTable;
  merkle_nodes: MerkleNodeTable;
  checkpoints: CheckpointTable;
  witnessed_checkpoints: WitnessedCheckpointTable;
  checkpoint_cosignatures: CheckpointCosignatureTable;
  integrity_alerts: IntegrityAlertTable;
}
