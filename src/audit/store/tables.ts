/** Tables of the audit context. */

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
}

export interface AuditTables {
  events: EventTable;
  event_log_head: EventLogHeadTable;
}
