/**
 * The node's append-only event log, stored in `events`.
 *
 * Appends run inside the caller's transaction, so an effect and the event recording it commit
 * together or not at all. Sequence numbers come from the locked head row, which keeps them
 * dense and in commit order even when several processes share one PostgreSQL database.
 */
import { sql, type CompiledQuery, type Insertable } from 'kysely';
import { canonicalJson } from '../../crypto/canonical-json.ts';
import type { Clock } from '../../core/clock.ts';
import { newId } from '../../core/ids.ts';
import { binder, compiledInsert, sentinel } from '../../store/compiled.ts';
import type { Db } from '../../store/open-store.ts';
import { leafHashInput, leafObject, type EventInput, type LoggedEvent } from '../domain/event.ts';
import { extendFrontier, splitFrontier, type StoredNode } from '../domain/merkle.ts';
import type { EventTable } from './tables.ts';

/** Hashes leaves: SHA-256 in the `intl` suite, SM3 in `sm`. */
export interface LeafHasher {
  hash(data: Uint8Array): Uint8Array;
}

export interface EventQuery {
  /** Only events with seq greater than this. */
  readonly afterSeq?: number;
  readonly type?: string;
  readonly typePrefix?: string;
  readonly actor?: string;
  readonly limit?: number;
}

export interface EventLog {
  /** Appends events in order within `db`, which should be the transaction of the effect they record. */
  append(db: Db, events: readonly EventInput[]): Promise<LoggedEvent[]>;
  /** Appends in a transaction of its own, for events that record no other write. */
  record(event: EventInput): Promise<LoggedEvent>;
  list(query?: EventQuery): Promise<LoggedEvent[]>;
  size(): Promise<number>;
}

type EventRow = Insertable<EventTable>;

/**
 * The append path runs for every event, so its statements (advance the head, insert the events,
 * insert the Merkle nodes they complete, store the tree's new right edge) are compiled once (per
 * batch size), see store/compiled.ts.
 */
function createAppendStatements(db: Db) {
  const countSentinel = -987_654_321;
  const advanceHead = binder(
    db
      .updateTable('event_log_head')
      .set((eb) => ({ size: eb('size', '+', countSentinel) }))
      .where('id', '=', 1)
      .returning(['size', 'tree_size', 'frontier'])
      .compile(),
    [countSentinel],
  );
  const treeSizeSentinel = -987_654_322;
  const frontierSentinel = sentinel('frontier');
  const advanceTree = binder(
    db
      .updateTable('event_log_head')
      .set({ tree_size: treeSizeSentinel, frontier: frontierSentinel as unknown as Buffer })
      .where('id', '=', 1)
      .compile(),
    [treeSizeSentinel, frontierSentinel],
  );
  // The common case in one statement: advance size and tree together, guarded by the head this
  // process last wrote (see `append`). Distinct sentinels, since each fills its own placeholder.
  const guard = [-987_654_323, -987_654_324, -987_654_325, -987_654_326, sentinel('guard-frontier'), sentinel('guard-new-frontier')] as const;
  const [guardCount, guardTreeCount, guardSize, guardTreeSize, guardFrontier, guardNewFrontier] = guard;
  const guardedAdvance = binder(
    db
      .updateTable('event_log_head')
      .set((eb) => ({
        size: eb('size', '+', guardCount),
        tree_size: eb('tree_size', '+', guardTreeCount),
        frontier: guardNewFrontier as unknown as Buffer,
      }))
      .where('id', '=', 1)
      .where('size', '=', guardSize)
      .where('tree_size', '=', guardTreeSize)
      .where('frontier', '=', guardFrontier as unknown as Buffer)
      .returning(['size'])
      .compile(),
    guard,
  );
  const eventColumns = ['seq', 'id', 'ts', 'type', 'actor', 'outcome', 'subject_hash', 'payload', 'leaf_hash'] as const;
  const insertNodes = compiledInsert(db, 'merkle_nodes', ['level', 'idx', 'hash']);
  return {
    advanceHead: (count: number) => advanceHead([count]),
    guardedAdvance: (count: number, expected: { size: number; frontier: Buffer }, frontier: Buffer) =>
      guardedAdvance([count, count, expected.size, expected.size, expected.frontier, frontier]),
    advanceTree: (treeSize: number, frontier: Buffer) => advanceTree([treeSize, frontier]),
    insertEvents: compiledInsert(db, 'events', eventColumns) as (rows: readonly EventRow[]) => CompiledQuery,
    insertNodes: (nodes: readonly StoredNode[]) =>
      insertNodes(nodes.map((node) => ({ level: node.level, idx: node.index, hash: Buffer.from(node.hash) }))),
  };
}

/** Rows per INSERT when writing Merkle nodes, well under SQLite's bound-parameter limit. */
const nodeChunk = 2000;

/**
 * Extends the stored tree by the given leaves (after any leaves a pre-audit log holds without
 * tree nodes), inside the transaction that holds the head row's lock.
 */
async function growTree(
  db: Db,
  statements: ReturnType<typeof createAppendStatements>,
  hasher: LeafHasher,
  head: { treeSize: number; frontier: Buffer | null; first: number },
  leafHashes: readonly Uint8Array[],
): Promise<{ size: number; frontier: Buffer }> {
  let leaves = leafHashes;
  if (head.treeSize < head.first) {
    const missing = await db
      .selectFrom('events')
      .select('leaf_hash')
      .where('seq', '>=', head.treeSize)
      .where('seq', '<', head.first)
      .orderBy('seq', 'asc')
      .execute();
    leaves = [...missing.map((row) => row.leaf_hash), ...leafHashes];
  }
  const hashLength = leaves[0]?.length ?? 32;
  const grown = extendFrontier(hasher, head.treeSize, splitFrontier(head.frontier, hashLength), leaves);
  for (let at = 0; at < grown.nodes.length; at += nodeChunk) {
    await db.executeQuery(statements.insertNodes(grown.nodes.slice(at, at + nodeChunk)));
  }
  const frontier = Buffer.concat(grown.frontier);
  await db.executeQuery(statements.advanceTree(head.treeSize + leaves.length, frontier));
  return { size: head.treeSize + leaves.length, frontier };
}

export function createEventLog(options: { db: Db; hasher: LeafHasher; clock: Clock }): EventLog {
  const { db: root, hasher, clock } = options;
  const statements = createAppendStatements(root);

  /**
   * The head (size = tree size, right edge) as this process last wrote it. When the database still
   * holds exactly that, an append is one guarded UPDATE instead of a read-then-write pair. A guard
   * that fails (another process appended, or the transaction that wrote it rolled back) costs one
   * statement and falls back to the locked path. Equal size and right edge mean the same tree, so
   * a stale value can never extend the wrong one.
   */
  let known: { size: number; frontier: Buffer } | undefined;

  async function append(db: Db, events: readonly EventInput[]): Promise<LoggedEvent[]> {
    if (events.length === 0) return [];
    const ts = clock.now().toISOString();
    // Leaves do not contain their position, so payloads and hashes are made once, before it is known.
    const prepared = events.map((input) => {
      const id = newId();
      const subjectHash = input.subjectHash ?? null;
      const payload = canonicalJson(leafObject({ id, ts, type: input.type, actor: input.actor, outcome: input.outcome, subjectHash, details: input.details }));
      return { input, id, subjectHash, payload, leafHash: Buffer.from(hasher.hash(leafHashInput(Buffer.from(payload, 'utf8')))) };
    });
    const placed = (first: number) => {
      const logged: LoggedEvent[] = [];
      const rows = prepared.map((entry, index): EventRow => {
        const seq = first + index;
        logged.push({ seq, id: entry.id, ts, type: entry.input.type, actor: entry.input.actor, outcome: entry.input.outcome, subjectHash: entry.subjectHash, details: entry.input.details });
        return {
          seq,
          id: entry.id,
          ts,
          type: entry.input.type,
          actor: entry.input.actor,
          outcome: entry.input.outcome,
          subject_hash: entry.subjectHash,
          payload: entry.payload,
          leaf_hash: entry.leafHash,
        };
      });
      return { logged, rows };
    };
    const leafHashes = prepared.map((entry) => entry.leafHash);

    const expected = known;
    if (expected) {
      const grown = extendFrontier(hasher, expected.size, splitFrontier(expected.frontier, leafHashes[0]!.length), leafHashes);
      const frontier = Buffer.concat(grown.frontier);
      const advanced = await db.executeQuery(statements.guardedAdvance(events.length, expected, frontier));
      if (advanced.rows.length === 1) {
        const { logged, rows } = placed(expected.size);
        await db.executeQuery(statements.insertEvents(rows));
        for (let at = 0; at < grown.nodes.length; at += nodeChunk) {
          await db.executeQuery(statements.insertNodes(grown.nodes.slice(at, at + nodeChunk)));
        }
        known = { size: expected.size + events.length, frontier };
        return logged;
      }
    }

    // UPDATE … RETURNING takes the head row's lock until commit (PostgreSQL) or runs under
    // SQLite's single writer; either way no two appenders get the same positions.
    const head = await db.executeQuery<{ size: number; tree_size: number; frontier: Buffer | null }>(statements.advanceHead(events.length));
    const headRow = head.rows[0]!;
    const first = Number(headRow.size) - events.length;
    const { logged, rows } = placed(first);
    await db.executeQuery(statements.insertEvents(rows));
    const tree = await growTree(db, statements, hasher, { treeSize: Number(headRow.tree_size), frontier: headRow.frontier, first }, leafHashes);
    known = tree.size === first + events.length ? tree : undefined;
    return logged;
  }

  return {
    append,
    async record(event) {
      const [logged] = await root.transaction().execute((trx) => append(trx, [event]));
      return logged!;
    },
    async list(query = {}) {
      // Clamped here so no caller lifts the cap: SQLite reads a negative LIMIT as "no limit".
      const limit = Math.max(0, Math.min(Math.trunc(query.limit ?? 100) || 0, 1000));
      let select = root.selectFrom('events').selectAll().orderBy('seq', 'asc').limit(limit);
      if (query.afterSeq !== undefined) select = select.where('seq', '>', query.afterSeq);
      if (query.type) select = select.where('type', '=', query.type);
      if (query.typePrefix) {
        // Leading characters compared, not LIKE: event names contain `_` (a LIKE wildcard), and
        // SQLite's LIKE ignores ASCII case where PostgreSQL's does not. substr counts code points.
        const prefix = query.typePrefix;
        select = select.where(sql<boolean>`substr(${sql.ref('type')}, 1, ${[...prefix].length}) = ${prefix}`);
      }
      if (query.actor) select = select.where('actor', '=', query.actor);
      const rows = await select.execute();
      return rows.map((row) => {
        // Entries pruned for retention keep no details.
        const leaf = JSON.parse(row.payload) as { details?: Record<string, unknown> };
        return {
          seq: Number(row.seq),
          id: row.id,
          ts: row.ts,
          type: row.type,
          actor: row.actor,
          outcome: row.outcome as LoggedEvent['outcome'],
          subjectHash: row.subject_hash,
          details: leaf.details ?? {},
        };
      });
    },
    async size() {
      const head = await root.selectFrom('event_log_head').select('size').where('id', '=', 1).executeTakeFirstOrThrow();
      return Number(head.size);
    },
  };
}
