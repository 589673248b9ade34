/**
 * The hub's anchor: the signing key a member pins when it joins, and the fingerprint operators
 * compare out of band before trusting it.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { suiteNames } from '../../config/schema.ts';
import { InputError, TongbanError } from '../../core/errors.ts';
import { cryptoSuite, parseKid, type JwsVerificationKey, type SuiteName } from '../../crypto/index.ts';
import { directoryKeySchema, nodeCodeSchema, type DirectoryKey } from './directory-member.ts';

/** One of the hub's signing keys as a member pins it. */
export interface AnchorKey {
  readonly kid: string;
  readonly suite: SuiteName;
  /** base64url of the raw public key. */
  readonly publicKey: string;
  readonly validFrom: string;
}

/** What `GET /api/v1/directory/anchor` answers: who the hub is and the keys that sign its directory. */
export interface DirectoryAnchor {
  readonly code: string;
  readonly name: string;
  readonly keys: readonly (AnchorKey & { readonly fingerprint: string })[];
}

/** The schema of an anchor answer, checked by the joining node before it pins anything. */
export const anchorSchema = z.strictObject({
  code: nodeCodeSchema,
  name: z.string().min(1).max(100),
  keys: z
    .array(
      z.strictObject({
        kid: z.string().max(100),
        suite: z.enum(suiteNames),
        publicKey: z.string().max(200),
        validFrom: z.string().max(40),
        fingerprint: z.string().max(64),
      }),
    )
    .min(1)
    .max(8),
});

/** SHA-256 of the raw public key, in lower-case hex: what operators read to each other. */
export function anchorFingerprint(publicKey: string): string {
  return createHash('sha256').update(Buffer.from(publicKey, 'base64url')).digest('hex');
}

/** Accepts a fingerprint as people write it (upper case, colons, spaces) and returns 64 lower-case hex digits. */
export function normaliseFingerprint(text: string): string {
  const compact = text.replace(/[\s:-]/g, '').toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(compact)) {
    throw new InputError('--anchor-fingerprint must be the 64 hex digits of a SHA-256 fingerprint (colons and spaces allowed).', {
      path: 'anchorFingerprint',
    });
  }
  return compact;
}

/** The anchor keys of a hub's signing keys: the current ones, each with its fingerprint. */
export function anchorOf(code: string, name: string, keys: readonly DirectoryKey[]): DirectoryAnchor {
  return {
    code,
    name,
    keys: keys
      .filter((key) => key.use === 'sign' && key.validUntil === null)
      .map((key) => ({ kid: key.kid, suite: key.suite, publicKey: key.publicKey, validFrom: key.validFrom, fingerprint: anchorFingerprint(key.publicKey) })),
  };
}

/**
 * Checks an anchor answer and chooses the keys to pin: every listed key when no fingerprint was
 * given, otherwise only the key with that fingerprint. The fingerprint is recomputed here, never
 * taken from the answer. Returns undefined when `expected` matches no key.
 */
export function chooseAnchorKeys(anchor: z.infer<typeof anchorSchema>, expected?: string): AnchorKey[] | undefined {
  const keys = anchor.keys.map((key): AnchorKey => {
    const candidate = { kid: key.kid, use: 'sign', suite: key.suite, publicKey: key.publicKey, validFrom: key.validFrom, validUntil: null };
    if (!directoryKeySchema.safeParse(candidate).success || parseKid(key.kid).node !== anchor.code) {
      throw new TongbanError('answer_invalid', `The hub's anchor lists a malformed key ${key.kid}.`, { kid: key.kid });
    }
    return { kid: key.kid, suite: key.suite, publicKey: key.publicKey, validFrom: key.validFrom };
  });
  if (expected === undefined) return keys;
  const matching = keys.filter((key) => anchorFingerprint(key.publicKey) === expected);
  return matching.length > 0 ? matching : undefined;
}

/** The pinned anchor keys as JWS verification keys by kid. */
export function anchorVerificationKeys(keys: readonly AnchorKey[]): Map<string, JwsVerificationKey> {
  return new Map(keys.map((key) => [key.kid, { suite: cryptoSuite(key.suite), publicKey: new Uint8Array(Buffer.from(key.publicKey, 'base64url')) }]));
}
