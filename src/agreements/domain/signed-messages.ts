/**
 * What parties sign about agreements, and how each signed object is checked once its JWS
 * signature verified: the document hash, agreement signatures, proposals between nodes,
 * standing approvals and state notices.
 *
 * The hash of a document is the suite hash (SHA-256 or SM3) of its RFC 8785 canonical JSON.
 * Parties on different suites hash with their own algorithm; a signature names its `hashAlg`,
 * so every node recomputes that algorithm over its own copy: "the same hash" means "the same
 * canonical document".
 */
import { canonicalBytes, cryptoSuite, type CryptoSuite, type FlattenedJws, type HashAlgorithm } from '../../crypto/index.ts';
import { InputError, NotAllowedError, SignatureInvalidError } from '../../core/errors.ts';
import type { Agreement } from './agreement-schema.ts';
import type { AgreementState } from './lifecycle.ts';

/** A document hash and the algorithm that made it. */
export interface AgreementHash {
  readonly hashAlg: HashAlgorithm;
  /** Lower-case hex. */
  readonly hash: string;
}

const suiteByHash: Readonly<Record<HashAlgorithm, CryptoSuite>> = { sha256: cryptoSuite('intl'), sm3: cryptoSuite('sm') };

/** Whether a string names a hash algorithm Tongban uses. */
export function isHashAlgorithm(value: unknown): value is HashAlgorithm {
  return value === 'sha256' || value === 'sm3';
}

/** The hash of an agreement's canonical form with a given algorithm. */
export function agreementHashWith(agreement: Agreement, hashAlg: HashAlgorithm): AgreementHash {
  return { hashAlg, hash: Buffer.from(suiteByHash[hashAlg].hash(canonicalBytes(agreement))).toString('hex') };
}

/** The hash of an agreement's canonical form with this node's suite. */
export function agreementHash(agreement: Agreement, suite: CryptoSuite): AgreementHash {
  return agreementHashWith(agreement, suite.hashAlgorithm);
}

/** What a party signs to agree to one version of an agreement. */
export interface AgreementSignaturePayload {
  readonly type: 'tongban.agreement-signature';
  readonly agreement: string;
  readonly version: number;
  readonly hashAlg: HashAlgorithm;
  readonly hash: string;
  readonly party: string;
  readonly signedAt: string;
}

/** A proposal of one version sent to another party's node. */
export interface AgreementProposalPayload {
  readonly type: 'tongban.agreement-proposal';
  readonly document: Agreement;
  readonly hashAlg: HashAlgorithm;
  readonly hash: string;
  readonly from: string;
  readonly to: string;
  readonly proposedAt: string;
}

/** A provider's standing approval (有条件共享) for a requester on one dataset. */
export interface StandingApprovalPayload {
  readonly type: 'tongban.standing-approval';
  readonly agreement: string;
  readonly version: number;
  readonly dataset: string;
  readonly requester: string;
  readonly items?: readonly string[];
  readonly purposes?: readonly string[];
  readonly validFrom: string;
  readonly validTo: string;
  /** When the provider signed it: the time its key must have been valid. */
  readonly issuedAt: string;
}

/** A party telling the others that its copy changed state (informational; each node decides for itself). */
export interface AgreementNoticePayload {
  readonly type: 'tongban.agreement-notice';
  readonly agreement: string;
  readonly version: number;
  readonly from: string;
  readonly state: AgreementState;
  readonly reason?: string;
  readonly at: string;
}

/** Everything a node sends about agreements. */
export type AgreementMessagePayload = AgreementSignaturePayload | AgreementProposalPayload | StandingApprovalPayload | AgreementNoticePayload;

/** Reads a JWS payload without verifying it: only to pick the key that was valid when it was signed. */
export function peekJwsPayload(jws: FlattenedJws): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(jws.payload, 'base64url').toString('utf8'));
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new InputError('The signed payload is not a JSON object.', { path: 'payload' });
}

/** The node code of a `kid` (`<node>#<key id>`). */
export function kidNode(kid: string): string {
  return kid.slice(0, kid.indexOf('#'));
}

const isoTimestamp = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

function requireString(payload: Record<string, unknown>, name: string): string {
  const value = payload[name];
  if (typeof value !== 'string' || value.length === 0 || value.length > 200) {
    throw new InputError(`The signed payload has no valid "${name}".`, { path: `payload.${name}` });
  }
  return value;
}

function requireTimestamp(payload: Record<string, unknown>, name: string): string {
  const value = requireString(payload, name);
  if (!isoTimestamp.test(value) || Number.isNaN(Date.parse(value))) {
    throw new InputError(`The signed payload's "${name}" is not an ISO 8601 timestamp.`, { path: `payload.${name}` });
  }
  return value;
}

function requireVersion(payload: Record<string, unknown>): number {
  const value = payload.version;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new InputError('The signed payload has no valid "version".', { path: 'payload.version' });
  }
  return value;
}

function requireHash(payload: Record<string, unknown>): { hashAlg: HashAlgorithm; hash: string } {
  if (!isHashAlgorithm(payload.hashAlg)) throw new InputError('The signed payload names no known hashAlg (sha256 or sm3).', { path: 'payload.hashAlg' });
  const hash = requireString(payload, 'hash');
  if (!/^[0-9a-f]{64}$/.test(hash)) throw new InputError('The signed payload\'s hash is not 64 hex digits.', { path: 'payload.hash' });
  return { hashAlg: payload.hashAlg, hash };
}

function requireType(payload: Record<string, unknown>, type: string): void {
  if (payload.type !== type) throw new InputError(`The signed payload is not a ${type}.`, { path: 'payload.type' });
}

function optionalStrings(payload: Record<string, unknown>, name: string): string[] | undefined {
  const value = payload[name];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0 || value.some((entry) => typeof entry !== 'string' || entry.length === 0)) {
    throw new InputError(`The signed payload's "${name}" must be a non-empty list of names.`, { path: `payload.${name}` });
  }
  return value as string[];
}

/** Checks the shape of an agreement signature payload. */
export function readSignaturePayload(payload: Record<string, unknown>): AgreementSignaturePayload {
  requireType(payload, 'tongban.agreement-signature');
  return {
    type: 'tongban.agreement-signature',
    agreement: requireString(payload, 'agreement'),
    version: requireVersion(payload),
    ...requireHash(payload),
    party: requireString(payload, 'party'),
    signedAt: requireTimestamp(payload, 'signedAt'),
  };
}

/** Checks the shape of a proposal payload (the document itself is validated by the caller). */
export function readProposalPayload(payload: Record<string, unknown>): AgreementProposalPayload {
  requireType(payload, 'tongban.agreement-proposal');
  if (typeof payload.document !== 'object' || payload.document === null) {
    throw new InputError('The proposal carries no agreement document.', { path: 'payload.document' });
  }
  return {
    type: 'tongban.agreement-proposal',
    document: payload.document as Agreement,
    ...requireHash(payload),
    from: requireString(payload, 'from'),
    to: requireString(payload, 'to'),
    proposedAt: requireTimestamp(payload, 'proposedAt'),
  };
}

/** Checks the shape of a standing approval payload. */
export function readApprovalPayload(payload: Record<string, unknown>): StandingApprovalPayload {
  requireType(payload, 'tongban.standing-approval');
  const items = optionalStrings(payload, 'items');
  const purposes = optionalStrings(payload, 'purposes');
  const approval: StandingApprovalPayload = {
    type: 'tongban.standing-approval',
    agreement: requireString(payload, 'agreement'),
    version: requireVersion(payload),
    dataset: requireString(payload, 'dataset'),
    requester: requireString(payload, 'requester'),
    ...(items ? { items } : {}),
    ...(purposes ? { purposes } : {}),
    validFrom: requireTimestamp(payload, 'validFrom'),
    validTo: requireTimestamp(payload, 'validTo'),
    issuedAt: requireTimestamp(payload, 'issuedAt'),
  };
  if (Date.parse(approval.validTo) <= Date.parse(approval.validFrom)) {
    throw new InputError('The approval ends before it starts.', { path: 'payload.validTo' });
  }
  return approval;
}

/** Checks the shape of a notice payload. */
export function readNoticePayload(payload: Record<string, unknown>): AgreementNoticePayload {
  requireType(payload, 'tongban.agreement-notice');
  const reason = payload.reason;
  return {
    type: 'tongban.agreement-notice',
    agreement: requireString(payload, 'agreement'),
    version: requireVersion(payload),
    from: requireString(payload, 'from'),
    state: requireString(payload, 'state') as AgreementState,
    ...(typeof reason === 'string' ? { reason: reason.slice(0, 500) } : {}),
    at: requireTimestamp(payload, 'at'),
  };
}

/**
 * Checks that a verified signature is by the party it names, on this agreement and version, over
 * this very document; throws SignatureInvalidError (or `not_a_party`) saying which part failed.
 */
export function checkAgreementSignature(
  payload: AgreementSignaturePayload,
  kid: string,
  document: Agreement,
): void {
  const signer = kidNode(kid);
  if (signer !== payload.party) {
    throw new SignatureInvalidError(`The signature names party ${payload.party} but was made with ${signer}'s key ${kid}.`, {
      kid,
      party: payload.party,
    });
  }
  if (payload.agreement !== document.id || payload.version !== document.version) {
    throw new SignatureInvalidError(
      `The signature is for ${payload.agreement} version ${payload.version}, not ${document.id} version ${document.version}.`,
      { agreement: payload.agreement, version: payload.version },
    );
  }
  if (!document.parties.some((party) => party.node === payload.party)) {
    throw new NotAllowedError(`${payload.party} is not a party to ${document.id}.`, { party: payload.party }, 'not_a_party');
  }
  const expected = agreementHashWith(document, payload.hashAlg);
  if (expected.hash !== payload.hash) {
    throw new SignatureInvalidError(
      `${payload.party}'s signature is over a different document than ${document.id} version ${document.version} held here (${payload.hashAlg} ${payload.hash.slice(0, 12)}… ≠ ${expected.hash.slice(0, 12)}…).`,
      { party: payload.party, hashAlg: payload.hashAlg, signed: payload.hash, held: expected.hash },
    );
  }
}
