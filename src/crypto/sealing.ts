/** What the two suites' `seal`/`open` share: the scheme tags and the one failure. */
import { InputError } from '../core/errors.ts';

/** First byte of a sealed message: which scheme made it, so a suite never opens the other's. */
export const sealSchemeTag = { intl: 0x01, sm: 0x02 } as const;

/** The one answer to any tampering, truncation or wrong key: no oracle on which it was. */
export function sealedMessageRejected(): InputError {
  return new InputError('sealed message failed authentication');
}

/** The KDF info string of each scheme, binding derived keys to the scheme and its version. */
export const sealKdfInfo = {
  intl: Buffer.from('tongban/seal/v1/x25519/hkdf-sha256/aes-256-gcm', 'ascii'),
  sm: Buffer.from('tongban/seal/v1/sm2/hkdf-sm3/sm4-cbc/hmac-sm3', 'ascii'),
} as const;
