/**
 * Full verification of a node's log: every leaf hash recomputed from its stored payload, every
 * stored subtree recomputed from the leaves, every checkpoint's signature and root checked.
 * Reports each disagreement by entry or checkpoint rather than stopping at the first.
 */
import type { Db } from '../store/open-store.ts';
import { verifyCheckpointNote, type NoteKey } from './domain/checkpoint.ts';
import { leafHashInput } from './domain/event.ts';
import { emptyRoot, hashChildren, rootFrom, sameHash, type MerkleHasher } from './domain/merkle.ts';
import { allCheckpoints } from './store/checkpoint-store.ts';

/** What kind of disagreement verification found. */
export type ProblemKind =
  | 'entry_changed'
  | 'entry_fields_changed'
  | 'entry_missing'
  | 'entry_unexpected'
  | 'tree_node_mismatch'
  | 'tree_behind'
  | 'checkpoint_malformed'
  | 'checkpoint_bad_signature'
  | 'checkpoint_unknown_key'
  | 'checkpoint_wrong_origin'
  | 'checkpoint_beyond_log'
  | 'checkpoint_root_mismatch'
  | 'checkpoint_fork';

/** One disagreement, naming the entry (seq) or checkpoint (id) it concerns. */
export interface VerifyProblem {
  readonly kind: ProblemKind;
  readonly seq?: number;
  readonly checkpoint?: string;
  readonly message: string;
}

/** The result of `tongban audit verify`. */
export interface VerifyReport {
  readonly ok: boolean;
  /** The size the head row claims. */
  readonly size: number;
  /** Entries read from the table. */
  readonly entries: number;
  readonly checkpoints: number;
  /** Root over the entries as stored, recomputed. */
  readonly root: string;
  readonly problems: readonly VerifyProblem[];
}

const page = 5000;
/** Reports beyond this many are summarised, so a wholesale rewrite does not flood the output. */
const maxProblems = 200;

/** Runs the full check. `keys` are the node's signing keys (active and retired) under the origin's key name. */
export async function verifyLog(options: { db: Db; hasher: MerkleHasher; origin: string; keys: readonly NoteKey[] }): Promise<VerifyReport> {
  const { db, hasher, origin, keys } = options;
  const problems: VerifyProblem[] = [];
  let suppressed = 0;
  const report = (problem: VerifyProblem) => {
    if (problems.length < maxProblems) problems.push(problem);
    else suppressed += 1;
  };
  const head = await db.selectFrom('event_log_head').select(['size', 'tree_size']).where('id', '=', 1).executeTakeFirstOrThrow();
  const headSize = Number(head.size);

  // Pass 1: leaves, in seq order, recomputed from payloads.
  // Leaf hashes go straight into one growing buffer: a million small Buffers kept alive would cost more in GC than the hashing.
  const hashLength = hasher.hash(new Uint8Array(0)).length;
  let leafBytes = Buffer.alloc(Math.max(1, headSize) * hashLength);
  let expected = 0;
  let entries = 0;
  for (let after = -1; ; ) {
    const rows = await db.selectFrom('events').selectAll().where('seq', '>', after).orderBy('seq', 'asc').limit(page).execute();
    if (rows.length === 0) break;
    for (const row of rows) {
      const seq = Number(row.seq);
      after = seq;
      entries += 1;
      if (seq >= headSize) {
        report({ kind: 'entry_unexpected', seq, message: `Entry ${seq} lies beyond the log's recorded size ${headSize}: it was inserted behind the log's back.` });
      }
      if (seq > expected) {
        report({
          kind: 'entry_missing',
          seq: expected,
          message: seq - expected === 1 ? `Entry ${expected} is missing (deleted).` : `Entries ${expected}..${seq - 1} are missing (deleted).`,
        });
      }
      expected = seq + 1;
      const leaf = hasher.hash(leafHashInput(Buffer.from(row.payload, 'utf8')));
      if (!row.leaf_hash.equals(leaf)) {
        report({ kind: 'entry_changed', seq, message: `Entry ${seq} (${row.id}): its payload does not hash to its stored leaf hash; the entry was altered.` });
      }
      const fieldsProblem = checkFields(row);
      if (fieldsProblem) report({ kind: 'entry_fields_changed', seq, message: `Entry ${seq} (${row.id}): ${fieldsProblem}` });
      // The tree is rebuilt from the recomputed leaves, so a rewritten leaf hash is caught by the checkpoints too.
      if ((entries + 1) * hashLength > leafBytes.length) {
        const grown = Buffer.alloc(leafBytes.length * 2);
        leafBytes.copy(grown);
        leafBytes = grown;
      }
      leafBytes.set(leaf, (entries - 1) * hashLength);
    }
  }
  if (expected < headSize) {
    report({
      kind: 'entry_missing',
      seq: expected,
      message: `The log records ${headSize} entries but only ${expected} are stored: entries ${expected}..${headSize - 1} were removed (truncated log).`,
    });
  }

  // Pass 2: every level of the tree over the stored order, compared with the stored subtrees.
  const length = hashLength;
  const levels: Buffer[] = [leafBytes.subarray(0, entries * length)];
  const count = levels[0]!.length / length;
  for (let level = 1; count >> level > 0; level += 1) {
    const below = levels[level - 1]!;
    const nodes = Buffer.alloc((count >> level) * length);
    for (let i = 0; i < count >> level; i += 1) {
      const hash = hashChildren(hasher, below.subarray(2 * i * length, (2 * i + 1) * length), below.subarray((2 * i + 1) * length, (2 * i + 2) * length));
      nodes.set(hash, i * length);
    }
    levels.push(nodes);
    for (let after = -1; ; ) {
      const rows = await db.selectFrom('merkle_nodes').select(['idx', 'hash']).where('level', '=', level).where('idx', '>', after).orderBy('idx', 'asc').limit(page).execute();
      if (rows.length === 0) break;
      for (const row of rows) {
        const index = Number(row.idx);
        after = index;
        if (index >= count >> level) continue; // beyond the recomputed tree: already reported as missing entries
        if (!nodes.subarray(index * length, (index + 1) * length).equals(row.hash)) {
          const first = index * 2 ** level;
          report({
            kind: 'tree_node_mismatch',
            seq: first,
            message: `Stored subtree (level ${level}, index ${index}) over entries ${first}..${first + 2 ** level - 1} differs from the entries now stored: an entry there was changed, deleted, inserted or reordered.`,
          });
        }
      }
    }
  }
  const node = (level: number, index: number) => levels[level]!.subarray(index * length, (index + 1) * length);
  const rootAt = (size: number) => (size === 0 ? emptyRoot(hasher) : rootFrom(hasher, size, (ref) => node(ref.level, ref.index)));
  if (Number(head.tree_size) < Math.min(headSize, count)) {
    report({ kind: 'tree_behind', message: `The stored tree covers ${Number(head.tree_size)} of ${headSize} entries; the next append catches it up.` });
  }

  // Pass 3: checkpoints.
  const checkpoints = await allCheckpoints(db);
  const rootsBySize = new Map<number, { id: string; root: Buffer }>();
  for (const checkpoint of checkpoints) {
    const checked = verifyCheckpointNote(checkpoint.note, keys);
    if (!checked.ok) {
      const kind = checked.problem === 'malformed' ? 'checkpoint_malformed' : checked.problem === 'bad_signature' ? 'checkpoint_bad_signature' : 'checkpoint_unknown_key';
      report({ kind, checkpoint: checkpoint.id, message: `Checkpoint ${checkpoint.id} (size ${checkpoint.size}): ${checked.message}` });
      continue;
    }
    const body = checked.checkpoint;
    if (body.origin !== origin) {
      report({ kind: 'checkpoint_wrong_origin', checkpoint: checkpoint.id, message: `Checkpoint ${checkpoint.id} names origin ${body.origin}, not ${origin}.` });
      continue;
    }
    if (body.size !== checkpoint.size || !sameHash(body.root, checkpoint.root)) {
      report({ kind: 'checkpoint_root_mismatch', checkpoint: checkpoint.id, message: `Checkpoint ${checkpoint.id}: its signed note and its stored size/root disagree.` });
    }
    const earlier = rootsBySize.get(body.size);
    if (earlier && !earlier.root.equals(body.root)) {
      report({
        kind: 'checkpoint_fork',
        checkpoint: checkpoint.id,
        message: `Checkpoints ${earlier.id} and ${checkpoint.id} both sign size ${body.size} with different roots: the history was forked.`,
      });
    }
    if (!earlier) rootsBySize.set(body.size, { id: checkpoint.id, root: Buffer.from(body.root) });
    if (body.size > count) {
      report({
        kind: 'checkpoint_beyond_log',
        checkpoint: checkpoint.id,
        message: `Checkpoint ${checkpoint.id} signs ${body.size} entries but the log holds ${count}: entries were removed (truncated log).`,
      });
      continue;
    }
    if (!sameHash(rootAt(body.size), body.root)) {
      report({
        kind: 'checkpoint_root_mismatch',
        checkpoint: checkpoint.id,
        message: `Checkpoint ${checkpoint.id} (size ${body.size}) signs a root the stored entries no longer produce: entries before ${body.size} were changed, deleted, inserted or reordered.`,
      });
    }
  }
  if (suppressed > 0) problems.push({ kind: problems[problems.length - 1]!.kind, message: `… and ${suppressed} more problems.` });
  return {
    ok: problems.length === 0,
    size: headSize,
    entries,
    checkpoints: checkpoints.length,
    root: Buffer.from(rootAt(count)).toString('base64'),
    problems,
  };
}

/** The indexed columns must repeat what the signed payload says. */
function checkFields(row: { id: string; ts: string; type: string; actor: string | null; outcome: string; subject_hash: string | null; payload: string }): string | undefined {
  let leaf: Record<string, unknown>;
  try {
    leaf = JSON.parse(row.payload) as Record<string, unknown>;
  } catch {
    return 'its payload is not JSON.';
  }
  const columns: Record<string, unknown> = { id: row.id, ts: row.ts, type: row.type, actor: row.actor, outcome: row.outcome, subject: row.subject_hash };
  const changed = Object.keys(columns).filter((name) => leaf[name] !== columns[name]);
  return changed.length > 0 ? `its columns (${changed.join(', ')}) disagree with its payload.` : undefined;
}
