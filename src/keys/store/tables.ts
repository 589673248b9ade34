/** Tables of the node keys context. */

export interface NodeKeyTable {
  /** The key id, the part after `#` in a kid. */
  id: string;
  suite: 'intl' | 'sm';
  /** `sign` for envelopes and documents, `encrypt` for sealed bodies, `session` for staff tokens, `subject` for keyed hashes of people. */
  use: 'sign' | 'encrypt' | 'session' | 'subject';
  public_key: Buffer | null;
  /** The private key (or session secret), wrapped under the key-encryption secret. */
  wrapped_private: string;
  status: 'active' | 'retired';
  created_at: string;
  retired_at: string | null;
}

export interface KeyTables {
  node_keys: NodeKeyTable;
}
