/**
 * Staff accounts as the rest of Tongban sees them: never with a password hash or a secret.
 */
import { InputError } from '../../core/errors.ts';
import type { Role } from './roles.ts';

export type AccountStatus = 'active' | 'disabled';

/** A staff account, safe to return from any API. */
export interface StaffAccount {
  readonly id: string;
  readonly username: string;
  readonly displayName: string;
  readonly roles: readonly Role[];
  readonly status: AccountStatus;
  /** Whether the roles make a second factor mandatory. */
  readonly secondFactorRequired: boolean;
  /** Whether an authenticator app is enrolled; when it is, login always asks for a code. */
  readonly secondFactorEnrolled: boolean;
  readonly failedLogins: number;
  /** When a lockout after too many failed logins ends; null when not locked. */
  readonly lockedUntil: string | null;
  readonly passwordChangedAt: string;
  readonly createdAt: string;
  /** Actor that created the account: `staff:<id>`, `system`, … */
  readonly createdBy: string | null;
  readonly updatedAt: string;
}

/** An authenticator-app enrolment, shown exactly once. */
export interface SecondFactorEnrolment {
  /** The TOTP secret in base32, for typing into an app by hand. */
  readonly secret: string;
  /** The `otpauth://totp/…` URI, usually shown as a QR code. */
  readonly uri: string;
}

const usernamePattern = /^[a-z0-9._-]{3,64}$/;

/** Whether a string is a well-formed user name: 3–64 of `a-z 0-9 . _ -`. */
export function isValidUsername(username: string): boolean {
  return usernamePattern.test(username);
}

/** Throws `invalid_input` unless the user name is well-formed. */
export function assertValidUsername(username: string): void {
  if (typeof username !== 'string' || !isValidUsername(username)) {
    throw new InputError('A user name is 3–64 characters of lower-case letters, digits, ".", "_" and "-".', {
      path: 'username',
    });
  }
}

/** Trims a display name and throws `invalid_input` unless it is 1–100 characters. */
export function normaliseDisplayName(displayName: string): string {
  const trimmed = typeof displayName === 'string' ? displayName.trim() : '';
  if (trimmed.length < 1 || trimmed.length > 100) {
    throw new InputError('A display name is 1–100 characters.', { path: 'displayName' });
  }
  return trimmed;
}
