/**
 * End-to-end sealed bodies for radial exchange: the sender seals for the recipient's encryption
 * key from the directory, so the hub routes the envelope without being able to read it.
 */
import { InputError, TongbanError } from '../core/errors.ts';
import { fromBase64Url, toBase64Url } from '../crypto/index.ts';
import type { DirectoryService } from '../directory/index.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { SealedBody } from './domain/message.ts';

const encOfSuite = { intl: 'X25519-A256GCM', sm: 'SM2-SM4-HMAC-SM3' } as const;

/** Binds a sealed body to one message and one direction, so it cannot be moved to another envelope. */
function aad(kind: 'request' | 'answer', messageId: string, recipient: string): Uint8Array {
  return Buffer.from(`tongban/sealed-body/v1|${kind}|${messageId}|${recipient}`, 'utf8');
}

/** Seals a JSON body for a member, using its current encryption key in the directory. */
export function sealBody(
  directory: DirectoryService,
  recipient: string,
  body: unknown,
  messageId: string,
  kind: 'request' | 'answer' = 'answer',
): SealedBody {
  const key = directory.encryptionKey(recipient);
  if (!key) throw new TongbanError('member_unknown', `The directory has no encryption key for ${recipient}.`, { recipient });
  const sealed = key.suite.seal(key.publicKey, Buffer.from(JSON.stringify(body), 'utf8'), aad(kind, messageId, recipient));
  return { sealed: { enc: encOfSuite[key.suite.name], kid: key.kid, ct: toBase64Url(sealed) } };
}

/** Opens a body sealed for this node; anything that does not open is `envelope_invalid`. */
export async function openBody(
  keyring: Keyring,
  body: SealedBody,
  message: { id: string; to: string },
  kind: 'request' | 'answer' = 'request',
): Promise<unknown> {
  const key = await keyring.decryptionKey(body.sealed.kid);
  if (!key || encOfSuite[key.suite.name] !== body.sealed.enc) {
    throw new InputError(`The body is sealed for ${body.sealed.kid}, which is not an encryption key of this node.`, { path: '/body/sealed/kid' }, 'envelope_invalid');
  }
  try {
    const plain = key.suite.open(key.privateKey, fromBase64Url(body.sealed.ct, 'ct'), aad(kind, message.id, message.to));
    return JSON.parse(Buffer.from(plain).toString('utf8')) as unknown;
  } catch {
    throw new InputError('The sealed body does not open with this node\'s key.', { path: '/body/sealed' }, 'envelope_invalid');
  }
}
