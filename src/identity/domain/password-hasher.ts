/**
 * Password hashing with scrypt, a memory-hard KDF, in a self-describing format:
 * `scrypt$ln=15,r=8,p=1$<salt base64>$<hash base64>`.
 *
 * The parameters travel with each hash, so raising the cost later keeps old hashes verifiable and
 * lets a successful login upgrade them.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const saltBytes = 16;
const hashBytes = 32;
const blockSize = 8;
const parallelism = 1;
const maxCostLog2 = 20;

/** Hashes and checks passwords at one configured cost. */
export interface PasswordHasher {
  /** A new self-describing hash with a fresh random salt. */
  hash(password: string): Promise<string>;
  /** Whether the password matches the stored hash; false for a malformed hash. */
  verify(password: string, stored: string): Promise<boolean>;
  /** Whether the stored hash uses other parameters than the configured ones. */
  needsRehash(stored: string): boolean;
  /** Spends the same time as a real check, so an unknown user name is not revealed by timing. */
  verifyDummy(password: string): Promise<void>;
}

interface ParsedHash {
  readonly costLog2: number;
  readonly blockSize: number;
  readonly parallelism: number;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

/** Creates a hasher for N = 2^costLog2, r = 8, p = 1. */
export function createPasswordHasher(options: { readonly costLog2: number }): PasswordHasher {
  const { costLog2 } = options;
  let dummy: Promise<string> | undefined;

  async function hash(password: string): Promise<string> {
    const salt = randomBytes(saltBytes);
    const derived = await derive(password, salt, costLog2, blockSize, parallelism, hashBytes);
    return `scrypt$ln=${costLog2},r=${blockSize},p=${parallelism}$${salt.toString('base64')}$${derived.toString('base64')}`;
  }

  async function verify(password: string, stored: string): Promise<boolean> {
    const parsed = parseHash(stored);
    if (!parsed) return false;
    const derived = await derive(password, parsed.salt, parsed.costLog2, parsed.blockSize, parsed.parallelism, parsed.hash.length);
    return timingSafeEqual(derived, parsed.hash);
  }

  return {
    hash,
    verify,
    needsRehash(stored) {
      const parsed = parseHash(stored);
      return !parsed || parsed.costLog2 !== costLog2 || parsed.blockSize !== blockSize || parsed.parallelism !== parallelism;
    },
    async verifyDummy(password) {
      dummy ??= hash(randomBytes(16).toString('base64'));
      await verify(password, await dummy);
    },
  };
}

/** Reads a stored hash; undefined when it is not one this module wrote. */
function parseHash(stored: string): ParsedHash | undefined {
  const match = /^scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/.exec(stored);
  if (!match) return undefined;
  const [, ln, r, p, salt, hash] = match;
  const parsed = {
    costLog2: Number(ln),
    blockSize: Number(r),
    parallelism: Number(p),
    salt: Buffer.from(salt!, 'base64'),
    hash: Buffer.from(hash!, 'base64'),
  };
  // Bounds keep a corrupted row from asking for gigabytes of memory.
  if (parsed.costLog2 < 1 || parsed.costLog2 > maxCostLog2 || parsed.blockSize < 1 || parsed.parallelism < 1) return undefined;
  if (parsed.hash.length < 16) return undefined;
  return parsed;
}

function derive(password: string, salt: Buffer, ln: number, r: number, p: number, length: number): Promise<Buffer> {
  const cost = 2 ** ln;
  const scryptOptions: ScryptOptions = {
    N: cost,
    r,
    p,
    // scrypt needs 128·N·r·p bytes; Node's default ceiling (32 MiB) is exactly that at ln=15,
    // which it rejects, so allow twice the need.
    maxmem: 2 * 128 * cost * r * p,
  };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, length, scryptOptions, (error, derived) => (error ? reject(error) : resolve(derived)));
  });
}
