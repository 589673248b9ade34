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
  database_too_new: { kind: 'conflict', retryable: false, description: 'The database was migrated by a newer Tongban; upgrade this node.' },
  migration_failed: { kind: 'internal', retryable: false, description: 'A schema migration failed and was rolled back.' },
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
