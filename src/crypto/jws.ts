/**
 * JWS in the flattened JSON serialization (RFC 7515 §7.2.2) over RFC 8785 canonical JSON: the
 * signed form of every Tongban envelope, checkpoint and agreement signature.
 *
 * The protected header is exactly `{ alg, kid }`, itself canonical; there is no unprotected
 * header. Verification resolves the key from `kid`, refuses an `alg` that is not the key's own
 * suite (no algorithm confusion), checks the signature, and only then parses the payload,
 * which must be canonical JSON byte for byte so that equal messages always have equal bytes.
 */
import { InputError, SignatureInvalidError, TongbanError } from '../core/errors.ts';
import { fromBase64Url, isBase64Url, toBase64Url } from './base64url.ts';
import { BoundedCache } from './bounded-cache.ts';
import { canonicalJson } from './canonical-json.ts';
import { suiteForJwsAlgorithm, type CryptoSuite, type JwsAlgorithm } from './suite.ts';

/** A JWS in flattened JSON serialization; all three members are base64url. */
export interface FlattenedJws {
  readonly payload: string;
  readonly protected: string;
  readonly signature: string;
}

/** The protected header of every Tongban JWS. */
export interface JwsHeader {
  readonly alg: JwsAlgorithm;
  readonly kid: string;
}

/** Who signs: `kid` is `<node code>#<key id>` (see `formatKid`). */
export interface JwsSigner {
  readonly kid: string;
  readonly suite: CryptoSuite;
  readonly privateKey: Uint8Array;
}

/** A verification key as a directory or key store resolves it. */
export interface JwsVerificationKey {
  readonly suite: CryptoSuite;
  readonly publicKey: Uint8Array;
}

/** Finds the public key for a `kid`; undefined when the kid is unknown. */
export type JwsKeyResolver = (kid: string) => JwsVerificationKey | undefined;

/** A verified JWS: its parsed payload and who signed it. */
export interface VerifiedJws {
  readonly payload: unknown;
  /** The payload as signed: RFC 8785 canonical JSON, so hashes can be taken without serialising again. */
  readonly payloadText: string;
  readonly kid: string;
  readonly header: JwsHeader;
}

/**
 * A JWS payload decoded and parsed but not yet trusted, for callers that must check its shape
 * before the signature (to refuse in protocol order) and should not parse it twice.
 */
export interface DecodedJwsPayload {
  /** The base64url payload this was decoded from; `verifyJws` uses it only for that JWS. */
  readonly encoded: string;
  readonly text: string;
  readonly value: unknown;
}

/** A `kid` split into its node code and key id. */
export interface ParsedKid {
  readonly node: string;
  readonly keyId: string;
}

// A GB/T 2260 division code (6 digits), or a ministry code: 2–32 letters and digits, at
// least one a letter (so a mistyped division code is not taken for one).
const nodeCodePattern = /^(?:\d{6}|(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{2,32})$/;
const keyIdPattern = /^[A-Za-z0-9_-]{1,64}$/;

/** Builds `<node code>#<key id>`, validating both parts. */
export function formatKid(node: string, keyId: string): string {
  if (!nodeCodePattern.test(node)) {
    throw new InputError(`"${node}" is not a node code: 6 digits, or 2–32 letters and digits`, { path: 'node' });
  }
  if (!keyIdPattern.test(keyId)) {
    throw new InputError(`"${keyId}" is not a key id: 1–64 of A–Z a–z 0–9 _ -`, { path: 'keyId' });
  }
  return `${node}#${keyId}`;
}

/** Splits and validates `<node code>#<key id>`. */
export function parseKid(kid: string): ParsedKid {
  const hash = kid.indexOf('#');
  if (hash < 0) throw new InputError(`"${kid}" is not a kid: expected <node code>#<key id>`, { path: 'kid' });
  const node = kid.slice(0, hash);
  const keyId = kid.slice(hash + 1);
  formatKid(node, keyId);
  return { node, keyId };
}

// Headers repeat (one per signing key), so both directions are cached.
const encodedHeaders = new BoundedCache<string, string>(1024);
const decodedHeaders = new BoundedCache<string, JwsHeader>(1024);

/** Signs the canonical JSON of `payload`. */
export function signJws(payload: unknown, signer: JwsSigner): FlattenedJws {
  return signCanonicalJws(canonicalJson(payload), signer);
}

/**
 * Signs a payload already serialised with `canonicalJson`, for callers that also hash that text
 * (serialising once). Text that is not canonical would be refused by every verifier.
 */
export function signCanonicalJws(canonicalPayload: string, signer: JwsSigner): FlattenedJws {
  const protectedHeader = encodeHeader(signer.suite.jwsAlgorithm, signer.kid);
  const encodedPayload = Buffer.from(canonicalPayload, 'utf8').toString('base64url');
  const signature = signer.suite.sign(signer.privateKey, signingInput(protectedHeader, encodedPayload));
  return { payload: encodedPayload, protected: protectedHeader, signature: toBase64Url(signature) };
}

/** Decodes and parses a JWS payload without verifying anything; InputError when it is not UTF-8 JSON. */
export function decodeJwsPayload(jws: FlattenedJws): DecodedJwsPayload {
  if (typeof jws.payload !== 'string' || !isBase64Url(jws.payload)) throw new InputError('JWS payload is not base64url', { path: 'payload' });
  const { text, value } = parseJson(Buffer.from(jws.payload, 'base64url'), 'payload');
  return { encoded: jws.payload, text, value };
}

/**
 * Decodes a base64url payload that must be RFC 8785 canonical UTF-8 JSON, as a JWS payload is:
 * for members of a batch signature, whose bytes a Merkle proof (not a JWS of their own) covers.
 */
export function decodeCanonicalPayload(encoded: string, what: string): { readonly text: string; readonly value: unknown } {
  if (typeof encoded !== 'string' || !isBase64Url(encoded)) throw new InputError(`${what} is not base64url`, { path: what });
  const parsed = parseJson(Buffer.from(encoded, 'base64url'), what);
  assertCanonical(parsed, what);
  return parsed;
}

/**
 * Verifies a JWS and returns its payload. Throws TongbanError `key_unknown` when the resolver
 * does not know the kid, SignatureInvalidError when the signature or algorithm is wrong, and
 * InputError when the JWS or its payload is malformed or not canonical. `decoded`, from
 * `decodeJwsPayload` of this same JWS, saves parsing the payload again.
 */
export function verifyJws(jws: FlattenedJws, resolveKey: JwsKeyResolver, decoded?: DecodedJwsPayload): VerifiedJws {
  assertFlattenedShape(jws);
  const header = decodeHeader(jws.protected);
  const key = resolveKey(header.kid);
  if (key === undefined) throw new TongbanError('key_unknown', `no key is known for kid "${header.kid}"`, { kid: header.kid });
  if (key.suite.jwsAlgorithm !== header.alg) {
    throw new SignatureInvalidError(`JWS alg "${header.alg}" is not the algorithm of key "${header.kid}"`, {
      kid: header.kid,
      alg: header.alg,
      expected: key.suite.jwsAlgorithm,
    });
  }
  if (!isBase64Url(jws.payload)) throw new InputError('JWS payload is not base64url', { path: 'payload' });
  if (!isBase64Url(jws.signature)) throw new SignatureInvalidError('JWS signature is not base64url', { kid: header.kid });
  const signature = Buffer.from(jws.signature, 'base64url');
  if (!key.suite.verify(key.publicKey, signingInput(jws.protected, jws.payload), signature)) {
    throw new SignatureInvalidError(`JWS signature does not verify with key "${header.kid}"`, { kid: header.kid });
  }
  const payload = decoded !== undefined && decoded.encoded === jws.payload ? decoded : parseJson(Buffer.from(jws.payload, 'base64url'), 'payload');
  assertCanonical(payload, 'payload');
  return { payload: payload.value, payloadText: payload.text, kid: header.kid, header };
}

/** ASCII(protected ‖ "." ‖ payload); both are base64url by now, so latin1 is ASCII. */
function signingInput(protectedHeader: string, payload: string): Buffer {
  // Written in place: concatenating first would build and flatten a 1.4 kB string per message.
  const input = Buffer.allocUnsafe(protectedHeader.length + 1 + payload.length);
  input.write(protectedHeader, 0, 'latin1');
  input[protectedHeader.length] = 0x2e;
  input.write(payload, protectedHeader.length + 1, 'latin1');
  return input;
}

function encodeHeader(alg: JwsAlgorithm, kid: string): string {
  const cacheKey = `${alg} ${kid}`;
  const hit = encodedHeaders.get(cacheKey);
  if (hit !== undefined) return hit;
  parseKid(kid);
  const encoded = Buffer.from(canonicalJson({ alg, kid }), 'utf8').toString('base64url');
  encodedHeaders.set(cacheKey, encoded);
  return encoded;
}

function decodeHeader(encoded: string): JwsHeader {
  const hit = decodedHeaders.get(encoded);
  if (hit !== undefined) return hit;
  const parsed = parseJson(fromBase64Url(encoded, 'protected'), 'protected');
  assertCanonical(parsed, 'protected');
  const value = parsed.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InputError('JWS protected header is not an object', { path: 'protected' });
  }
  const { alg, kid, ...rest } = value as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0) {
    // Includes `crit`: we understand no extensions, so RFC 7515 §4.1.11 says refuse.
    throw new InputError(`JWS protected header has members Tongban does not use: ${extra.join(', ')}`, { path: 'protected' });
  }
  if (typeof alg !== 'string') throw new InputError('JWS protected header has no alg', { path: 'protected.alg' });
  if (suiteForJwsAlgorithm(alg) === undefined) {
    throw new SignatureInvalidError(`JWS alg "${alg}" is not one Tongban accepts`, { alg });
  }
  if (typeof kid !== 'string') throw new InputError('JWS protected header has no kid', { path: 'protected.kid' });
  parseKid(kid);
  const header: JwsHeader = Object.freeze({ alg: alg as JwsAlgorithm, kid });
  decodedHeaders.set(encoded, header);
  return header;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Parses UTF-8 JSON, keeping its text. */
function parseJson(bytes: Uint8Array, what: string): { readonly text: string; readonly value: unknown } {
  try {
    const text = strictUtf8.decode(bytes);
    return { text, value: JSON.parse(text) as unknown };
  } catch {
    throw new InputError(`JWS ${what} is not UTF-8 JSON`, { path: what });
  }
}

/** JSON that must already be in canonical form, byte for byte, so equal values have equal bytes. */
function assertCanonical(parsed: { readonly text: string; readonly value: unknown }, what: string): void {
  if (canonicalJson(parsed.value) !== parsed.text) {
    throw new InputError(`JWS ${what} is not RFC 8785 canonical JSON`, { path: what });
  }
}

function assertFlattenedShape(jws: unknown): asserts jws is FlattenedJws {
  if (typeof jws !== 'object' || jws === null) throw new InputError('a JWS must be an object', { path: '$' });
  const record = jws as Record<string, unknown>;
  for (const member of ['payload', 'protected', 'signature'] as const) {
    if (typeof record[member] !== 'string') throw new InputError(`JWS ${member} must be a string`, { path: member });
  }
  for (const member in record) {
    if (member !== 'payload' && member !== 'protected' && member !== 'signature') {
      throw new InputError(`JWS member "${member}" is not allowed; Tongban uses no unprotected header`, { path: member });
    }
  }
}
