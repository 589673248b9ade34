/** Unpadded base64url (RFC 4648 §5), as JWS and Tongban's stored key strings use it. */
import { InputError } from '../core/errors.ts';

const base64UrlAlphabet = /^[A-Za-z0-9_-]*$/;

/** Encodes bytes as unpadded base64url. */
export function toBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/** Whether `text` uses only the base64url alphabet and has a length some byte string encodes to. */
export function isBase64Url(text: string): boolean {
  return text.length % 4 !== 1 && base64UrlAlphabet.test(text);
}

/**
 * Decodes unpadded base64url, refusing other characters (Node's decoder would skip them
 * silently); `what` names the field in the error.
 */
export function fromBase64Url(text: string, what: string): Buffer {
  if (!isBase64Url(text)) throw new InputError(`${what} is not base64url`, { path: what });
  return Buffer.from(text, 'base64url');
}
