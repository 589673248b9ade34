/**
 * Witness cosignatures in the C2SP `tlog-cosignature` format: a witness signs
 * `cosignature/v1\ntime <seconds>\n` followed by the checkpoint body, and adds one signature
 * line to the checkpoint's signed note: `— <witness name> base64(key hash ‖ uint64 BE time ‖ signature)`.
 *
 * Key hash: the first four bytes of SHA-256(name ‖ 0x0A ‖ type ‖ public key), as for notes.
 * Type 0x04 is the spec's Ed25519 cosignature (intl suite); 0xC4 is Tongban's own for SM2 with
 * SM3 (sm suite), mirroring 0xC2 for checkpoint signatures. The witness name is its checkpoint
 * origin, `tongban.example/<code>`; the type byte keeps its cosignature key apart from its own
 * checkpoint key even though both are the node's signing key.
 */
import { createHash } from 'node:crypto';
import type { SuiteName } from '../../crypto/index.ts';
import { parseNote, type NoteKey } from './checkpoint.ts';

/** Cosignature type byte per suite. */
export const cosignatureType: Readonly<Record<SuiteName, number>> = { intl: 0x04, sm: 0xc4 };

const dash = '\u2014';

/** The bytes a witness signs for a checkpoint body at `time` (whole seconds since the epoch). */
export function cosignedMessage(body: string, time: number): Uint8Array {
  return Buffer.from(`cosignature/v1\ntime ${time}\n${body}`, 'utf8');
}

/** The four-byte key hash of a witness key. */
export function cosignatureKeyHash(key: NoteKey): Uint8Array {
  const input = Buffer.concat([Buffer.from(`${key.name}\n`, 'utf8'), Buffer.from([cosignatureType[key.suite.name]]), Buffer.from(key.publicKey)]);
  return createHash('sha256').update(input).digest().subarray(0, 4);
}

/** Signs a checkpoint body as a witness and returns the signature line (without newline). */
export function cosignatureLine(body: string, key: NoteKey, privateKey: Uint8Array, time: number): string {
  const stamp = Buffer.alloc(8);
  stamp.writeBigUInt64BE(BigInt(time));
  const signature = key.suite.sign(privateKey, cosignedMessage(body, time));
  return `${dash} ${key.name} ${Buffer.concat([cosignatureKeyHash(key), stamp, Buffer.from(signature)]).toString('base64')}`;
}

/** Adds signature lines to a signed note (keeping the ones it has). */
export function addSignatureLines(note: string, lines: readonly string[]): string {
  return note + lines.map((line) => `${line}\n`).join('');
}

/** A cosignature found in a note and checked against a witness key. */
export interface CheckedCosignature {
  readonly witness: string;
  /** The line as it stands in the note. */
  readonly line: string;
  /** Seconds since the epoch, as signed. */
  readonly time: number;
}

/**
 * Finds the cosignature of `key` in a note and verifies it; undefined when the note carries none
 * by that key, `false` when it carries one that does not verify.
 */
export function findCosignature(note: string, key: NoteKey): CheckedCosignature | false | undefined {
  const parsed = parseNote(note);
  if (!parsed) return undefined;
  const wanted = Buffer.from(cosignatureKeyHash(key));
  for (const signature of parsed.signatures) {
    if (signature.name !== key.name || !wanted.equals(Buffer.from(signature.keyHash))) continue;
    if (signature.signature.length < 9) return false;
    const time = Number(Buffer.from(signature.signature.subarray(0, 8)).readBigUInt64BE());
    const ok = key.suite.verify(key.publicKey, cosignedMessage(parsed.body, time), signature.signature.subarray(8));
    if (!ok) return false;
    const blob = Buffer.concat([Buffer.from(signature.keyHash), Buffer.from(signature.signature)]).toString('base64');
    return { witness: key.name, line: `${dash} ${key.name} ${blob}`, time };
  }
  return undefined;
}
