/** Small secrets (TOTP seeds) wrapped at rest under the node's key-encryption secret. */
import { unwrapPrivateKey, wrapPrivateKey } from '../crypto/index.ts';

export interface SecretBox {
  wrap(plain: Uint8Array, aad: string): string;
  unwrap(wrapped: string, aad: string): Uint8Array;
}

export function createSecretBox(secret: string): SecretBox {
  return {
    wrap: (plain, aad) => wrapPrivateKey(secret, plain, aad),
    unwrap: (wrapped, aad) => unwrapPrivateKey(secret, wrapped, aad),
  };
}
