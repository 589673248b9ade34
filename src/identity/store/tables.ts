/** Tables of the staff identity context. */

export interface StaffAccountTable {
  id: string;
  username: string;
  display_name: string;
  /** JSON array of role names. */
  roles: string;
  status: 'active' | 'disabled';
  password_hash: string;
  password_changed_at: string;
  /** The TOTP secret, wrapped under the node's key-encryption secret. */
  totp_secret: string | null;
  totp_enrolled_at: string | null;
  /** The last accepted TOTP time step, so a code is never accepted twice. */
  totp_last_step: number | null;
  failed_logins: number;
  locked_until: string | null;
  created_at: string;
  created_by: string | null;
  updated_at: string;
}

export interface StaffSessionTable {
  id: string;
  account_id: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  revoked_at: string | null;
}

/** Revocable tokens for systems; only a hash of the secret is stored. */
export interface ApiTokenTable {
  id: string;
  name: string;
  /** JSON array of role names. */
  roles: string;
  token_hash: string;
  created_by: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
}

export interface IdentityTables {
  staff_accounts: StaffAccountTable;
  staff_sessions: StaffSessionTable;
  api_tokens: ApiTokenTable;
}
