/**
 * Reads the stored Merkle tree: roots and proofs for any size up to the current one, from the
 * complete subtrees that appends write (`merkle_nodes`, leaves in `events.leaf_hash`), so each
 * answer costs one or two indexed queries over O(log n) rows.
 */
import { NotFoundError, InputError } from '../../core/errors.ts';
import type { Db } from '../../store/open-store.ts';
import {
  consistencyRanges,
  emptyRoot,
  foldRange,
  inclusionRanges,
  rangeNodes,
  rootNodes,
  type LeafRange,
  type MerkleHasher,
  type NodeRef,
} from '../domain/merkle.ts';

/** A tree head: size and root hash. */
export interface TreeHead {
  readonly size: number;
  readonly root: Uint8Array;
}

/** Proof reads over the stored tree. */
export interface TreeStore {
  /** The size the stored tree covers (every committed event once the log is caught up). */
  size(db?: Db): Promise<number>;
  /** The root of the first `size` leaves (default: all). */
  head(size?: number, db?: Db): Promise<TreeHead>;
  /** Leaf hash of entry `index`. */
  leafHash(index: number, db?: Db): Promise<Uint8Array>;
  /** Inclusion proof of leaf `index` in the tree of `size` leaves. */
  inclusionProof(index: number, size: number, db?: Db): Promise<Uint8Array[]>;
  /** Consistency proof from the tree of `from` leaves to the tree of `to` leaves. */
  consistencyProof(from: number, to: number, db?: Db): Promise<Uint8Array[]>;
}

const key = (node: NodeRef) => `${node.level}:${node.index}`;

function assertCount(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new InputError(`${name} must be a whole number ≥ 0, got ${value}.`, { [name]: value });
}

/** Creates the proof reader for a node's log. */
export function createTreeStore(options: { db: Db; hasher: MerkleHasher }): TreeStore {
  const { db: root, hasher } = options;

  async function size(db: Db = root): Promise<number> {
    const head = await db.selectFrom('event_log_head').select('tree_size').where('id', '=', 1).executeTakeFirstOrThrow();
    return Number(head.tree_size);
  }

  async function checkSize(db: Db, wanted: number, name: string): Promise<void> {
    assertCount(wanted, name);
    const current = await size(db);
    if (wanted > current) {
      throw new NotFoundError(`The log has ${current} entries; there is no tree of size ${wanted}.`, { [name]: wanted, size: current });
    }
  }

  /** Fetches stored subtree hashes: leaves from `events`, the rest from `merkle_nodes`. */
  async function fetchNodes(db: Db, nodes: readonly NodeRef[]): Promise<Map<string, Uint8Array>> {
    const found = new Map<string, Uint8Array>();
    const leaves = [...new Set(nodes.filter((node) => node.level === 0).map((node) => node.index))];
    const inner = nodes.filter((node) => node.level > 0);
    if (leaves.length > 0) {
      const rows = await db.selectFrom('events').select(['seq', 'leaf_hash']).where('seq', 'in', leaves).execute();
      for (const row of rows) found.set(key({ level: 0, index: Number(row.seq) }), row.leaf_hash);
    }
    if (inner.length > 0) {
      const rows = await db
        .selectFrom('merkle_nodes')
        .select(['level', 'idx', 'hash'])
        .where((eb) => eb.or(inner.map((node) => eb.and([eb('level', '=', node.level), eb('idx', '=', node.index)]))))
        .execute();
      for (const row of rows) found.set(key({ level: Number(row.level), index: Number(row.idx) }), row.hash);
    }
    for (const node of nodes) {
      if (!found.has(key(node))) throw new NotFoundError(`The stored tree lacks subtree (${node.level}, ${node.index}); run \`tongban audit verify\`.`, { ...node });
    }
    return found;
  }

  async function resolve(db: Db, ranges: readonly LeafRange[]): Promise<Uint8Array[]> {
    const perRange = ranges.map(rangeNodes);
    const hashes = await fetchNodes(db, perRange.flat());
    return perRange.map((nodes) => foldRange(hasher, nodes.map((node) => hashes.get(key(node))!)));
  }

  return {
    size,
    async head(wanted, db = root) {
      const current = await size(db);
      const treeSize = wanted ?? current;
      await checkSize(db, treeSize, 'size');
      if (treeSize === 0) return { size: 0, root: emptyRoot(hasher) };
      const [rootHash] = await resolve(db, [{ start: 0, end: treeSize }]);
      return { size: treeSize, root: rootHash! };
    },
    async leafHash(index, db = root) {
      assertCount(index, 'index');
      const hashes = await fetchNodes(db, [{ level: 0, index }]).catch(() => {
        throw new NotFoundError(`The log has no entry ${index}.`, { index });
      });
      return hashes.get(key({ level: 0, index }))!;
    },
    async inclusionProof(index, treeSize, db = root) {
      assertCount(index, 'index');
      await checkSize(db, treeSize, 'size');
      if (index >= treeSize) throw new NotFoundError(`Entry ${index} is not in the tree of size ${treeSize}.`, { index, size: treeSize });
      return resolve(db, inclusionRanges(index, treeSize));
    },
    async consistencyProof(from, to, db = root) {
      assertCount(from, 'from');
      await checkSize(db, to, 'to');
      if (from > to) throw new InputError(`A consistency proof runs from a smaller size to a larger one; got from=${from} > to=${to}.`, { from, to });
      return resolve(db, consistencyRanges(from, to));
    },
  };
}

/** The subtrees that determine the root of `size` leaves (exposed for verification). */
export { rootNodes };
