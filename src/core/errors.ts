/**
 * Tongban's one error shape and its stable codes.
 *
 * Every refusal anywhere in the product is a `TongbanError` carrying a code from `errorCodes`.
 * The HTTP layer, the CLI and the console all read the status and meaning from this table, so a
 * code means the same thing everywhere and never changes once published.
 */

/** The small taxonomy every error belongs to; each kind has one HTTP status. */
export type ErrorKind =
  | 'input'
  | 'authentication'
  | 'not_allowed'
  | 'not_found'
  | 'conflict'
  | 'too_large'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

const statusOfKind: Readonly<Record<ErrorKind, number>> = {
  input: 400,
  authentication: 401,
  not_allowed: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

interface CodeInfo {
  readonly kind: ErrorKind;
  /** Whether repeating the same call later can succeed without changing it. */
  readonly retryable: boolean;
  readonly description: string;
}

/** Every stable error code. Add codes here; never rename or reuse one. */
export const errorCodes = {
  // input
  invalid_input: { kind: 'input', retryable: false, description: 'A field is missing or has a value that is not allowed.' },
  malformed_json: { kind: 'input', retryable: false, description: 'The request body is not valid JSON.' },
  unsupported_media_type: { kind: 'input', retryable: false, description: 'The request body has a content type the endpoint does not accept.' },
  config_invalid: { kind: 'input', retryable: false, description: 'The configuration has an unknown key or a value that is not allowed.' },
  config_missing: { kind: 'not_found', retryable: false, description: 'A configuration file named on the command line does not exist.' },
  not_a_node: { kind: 'not_found', retryable: false, description: 'The data directory does not hold an initialised Tongban node.' },
  node_exists: { kind: 'conflict', retryable: false, description: 'The data directory already holds a node.' },
  // authentication
  authentication_required: { kind: 'authentication', retryable: false, description: 'The request carries no credentials.' },
  token_invalid: { kind: 'authentication', retryable: false, description: 'The access or API token is malformed, has a bad signature, or was revoked.' },
  token_expired: { kind: 'authentication', retryable: false, description: 'The access token has expired; log in again.' },
  login_failed: { kind: 'authentication', retryable: false, description: 'The user name or password is wrong.' },
  second_factor_required: { kind: 'authentication', retryable: false, description: 'This role needs a one-time code from the authenticator app.' },
  second_factor_invalid: { kind: 'authentication', retryable: false, description: 'The one-time code is wrong or was already used.' },
  second_factor_not_enrolled: { kind: 'authentication', retryable: false, description: 'The account must enrol an authenticator app before it can log in.' },
  account_locked: { kind: 'rate_limited', retryable: true, description: 'Too many failed logins; the account is locked for a while.' },
  account_disabled: { kind: 'not_allowed', retryable: false, description: 'The account has been disabled by an administrator.' },
  password_too_weak: { kind: 'input', retryable: false, description: 'The password does not meet the password policy.' },
  signature_invalid: { kind: 'authentication', retryable: false, description: 'A signature does not verify against the signer\'s key.' },
  key_unknown: { kind: 'authentication', retryable: false, description: 'The signing key id is not known.' },
  // authorisation
  forbidden: { kind: 'not_allowed', retryable: false, description: 'Your role does not allow this action.' },
  duty_separation: { kind: 'not_allowed', retryable: false, description: 'The change would give one account duties that must stay separate.' },
  last_admin: { kind: 'conflict', retryable: false, description: 'The last active administrator cannot be disabled or demoted.' },
  // lookups and conflicts
  not_found: { kind: 'not_found', retryable: false, description: 'The thing named does not exist.' },
  route_not_found: { kind: 'not_found', retryable: false, description: 'No endpoint has this method and path.' },
  already_exists: { kind: 'conflict', retryable: false, description: 'Something with this identifier already exists.' },
  // keys and storage
  key_secret_invalid: { kind: 'authentication', retryable: false, description: 'The key-encryption secret does not open the node\'s keys.' },
  database_unreachable: { kind: 'unavailable', retryable: true, description: 'The database cannot be reached.' },
  port_in_use: { kind: 'unavailable', retryable: true, description: 'Another program already listens on the configured address and port; stop it or choose another port.' },
  database_too_new: { kind: 'conflict', retryable: false, description: 'The database was migrated by a newer Tongban; upgrade this node.' },
  migration_failed: { kind: 'internal', retryable: false, description: 'A schema migration failed and was rolled back.' },
  // federation: directory
  directory_unavailable: { kind: 'unavailable', retryable: true, description: 'This node holds no usable copy of the federation directory yet; join or sync first.' },
  directory_stale: { kind: 'unavailable', retryable: true, description: 'The cached directory is older than the grace period allows; the hub must be reached to refresh it.' },
  directory_signature_invalid: { kind: 'authentication', retryable: false, description: 'The directory document is not signed by the pinned hub anchor key.' },
  member_unknown: { kind: 'not_found', retryable: false, description: 'The node code is not a member of the federation directory.' },
  member_suspended: { kind: 'not_allowed', retryable: false, description: 'The member is suspended in the federation directory.' },
  application_pending: { kind: 'conflict', retryable: false, description: 'A membership application for this node is already waiting for the hub.' },
  directory_rollback: { kind: 'conflict', retryable: false, description: 'The hub served a directory older than (or different from) the version this node already verified; it was refused.' },
  anchor_mismatch: { kind: 'authentication', retryable: false, description: 'The hub\'s anchor key does not have the fingerprint the operator gave; confirm it with the hub operator before joining.' },
  integrity_alert_unknown: { kind: 'not_found', retryable: false, description: 'No open integrity alert matches; list them with GET /api/v1/directory/integrity-alerts.' },
  integrity_alert_acknowledged: { kind: 'conflict', retryable: false, description: 'The integrity alert was already acknowledged; the reason and who did it are in details.' },
  // federation: catalogue
  dataset_unknown: { kind: 'not_found', retryable: false, description: 'The dataset is not in this node\'s resource catalogue.' },
  import_invalid: { kind: 'input', retryable: false, description: 'The import file cannot be read: wrong format, encoding or columns.' },
  dataset_has_data: { kind: 'conflict', retryable: false, description: 'The change would alter the columns of a dataset that holds imported rows; clear its data first.' },
  // federation: agreements and policy
  agreement_invalid: { kind: 'input', retryable: false, description: 'The agreement document does not match the agreement schema; details.path points at the fault.' },
  agreement_unknown: { kind: 'not_found', retryable: false, description: 'No agreement with this id and version is known here.' },
  agreement_not_active: { kind: 'not_allowed', retryable: false, description: 'The agreement is not active (draft, proposed, signed but not activated, or terminated).' },
  agreement_not_signed: { kind: 'not_allowed', retryable: false, description: 'Not every party has signed this version of the agreement.' },
  agreement_expired: { kind: 'not_allowed', retryable: false, description: 'The agreement is outside its validity period.' },
  agreement_suspended: { kind: 'not_allowed', retryable: false, description: 'The agreement is suspended.' },
  agreement_transition_invalid: { kind: 'conflict', retryable: false, description: 'The agreement cannot move from its current state to the one asked for.' },
  not_a_party: { kind: 'not_allowed', retryable: false, description: 'The node is not a party to the agreement, or not in the role the request needs.' },
  item_not_allowed: { kind: 'not_allowed', retryable: false, description: 'The service item is not covered by the agreement for this dataset and requester.' },
  purpose_not_allowed: { kind: 'not_allowed', retryable: false, description: 'The purpose is not one the agreement grants.' },
  dataset_not_granted: { kind: 'not_allowed', retryable: false, description: 'The agreement grants the requester nothing on this dataset.' },
  field_not_granted: { kind: 'not_allowed', retryable: false, description: 'A requested field is not granted to the requester.' },
  operation_not_granted: { kind: 'not_allowed', retryable: false, description: 'The operation is not granted (e.g. query where only verify is allowed).' },
  grade_above_ceiling: { kind: 'not_allowed', retryable: false, description: 'The dataset is graded above the agreement\'s classification ceiling.' },
  sharing_not_allowed: { kind: 'not_allowed', retryable: false, description: 'The dataset\'s sharing type is none (不予共享).' },
  approval_required: { kind: 'not_allowed', retryable: false, description: 'The dataset is shared conditionally and no standing approval signed by the provider covers this request.' },
  // federation: exchange
  envelope_invalid: { kind: 'input', retryable: false, description: 'The exchange envelope is malformed or does not match its schema.' },
  sender_unknown: { kind: 'authentication', retryable: false, description: 'The sender is not in the federation directory.' },
  key_not_valid: { kind: 'authentication', retryable: false, description: 'The signing key is not valid for the sender at the message time.' },
  clock_skew: { kind: 'input', retryable: false, description: 'The message time is outside the accepted window; check the sender\'s clock.' },
  replayed: { kind: 'conflict', retryable: false, description: 'A message with this id was already received with a different content.' },
  not_for_this_node: { kind: 'input', retryable: false, description: 'The message is addressed to another node.' },
  recipient_unknown: { kind: 'not_found', retryable: false, description: 'The hub cannot route the message: the recipient is not an active member.' },
  partner_unreachable: { kind: 'unavailable', retryable: true, description: 'The partner node (or the hub) did not answer.' },
  answer_invalid: { kind: 'unavailable', retryable: true, description: 'The partner\'s answer is not a valid signed answer to the request.' },
  in_progress: { kind: 'conflict', retryable: true, description: 'The same message is being handled by another process; retry shortly for its answer.' },
  audit_integrity_failed: { kind: 'conflict', retryable: false, description: 'The audit log, a checkpoint or a bundle does not verify; the report names each entry or checkpoint that disagrees.' },
  checkpoint_invalid: { kind: 'input', retryable: false, description: 'A checkpoint or witness cosignature is malformed, signed by an unknown key, or does not verify.' },
  citizen_token_invalid: { kind: 'authentication', retryable: false, description: 'The citizen token is malformed, not signed by this node, or not issued for this ID number.' },
  citizen_token_expired: { kind: 'authentication', retryable: false, description: 'The citizen token has expired; ask the service counter for a new one.' },
  // data quality
  quality_sql_refused: { kind: 'input', retryable: false, description: 'A custom SQL rule is not one read-only SELECT over `dataset`; the message says what was refused.' },
  quality_file_unreadable: { kind: 'input', retryable: false, description: 'The CSV or Parquet file given as a quality target cannot be read (missing, binary, wrong format or encoding).' },
  quality_run_interrupted: { kind: 'unavailable', retryable: true, description: 'A quality run was interrupted before it finished; nothing was stored, so run it again.' },
  quality_below_floor: { kind: 'not_allowed', retryable: false, description: 'The dataset\'s latest published quality score is below the minimum the agreement requires (or it has no score).' },
  remediation_transition_invalid: { kind: 'conflict', retryable: false, description: 'The remediation task cannot move from its current state to the one asked for.' },
  // limits
  body_too_large: { kind: 'too_large', retryable: false, description: 'The request body exceeds the size limit.' },
  rate_limited: { kind: 'rate_limited', retryable: true, description: 'Too many requests; slow down.' },
  not_ready: { kind: 'unavailable', retryable: true, description: 'The node is starting or cannot reach its database.' },
  internal_error: { kind: 'internal', retryable: true, description: 'An unexpected error; the request id in the logs identifies it.' },
} as const satisfies Record<string, CodeInfo>;

export type ErrorCode = keyof typeof errorCodes;

/** The JSON body of every error response. */
export interface ErrorBody {
  readonly code: ErrorCode;
  readonly message: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** Base of every error Tongban raises on purpose. */
export class TongbanError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }

  get kind(): ErrorKind {
    return errorCodes[this.code].kind;
  }

  get httpStatus(): number {
    return statusOfKind[this.kind];
  }

  get retryable(): boolean {
    return errorCodes[this.code].retryable;
  }

  toBody(): ErrorBody {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/** A value the caller sent is wrong; `details.path` names where. */
export class InputError extends TongbanError {
  constructor(message: string, details?: Record<string, unknown>, code: ErrorCode = 'invalid_input') {
    super(code, message, details);
  }
}

export class NotFoundError extends TongbanError {
  constructor(message: string, details?: Record<string, unknown>, code: ErrorCode = 'not_found') {
    super(code, message, details);
  }
}

export class ConflictError extends TongbanError {
  constructor(message: string, details?: Record<string, unknown>, code: ErrorCode = 'already_exists') {
    super(code, message, details);
  }
}

export class NotAllowedError extends TongbanError {
  constructor(message: string, details?: Record<string, unknown>, code: ErrorCode = 'forbidden') {
    super(code, message, details);
  }
}

export class AuthenticationError extends TongbanError {
  constructor(message: string, details?: Record<string, unknown>, code: ErrorCode = 'authentication_required') {
    super(code, message, details);
  }
}

export class SignatureInvalidError extends TongbanError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('signature_invalid', message, details);
  }
}

export class UnavailableError extends TongbanError {
  constructor(message: string, details?: Record<string, unknown>, code: ErrorCode = 'database_unreachable') {
    super(code, message, details);
  }
}

const recordedMark = Symbol('tongban.recorded');

/** Marks an error whose refusal a service already put in the event log, so no layer records it twice. */
export function markRecorded<E extends TongbanError>(error: E): E {
  (error as unknown as Record<symbol, boolean>)[recordedMark] = true;
  return error;
}

/** Whether a service already recorded this refusal in the event log. */
export function isRecorded(error: TongbanError): boolean {
  return (error as unknown as Record<symbol, boolean>)[recordedMark] === true;
}

/** Turns anything thrown into the one error shape; unknown errors become `internal_error`. */
export function toTongbanError(error: unknown): TongbanError {
  if (error instanceof TongbanError) return error;
  return new TongbanError('internal_error', 'An unexpected error occurred.', undefined, { cause: error });
}

/** The HTTP status for an error code, for callers that only have the code. */
export function httpStatusOf(code: ErrorCode): number {
  return statusOfKind[errorCodes[code].kind];
}
