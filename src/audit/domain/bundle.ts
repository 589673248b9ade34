/**
 * Audit bundles: a range of log entries with their inclusion proofs against one signed checkpoint,
 * plus the signer's public keys, so another party can check them offline. The keys in a bundle
 * only say which key signed; the checker must still match them against the federation directory
 * (their fingerprints are reported for that).
 */
import { createHash } from 'node:crypto';
import { cryptoSuite, type SuiteName } from '../../crypto/index.ts';
import { leafHashInput } from './event.ts';
import { verifyInclusion } from './merkle.ts';
import { verifyCheckpointNote, type NoteKey } from './checkpoint.ts';

/** The bundle format identifier. */
export const bundleFormat = 'tongban-audit-bundle/v1';

/** A self-contained audit bundle (JSON). */
export interface AuditBundle {
  readonly format: typeof bundleFormat;
  readonly origin: string;
  readonly suite: SuiteName;
  /** base64 public signing keys of the node (active and retired). */
  readonly keys: readonly string[];
  /** The signed checkpoint every proof is against. */
  readonly checkpoint: string;
  /** `leafHash` (base64) only for entries pruned for retention, whose payload no longer hashes to their leaf. */
  readonly entries: ReadonlyArray<{ readonly seq: number; readonly payload: string; readonly proof: readonly string[]; readonly leafHash?: string }>;
}

/** The result of checking a bundle. */
export interface BundleCheck {
  readonly ok: boolean;
  readonly origin: string;
  readonly size: number;
  readonly entries: number;
  /** SHA-256 fingerprints (hex) of the keys, to compare with the directory's. */
  readonly keyFingerprints: readonly string[];
  readonly problems: readonly string[];
}

/** Checks a bundle offline: the checkpoint signature, then every entry's inclusion proof. */
export function checkBundle(value: unknown): BundleCheck {
  const problems: string[] = [];
  const bundle = value as Partial<AuditBundle> | null;
  if (!bundle || typeof bundle !== 'object' || bundle.format !== bundleFormat || (bundle.suite !== 'intl' && bundle.suite !== 'sm')
    || typeof bundle.origin !== 'string' || typeof bundle.checkpoint !== 'string' || !Array.isArray(bundle.keys) || !Array.isArray(bundle.entries)) {
    return { ok: false, origin: '', size: 0, entries: 0, keyFingerprints: [], problems: [`The file is not a ${bundleFormat} bundle.`] };
  }
  const suite = cryptoSuite(bundle.suite);
  const keys: NoteKey[] = bundle.keys.map((key) => ({ name: bundle.origin!, suite, publicKey: Buffer.from(String(key), 'base64') }));
  const fingerprints = keys.map((key) => createHash('sha256').update(key.publicKey).digest('hex'));
  const checked = verifyCheckpointNote(bundle.checkpoint, keys);
  if (!checked.ok) return { ok: false, origin: bundle.origin, size: 0, entries: bundle.entries.length, keyFingerprints: fingerprints, problems: [`Checkpoint: ${checked.message}`] };
  if (checked.checkpoint.origin !== bundle.origin) problems.push(`The checkpoint's origin ${checked.checkpoint.origin} is not the bundle's ${bundle.origin}.`);
  const { size, root } = checked.checkpoint;
  const hasher = { hash: (data: Uint8Array) => suite.hash(data) };
  for (const entry of bundle.entries) {
    const seq = Number(entry?.seq);
    if (typeof entry?.payload !== 'string' || !Array.isArray(entry.proof)) {
      problems.push(`Entry ${seq}: malformed.`);
      continue;
    }
    // A pruned entry proves only that its leaf is in the log; its details are gone by design.
    const pruned = typeof entry.leafHash === 'string' && isPrunedText(entry.payload);
    const leaf = pruned ? Buffer.from(entry.leafHash!, 'base64') : hasher.hash(leafHashInput(Buffer.from(entry.payload, 'utf8')));
    const proof = (entry.proof as readonly unknown[]).map((hash) => Buffer.from(String(hash), 'base64'));
    if (!verifyInclusion(hasher, seq, size, leaf, proof, root)) {
      problems.push(`Entry ${seq}: not included in the checkpoint of size ${size} (changed, moved, or not in the log).`);
    }
  }
  return { ok: problems.length === 0, origin: bundle.origin, size, entries: bundle.entries.length, keyFingerprints: fingerprints, problems };
}

function isPrunedText(payload: string): boolean {
  try {
    const leaf = JSON.parse(payload) as Record<string, unknown>;
    return leaf['pruned'] === true && !('details' in leaf);
  } catch {
    return false;
  }
}
