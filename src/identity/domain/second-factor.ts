/**
 * The second factor: TOTP (RFC 6238) with the authenticator-app defaults — SHA-1, 6 digits,
 * 30-second steps — so any common app can enrol by scanning the URI.
 */
import { randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import type { SecondFactorEnrolment } from './account.ts';

const algorithm = 'SHA1';
const digits = 6;
const periodSeconds = 30;
/** 160 bits, the length RFC 4226 recommends for HMAC-SHA1. */
const secretBytes = 20;
/** Steps either side of now that still count, for phones whose clocks drift. */
const driftWindow = 1;

/** Seals secrets at rest; the node's key-encryption secret stays behind it. */
export interface SecretBox {
  /** Encrypts and authenticates `plain`, bound to `aad`. */
  wrap(plain: Uint8Array, aad: string): string;
  /** Opens what `wrap` produced with the same `aad`; throws when it was altered or the aad differs. */
  unwrap(wrapped: string, aad: string): Uint8Array;
}

/** The associated data binding a wrapped TOTP secret to its account, so it cannot be moved to another. */
export function totpSecretAad(accountId: string): string {
  return `totp:${accountId}`;
}

/** A fresh random TOTP secret and how to show it to the person enrolling. */
export function newTotpSecret(context: { readonly issuer: string; readonly username: string }): {
  bytes: Uint8Array;
  enrolment: SecondFactorEnrolment;
} {
  const bytes = new Uint8Array(randomBytes(secretBytes));
  const totp = totpFor(bytes, context);
  return { bytes, enrolment: { secret: totp.secret.base32, uri: totp.toString() } };
}

/**
 * The time step a code belongs to, or undefined when it matches no step within the drift window.
 * The caller refuses steps at or before the last accepted one, so no code works twice.
 */
export function matchTotpStep(secret: Uint8Array, code: string, at: Date): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const timestamp = at.getTime();
  const delta = TOTP.validate({
    token: code,
    secret: secretOf(secret),
    algorithm,
    digits,
    period: periodSeconds,
    timestamp,
    window: driftWindow,
  });
  if (delta === null) return undefined;
  return TOTP.counter({ period: periodSeconds, timestamp }) + delta;
}

function totpFor(bytes: Uint8Array, context: { readonly issuer: string; readonly username: string }): TOTP {
  return new TOTP({
    issuer: context.issuer,
    label: context.username,
    secret: secretOf(bytes),
    algorithm,
    digits,
    period: periodSeconds,
  });
}

function secretOf(bytes: Uint8Array): Secret {
  // Copy into a buffer of its own: otpauth keeps a reference to what it is given.
  return new Secret({ buffer: Uint8Array.from(bytes).buffer });
}
