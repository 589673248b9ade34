/**
 * Full verification of a node's log: every leaf hash recomputed from its stored payload, every
 * stored subtree recomputed from the leaves, every checkpoint's signature and root checked.
 * Reports each disagreement by entry or checkpoint rather than stopping at the first.
 */
import type { DialectName } from '../store/dialect.ts';
import type { Db } from '../store/open-store.ts';
import { verifyCheckpointNote, type NoteKey } from './domain/checkpoint.ts';
import { emptyRoot, rootFrom, sameHash, type MerkleHasher } from './domain/merkle.ts';
import { bulkEntries, bulkNodes } from './store/bulk-read.ts';
import { allCheckpoints } from './store/checkpoint-store.ts';
import { isPrunedPayload } from './retention.ts';

/** What kind of disagreement verification found. */
export type ProblemKind =
  | 'entry_changed'
  | 'entry_fields_changed'
  | 'entry_missing'
  | 'entry_pruned_unlogged'
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
  /** Entries whose details retention pruned (checked through the tree and checkpoints, not their payload). */
  readonly pruned: number;
  /** Root over the entries as stored, recomputed. */
  readonly root: string;
  readonly problems: readonly VerifyProblem[];
}

const page = 10_000;
/** Entries per bulk read; an intact range costs one query and one row, a suspect one is re-read row by row. */
const entryChunk = 8192;
/** Stored subtree hashes per bulk read. */
const nodeChunk = 16_384;
/** Reports beyond this many are summarised, so a wholesale rewrite does not flood the output. */
const maxProblems = 200;
const newline = 0x0a;
const colon = 0x3a;

/** One stored entry as the row-by-row check reads it. */
interface EntryRow {
  seq: number | bigint;
  id: string;
  ts: string;
  type: string;
  actor: string | null;
  outcome: string;
  subject_hash: string | null;
  payload: string;
  leaf_hash: Buffer;
}

/**
 * Runs the full check. `keys` are the node's signing keys (active and retired) under the origin's key name.
 *
 * Reading two million rows one object at a time costs several times the hashing, so both passes
 * read ranges in bulk: one row per range carrying the range's payloads (each prefixed by its seq)
 * and stored hashes back to back, plus a count of entries whose indexed columns do not repeat their
 * payload's text. A range whose count, order, columns and hashes all agree is done; anything else
 * is re-read row by row, which names each entry that disagrees.
 */
export async function verifyLog(options: { db: Db; dialect: DialectName; hasher: MerkleHasher; origin: string; keys: readonly NoteKey[] }): Promise<VerifyReport> {
  const { db, dialect, hasher, origin, keys } = options;
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
  let pruned = 0;
  let lastPruned = -1;
  let prunedThrough = -1;
  let scratch = Buffer.alloc(4096);
  scratch[0] = 0;

  /** The row-by-row check of one entry: exact, and names what disagrees. */
  const checkRow = (row: EntryRow) => {
    const seq = Number(row.seq);
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
    // Most entries are whole: their fields are checked against the payload text without parsing it.
    const whole = row.payload.startsWith(wholePrefix(row.actor));
    const parsed = whole && row.type !== 'audit.pruned' ? undefined : parsePayload(row.payload);
    let leaf: Uint8Array;
    if (parsed && isPrunedPayload(parsed)) {
      // No details left to hash: the stored leaf hash goes into the tree, which the stored
      // subtrees and the signed checkpoints then check.
      leaf = row.leaf_hash;
      pruned += 1;
      lastPruned = seq;
    } else {
      // 0x00 ‖ payload, written into one reused buffer: a fresh pair of buffers per entry costs more in GC than the hash.
      if (scratch.length < row.payload.length * 3 + 1) scratch = Buffer.alloc(row.payload.length * 3 + 1);
      const written = scratch.write(row.payload, 1, 'utf8');
      leaf = hasher.hash(scratch.subarray(0, written + 1));
      if (parsed?.['type'] === 'audit.pruned') {
        const through = (parsed['details'] as Record<string, unknown> | undefined)?.['throughSeq'];
        if (typeof through === 'number' && through > prunedThrough) prunedThrough = through;
      }
    }
    if (!row.leaf_hash.equals(leaf)) {
      report({ kind: 'entry_changed', seq, message: `Entry ${seq} (${row.id}): its payload does not hash to its stored leaf hash; the entry was altered.` });
    }
    const fieldsProblem = whole && fieldsMatchText(row) ? undefined : checkFields(row, parsed);
    if (fieldsProblem) report({ kind: 'entry_fields_changed', seq, message: `Entry ${seq} (${row.id}): ${fieldsProblem}` });
    // The tree is rebuilt from the recomputed leaves, so a rewritten leaf hash is caught by the checkpoints too.
    if ((entries + 1) * hashLength > leafBytes.length) {
      const grown = Buffer.alloc(leafBytes.length * 2);
      leafBytes.copy(grown);
      leafBytes = grown;
    }
    leafBytes.set(leaf, (entries - 1) * hashLength);
  };

  /**
   * The bulk check of entries [from, to): true when every one is present, in order, whole, not
   * pruned, and hashes to its stored leaf hash. When it returns false the counters are untouched
   * (only leaf slots the row-by-row check then overwrites were written).
   */
  const checkRange = async (from: number, to: number): Promise<boolean> => {
    if (expected !== from) return false;
    const range = await bulkEntries(db, dialect, from, to);
    const count = to - from;
    if (Number(range.count) !== count || Number(range.suspects ?? 0) !== 0 || !range.payloads || range.leaves?.length !== count * hashLength) return false;
    if ((entries + count) * hashLength > leafBytes.length) return false;
    const payloads = range.payloads;
    let at = 0;
    for (let seq = from; seq < to; seq += 1) {
      // "<seq>:<payload>\n": the seq proves the order; the colon becomes the 0x00 of the leaf input.
      let value = 0;
      let digits = 0;
      while (at < payloads.length && payloads[at] !== colon) {
        const digit = payloads[at]! - 0x30;
        if (digit < 0 || digit > 9 || digits > 15) return false;
        value = value * 10 + digit;
        digits += 1;
        at += 1;
      }
      if (digits === 0 || value !== seq || at >= payloads.length) return false;
      let end = payloads.indexOf(newline, at);
      if (end < 0) end = payloads.length;
      if ((end === payloads.length) !== (seq === to - 1)) return false;
      payloads[at] = 0;
      leafBytes.set(hasher.hash(payloads.subarray(at, end)), (entries + seq - from) * hashLength);
      at = end + 1;
    }
    if (!leafBytes.subarray(entries * hashLength, (entries + count) * hashLength).equals(range.leaves)) return false;
    entries += count;
    expected = to;
    return true;
  };

  const readRows = (from: number, to?: number) => {
    let select = db.selectFrom('events').selectAll().where('seq', '>=', from);
    if (to !== undefined) select = select.where('seq', '<', to);
    return select.orderBy('seq', 'asc').limit(page).execute();
  };
  for (let from = 0; from < headSize; from += entryChunk) {
    const to = Math.min(from + entryChunk, headSize);
    if (await checkRange(from, to)) continue;
    for (let next = from; next < to; ) {
      const rows = await readRows(next, to);
      if (rows.length === 0) break;
      for (const row of rows) checkRow(row);
      next = Number(rows[rows.length - 1]!.seq) + 1;
    }
  }
  // Entries at or beyond the recorded size should not exist: normally one empty read.
  for (let next = headSize; ; ) {
    const rows = await readRows(next);
    if (rows.length === 0) break;
    for (const row of rows) checkRow(row);
    next = Number(rows[rows.length - 1]!.seq) + 1;
  }
  if (lastPruned > prunedThrough) {
    report({ kind: 'entry_pruned_unlogged', seq: lastPruned, message: `Entry ${lastPruned} had its details removed, but no audit.pruned entry records pruning that far.` });
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
    const width = count >> level;
    const nodes = Buffer.alloc(width * length);
    // 0x01 ‖ left ‖ right: the two children sit side by side below, so one copy into a reused buffer.
    const pair = Buffer.alloc(1 + 2 * length);
    pair[0] = 1;
    for (let i = 0; i < width; i += 1) {
      below.copy(pair, 1, 2 * i * length, (2 * i + 2) * length);
      nodes.set(hasher.hash(pair), i * length);
    }
    levels.push(nodes);
    for (let from = 0; from < width; from += nodeChunk) {
      const to = Math.min(from + nodeChunk, width);
      const range = await bulkNodes(db, dialect, level, from, to);
      // A full, ordered range whose hashes all agree is done; one that lags (tree_behind) or disagrees is read row by row.
      if (Number(range.count) === to - from && indexesAre(range.indexes, from, to) && range.hashes?.equals(nodes.subarray(from * length, to * length))) continue;
      for (let next = from; next < to; ) {
        const rows = await db.selectFrom('merkle_nodes').select(['idx', 'hash']).where('level', '=', level).where('idx', '>=', next).where('idx', '<', to).orderBy('idx', 'asc').limit(page).execute();
        if (rows.length === 0) break;
        for (const row of rows) {
          const index = Number(row.idx);
          if (!nodes.subarray(index * length, (index + 1) * length).equals(row.hash)) {
            const first = index * 2 ** level;
            report({
              kind: 'tree_node_mismatch',
              seq: first,
              message: `Stored subtree (level ${level}, index ${index}) over entries ${first}..${first + 2 ** level - 1} differs from the entries now stored: an entry there was changed, deleted, inserted or reordered.`,
            });
          }
        }
        next = Number(rows[rows.length - 1]!.idx) + 1;
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
    pruned,
    root: Buffer.from(rootAt(count)).toString('base64'),
    problems,
  };
}

/** Whether `indexes` ("4,5,6") lists exactly from..to-1 in order. */
function indexesAre(indexes: Buffer | null, from: number, to: number): boolean {
  if (!indexes) return from === to;
  let at = 0;
  for (let expected = from; expected < to; expected += 1) {
    let value = 0;
    let digits = 0;
    while (at < indexes.length && indexes[at] !== 0x2c) {
      const digit = indexes[at]! - 0x30;
      if (digit < 0 || digit > 9 || digits > 15) return false;
      value = value * 10 + digit;
      digits += 1;
      at += 1;
    }
    if (digits === 0 || value !== expected) return false;
    at += 1;
  }
  return at === indexes.length + 1;
}

/**
 * A whole leaf is canonical JSON, so its keys come sorted: actor, details, id, outcome, subject,
 * ts, type. Its text starts with the actor and ends with the five fields after the details, which
 * makes comparing the columns a matter of two string comparisons. Any mismatch (or unusual
 * escaping) falls back to parsing, which names the fields that differ.
 */
function wholePrefix(actor: string | null): string {
  return `{"actor":${JSON.stringify(actor)},"details":`;
}

function fieldsMatchText(row: { id: string; ts: string; type: string; outcome: string; subject_hash: string | null; payload: string }): boolean {
  const suffix = `,"id":${JSON.stringify(row.id)},"outcome":${JSON.stringify(row.outcome)},"subject":${JSON.stringify(row.subject_hash)},"ts":${JSON.stringify(row.ts)},"type":${JSON.stringify(row.type)}}`;
  return row.payload.endsWith(suffix);
}

function parsePayload(payload: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(payload) as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The indexed columns must repeat what the signed payload says. */
function checkFields(
  row: { id: string; ts: string; type: string; actor: string | null; outcome: string; subject_hash: string | null; payload: string },
  parsed?: Record<string, unknown>,
): string | undefined {
  const leaf = parsed ?? parsePayload(row.payload);
  if (!leaf) return 'its payload is not a JSON object.';
  const columns: Record<string, unknown> = { id: row.id, ts: row.ts, type: row.type, actor: row.actor, outcome: row.outcome, subject: row.subject_hash };
  const changed = Object.keys(columns).filter((name) => leaf[name] !== columns[name]);
  return changed.length > 0 ? `its columns (${changed.join(', ')}) disagree with its payload.` : undefined;
}
