/**
 * Signed messages a node sends the hub about itself — membership applications and key updates —
 * and how the hub checks them: shape, signature, signer, freshness.
 */
import { z } from 'zod';
import { nodeLevels } from '../../config/schema.ts';
import { InputError, SignatureInvalidError, TongbanError } from '../../core/errors.ts';
import { cryptoSuite, parseKid, verifyJws, type FlattenedJws, type JwsVerificationKey } from '../../crypto/index.ts';
import {
  currentKeySchema,
  endpointSchema,
  nodeCodeSchema,
  parseWith,
  timestampSchema,
  type DirectoryKey,
} from './directory-member.ts';

/** The `type` of a membership application payload. */
export const applicationType = 'tongban.membership-application';

/** A key as an application lists it: current, so without `validUntil`. */
export type ApplicationKey = Omit<DirectoryKey, 'validUntil'>;

/** The payload of a membership application, signed by the applicant's own signing key. */
export interface MembershipApplication {
  readonly type: typeof applicationType;
  readonly code: string;
  readonly name: string;
  readonly level: string;
  readonly parent: string | null;
  readonly endpoint: string;
  readonly keys: readonly ApplicationKey[];
  readonly ts: string;
}

/** A JWS in flattened JSON serialization, before any check of what it says. */
export const flattenedJwsSchema = z.strictObject({
  payload: z.string().max(1024 * 1024),
  protected: z.string().max(1024),
  signature: z.string().max(1024),
});

/** The schema of a membership application payload. */
export const applicationSchema = z
  .strictObject({
    type: z.literal(applicationType),
    code: nodeCodeSchema,
    name: z.string().min(1).max(100),
    level: z.enum(nodeLevels.filter((level) => level !== 'hub') as [string, ...string[]]),
    parent: nodeCodeSchema.nullable(),
    endpoint: endpointSchema,
    keys: z.array(currentKeySchema).min(2).max(16),
    ts: timestampSchema,
  })
  .refine((application) => application.keys.every((key) => parseKid(key.kid).node === application.code), {
    message: "every key's kid must start with the applicant's own code",
    path: ['keys'],
  })
  .refine((application) => new Set(application.keys.map((key) => key.kid)).size === application.keys.length, {
    message: 'kids must be unique',
    path: ['keys'],
  })
  .refine((application) => ['sign', 'encrypt'].every((use) => application.keys.some((key) => key.use === use)), {
    message: 'an application lists at least one signing and one encryption key',
    path: ['keys'],
  });

/** Decodes a JWS payload before verification, to learn which keys a self-signed message claims. */
export function peekPayload(jws: FlattenedJws, what: string): unknown {
  try {
    return JSON.parse(Buffer.from(jws.payload, 'base64url').toString('utf8'));
  } catch {
    throw new InputError(`The ${what} is not a JWS over a JSON payload.`, { path: 'payload' });
  }
}

/** Refuses a message whose time is further from `now` than the accepted skew: an old message replayed, or a wrong clock. */
export function assertFresh(ts: string, now: Date, skewSeconds: number, what: string): void {
  const distance = Math.abs(Date.parse(ts) - now.getTime());
  if (distance > skewSeconds * 1000) {
    throw new TongbanError(
      'clock_skew',
      `The ${what} was signed at ${ts}, more than ${skewSeconds} s from this hub's time ${now.toISOString()}; check the sender's clock and send it again.`,
      { ts, now: now.toISOString(), skewSeconds },
    );
  }
}

/**
 * Checks a membership application: its shape, and that it is signed by one of the signing keys
 * it lists (the self-signature proves the applicant holds that key). Throws `invalid_input` for a
 * malformed application, `signature_invalid` for a bad signature, `clock_skew` for a stale one.
 */
export function verifyApplication(jws: unknown, options: { readonly now: Date; readonly skewSeconds: number }): {
  readonly application: MembershipApplication;
  readonly kid: string;
} {
  const flattened = parseWith(flattenedJwsSchema, jws, 'application');
  const application = parseWith(applicationSchema, peekPayload(flattened, 'application'), 'application') as MembershipApplication;
  const keys = new Map<string, JwsVerificationKey>(
    application.keys
      .filter((key) => key.use === 'sign')
      .map((key) => [key.kid, { suite: cryptoSuite(key.suite), publicKey: new Uint8Array(Buffer.from(key.publicKey, 'base64url')) }]),
  );
  let kid: string;
  try {
    kid = verifyJws(flattened, (candidate) => keys.get(candidate)).kid;
  } catch (error) {
    if (error instanceof TongbanError && error.code === 'key_unknown') {
      throw new SignatureInvalidError('The application must be signed by one of the signing keys it lists.', { kid: error.details?.kid });
    }
    throw error;
  }
  assertFresh(application.ts, options.now, options.skewSeconds, 'application');
  return { application, kid };
}

/**
 * Checks a key update's shape and signature against `resolveKey`, which answers only keys the
 * hub accepts for the member named in the update. Returns the update and its signer's kid.
 */
export function verifySignedUpdate<T extends { readonly code: string; readonly ts: string }>(
  jws: unknown,
  schema: z.ZodType<T>,
  what: string,
  resolveKey: (code: string, kid: string) => JwsVerificationKey | undefined,
  options: { readonly now: Date; readonly skewSeconds: number },
): { readonly update: T; readonly kid: string } {
  const flattened = parseWith(flattenedJwsSchema, jws, what);
  const update = parseWith(schema, peekPayload(flattened, what), what);
  const verified = verifyJws(flattened, (kid) => {
    try {
      return parseKid(kid).node === update.code ? resolveKey(update.code, kid) : undefined;
    } catch {
      return undefined;
    }
  });
  assertFresh(update.ts, options.now, options.skewSeconds, what);
  return { update, kid: verified.kid };
}
