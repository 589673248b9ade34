/**
 * Checking an inclusion proof in the browser, independently of the node: RFC 9162 §2.1.3.2 path
 * hashing with Web Crypto SHA-256 (the `intl` suite), the leaf recomputed from the event's content
 * (RFC 8785 canonical JSON, as the node hashes it), and the root compared with the signed checkpoint.
 */

export type Hash = Uint8Array<ArrayBuffer>;

export function fromBase64(text: string): Hash {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Web Crypto exists only in secure contexts (HTTPS, localhost). */
export function canHash(): boolean {
  return typeof crypto !== 'undefined' && !!crypto.subtle;
}

async function sha256(data: Hash): Promise<Hash> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', data));
}

function concat(prefix: number, ...parts: Uint8Array[]): Hash {
  const out = new Uint8Array(1 + parts.reduce((sum, part) => sum + part.length, 0));
  out[0] = prefix;
  let offset = 1;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** RFC 9162 leaf hash: SHA-256(0x00 ‖ leaf). */
export function hashLeaf(leaf: Uint8Array): Promise<Hash> {
  return sha256(concat(0, leaf));
}

/** RFC 9162 interior node: SHA-256(0x01 ‖ left ‖ right). */
function hashChildren(left: Uint8Array, right: Uint8Array): Promise<Hash> {
  return sha256(concat(1, left, right));
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i += 1) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/**
 * RFC 9162 §2.1.3.2: the root that `proof` leads to from leaf `index` of a tree of `size`, or null
 * when the proof has the wrong shape for that index and size.
 */
export async function rootFromInclusionProof(index: number, size: number, leafHash: Hash, proof: readonly Hash[]): Promise<Hash | null> {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return null;
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = await hashChildren(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = await hashChildren(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}

/** RFC 8785 canonical JSON for the plain JSON values events carry (keys in UTF-16 order). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(',')}}`;
}

export interface LoggedEventView {
  readonly id: string;
  readonly ts: string;
  readonly type: string;
  readonly actor: string | null;
  readonly outcome: string;
  readonly subjectHash: string | null;
  readonly details: Record<string, unknown>;
}

/** The leaf bytes of an event: the canonical JSON the node hashed when it logged it. */
export function leafBytes(event: LoggedEventView): Hash {
  const leaf = { id: event.id, ts: event.ts, type: event.type, actor: event.actor, outcome: event.outcome, subject: event.subjectHash ?? null, details: event.details };
  return new TextEncoder().encode(canonicalJson(leaf));
}

/** The origin, size and root of a C2SP signed note checkpoint (the signature lines are not checked here). */
export function parseCheckpointNote(note: string): { origin: string; size: number; root: string } | null {
  const [origin, size, root] = note.split('\n');
  if (!origin || !size || !root || !/^\d+$/.test(size)) return null;
  return { origin, size: Number(size), root };
}

export type StepResult = 'pass' | 'fail' | 'skip';

export interface ProofCheck {
  readonly leaf: StepResult;
  readonly path: StepResult;
  readonly checkpointRoot: StepResult;
  readonly checkpointSize: StepResult;
  readonly ok: boolean;
  readonly computedRoot: string | null;
}

/** Every check the browser can make of one inclusion proof. */
export async function checkInclusion(
  answer: { seq: number; size: number; leafHash: string; proof: readonly string[]; root: string; checkpoint: string | null },
  event: LoggedEventView | null,
): Promise<ProofCheck> {
  const leafHash = fromBase64(answer.leafHash);
  // Retention prunes an entry's details (the tree keeps its leaf hash); such a leaf cannot be recomputed.
  const pruned = !!event && Object.keys(event.details).length === 0;
  const leafMatches = event ? sameBytes(await hashLeaf(leafBytes(event)), leafHash) : false;
  const leaf: StepResult = leafMatches ? 'pass' : !event || pruned ? 'skip' : 'fail';
  const computed = await rootFromInclusionProof(answer.seq, answer.size, leafHash, answer.proof.map(fromBase64));
  const path: StepResult = computed && sameBytes(computed, fromBase64(answer.root)) ? 'pass' : 'fail';
  const note = answer.checkpoint ? parseCheckpointNote(answer.checkpoint) : null;
  const checkpointRoot: StepResult = !note ? 'skip' : computed && sameBytes(computed, fromBase64(note.root)) ? 'pass' : 'fail';
  const checkpointSize: StepResult = !note ? 'skip' : note.size === answer.size ? 'pass' : 'fail';
  return {
    leaf,
    path,
    checkpointRoot,
    checkpointSize,
    ok: leaf !== 'fail' && path === 'pass' && checkpointRoot !== 'fail' && checkpointSize !== 'fail',
    computedRoot: computed ? toBase64(computed) : null,
  };
}
