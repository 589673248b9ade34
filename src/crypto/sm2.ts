/**
 * SM2 digital signatures with SM3 (GB/T 32918.2 / GM/T 0003.2), with the signer's Z value
 * computed over the GM/T 0009 default user ID `1234567812345678`.
 *
 * Node 20's one-shot SM2 signing hashes with an empty user ID and offers no way to set it, so
 * this module computes Z and e = SM3(Z ‖ M) itself. Two back ends then finish the job:
 *
 * - native: Node's legacy `createSign`/`createVerify` hash their input with SM3 and hand the
 *   32-byte digest to `EVP_PKEY_sign`/`EVP_PKEY_verify`, which for an SM2 key run the SM2
 *   primitive on that digest *as e*, adding no Z of their own. Feeding them Z ‖ M gives
 *   standard SM2 at OpenSSL's speed: verification runs at the speed of Node's own
 *   (non-standard) SM2. Used whenever a self-test against the GM/T 0003 example passes.
 * - pure: r = (e + x(k·G)) mod n, s = (1 + d)⁻¹(k − r·d) mod n in BigInt with k·G from
 *   `createECDH('SM2')`, and verification as x(s·G + t·P) with @noble/curves' generic
 *   Weierstrass arithmetic over per-key precomputed tables. It signs as fast as the native
 *   path but verifies at about a third of its speed (bench/crypto.ts prints both), and it
 *   handles k and d in non-constant-time BigInt, so it is the reference the native path is
 *   tested against, the signer behind `sm2SignWithK` (which must take k from outside), and
 *   the fallback should an OpenSSL build fail the self-test.
 *
 * Keys are raw: private d as 32 bytes, public P as 65 bytes 04 ‖ x ‖ y. Signatures are DER
 * `SEQUENCE { INTEGER r, INTEGER s }` (GM/T 0009, as OpenSSL emits them).
 */
import {
  createECDH,
  createHash,
  createPrivateKey,
  createPublicKey,
  createSign,
  createVerify,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { weierstrass } from '@noble/curves/abstract/weierstrass.js';
import { InputError } from '../core/errors.ts';
import { BoundedCache, PrivateKeyCache } from './bounded-cache.ts';

// GM/T 0003.5 recommended curve parameters (sm2p256v1).
const curve = {
  p: 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn,
  a: 0xfffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffcn,
  b: 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n,
  n: 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n,
  Gx: 0x32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7n,
  Gy: 0xbc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0n,
} as const;
const N = curve.n;

/** GM/T 0009's default signer ID, used whenever the parties agree on no other. */
export const SM2_DEFAULT_ID = '1234567812345678';

/** Byte lengths of SM2 keys in their raw forms. */
export const SM2_PRIVATE_KEY_BYTES = 32;
export const SM2_PUBLIC_KEY_BYTES = 65;

const Sm2Point = weierstrass({ p: curve.p, n: curve.n, h: 1n, a: curve.a, b: curve.b, Gx: curve.Gx, Gy: curve.Gy });
type Sm2Point = ReturnType<typeof Sm2Point.fromBytes>;

// a ‖ b ‖ Gx ‖ Gy, the fixed middle of every Z input.
const curveBytesForZ = Buffer.concat([curve.a, curve.b, curve.Gx, curve.Gy].map((v) => bigIntTo32Bytes(v)));
const defaultIdBytes = Buffer.from(SM2_DEFAULT_ID, 'utf8');

/** Z_A = SM3(ENTL_A ‖ ID_A ‖ a ‖ b ‖ x_G ‖ y_G ‖ x_A ‖ y_A), the signer's identity hash. */
export function sm2ZValue(publicKey: Uint8Array, id: string | Uint8Array = defaultIdBytes): Uint8Array {
  assertPublicKeyShape(publicKey);
  const idBytes = typeof id === 'string' ? Buffer.from(id, 'utf8') : id;
  const entl = idBytes.length * 8;
  if (entl > 0xffff) throw new InputError('SM2 user ID is longer than 8191 bytes', { path: 'id' });
  return createHash('sm3')
    .update(Uint8Array.of(entl >>> 8, entl & 0xff))
    .update(idBytes)
    .update(curveBytesForZ)
    .update(publicKey.subarray(1))
    .digest();
}

/** Generates an SM2 key pair as raw bytes (d in [1, n−2], since 1 + d must be invertible). */
export function sm2GenerateKeyPair(): { publicKey: Uint8Array; privateKey: Uint8Array } {
  for (;;) {
    const ecdh = createECDH('SM2');
    ecdh.generateKeys();
    const privateKey = leftPad32(ecdh.getPrivateKey());
    const d = bytesToBigInt(privateKey);
    if (d >= 1n && d <= N - 2n) return { publicKey: ecdh.getPublicKey(), privateKey };
  }
}

/** The public key 04 ‖ x ‖ y for a private key d. */
export function sm2PublicKeyFromPrivate(privateKey: Uint8Array): Uint8Array {
  return signerOf(privateKey).publicKey;
}

/** An SM2 signature (DER) over `message` with the default ID, by the fastest working back end. */
export function sm2Sign(privateKey: Uint8Array, message: Uint8Array): Uint8Array {
  const signer = signerOf(privateKey);
  return nativeSm2Works() ? signNative(signer, message) : signPure(signer, message);
}

/** Whether `signature` (DER) is a valid SM2 signature on `message`; never throws. */
export function sm2Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  return nativeSm2Works() ? sm2VerifyNative(publicKey, message, signature) : sm2VerifyPure(publicKey, message, signature);
}

/**
 * Signs with a caller-chosen k: for the GM/T 0003 test vector only. Reusing k, or a k anyone
 * can guess, reveals the private key.
 */
export function sm2SignWithK(
  privateKey: Uint8Array,
  message: Uint8Array,
  k: Uint8Array | bigint,
): { r: bigint; s: bigint; signature: Uint8Array } {
  const signer = signerOf(privateKey);
  const kValue = typeof k === 'bigint' ? k : bytesToBigInt(k);
  if (kValue < 1n || kValue >= N) throw new InputError('k must be in [1, n-1]', { path: 'k' });
  const result = signWithK(signer, digestE(signer.z, message), kValue);
  if (result === undefined) throw new InputError('this k gives a degenerate signature; choose another', { path: 'k' });
  return { ...result, signature: encodeSm2Signature(result.r, result.s) };
}

/** Signing by OpenSSL on our own e (see the module comment). */
export function sm2SignNative(privateKey: Uint8Array, message: Uint8Array): Uint8Array {
  return signNative(signerOf(privateKey), message);
}

/** Signing in BigInt with a random k (see the module comment). */
export function sm2SignPure(privateKey: Uint8Array, message: Uint8Array): Uint8Array {
  return signPure(signerOf(privateKey), message);
}

/** Verification by OpenSSL on our own e (see the module comment); never throws. */
export function sm2VerifyNative(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    const verifier = verifierOf(publicKey);
    return createVerify('sm3').update(verifier.z).update(message).verify(verifier.keyObject(), signature);
  } catch {
    return false;
  }
}

/** Verification in JavaScript with @noble/curves point arithmetic; never throws. */
export function sm2VerifyPure(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    const rs = decodeSm2Signature(signature);
    if (rs === undefined) return false;
    const { r, s } = rs;
    if (r < 1n || r >= N || s < 1n || s >= N) return false;
    const t = (r + s) % N;
    if (t === 0n) return false;
    const verifier = verifierOf(publicKey);
    const e = bytesToBigInt(digestE(verifier.z, message));
    const point = Sm2Point.BASE.multiplyUnsafe(s).add(precomputedPoint(publicKey).multiplyUnsafe(t));
    if (point.is0()) return false;
    return (e + point.x) % N === r;
  } catch {
    return false;
  }
}

/** DER `SEQUENCE { INTEGER r, INTEGER s }`. */
export function encodeSm2Signature(r: bigint, s: bigint): Uint8Array {
  const body = Buffer.concat([derInteger(r), derInteger(s)]);
  // Two INTEGERs of at most 33 bytes each keep the length under 128: short form always.
  return Buffer.concat([Uint8Array.of(0x30, body.length), body]);
}

/** Strict DER decoding of `SEQUENCE { INTEGER r, INTEGER s }`; undefined when malformed. */
export function decodeSm2Signature(der: Uint8Array): { r: bigint; s: bigint } | undefined {
  if (der.length < 8 || der[0] !== 0x30 || der[1] !== der.length - 2) return undefined;
  const first = readDerInteger(der, 2);
  if (first === undefined) return undefined;
  const second = readDerInteger(der, first.next);
  if (second === undefined || second.next !== der.length) return undefined;
  return { r: first.value, s: second.value };
}

// ---------------------------------------------------------------------------------------------
// Signing

interface Sm2Signer {
  readonly publicKey: Uint8Array;
  readonly z: Uint8Array;
  keyObject(): KeyObject;
  /** d and (1 + d)⁻¹ mod n, for the JavaScript signer only: the native one never needs them. */
  scalars(): { readonly d: bigint; readonly inverseOnePlusD: bigint };
}

const signers = new PrivateKeyCache<Sm2Signer>(256, (key) => createHash('sha256').update('sm2-signer').update(key).digest('hex'));

function signerOf(privateKey: Uint8Array): Sm2Signer {
  if (privateKey.length !== SM2_PRIVATE_KEY_BYTES) {
    throw new InputError(`an SM2 private key is ${SM2_PRIVATE_KEY_BYTES} bytes`, { path: 'privateKey' });
  }
  return signers.getOrCreate(privateKey, createSigner);
}

function createSigner(privateKey: Uint8Array): Sm2Signer {
  const d = bytesToBigInt(privateKey);
  if (d < 1n || d > N - 2n) throw new InputError('SM2 private key is out of range', { path: 'privateKey' });
  const ecdh = createECDH('SM2');
  ecdh.setPrivateKey(privateKey);
  const publicKey = ecdh.getPublicKey();
  const pkcs8 = sm2Pkcs8(privateKey, publicKey);
  let keyObject: KeyObject | undefined;
  let scalars: { d: bigint; inverseOnePlusD: bigint } | undefined;
  return {
    publicKey,
    z: sm2ZValue(publicKey),
    keyObject: () => (keyObject ??= createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })),
    scalars: () => (scalars ??= { d, inverseOnePlusD: Sm2Point.Fn.inv(d + 1n) }),
  };
}

function signNative(signer: Sm2Signer, message: Uint8Array): Uint8Array {
  return createSign('sm3').update(signer.z).update(message).sign(signer.keyObject());
}

function signPure(signer: Sm2Signer, message: Uint8Array): Uint8Array {
  const e = digestE(signer.z, message);
  for (;;) {
    const k = bytesToBigInt(randomBytes(32));
    if (k < 1n || k >= N) continue;
    const result = signWithK(signer, e, k);
    if (result !== undefined) return encodeSm2Signature(result.r, result.s);
  }
}

/** GM/T 0003.2 §6.1 steps A4–A6; undefined when this k must be discarded. */
function signWithK(signer: Sm2Signer, e: Uint8Array, k: bigint): { r: bigint; s: bigint } | undefined {
  const x1 = baseMultiplyX(k);
  const r = (bytesToBigInt(e) + x1) % N;
  if (r === 0n || r + k === N) return undefined;
  const { d, inverseOnePlusD } = signer.scalars();
  const s = (inverseOnePlusD * (((k - r * d) % N) + N)) % N;
  if (s === 0n) return undefined;
  return { r, s };
}

/** x(k·G) through OpenSSL: deriving an ECDH public key is one fixed-base multiplication. */
function baseMultiplyX(k: bigint): bigint {
  const ecdh = createECDH('SM2');
  ecdh.setPrivateKey(bigIntTo32Bytes(k));
  return bytesToBigInt(ecdh.getPublicKey().subarray(1, 33));
}

// ---------------------------------------------------------------------------------------------
// Verification

interface Sm2Verifier {
  readonly z: Uint8Array;
  keyObject(): KeyObject;
}

// Partners' keys repeat on every message; 1 024 entries (a KeyObject and a Z each) hold a
// whole federation's keys.
const verifiers = new BoundedCache<string, Sm2Verifier>(1024);
// The pure path's precomputed tables (W = 4: about 200 kB of heap per key) get a
// smaller cache of their own.
const pointTables = new BoundedCache<string, Sm2Point>(128);
const precomputeWindow = 4;

function verifierOf(publicKey: Uint8Array): Sm2Verifier {
  assertPublicKeyShape(publicKey);
  const cacheKey = hexOf(publicKey);
  let verifier = verifiers.get(cacheKey);
  if (verifier === undefined) {
    verifier = createVerifier(Uint8Array.from(publicKey));
    verifiers.set(cacheKey, verifier);
  }
  return verifier;
}

function createVerifier(publicKey: Uint8Array): Sm2Verifier {
  let keyObject: KeyObject | undefined;
  return {
    z: sm2ZValue(publicKey),
    keyObject: () => (keyObject ??= createPublicKey({ key: sm2Spki(publicKey), format: 'der', type: 'spki' })),
  };
}

/** The decoded point (validated on the curve) with its multiplication tables. */
function precomputedPoint(publicKey: Uint8Array): Sm2Point {
  const cacheKey = hexOf(publicKey);
  let point = pointTables.get(cacheKey);
  if (point === undefined) {
    point = Sm2Point.fromBytes(publicKey).precompute(precomputeWindow, false);
    pointTables.set(cacheKey, point);
  }
  return point;
}

function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function assertPublicKeyShape(publicKey: Uint8Array): void {
  if (publicKey.length !== SM2_PUBLIC_KEY_BYTES || publicKey[0] !== 0x04) {
    throw new InputError('an SM2 public key is 65 bytes: 04 ‖ x ‖ y', { path: 'publicKey' });
  }
}

function digestE(z: Uint8Array, message: Uint8Array): Uint8Array {
  return createHash('sm3').update(z).update(message).digest();
}

// ---------------------------------------------------------------------------------------------
// Back-end selection

let nativeWorks: boolean | undefined;

/**
 * Whether OpenSSL signs and verifies SM2 on a supplied digest as this module relies on:
 * checked once against the GM/T 0003.5 example, and against the pure verifier for signing.
 */
export function nativeSm2Works(): boolean {
  if (nativeWorks !== undefined) return nativeWorks;
  try {
    const hex = (text: string): Buffer => Buffer.from(text, 'hex');
    const publicKey = hex(
      '0409f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020' +
        'ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13',
    );
    const privateKey = hex('3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8');
    const signature = encodeSm2Signature(
      0xf5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3n,
      0xb1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aan,
    );
    const message = Buffer.from('message digest');
    const ownSignature = signNative(signerOf(privateKey), message);
    nativeWorks =
      sm2VerifyNative(publicKey, message, signature) &&
      !sm2VerifyNative(publicKey, Buffer.from('message digesT'), signature) &&
      sm2VerifyPure(publicKey, message, ownSignature);
  } catch {
    nativeWorks = false;
  }
  return nativeWorks;
}

// ---------------------------------------------------------------------------------------------
// Encodings

// AlgorithmIdentifier { id-ecPublicKey, sm2 } as DER.
const sm2AlgorithmIdentifier = Buffer.from('301306072a8648ce3d020106082a811ccf5501822d', 'hex');

/** SubjectPublicKeyInfo for an SM2 point; OpenSSL then treats the key as SM2, not plain EC. */
function sm2Spki(publicKey: Uint8Array): Buffer {
  const bitString = Buffer.concat([Uint8Array.of(0x03, 0x42, 0x00), publicKey]);
  return derSequence(Buffer.concat([sm2AlgorithmIdentifier, bitString]));
}

/** PKCS #8 holding an RFC 5915 ECPrivateKey with its public key (so import computes nothing). */
function sm2Pkcs8(privateKey: Uint8Array, publicKey: Uint8Array): Buffer {
  const ecPrivateKey = derSequence(
    Buffer.concat([
      Uint8Array.of(0x02, 0x01, 0x01, 0x04, 0x20),
      privateKey,
      Uint8Array.of(0xa1, 0x44, 0x03, 0x42, 0x00),
      publicKey,
    ]),
  );
  return derSequence(
    Buffer.concat([Uint8Array.of(0x02, 0x01, 0x00), sm2AlgorithmIdentifier, Uint8Array.of(0x04, ecPrivateKey.length), ecPrivateKey]),
  );
}

function derSequence(body: Uint8Array): Buffer {
  // Every structure here is under 256 bytes.
  const header = body.length < 0x80 ? Uint8Array.of(0x30, body.length) : Uint8Array.of(0x30, 0x81, body.length);
  return Buffer.concat([header, body]);
}

function derInteger(value: bigint): Uint8Array {
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  // A leading 1 bit would read as negative: prefix a zero byte.
  if (Number.parseInt(hex.slice(0, 2), 16) >= 0x80) hex = `00${hex}`;
  const bytes = Buffer.from(hex, 'hex');
  return Buffer.concat([Uint8Array.of(0x02, bytes.length), bytes]);
}

function readDerInteger(der: Uint8Array, at: number): { value: bigint; next: number } | undefined {
  const length = der[at + 1];
  if (der[at] !== 0x02 || length === undefined || length === 0 || length > 33) return undefined;
  const start = at + 2;
  const end = start + length;
  if (end > der.length) return undefined;
  const first = der[start] as number;
  if (first >= 0x80) return undefined; // negative
  if (first === 0 && length > 1 && (der[start + 1] as number) < 0x80) return undefined; // not minimal
  return { value: bytesToBigInt(der.subarray(start, end)), next: end };
}

function bytesToBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`);
}

function bigIntTo32Bytes(value: bigint): Buffer {
  return Buffer.from(value.toString(16).padStart(64, '0'), 'hex');
}

function leftPad32(bytes: Uint8Array): Uint8Array {
  if (bytes.length === 32) return bytes;
  const padded = new Uint8Array(32);
  padded.set(bytes, 32 - bytes.length);
  return padded;
}
