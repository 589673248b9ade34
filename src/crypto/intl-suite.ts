/**
 * The international suite: Ed25519 signatures, X25519 + HKDF-SHA256 + AES-256-GCM sealing,
 * SHA-256 hashing, all on node:crypto.
 *
 * Raw keys become KeyObjects once and are cached: importing costs more than a signature.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hash as oneShotHash,
  hkdfSync,
  sign as nodeSign,
  verify as nodeVerify,
  type KeyObject,
} from 'node:crypto';
import { InputError } from '../core/errors.ts';
import { BoundedCache, PrivateKeyCache } from './bounded-cache.ts';
import { EphemeralKeys, SharedSecrets, sealedMessageRejected, sealKdfInfo, sealNonce, sealNonceBytes, sealSchemeTag } from './sealing.ts';
import type { CryptoSuite, RawKeyPair } from './suite.ts';

const KEY_BYTES = 32;
const TAG_BYTES = 16;

// PKCS #8 prefixes for a bare 32-byte seed (RFC 8410). A private JWK would also need x, which
// is what we would be computing.
const ed25519Pkcs8Prefix = Buffer.from('302e020100300506032b657004220420', 'hex');
const x25519Pkcs8Prefix = Buffer.from('302e020100300506032b656e04220420', 'hex');

interface PrivateEntry {
  readonly keyObject: KeyObject;
  readonly publicKey: Uint8Array;
}

const digestOf = (purpose: string) => (key: Uint8Array) => createHash('sha256').update(purpose).update(key).digest('hex');
const ed25519Signers = new PrivateKeyCache<PrivateEntry>(256, digestOf('ed25519'));
const x25519Recipients = new PrivateKeyCache<PrivateEntry>(64, digestOf('x25519'));
const ed25519Verifiers = new BoundedCache<string, KeyObject>(1024);
const x25519PublicKeys = new BoundedCache<string, KeyObject>(1024);

function privateEntry(prefix: Buffer, privateKey: Uint8Array, what: string): PrivateEntry {
  if (privateKey.length !== KEY_BYTES) throw new InputError(`an ${what} private key is ${KEY_BYTES} bytes`, { path: 'privateKey' });
  const keyObject = createPrivateKey({ key: Buffer.concat([prefix, privateKey]), format: 'der', type: 'pkcs8' });
  return { keyObject, publicKey: rawPublicKey(createPublicKey(keyObject)) };
}

/** A public KeyObject from raw bytes via JWK import; cached unless `cache` is undefined (one-time keys). */
function publicKeyObject(cache: BoundedCache<string, KeyObject> | undefined, crv: 'Ed25519' | 'X25519', publicKey: Uint8Array): KeyObject {
  if (publicKey.length !== KEY_BYTES) throw new InputError(`an ${crv} public key is ${KEY_BYTES} bytes`, { path: 'publicKey' });
  const x = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString('base64url');
  const hit = cache?.get(x);
  if (hit !== undefined) return hit;
  const keyObject = createPublicKey({ key: { kty: 'OKP', crv, x }, format: 'jwk' });
  cache?.set(x, keyObject);
  return keyObject;
}

// Module-level factories, so a cache hit on the hot path allocates no closure.
const ed25519Entry = (key: Uint8Array): PrivateEntry => privateEntry(ed25519Pkcs8Prefix, key, 'Ed25519');
const x25519Entry = (key: Uint8Array): PrivateEntry => privateEntry(x25519Pkcs8Prefix, key, 'X25519');

function rawPublicKey(keyObject: KeyObject): Uint8Array {
  // The JWK's `x` is the raw 32 bytes (RFC 8037). Exporting JWK takes about 1 µs; DER (SPKI) goes
  // through OpenSSL's encoder lookup, about 70 µs, which every sealed message would pay.
  const { x } = keyObject.export({ format: 'jwk' });
  return Buffer.from(x!, 'base64url');
}

function generatePair(type: 'ed25519' | 'x25519'): RawKeyPair {
  const pair = type === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('x25519');
  const privateKey = pair.privateKey.export({ type: 'pkcs8', format: 'der' }).subarray(16);
  return { publicKey: rawPublicKey(pair.publicKey), privateKey };
}

/** The sender's ephemeral key per recipient (only its public half and the shared secret are kept). */
interface Ephemeral {
  readonly publicKey: Uint8Array;
  readonly shared: Buffer;
}
const ephemerals = new EphemeralKeys<Ephemeral>();
const sharedSecrets = new SharedSecrets();

/**
 * Sealed layout, version 2 (what `seal` writes; all lengths in bytes):
 *
 *     0x03 ‖ ephemeral X25519 public key (32) ‖ nonce (16) ‖ AES-256-GCM ciphertext (= plaintext) ‖ tag (16)
 *
 * key ‖ iv = HKDF-SHA256(ikm = X25519(ephemeral, recipient), salt = ephemeral ‖ recipient public
 * key ‖ nonce, info = sealKdfInfo.intlV2, 44 bytes). The ephemeral key serves one recipient for a
 * while (`ephemeralReuse`); the random nonce makes the key, and so the IV, new for every message.
 * `aad` is GCM's additional data.
 *
 * Version 1 (`0x01 ‖ ephemeral (32) ‖ ciphertext ‖ tag`, salt = ephemeral ‖ recipient, info
 * sealKdfInfo.intl, a fresh ephemeral key per message) still opens.
 */
function seal(recipientPublicKey: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  const recipient = publicKeyObject(x25519PublicKeys, 'X25519', recipientPublicKey);
  const ephemeral = ephemerals.current(recipientPublicKey, () => {
    const pair = generateKeyPairSync('x25519');
    try {
      return { publicKey: rawPublicKey(pair.publicKey), shared: diffieHellman({ privateKey: pair.privateKey, publicKey: recipient }) };
    } catch {
      // OpenSSL refuses low-order points, whose shared secret would be all zeros.
      throw new InputError('the recipient public key is not usable for X25519', { path: 'recipientPublicKey' });
    }
  });
  const nonce = sealNonce();
  const { key, iv } = deriveKeyAndIv(ephemeral.shared, Buffer.concat([ephemeral.publicKey, recipientPublicKey, nonce]), sealKdfInfo.intlV2);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const ciphertext = cipher.update(plaintext);
  cipher.final();
  return Buffer.concat([Uint8Array.of(sealSchemeTag.intlV2), ephemeral.publicKey, nonce, ciphertext, cipher.getAuthTag()]);
}

function open(recipientPrivateKey: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array {
  const recipient = x25519Recipients.getOrCreate(recipientPrivateKey, x25519Entry);
  const v2 = sealed[0] === sealSchemeTag.intlV2;
  const nonceBytes = v2 ? sealNonceBytes : 0;
  if ((!v2 && sealed[0] !== sealSchemeTag.intl) || sealed.length < 1 + KEY_BYTES + nonceBytes + TAG_BYTES) throw sealedMessageRejected();
  const ephemeralPublic = sealed.subarray(1, 1 + KEY_BYTES);
  const nonce = sealed.subarray(1 + KEY_BYTES, 1 + KEY_BYTES + nonceBytes);
  const ciphertext = sealed.subarray(1 + KEY_BYTES + nonceBytes, sealed.length - TAG_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  try {
    const agree = () => diffieHellman({ privateKey: recipient.keyObject, publicKey: publicKeyObject(undefined, 'X25519', ephemeralPublic) });
    // Messages sealed under one (reused) ephemeral key share the agreement; a version-1 key is never reused.
    const shared = v2 ? sharedSecrets.get(recipient.publicKey, ephemeralPublic, agree) : agree();
    // Version 1 has no nonce: its salt is ephemeral ‖ recipient.
    const { key, iv } = deriveKeyAndIv(shared, Buffer.concat([ephemeralPublic, recipient.publicKey, nonce]), v2 ? sealKdfInfo.intlV2 : sealKdfInfo.intl);
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw sealedMessageRejected();
  }
}

function deriveKeyAndIv(shared: Uint8Array, salt: Uint8Array, info: Uint8Array): { key: Buffer; iv: Buffer } {
  const okm = Buffer.from(hkdfSync('sha256', shared, salt, info, 44));
  return { key: okm.subarray(0, 32), iv: okm.subarray(32, 44) };
}

/** Ed25519 / X25519 / AES-256-GCM / SHA-256. */
export const intlSuite: CryptoSuite = Object.freeze({
  name: 'intl',
  jwsAlgorithm: 'EdDSA',
  hashAlgorithm: 'sha256',
  // One-shot: no Hash object per call (the Merkle trees of batch signatures hash many small inputs).
  hash: (data: Uint8Array): Uint8Array => oneShotHash('sha256', data, 'buffer'),
  generateSigningKey: (): RawKeyPair => generatePair('ed25519'),
  signingPublicKey: (privateKey: Uint8Array): Uint8Array =>
    ed25519Signers.getOrCreate(privateKey, ed25519Entry).publicKey,
  sign(privateKey: Uint8Array, data: Uint8Array): Uint8Array {
    return nodeSign(null, data, ed25519Signers.getOrCreate(privateKey, ed25519Entry).keyObject);
  },
  verify(publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
    try {
      return nodeVerify(null, data, publicKeyObject(ed25519Verifiers, 'Ed25519', publicKey), signature);
    } catch {
      return false;
    }
  },
  generateAgreementKey: (): RawKeyPair => generatePair('x25519'),
  agreementPublicKey: (privateKey: Uint8Array): Uint8Array =>
    x25519Recipients.getOrCreate(privateKey, x25519Entry).publicKey,
  seal,
  open,
});

