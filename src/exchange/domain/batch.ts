/**
 * Batch signatures. Under load a node has many messages (or answers) for the same partner at
 * once, and one Ed25519 or SM2 signature and its verification cost more than everything else in
 * an exchange. A batch is signed once: the sender builds an RFC 9162 Merkle tree over the members'
 * canonical texts (with the suite's hash, SHA-256 or SM3) and signs a small batch document naming
 * the tree's size and root.
 *
 * Each member stays evidence on its own: it travels as a `BatchedJws` — its canonical payload, the
 * batch's JWS, its index and its inclusion proof — and anyone holding the sender's public key can
 * check it without the other members: verify the batch JWS, hash the payload as a leaf, fold the
 * proof up to the signed root. Non-repudiation is the same as with one JWS per member; the receiver
 * verifies one signature per batch instead of one per member.
 */
import { hashLeaf, MemoryTree, verifyInclusion } from '../../audit/domain/merkle.ts';
import { InputError } from '../../core/errors.ts';
import { signJws, toBase64Url, type CryptoSuite, type FlattenedJws, type JwsSigner } from '../../crypto/index.ts';

export const batchDocumentType = 'tongban.batch';
/** Most members one batch may have: bounds the work one signature unlocks and the size of a proof. */
export const maxBatchMembers = 64;
/** Larger messages travel alone, so a whole batch stays small enough to parse before it is trusted. */
export const maxBatchMemberBytes = 64 * 1024;
/** Largest batch body a node accepts: 64 members of the largest size, base64url, with room for the JSON around them. */
export const maxBatchBodyBytes = 6 * 1024 * 1024;

/** What the batch JWS signs: who sends to whom, when, and the Merkle tree of the members. */
export interface BatchDocument {
  readonly type: typeof batchDocumentType;
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly ts: string;
  readonly size: number;
  /** The tree's root hash, base64url. */
  readonly root: string;
}

/** One member of a signed batch, verifiable on its own. */
export interface BatchedJws {
  /** The member's RFC 8785 canonical JSON, base64url, as the payload of a JWS would be. */
  readonly payload: string;
  readonly batch: FlattenedJws;
  readonly index: number;
  /** The RFC 9162 inclusion proof of the member's leaf, base64url hashes. */
  readonly proof: readonly string[];
}

/** A signed document as evidence: a JWS of its own, or a member of a signed batch. */
export type Evidence = FlattenedJws | BatchedJws;

const base64Url = /^[A-Za-z0-9_-]*$/;
const base64UrlAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Both suites' hashes (SHA-256, SM3) are 32 bytes: 43 base64url characters. */
const hashLength = 43;
/** A proof in a tree of at most `maxBatchMembers` leaves has at most log2 of that many hashes. */
const maxProofLength = Math.ceil(Math.log2(maxBatchMembers));

/**
 * Base64url with exactly one spelling per byte string (no padding, no junk, unused bits zero): the
 * leaf covers the decoded bytes, so two spellings of one payload must not both pass as evidence.
 */
function strictBase64Url(text: unknown): text is string {
  if (typeof text !== 'string' || !base64Url.test(text)) return false;
  // Only the last character can carry unused bits: 4 of them after 2 characters, 2 after 3.
  const tail = text.length % 4;
  if (tail === 1) return false;
  if (tail === 0) return true;
  const value = base64UrlAlphabet.indexOf(text[text.length - 1]!);
  return (value & (tail === 2 ? 0x0f : 0x03)) === 0;
}

export function isBatchedJws(value: unknown): value is BatchedJws {
  if (typeof value !== 'object' || value === null) return false;
  const member = value as Record<string, unknown>;
  const batch = member.batch as Record<string, unknown> | undefined;
  return (
    Object.keys(member).length === 4 &&
    strictBase64Url(member.payload) &&
    Number.isSafeInteger(member.index) &&
    (member.index as number) >= 0 &&
    Array.isArray(member.proof) &&
    member.proof.length <= maxProofLength &&
    member.proof.every((hash) => strictBase64Url(hash) && hash.length === hashLength) &&
    typeof batch === 'object' &&
    batch !== null &&
    Object.keys(batch).length === 3 &&
    typeof batch.payload === 'string' &&
    typeof batch.protected === 'string' &&
    typeof batch.signature === 'string'
  );
}

/** Signs canonical texts as one batch; returns one member per text, in order. */
export function signBatch(
  canonicalTexts: readonly string[],
  signer: JwsSigner,
  header: { readonly id: string; readonly from: string; readonly to: string; readonly ts: string },
): BatchedJws[] {
  const { batch, payloads, tree } = signed(canonicalTexts, signer, header);
  return payloads.map((payload, index) => ({ payload: payload.toString('base64url'), batch, index, proof: tree.inclusionProof(index).map(toBase64Url) }));
}

/**
 * The batch JWS and the members' payloads (base64url) without their proofs: what a node sends when
 * it sends the whole batch, whose receiver rebuilds the tree itself.
 */
export function signWholeBatch(
  canonicalTexts: readonly string[],
  signer: JwsSigner,
  header: { readonly id: string; readonly from: string; readonly to: string; readonly ts: string },
): { readonly batch: FlattenedJws; readonly payloads: string[] } {
  const { batch, payloads } = signed(canonicalTexts, signer, header);
  return { batch, payloads: payloads.map((payload) => payload.toString('base64url')) };
}

function signed(canonicalTexts: readonly string[], signer: JwsSigner, header: { readonly id: string; readonly from: string; readonly to: string; readonly ts: string }) {
  if (canonicalTexts.length === 0 || canonicalTexts.length > maxBatchMembers) throw new RangeError(`a batch has 1 to ${maxBatchMembers} members`);
  const payloads = canonicalTexts.map((text) => Buffer.from(text, 'utf8'));
  const tree = treeOf(signer.suite, payloads);
  const document: BatchDocument = { type: batchDocumentType, ...header, size: payloads.length, root: toBase64Url(tree.root()) };
  return { batch: signJws(document, signer), payloads, tree };
}

/** The root of the tree over these members' payloads (the receiver of a whole batch checks it against the signed one). */
export function batchRoot(suite: CryptoSuite, payloads: readonly Uint8Array[]): string {
  return toBase64Url(treeOf(suite, payloads).root());
}

function treeOf(suite: CryptoSuite, payloads: readonly Uint8Array[]): MemoryTree {
  const tree = new MemoryTree(suite);
  for (const payload of payloads) tree.append(hashLeaf(suite, payload));
  return tree;
}

/**
 * Whether the member's payload is leaf `index` of the tree the batch document names. This proves
 * membership only under a document whose signature verified: a proof alone does not fix the size.
 */
export function memberOfBatch(suite: CryptoSuite, member: BatchedJws, document: BatchDocument): boolean {
  if (member.index < 0 || member.index >= document.size) return false;
  const leaf = hashLeaf(suite, Buffer.from(member.payload, 'base64url'));
  const proof = member.proof.map((hash) => Buffer.from(hash, 'base64url'));
  return verifyInclusion(suite, member.index, document.size, leaf, proof, Buffer.from(document.root, 'base64url'));
}

/**
 * Whether `members` are the whole batch the document names, in index order, each with the proof
 * the tree over all their payloads gives: what `memberOfBatch` says of each, for a receiver of
 * every member (the answers to a batch it sent), with one tree instead of one proof check each.
 */
export function wholeBatch(suite: CryptoSuite, members: readonly BatchedJws[], document: BatchDocument): boolean {
  if (members.length !== document.size || members.some((member, index) => member.index !== index)) return false;
  const tree = treeOf(
    suite,
    members.map((member) => Buffer.from(member.payload, 'base64url')),
  );
  if (toBase64Url(tree.root()) !== document.root) return false;
  return members.every((member, index) => {
    const proof = tree.inclusionProof(index);
    return proof.length === member.proof.length && proof.every((hash, at) => toBase64Url(hash) === member.proof[at]);
  });
}

/** Checks the shape of a batch document (after its signature verified, or to refuse it in protocol order). */
export function parseBatchDocument(value: unknown): BatchDocument {
  const refuse = (why: string): never => {
    throw new InputError(`The batch document ${why}.`, { path: '/batch/payload' }, 'envelope_invalid');
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return refuse('is not an object');
  const document = value as Record<string, unknown>;
  const known = ['type', 'id', 'from', 'to', 'ts', 'size', 'root'];
  const extra = Object.keys(document).filter((key) => !known.includes(key));
  if (extra.length > 0) refuse(`has members it should not: ${extra.join(', ')}`);
  if (document.type !== batchDocumentType) refuse(`type must be ${batchDocumentType}`);
  for (const key of ['id', 'from', 'to', 'ts'] as const) {
    const text = document[key];
    if (typeof text !== 'string' || text.length === 0 || text.length > 100) refuse(`${key} must be a string of 1 to 100 characters`);
  }
  if (Number.isNaN(Date.parse(document.ts as string))) refuse('ts is not a time');
  if (!Number.isSafeInteger(document.size) || (document.size as number) < 1 || (document.size as number) > maxBatchMembers) {
    refuse(`size must be an integer from 1 to ${maxBatchMembers}`);
  }
  if (typeof document.root !== 'string' || !base64Url.test(document.root) || document.root.length < 43) refuse('root must be a base64url hash');
  return document as unknown as BatchDocument;
}
