/**
 * The 国密 suite: SM2 signatures (with SM3 and the default user ID), SM2 ECDH + HKDF-SM3 +
 * SM4 sealing, SM3 hashing.
 *
 * Node 20's OpenSSL 3.0 has no SM4-GCM, so sealing is SM4-CBC with HMAC-SM3 over the
 * ciphertext (encrypt-then-MAC, the construction of RFC 7518 §5.2 with SM primitives).
 */
import { createCipheriv, createDecipheriv, createECDH, createHash, createHmac, hash as oneShotHash, hkdfSync, timingSafeEqual, type ECDH } from 'node:crypto';
import { InputError } from '../core/errors.ts';
import { PrivateKeyCache } from './bounded-cache.ts';
import { EphemeralKeys, SharedSecrets, sealedMessageRejected, sealKdfInfo, sealNonce, sealNonceBytes, sealSchemeTag } from './sealing.ts';
import {
  SM2_PRIVATE_KEY_BYTES,
  SM2_PUBLIC_KEY_BYTES,
  sm2GenerateKeyPair,
  sm2PublicKeyFromPrivate,
  sm2Sign,
  sm2Verify,
} from './sm2.ts';
import type { CryptoSuite, RawKeyPair } from './suite.ts';

const BLOCK_BYTES = 16;
const MAC_BYTES = 32;

interface Recipient {
  readonly ecdh: ECDH;
  readonly publicKey: Uint8Array;
}

// setPrivateKey derives the public point (a scalar multiplication): keep the ECDH per key.
const recipients = new PrivateKeyCache<Recipient>(64, (key) => createHash('sha256').update('sm2-ecdh').update(key).digest('hex'));

function recipientOf(privateKey: Uint8Array): Recipient {
  if (privateKey.length !== SM2_PRIVATE_KEY_BYTES) {
    throw new InputError(`an SM2 private key is ${SM2_PRIVATE_KEY_BYTES} bytes`, { path: 'privateKey' });
  }
  return recipients.getOrCreate(privateKey, (key) => {
    const ecdh = createECDH('SM2');
    try {
      ecdh.setPrivateKey(key);
    } catch {
      throw new InputError('SM2 private key is out of range', { path: 'privateKey' });
    }
    return { ecdh, publicKey: ecdh.getPublicKey() };
  });
}

/** The sender's ephemeral SM2 key per recipient (only its public point and the shared secret are kept). */
interface Ephemeral {
  readonly publicKey: Buffer;
  readonly shared: Buffer;
}
const ephemerals = new EphemeralKeys<Ephemeral>();
const sharedSecrets = new SharedSecrets();

/**
 * Sealed layout, version 2 (what `seal` writes; all lengths in bytes):
 *
 *     0x04 ‖ ephemeral SM2 public key 04‖x‖y (65) ‖ nonce (16) ‖ SM4-CBC ciphertext, PKCS #7 padded (16·k) ‖ tag (32)
 *
 * encKey (16) ‖ macKey (32) ‖ iv (16) = HKDF-SM3(ikm = x of the SM2 ECDH point, salt =
 * ephemeral ‖ recipient public key ‖ nonce, info = sealKdfInfo.smV2, 64 bytes);
 * tag = HMAC-SM3(macKey, aad ‖ ephemeral ‖ nonce ‖ ciphertext ‖ bit length of aad as 64-bit big-endian).
 * The ephemeral key serves one recipient for a while (`ephemeralReuse`); the random nonce makes
 * the keys and IV new for every message. The MAC is checked, in constant time, before anything
 * is decrypted.
 *
 * Version 1 (`0x02 ‖ ephemeral (65) ‖ ciphertext ‖ tag`, salt = ephemeral ‖ recipient, info
 * sealKdfInfo.sm, MAC over aad ‖ ephemeral ‖ ciphertext, a fresh ephemeral key per message) still opens.
 */
function seal(recipientPublicKey: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  if (recipientPublicKey.length !== SM2_PUBLIC_KEY_BYTES || recipientPublicKey[0] !== 0x04) {
    throw new InputError('an SM2 public key is 65 bytes: 04 ‖ x ‖ y', { path: 'recipientPublicKey' });
  }
  const ephemeral = ephemerals.current(recipientPublicKey, () => {
    const ecdh = createECDH('SM2');
    const publicKey = ecdh.generateKeys();
    try {
      return { publicKey, shared: ecdh.computeSecret(recipientPublicKey) };
    } catch {
      throw new InputError('the recipient public key is not a point on the SM2 curve', { path: 'recipientPublicKey' });
    }
  });
  const header = Buffer.concat([ephemeral.publicKey, sealNonce()]);
  const keys = deriveKeys(ephemeral.shared, Buffer.concat([ephemeral.publicKey, recipientPublicKey, header.subarray(SM2_PUBLIC_KEY_BYTES)]), sealKdfInfo.smV2);
  const cipher = createCipheriv('sm4-cbc', keys.encKey, keys.iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const tag = computeTag(keys.macKey, aad, header, ciphertext);
  return Buffer.concat([Uint8Array.of(sealSchemeTag.smV2), header, ciphertext, tag]);
}

function open(recipientPrivateKey: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array {
  const recipient = recipientOf(recipientPrivateKey);
  const v2 = sealed[0] === sealSchemeTag.smV2;
  const headerBytes = SM2_PUBLIC_KEY_BYTES + (v2 ? sealNonceBytes : 0);
  const ciphertextLength = sealed.length - 1 - headerBytes - MAC_BYTES;
  if ((!v2 && sealed[0] !== sealSchemeTag.sm) || ciphertextLength < BLOCK_BYTES || ciphertextLength % BLOCK_BYTES !== 0) {
    throw sealedMessageRejected();
  }
  const header = sealed.subarray(1, 1 + headerBytes);
  const ephemeralPublic = header.subarray(0, SM2_PUBLIC_KEY_BYTES);
  const ciphertext = sealed.subarray(1 + headerBytes, 1 + headerBytes + ciphertextLength);
  const tag = sealed.subarray(1 + headerBytes + ciphertextLength);
  try {
    const agree = () => recipient.ecdh.computeSecret(ephemeralPublic);
    // Messages sealed under one (reused) ephemeral key share the agreement; a version-1 key is never reused.
    const shared = v2 ? sharedSecrets.get(recipient.publicKey, ephemeralPublic, agree) : agree();
    // Version 1 has no nonce: its salt is ephemeral ‖ recipient.
    const nonce = header.subarray(SM2_PUBLIC_KEY_BYTES);
    const keys = deriveKeys(shared, Buffer.concat([ephemeralPublic, recipient.publicKey, nonce]), v2 ? sealKdfInfo.smV2 : sealKdfInfo.sm);
    if (!timingSafeEqual(computeTag(keys.macKey, aad, header, ciphertext), tag)) throw sealedMessageRejected();
    const decipher = createDecipheriv('sm4-cbc', keys.encKey, keys.iv);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw sealedMessageRejected();
  }
}

function deriveKeys(shared: Uint8Array, salt: Uint8Array, info: Uint8Array): { encKey: Buffer; macKey: Buffer; iv: Buffer } {
  const okm = Buffer.from(hkdfSync('sm3', shared, salt, info, 64));
  return { encKey: okm.subarray(0, 16), macKey: okm.subarray(16, 48), iv: okm.subarray(48, 64) };
}

function computeTag(macKey: Uint8Array, aad: Uint8Array, header: Uint8Array, ciphertext: Uint8Array): Buffer {
  const aadBits = Buffer.alloc(8);
  aadBits.writeBigUInt64BE(BigInt(aad.length) * 8n);
  return createHmac('sm3', macKey).update(aad).update(header).update(ciphertext).update(aadBits).digest();
}

/** SM2 / SM3 / SM4. */
export const smSuite: CryptoSuite = Object.freeze({
  name: 'sm',
  jwsAlgorithm: 'SM2-SM3',
  hashAlgorithm: 'sm3',
  hash: (data: Uint8Array): Uint8Array => oneShotHash('sm3', data, 'buffer'),
  generateSigningKey: (): RawKeyPair => sm2GenerateKeyPair(),
  signingPublicKey: (privateKey: Uint8Array): Uint8Array => sm2PublicKeyFromPrivate(privateKey),
  sign: (privateKey: Uint8Array, data: Uint8Array): Uint8Array => sm2Sign(privateKey, data),
  verify: (publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean => sm2Verify(publicKey, data, signature),
  generateAgreementKey: (): RawKeyPair => sm2GenerateKeyPair(),
  agreementPublicKey: (privateKey: Uint8Array): Uint8Array => recipientOf(privateKey).publicKey,
  seal,
  open,
});
