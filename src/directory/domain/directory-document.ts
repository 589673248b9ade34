/**
 * The signed, versioned directory document the hub publishes, and how a member decides to trust it.
 *
 * A member trusts the hub keys it pinned at join and the hub signing keys the last directory it
 * verified lists as current. When the hub rotates its signing key, the hub signs a *transition*
 * with the old key that endorses the new one, and carries every transition in each document, so
 * a member that was offline through one or more rotations still chains from the key it knows.
 */
import { z } from 'zod';
import { suiteNames } from '../../config/schema.ts';
import { TongbanError } from '../../core/errors.ts';
import { cryptoSuite, parseKid, verifyJws, type FlattenedJws, type JwsVerificationKey, type SuiteName } from '../../crypto/index.ts';
import { anchorVerificationKeys, type AnchorKey } from './anchor.ts';
import { directoryMemberSchema, nodeCodeSchema, timestampSchema, type DirectoryMember } from './directory-member.ts';

/** The `type` of a directory document payload. */
export const directoryDocumentType = 'tongban.directory';
/** The `type` of a hub key transition payload. */
export const hubKeyTransitionType = 'tongban.hub-key-transition';

/** The payload of a directory document. */
export interface DirectoryDocument {
  readonly type: typeof directoryDocumentType;
  /** The hub's node code. */
  readonly hub: string;
  /** Grows by one with every publication; a member refuses anything lower than what it holds. */
  readonly version: number;
  readonly issuedAt: string;
  readonly expiresAt: string;
  readonly members: readonly DirectoryMember[];
  /** Every hub signing-key transition, oldest first (see the module comment). */
  readonly hubKeyTransitions: readonly FlattenedJws[];
}

/** The payload of a hub key transition: the key `previous` (the signer) endorses `next`. */
export interface HubKeyTransition {
  readonly type: typeof hubKeyTransitionType;
  readonly hub: string;
  readonly previous: string;
  readonly next: AnchorKey;
  readonly ts: string;
}

/** A document together with the JWS that carries it. */
export interface SignedDirectory {
  readonly jws: FlattenedJws;
  readonly document: DirectoryDocument;
  /** The kid of the hub key that signed it. */
  readonly signedBy: string;
}

const jwsSchema = z.strictObject({
  payload: z.string().max(16 * 1024 * 1024),
  protected: z.string().max(1024),
  signature: z.string().max(1024),
});

/** Unknown fields are dropped, not refused, like a member's (see `directoryMemberSchema`). */
const documentSchema = z
  .object({
    type: z.literal(directoryDocumentType),
    hub: nodeCodeSchema,
    version: z.number().int().min(1),
    issuedAt: timestampSchema,
    expiresAt: timestampSchema,
    members: z.array(directoryMemberSchema).max(100_000),
    hubKeyTransitions: z.array(jwsSchema).max(256),
  })
  .refine((document) => document.expiresAt > document.issuedAt, { message: 'expiresAt must be after issuedAt', path: ['expiresAt'] })
  .refine((document) => new Set(document.members.map((member) => member.code)).size === document.members.length, {
    message: 'member codes must be unique',
    path: ['members'],
  })
  .refine((document) => document.members.some((member) => member.code === document.hub && member.role === 'hub'), {
    message: 'the hub must be listed as a member with role hub',
    path: ['members'],
  });

const transitionSchema = z.strictObject({
  type: z.literal(hubKeyTransitionType),
  hub: nodeCodeSchema,
  previous: z.string().max(100),
  next: z.strictObject({
    kid: z.string().max(100),
    suite: z.enum(suiteNames),
    publicKey: z.string().max(200),
    validFrom: timestampSchema,
  }),
  ts: timestampSchema,
});

/** What the hub puts in a publication; members are ordered hub first, then by code, so equal registries give equal bytes. */
export function buildDirectoryDocument(input: {
  readonly hub: string;
  readonly version: number;
  readonly issuedAt: Date;
  readonly ttlSeconds: number;
  readonly members: readonly DirectoryMember[];
  readonly hubKeyTransitions: readonly FlattenedJws[];
}): DirectoryDocument {
  const members = [...input.members].sort((a, b) =>
    a.code === input.hub ? -1 : b.code === input.hub ? 1 : a.code < b.code ? -1 : a.code > b.code ? 1 : 0,
  );
  return {
    type: directoryDocumentType,
    hub: input.hub,
    version: input.version,
    issuedAt: input.issuedAt.toISOString(),
    expiresAt: new Date(input.issuedAt.getTime() + input.ttlSeconds * 1000).toISOString(),
    members: members.map((member) => ({ ...member, keys: [...member.keys].sort((a, b) => (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0)) })),
    hubKeyTransitions: [...input.hubKeyTransitions],
  };
}

/** The payload of a transition from the hub's `previous` signing key to `next`. */
export function buildHubKeyTransition(hub: string, previous: string, next: AnchorKey, at: Date): HubKeyTransition {
  return { type: hubKeyTransitionType, hub, previous, next, ts: at.toISOString() };
}

/**
 * The hub keys a member trusts before looking at a new document: its pinned anchor keys and the
 * hub signing keys the last verified directory lists as current, minus any key that directory
 * says the hub has retired.
 */
export function trustedHubKeys(input: {
  readonly hub: string;
  readonly anchor: readonly AnchorKey[];
  readonly previous?: DirectoryDocument;
}): Map<string, JwsVerificationKey> {
  const trusted = anchorVerificationKeys(input.anchor);
  const hubMember = input.previous?.members.find((member) => member.code === input.hub);
  for (const key of hubMember?.keys ?? []) {
    if (key.use !== 'sign') continue;
    if (key.validUntil !== null) trusted.delete(key.kid);
    else trusted.set(key.kid, { suite: cryptoSuite(key.suite), publicKey: new Uint8Array(Buffer.from(key.publicKey, 'base64url')) });
  }
  return trusted;
}

function signatureInvalid(message: string, details: Record<string, unknown>, cause?: unknown): TongbanError {
  return new TongbanError('directory_signature_invalid', message, details, cause === undefined ? undefined : { cause });
}

/** Reads the payload of a JWS without verifying it, only to find the transitions it carries. */
function unverifiedTransitions(jws: FlattenedJws): FlattenedJws[] {
  try {
    const payload = JSON.parse(Buffer.from(jws.payload, 'base64url').toString('utf8')) as { hubKeyTransitions?: unknown };
    const parsed = z.array(jwsSchema).max(256).safeParse(payload.hubKeyTransitions);
    return parsed.success ? parsed.data : [];
  } catch {
    return [];
  }
}

/** Adds to `trusted` every next key that a chain of transitions from an already-trusted key endorses. */
function followTransitions(trusted: Map<string, JwsVerificationKey>, transitions: readonly FlattenedJws[], hub: string): void {
  const pending = [...transitions];
  let progress = true;
  while (progress && pending.length > 0) {
    progress = false;
    for (let index = 0; index < pending.length; index += 1) {
      const transition = pending[index]!;
      let verified;
      try {
        verified = verifyJws(transition, (kid) => trusted.get(kid));
      } catch {
        continue; // signed by a key not (yet) trusted, or not at all: it endorses nothing
      }
      const parsed = transitionSchema.safeParse(verified.payload);
      if (!parsed.success) continue;
      const { next, previous } = parsed.data;
      if (parsed.data.hub !== hub || previous !== verified.kid || !isHubKid(next.kid, hub)) continue;
      trusted.set(next.kid, { suite: cryptoSuite(next.suite as SuiteName), publicKey: new Uint8Array(Buffer.from(next.publicKey, 'base64url')) });
      pending.splice(index, 1);
      index -= 1;
      progress = true;
    }
  }
}

function isHubKid(kid: string, hub: string): boolean {
  try {
    return parseKid(kid).node === hub;
  } catch {
    return false;
  }
}

/**
 * Verifies a directory JWS against the keys a member trusts (see `trustedHubKeys`), following
 * hub key transitions where needed, and checks the document's shape. Throws
 * `directory_signature_invalid` for anything wrong with the signature and `answer_invalid` for a
 * well-signed document that is not a directory of this hub.
 */
export function verifyDirectoryDocument(jws: unknown, options: { readonly hub: string; readonly trusted: ReadonlyMap<string, JwsVerificationKey> }): SignedDirectory {
  const shape = jwsSchema.safeParse(jws);
  if (!shape.success) throw signatureInvalid('The directory is not a JWS in flattened JSON serialization.', {});
  const flattened = shape.data;
  const trusted = new Map(options.trusted);
  const resolve = (kid: string) => (isHubKid(kid, options.hub) ? trusted.get(kid) : undefined);
  let verified;
  try {
    verified = verifyJws(flattened, resolve);
  } catch (error) {
    if (!(error instanceof TongbanError && error.code === 'key_unknown')) {
      throw signatureInvalid(`The directory's signature does not verify: ${(error as Error).message}.`, {}, error);
    }
    followTransitions(trusted, unverifiedTransitions(flattened), options.hub);
    try {
      verified = verifyJws(flattened, resolve);
    } catch (retryError) {
      const kid = retryError instanceof TongbanError ? retryError.details?.kid : undefined;
      throw signatureInvalid(
        retryError instanceof TongbanError && retryError.code === 'key_unknown'
          ? `The directory is signed by ${String(kid)}, which is neither the pinned hub anchor nor a hub key the last verified directory lists.`
          : `The directory's signature does not verify: ${(retryError as Error).message}.`,
        kid === undefined ? {} : { kid },
        retryError,
      );
    }
  }
  const parsed = documentSchema.safeParse(verified.payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = ['directory', ...(issue?.path ?? []).map(String)].join('.');
    throw new TongbanError('answer_invalid', `The hub's directory is malformed at ${path}: ${issue?.message ?? 'invalid'}.`, { path });
  }
  if (parsed.data.hub !== options.hub) {
    throw new TongbanError('answer_invalid', `The directory is from hub ${parsed.data.hub}, not the hub ${options.hub} this node joined.`, {
      hub: parsed.data.hub,
    });
  }
  return { jws: flattened, document: parsed.data as DirectoryDocument, signedBy: verified.kid };
}

/**
 * Whether `next` may replace the copy a member holds: `newer`, or `same` for the identical
 * document again. Anything older, or a different document under the same version, is a rollback
 * (or a hub saying two things at once) and is refused with `directory_rollback`.
 */
export function succession(
  held: { readonly version: number; readonly payload: string } | undefined,
  next: { readonly version: number; readonly payload: string },
): 'newer' | 'same' {
  if (!held || next.version > held.version) return 'newer';
  if (next.version === held.version && next.payload === held.payload) return 'same';
  throw new TongbanError(
    'directory_rollback',
    next.version < held.version
      ? `The hub served directory version ${next.version}, older than version ${held.version} already verified here; refused as a rollback.`
      : `The hub served a different directory under version ${next.version}, which this node already holds; refused.`,
    { held: held.version, served: next.version },
  );
}

/** Decodes a document's payload from its JWS; only for copies this node verified before storing. */
export function decodeStoredDocument(jws: FlattenedJws): DirectoryDocument {
  return JSON.parse(Buffer.from(jws.payload, 'base64url').toString('utf8')) as DirectoryDocument;
}
