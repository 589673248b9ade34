/**
 * Private keys at rest: scrypt turns the node's key-encryption secret into a KEK, and
 * AES-256-GCM seals the key under it.
 *
 * Stored form, all parts but the params base64url:
 *
 *     tbk1.n<log2 N>r<r>p<p>.<salt 16 B>.<iv 12 B>.<ciphertext>.<tag 16 B>
 *
 * The scrypt parameters travel with each key so they can be raised later without breaking old
 * keys. GCM authenticates the `tbk1.<params>.<salt>` prefix and the caller's `aad` (e.g. the
 * kid and purpose), so a key cannot be moved to another slot or given weaker parameters.
 *
 * scrypt takes about 0.1 s at the default parameters, so derived KEKs are cached per
 * (secret, salt, params) for the life of the process, and every key wrapped in one process
 * with the same secret shares one random salt: a node with four keys pays for scrypt once at
 * start-up rather than four times.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, scryptSync } from 'node:crypto';
import { InputError, TongbanError } from '../core/errors.ts';
import { fromBase64Url, toBase64Url } from './base64url.ts';
import { BoundedCache } from './bounded-cache.ts';

/** scrypt cost parameters: N = 2^logN. */
export interface KeyWrapParams {
  readonly logN: number;
  readonly r: number;
  readonly p: number;
}

/** N = 2^15, r = 8, p = 1: the scrypt paper's interactive-login setting (32 MiB, ~0.1 s). */
export const defaultKeyWrapParams: KeyWrapParams = Object.freeze({ logN: 15, r: 8, p: 1 });

const FORMAT = 'tbk1';
const SALT_BYTES = 16;
const IV_BYTES = 12;
const TAG_BYTES = 16;
// Upper bounds keep a tampered string from asking for gigabytes of memory.
const MAX_SCRYPT_MEMORY = 256 * 1024 * 1024;
const paramsPattern = /^n(\d{1,2})r(\d{1,2})p(\d{1,2})$/;

const wrongSecretMessage = "The key-encryption secret does not open this node's keys. Check TONGBAN_KEYS_SECRET, keys.secret or keys.secretFile.";

/** Encrypts a private key under `secret`; `aad` names what the key is for and must be given again to unwrap. */
export function wrapPrivateKey(secret: string, privateKey: Uint8Array, aad: string, params: KeyWrapParams = defaultKeyWrapParams): string {
  assertSecret(secret);
  const paramsText = formatParams(params);
  const { salt, kek } = wrappingSaltAndKek(secret, paramsText, params);
  const prefix = `${FORMAT}.${paramsText}.${toBase64Url(salt)}`;
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', kek, iv);
  cipher.setAAD(additionalData(prefix, aad));
  const ciphertext = Buffer.concat([cipher.update(privateKey), cipher.final()]);
  return `${prefix}.${toBase64Url(iv)}.${toBase64Url(ciphertext)}.${toBase64Url(cipher.getAuthTag())}`;
}

/**
 * Decrypts what `wrapPrivateKey` made. Throws TongbanError `key_secret_invalid` when the secret
 * (or the aad, or the ciphertext) is wrong, InputError when the string is not a wrapped key.
 */
export function unwrapPrivateKey(secret: string, wrapped: string, aad: string): Uint8Array {
  assertSecret(secret);
  const parts = wrapped.split('.');
  if (parts.length !== 6 || parts[0] !== FORMAT) {
    throw new InputError(`not a wrapped Tongban key (expected ${FORMAT}.<params>.<salt>.<iv>.<ciphertext>.<tag>)`, { path: 'wrapped' });
  }
  const [, paramsText, saltText, ivText, ciphertextText, tagText] = parts as [string, string, string, string, string, string];
  const params = parseParams(paramsText);
  const salt = fromBase64Url(saltText, 'salt');
  const iv = fromBase64Url(ivText, 'iv');
  const ciphertext = fromBase64Url(ciphertextText, 'ciphertext');
  const tag = fromBase64Url(tagText, 'tag');
  if (salt.length !== SALT_BYTES || iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
    throw new InputError('wrapped key has a salt, iv or tag of the wrong length', { path: 'wrapped' });
  }
  const kek = derivedKek(secret, salt, paramsText, params);
  try {
    const decipher = createDecipheriv('aes-256-gcm', kek, iv);
    decipher.setAAD(additionalData(`${FORMAT}.${paramsText}.${saltText}`, aad));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw new TongbanError('key_secret_invalid', wrongSecretMessage);
  }
}

/** The parameters a wrapped key was made with, e.g. to re-wrap keys whose cost is below today's default. */
export function wrappedKeyParams(wrapped: string): KeyWrapParams {
  const parts = wrapped.split('.');
  if (parts.length !== 6 || parts[0] !== FORMAT) throw new InputError('not a wrapped Tongban key', { path: 'wrapped' });
  return parseParams(parts[1] as string);
}

// The prefix holds no newline, so prefix "\n" aad splits one way only.
function additionalData(prefix: string, aad: string): Buffer {
  return Buffer.from(`${prefix}\n${aad}`, 'utf8');
}

function assertSecret(secret: string): void {
  if (typeof secret !== 'string' || secret.length === 0) {
    throw new InputError('the key-encryption secret is empty; set TONGBAN_KEYS_SECRET, keys.secret or keys.secretFile', { path: 'secret' });
  }
}

function formatParams(params: KeyWrapParams): string {
  const text = `n${params.logN}r${params.r}p${params.p}`;
  parseParams(text);
  return text;
}

function parseParams(text: string): KeyWrapParams {
  const match = paramsPattern.exec(text);
  const params = match === null ? undefined : { logN: Number(match[1]), r: Number(match[2]), p: Number(match[3]) };
  const valid =
    params !== undefined &&
    `n${params.logN}r${params.r}p${params.p}` === text && // no leading zeros: one spelling per set
    params.logN >= 1 &&
    params.logN <= 22 &&
    params.r >= 1 &&
    params.r <= 32 &&
    params.p >= 1 &&
    params.p <= 16 &&
    128 * 2 ** params.logN * params.r <= MAX_SCRYPT_MEMORY;
  if (!valid) throw new InputError(`"${text}" is not a supported scrypt parameter set`, { path: 'params' });
  return params;
}

// Cache keys are digests so the secret itself is not copied into long-lived strings.
const keks = new BoundedCache<string, Buffer>(64);
const wrappingSalts = new BoundedCache<string, Buffer>(16);

function secretDigest(secret: string, ...context: string[]): string {
  const hash = createHash('sha256').update(secret, 'utf8');
  for (const part of context) hash.update('\0').update(part);
  return hash.digest('hex');
}

function wrappingSaltAndKek(secret: string, paramsText: string, params: KeyWrapParams): { salt: Buffer; kek: Buffer } {
  const salt = wrappingSalts.getOrCreate(secretDigest(secret, 'wrap-salt', paramsText), () => randomBytes(SALT_BYTES));
  return { salt, kek: derivedKek(secret, salt, paramsText, params) };
}

function derivedKek(secret: string, salt: Buffer, paramsText: string, params: KeyWrapParams): Buffer {
  return keks.getOrCreate(secretDigest(secret, 'kek', salt.toString('hex'), paramsText), () => {
    const N = 2 ** params.logN;
    return scryptSync(secret, salt, 32, { N, r: params.r, p: params.p, maxmem: 2 * 128 * N * params.r + 1024 * 1024 });
  });
}
