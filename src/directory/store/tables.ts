/** Tables of the directory context: the hub's registry and publications, and a member's link to its hub. */

/** (hub) One member of the federation, the hub itself included. */
export interface DirectoryMemberTable {
  code: string;
  name: string;
  level: string;
  parent: string | null;
  role: 'node' | 'hub';
  endpoint: string;
  status: 'active' | 'suspended';
  /** Why the member was suspended, while it is. */
  status_reason: string | null;
  admitted_at: string;
  updated_at: string;
}

/** (hub) A public key a member signs or receives sealed bodies with. */
export interface DirectoryMemberKeyTable {
  kid: string;
  member_code: string;
  use: 'sign' | 'encrypt';
  suite: 'intl' | 'sm';
  /** base64url of the raw public key. */
  public_key: string;
  valid_from: string;
  valid_until: string | null;
}

/** (hub) A membership application, pending or decided. */
export interface DirectoryApplicationTable {
  id: string;
  code: string;
  name: string;
  level: string;
  parent: string | null;
  endpoint: string;
  /** JSON array of the keys the application lists. */
  keys: string;
  /** The signed application itself (flattened JWS as JSON), kept as evidence. */
  document: string;
  status: 'pending' | 'approved' | 'rejected';
  received_at: string;
  decided_at: string | null;
  decided_by: string | null;
  reason: string | null;
}

/** (hub) Every directory document the hub has published. */
export interface DirectoryPublicationTable {
  version: number;
  /** The flattened JWS as JSON. */
  document: string;
  issued_at: string;
  expires_at: string;
  signed_by: string;
}

/** (hub) One row: the last version handed out; updating it serialises publications across processes. */
export interface DirectoryPublicationHeadTable {
  id: number;
  version: number;
}

/** (hub) A transition from one hub signing key to the next, signed by the old key. */
export interface DirectoryHubKeyTransitionTable {
  id: string;
  previous_kid: string;
  next_kid: string;
  /** The flattened JWS as JSON. */
  document: string;
  created_at: string;
}

/** (member) One row: the hub this node joined and the anchor key it pinned. */
export interface DirectoryMembershipTable {
  id: number;
  hub_url: string;
  hub_code: string;
  hub_name: string;
  /** JSON array of the pinned anchor keys. */
  anchor: string;
  /** The endpoint this node applied with. */
  endpoint: string;
  joined_at: string;
  /** 1 while syncs fail, so a failure is recorded once per outage rather than on every attempt. */
  sync_failing: number;
  last_sync_at: string | null;
  last_sync_error: string | null;
}

/** (member) One row: the last directory this node verified. */
export interface DirectoryCacheTable {
  id: number;
  version: number;
  /** The flattened JWS as JSON, exactly as the hub signed it. */
  document: string;
  etag: string | null;
  issued_at: string;
  expires_at: string;
  fetched_at: string;
}

/** (member) Signed key updates waiting for (or already given to) the hub. */
export interface DirectoryKeyUpdateTable {
  id: string;
  /** The flattened JWS as JSON. */
  document: string;
  /** `keySetFingerprint` of the keys it proposes, to avoid signing the same update twice. */
  key_set: string;
  status: 'pending' | 'accepted' | 'refused';
  created_at: string;
  attempts: number;
  sent_at: string | null;
  error: string | null;
}

/** (hub) An integrity alert a witness reported about a member's log. */
export interface DirectoryIntegrityAlertTable {
  id: string;
  node: string;
  reported_by: string;
  /** The alert's id at the witness, so a retried report is stored once. */
  alert_id: string;
  kind: string;
  message: string;
  /** JSON: the checkpoints (and proof) that disagree. */
  evidence: string;
  detected_at: string;
  received_at: string;
  /** Set when a hub administrator acknowledged the alert; until then it is open and published with the member. */
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  acknowledgement_reason: string | null;
}

/** Tables of the directory context. */
export interface DirectoryTables {
  directory_members: DirectoryMemberTable;
  directory_member_keys: DirectoryMemberKeyTable;
  directory_applications: DirectoryApplicationTable;
  directory_publications: DirectoryPublicationTable;
  directory_publication_head: DirectoryPublicationHeadTable;
  directory_hub_key_transitions: DirectoryHubKeyTransitionTable;
  directory_membership: DirectoryMembershipTable;
  directory_cache: DirectoryCacheTable;
  directory_key_updates: DirectoryKeyUpdateTable;
  directory_integrity_alerts: DirectoryIntegrityAlertTable;
}
