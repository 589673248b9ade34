/**
 * API token secrets: `tbt_<token id>_<32 random bytes, base64url>`. The id lets the node find the
 * row directly; only a SHA-256 of the whole secret is stored, compared in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const prefix = 'tbt_';
const randomPartBytes = 32;

/** A new secret for the token with this id. */
export function newApiTokenSecret(tokenId: string): string {
  return `${prefix}${tokenId}_${randomBytes(randomPartBytes).toString('base64url')}`;
}

/** Whether a bearer value looks like an API token rather than an access token. */
export function looksLikeApiToken(bearer: string): boolean {
  return bearer.startsWith(prefix);
}

/** The token id inside a secret, or undefined when the secret is malformed. */
export function apiTokenIdOf(secret: string): string | undefined {
  // Ids are UUIDs (no "_"), and the random part is 43 base64url characters (which may contain "_").
  const match = /^tbt_([0-9a-f-]{36})_([A-Za-z0-9_-]{43})$/.exec(secret);
  return match?.[1];
}

/** The stored form of a secret: SHA-256, hex. */
export function hashApiTokenSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Whether a presented secret matches a stored hash, compared in constant time. */
export function apiTokenSecretMatches(secret: string, storedHash: string): boolean {
  const presented = Buffer.from(hashApiTokenSecret(secret), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}
