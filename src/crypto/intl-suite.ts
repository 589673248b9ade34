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
import { sealedMessageRejected, sealKdfInfo, sealSchemeTag } from './sealing.ts';
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

/**
 * Sealed layout (all lengths in bytes):
 *
 *     0x01 ‖ ephemeral X25519 public key (32) ‖ AES-256-GCM ciphertext (= plaintext) ‖ tag (16)
 *
 * key ‖ iv = HKDF-SHA256(ikm = X25519(ephemeral, recipient), salt = ephemeral ‖ recipient
 * public key, info = sealKdfInfo.intl, 44 bytes). A fresh ephemeral key per message makes
 * the key unique, so the derived IV never repeats under it. `aad` is GCM's additional data.
 */
function seal(recipientPublicKey: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  const recipient = publicKeyObject(x25519PublicKeys, 'X25519', recipientPublicKey);
  const ephemeral = generateKeyPairSync('x25519');
  const ephemeralPublic = rawPublicKey(ephemeral.publicKey);
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipient });
  } catch {
    // OpenSSL refuses low-order points, whose shared secret would be all zeros.
    throw new InputError('the recipient public key is not usable for X25519', { path: 'recipientPublicKey' });
  }
  const { key, iv } = deriveKeyAndIv(shared, ephemeralPublic, recipientPublicKey);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const ciphertext = cipher.update(plaintext);
  cipher.final();
  return Buffer.concat([Uint8Array.of(sealSchemeTag.intl), ephemeralPublic, ciphertext, cipher.getAuthTag()]);
}

function open(recipientPrivateKey: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array {
  const recipient = x25519Recipients.getOrCreate(recipientPrivateKey, x25519Entry);
  if (sealed.length < 1 + KEY_BYTES + TAG_BYTES || sealed[0] !== sealSchemeTag.intl) throw sealedMessageRejected();
  const ephemeralPublic = sealed.subarray(1, 1 + KEY_BYTES);
  const ciphertext = sealed.subarray(1 + KEY_BYTES, sealed.length - TAG_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  try {
    const shared = diffieHellman({
      privateKey: recipient.keyObject,
      publicKey: publicKeyObject(undefined, 'X25519', ephemeralPublic),
    });
    const { key, iv } = deriveKeyAndIv(shared, ephemeralPublic, recipient.publicKey);
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw sealedMessageRejected();
  }
}

function deriveKeyAndIv(shared: Uint8Array, ephemeralPublic: Uint8Array, recipientPublic: Uint8Array): { key: Buffer; iv: Buffer } {
  const okm = Buffer.from(hkdfSync('sha256', shared, Buffer.concat([ephemeralPublic, recipientPublic]), sealKdfInfo.intl, 44));
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

