/** What the two suites' `seal`/`open` share: the scheme tags, the one failure, ephemeral-key reuse. */
import { randomBytes } from 'node:crypto';
import { InputError } from '../core/errors.ts';
import { BoundedCache } from './bounded-cache.ts';

/**
 * First byte of a sealed message: which scheme and layout made it, so a suite never opens the
 * other's. Version 1 used a fresh ephemeral key per message; version 2 (what `seal` writes)
 * reuses one per recipient for a while and adds a random per-message salt (see `sealNonceBytes`).
 */
export const sealSchemeTag = { intl: 0x01, sm: 0x02, intlV2: 0x03, smV2: 0x04 } as const;

/** The one answer to any tampering, truncation or wrong key: no oracle on which it was. */
export function sealedMessageRejected(): InputError {
  return new InputError('sealed message failed authentication');
}

/** The KDF info string of each scheme, binding derived keys to the scheme and its version. */
export const sealKdfInfo = {
  intl: Buffer.from('tongban/seal/v1/x25519/hkdf-sha256/aes-256-gcm', 'ascii'),
  sm: Buffer.from('tongban/seal/v1/sm2/hkdf-sm3/sm4-cbc/hmac-sm3', 'ascii'),
  intlV2: Buffer.from('tongban/seal/v2/x25519/hkdf-sha256/aes-256-gcm', 'ascii'),
  smV2: Buffer.from('tongban/seal/v2/sm2/hkdf-sm3/sm4-cbc/hmac-sm3', 'ascii'),
} as const;

/**
 * Random bytes in every version-2 sealed message, part of the HKDF salt: the key and IV (or
 * nonce) are new for every message even when the ephemeral key is reused, whatever the aad.
 */
export const sealNonceBytes = 16;

/** A fresh per-message salt. */
export function sealNonce(): Buffer {
  return randomBytes(sealNonceBytes);
}

/**
 * How long a sender keeps using one ephemeral key for a recipient: the key agreement (one key
 * generation and one Diffie–Hellman on each side) costs more than the rest of sealing, and a
 * radial batch seals up to 64 bodies for the same partner. Reuse is bounded in time and count,
 * so an ephemeral private key held in memory opens at most a minute's messages to one recipient.
 * Mutable for tests only.
 */
export const ephemeralReuse = { maxSeals: 10_000, maxAgeMs: 60_000 };

interface Epoch<T> {
  readonly value: T;
  readonly createdAt: number;
  seals: number;
}

/**
 * A sender's ephemeral key material per recipient public key (its public key and the shared
 * secret computed with it), made anew once it has served `ephemeralReuse` seals or time.
 */
export class EphemeralKeys<T> {
  readonly #epochs = new BoundedCache<string, Epoch<T>>(64);

  current(recipientPublicKey: Uint8Array, create: () => T): T {
    const key = Buffer.from(recipientPublicKey).toString('base64');
    const now = Date.now();
    let epoch = this.#epochs.get(key);
    if (!epoch || epoch.seals >= ephemeralReuse.maxSeals || now - epoch.createdAt >= ephemeralReuse.maxAgeMs || now < epoch.createdAt) {
      epoch = { value: create(), createdAt: now, seals: 0 };
      this.#epochs.set(key, epoch);
    }
    epoch.seals += 1;
    return epoch.value;
  }
}

/**
 * A recipient's shared secrets by (recipient public key, ephemeral public key): messages sealed
 * under one ephemeral key need one Diffie–Hellman between them. Bounded, so a flood of distinct
 * ephemeral keys only evicts; the secret for a pair is the same whoever asks.
 */
export class SharedSecrets {
  readonly #secrets = new BoundedCache<string, Buffer>(1024);

  get(recipientPublicKey: Uint8Array, ephemeralPublic: Uint8Array, compute: () => Buffer): Buffer {
    const key = `${Buffer.from(recipientPublicKey).toString('base64')}.${Buffer.from(ephemeralPublic).toString('base64')}`;
    return this.#secrets.getOrCreate(key, compute);
  }
}
