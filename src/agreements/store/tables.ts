/** Tables of the agreements context. */
import type { AgreementState } from '../domain/lifecycle.ts';

/** One version of an agreement as this node holds it. */
export interface AgreementVersionTable {
  id: string;
  version: number;
  title: string;
  /** The document as RFC 8785 canonical JSON: exactly what was hashed. */
  document: string;
  /** This node's hash of the document: `sha256` or `sm3`, lower-case hex. */
  hash_alg: 'sha256' | 'sm3';
  hash: string;
  state: AgreementState;
  /** The party whose proposal brought the version here; null for a local draft not yet proposed. */
  proposed_by: string | null;
  superseded_by: number | null;
  created_at: string;
  created_by: string;
  updated_at: string;
}

/** A party's verified signature on one version. */
export interface AgreementSignatureTable {
  agreement_id: string;
  version: number;
  party: string;
  kid: string;
  hash_alg: 'sha256' | 'sm3';
  hash: string;
  signed_at: string;
  /** The flattened JWS as JSON, kept as evidence. */
  jws: string;
  received_at: string;
}

/** Every state change of every version, in order. */
export interface AgreementTransitionTable {
  id: string;
  agreement_id: string;
  version: number;
  /** null for the version's first state. */
  from_state: AgreementState | null;
  to_state: AgreementState;
  actor: string;
  reason: string | null;
  at: string;
}

/** Standing approvals (有条件共享) signed by a dataset's provider. */
export interface AgreementApprovalTable {
  id: string;
  agreement_id: string;
  version: number;
  dataset: string;
  requester: string;
  provider: string;
  /** JSON array, or null for every item of the grant. */
  items: string | null;
  /** JSON array, or null for every purpose of the grant. */
  purposes: string | null;
  valid_from: string;
  valid_to: string;
  jws: string;
  created_at: string;
  created_by: string;
}

/** Signed messages for partner nodes, delivered with retries and back-off so none is lost. */
export interface AgreementDeliveryTable {
  id: string;
  target: string;
  kind: 'proposal' | 'signature' | 'approval' | 'notice';
  agreement_id: string;
  version: number;
  jws: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

/** One row counting changes, so every process of a node knows when to recompile its policies. */
export interface AgreementRevisionTable {
  id: number;
  revision: number;
}

export interface AgreementTables {
  agreements: AgreementVersionTable;
  agreement_signatures: AgreementSignatureTable;
  agreement_transitions: AgreementTransitionTable;
  agreement_approvals: AgreementApprovalTable;
  agreement_deliveries: AgreementDeliveryTable;
  agreement_revision: AgreementRevisionTable;
}
