/**
 * The two crypto suites behind one interface: `intl` (Ed25519, X25519, AES-256-GCM, SHA-256)
 * and `sm` (国密: SM2, SM3, SM4). A node picks one by configuration; nothing above this folder
 * names an algorithm.
 */
import { InputError } from '../core/errors.ts';
import { intlSuite } from './intl-suite.ts';
import { smSuite } from './sm-suite.ts';

/** The configuration names of the suites. */
export type SuiteName = 'intl' | 'sm';

/** The JWS `alg` each suite signs with. `SM2-SM3` is Tongban's own name; no registry has one. */
export type JwsAlgorithm = 'EdDSA' | 'SM2-SM3';

export type HashAlgorithm = 'sha256' | 'sm3';

/** Raw key bytes: what the suite's `generate*` functions return and its other functions take. */
export interface RawKeyPair {
  readonly publicKey: Uint8Array;
  readonly privateKey: Uint8Array;
}

/**
 * One suite's primitives over raw key bytes.
 *
 * - Signing keys: intl = Ed25519 (32-byte public key, 32-byte seed); sm = SM2 (65-byte
 *   04 ‖ x ‖ y, 32-byte d), signing with SM3 and the default user ID `1234567812345678`.
 * - Agreement keys (for `seal`): intl = X25519 (32 / 32 bytes); sm = SM2 (65 / 32 bytes).
 */
export interface CryptoSuite {
  readonly name: SuiteName;
  readonly jwsAlgorithm: JwsAlgorithm;
  readonly hashAlgorithm: HashAlgorithm;
  /** SHA-256 or SM3 of `data` (32 bytes either way). */
  hash(data: Uint8Array): Uint8Array;
  /** A fresh signing key pair. */
  generateSigningKey(): RawKeyPair;
  /** The public signing key belonging to a private one. */
  signingPublicKey(privateKey: Uint8Array): Uint8Array;
  /** Signs `data`: Ed25519 (64 bytes) or SM2 (DER SEQUENCE { r, s }). Throws InputError on a malformed key. */
  sign(privateKey: Uint8Array, data: Uint8Array): Uint8Array;
  /** Whether `signature` is valid for `data` under `publicKey`; false (never an exception) for garbage. */
  verify(publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean;
  /** A fresh key pair for receiving sealed messages. */
  generateAgreementKey(): RawKeyPair;
  /** The public agreement key belonging to a private one. */
  agreementPublicKey(privateKey: Uint8Array): Uint8Array;
  /** Encrypts `plaintext` so only the holder of the recipient's private agreement key can read it; `aad` is authenticated, not encrypted. */
  seal(recipientPublicKey: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  /** Decrypts what `seal` made; throws InputError("sealed message failed authentication") on any tampering or the wrong key. */
  open(recipientPrivateKey: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array;
}

const suites: Readonly<Record<SuiteName, CryptoSuite>> = { intl: intlSuite, sm: smSuite };

/** The suite with this configuration name. */
export function cryptoSuite(name: SuiteName): CryptoSuite {
  const suite = Object.hasOwn(suites, name) ? suites[name] : undefined;
  if (suite === undefined) throw new InputError(`unknown crypto suite "${String(name)}"; use "intl" or "sm"`, { path: 'suite' });
  return suite;
}

/** The suite that signs with this JWS `alg`, if any. */
export function suiteForJwsAlgorithm(alg: string): CryptoSuite | undefined {
  if (alg === intlSuite.jwsAlgorithm) return intlSuite;
  if (alg === smSuite.jwsAlgorithm) return smSuite;
  return undefined;
}
