/**
 * Checkpoints in the C2SP `tlog-checkpoint` format, carried in a C2SP `signed-note`.
 *
 * Body: `<origin>\n<tree size>\n<base64 root hash>\n`; then a blank line and one line per
 * signature: `— <key name> <base64(key hash ‖ signature)>`. The key hash is the first four bytes
 * of SHA-256(key name ‖ 0x0A ‖ type byte ‖ public key), as the signed-note spec defines it.
 *
 * Signature types:
 * - intl: 0x01, Ed25519 over the note body, exactly as the signed-note spec says.
 * - sm: 0xC2, Tongban's own type (no registry assigns one): SM2 with SM3 and the default GM/T
 *   user ID `1234567812345678` over the note body, the signature DER-encoded (SEQUENCE { r, s })
 *   as the sm suite produces it; the public key in the key hash is the 65-byte uncompressed point.
 * The key name is the checkpoint origin, `tongban.example/<node code>`.
 */
import { createHash } from 'node:crypto';
import type { CryptoSuite, SuiteName } from '../../crypto/index.ts';

/** Signed-note signature type byte per suite. */
export const noteSignatureType: Readonly<Record<SuiteName, number>> = { intl: 0x01, sm: 0xc2 };

/** The origin line of a node's checkpoints. */
export function checkpointOrigin(nodeCode: string): string {
  return `tongban.example/${nodeCode}`;
}

/** A checkpoint's content. */
export interface CheckpointBody {
  readonly origin: string;
  readonly size: number;
  readonly root: Uint8Array;
}

/** A key that may have signed a note. */
export interface NoteKey {
  readonly name: string;
  readonly suite: CryptoSuite;
  readonly publicKey: Uint8Array;
}

/** One signature line of a note. */
export interface NoteSignature {
  readonly name: string;
  readonly keyHash: Uint8Array;
  readonly signature: Uint8Array;
}

/** Why a note does not verify, when it does not. */
export type NoteProblem = 'malformed' | 'unknown_key' | 'bad_signature';

const dash = '\u2014';

/** The checkpoint body text, ending in a newline. */
export function formatCheckpoint(body: CheckpointBody): string {
  return `${body.origin}\n${body.size}\n${Buffer.from(body.root).toString('base64')}\n`;
}

/** The four-byte key hash that names a key in a signature line. */
export function noteKeyHash(key: NoteKey): Uint8Array {
  const input = Buffer.concat([Buffer.from(`${key.name}\n`, 'utf8'), Buffer.from([noteSignatureType[key.suite.name]]), Buffer.from(key.publicKey)]);
  return createHash('sha256').update(input).digest().subarray(0, 4);
}

/** Signs a note body with one key and returns the whole note. */
export function signNote(body: string, key: NoteKey, privateKey: Uint8Array): string {
  const signature = key.suite.sign(privateKey, Buffer.from(body, 'utf8'));
  const blob = Buffer.concat([noteKeyHash(key), Buffer.from(signature)]).toString('base64');
  return `${body}\n${dash} ${key.name} ${blob}\n`;
}

/** Splits a note into its body and signature lines, or returns undefined for malformed text. */
export function parseNote(text: string): { body: string; signatures: NoteSignature[] } | undefined {
  const split = text.lastIndexOf('\n\n');
  if (split < 0 || !text.endsWith('\n')) return undefined;
  const body = text.slice(0, split + 1);
  const lines = text.slice(split + 2, -1).split('\n');
  const signatures: NoteSignature[] = [];
  for (const line of lines) {
    const match = /^\u2014 (\S+) ([A-Za-z0-9+/]+={0,2})$/.exec(line);
    if (!match) return undefined;
    const blob = Buffer.from(match[2]!, 'base64');
    if (blob.length < 5) return undefined;
    signatures.push({ name: match[1]!, keyHash: blob.subarray(0, 4), signature: blob.subarray(4) });
  }
  if (signatures.length === 0) return undefined;
  return { body, signatures };
}

/** Reads a checkpoint body, or returns undefined when it is not one. */
export function parseCheckpointBody(body: string): CheckpointBody | undefined {
  const lines = body.split('\n');
  if (lines.length < 4 || lines[lines.length - 1] !== '') return undefined;
  const [origin, sizeText, rootText] = lines;
  if (!origin || !/^(0|[1-9][0-9]{0,15})$/.test(sizeText ?? '') || !/^[A-Za-z0-9+/]+={0,2}$/.test(rootText ?? '')) return undefined;
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) return undefined;
  return { origin, size, root: Buffer.from(rootText!, 'base64') };
}

/** The outcome of checking a signed checkpoint against the keys its signer may use. */
export type CheckpointCheck =
  | { readonly ok: true; readonly checkpoint: CheckpointBody; readonly body: string; readonly signatures: NoteSignature[] }
  | { readonly ok: false; readonly problem: NoteProblem; readonly message: string };

/**
 * Verifies a checkpoint note: well-formed, and signed by one of `keys` under the origin's key
 * name. Signatures by keys not in `keys` (witness cosignatures, say) are ignored, as the
 * signed-note spec requires, but at least one must be by a known key.
 */
export function verifyCheckpointNote(text: string, keys: readonly NoteKey[]): CheckpointCheck {
  const note = parseNote(text);
  if (!note) return { ok: false, problem: 'malformed', message: 'The text is not a signed note (body, blank line, signature lines).' };
  const checkpoint = parseCheckpointBody(note.body);
  if (!checkpoint) return { ok: false, problem: 'malformed', message: 'The note body is not a checkpoint (origin, size, base64 root hash).' };
  let known = false;
  for (const signature of note.signatures) {
    for (const key of keys) {
      if (key.name !== signature.name || !Buffer.from(noteKeyHash(key)).equals(Buffer.from(signature.keyHash))) continue;
      known = true;
      if (key.suite.verify(key.publicKey, Buffer.from(note.body, 'utf8'), signature.signature)) {
        return { ok: true, checkpoint, body: note.body, signatures: note.signatures };
      }
    }
  }
  return known
    ? { ok: false, problem: 'bad_signature', message: `The checkpoint's signature does not verify under the key of ${checkpoint.origin}.` }
    : { ok: false, problem: 'unknown_key', message: `The checkpoint is not signed by any known key of ${checkpoint.origin}.` };
}
