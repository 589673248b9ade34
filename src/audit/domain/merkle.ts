/**
 * Merkle tree hashing, inclusion and consistency proofs exactly as RFC 9162 §2.1 defines them,
 * generic over the hash function (SHA-256 for `intl`, SM3 for `sm`).
 *
 * Proof generation is split in two so that a store can serve it in O(log n) reads: the pure
 * functions here say which subtree ranges a proof consists of (`inclusionRanges`,
 * `consistencyRanges`) and which complete, aligned subtrees make up a range (`rangeNodes`); the
 * caller fetches those stored nodes and folds them with `foldRange`.
 */

/** A hash function over bytes (SHA-256 or SM3). */
export interface MerkleHasher {
  hash(data: Uint8Array): Uint8Array;
}

/** A half-open range of leaf indices [start, end). */
export interface LeafRange {
  readonly start: number;
  readonly end: number;
}

/** A complete subtree of 2^level leaves starting at leaf index × 2^level. */
export interface NodeRef {
  readonly level: number;
  readonly index: number;
}

/** RFC 9162 leaf hash: H(0x00 ‖ leaf). */
export function hashLeaf(hasher: MerkleHasher, leaf: Uint8Array): Uint8Array {
  const input = new Uint8Array(leaf.length + 1);
  input[0] = 0;
  input.set(leaf, 1);
  return hasher.hash(input);
}

/** RFC 9162 interior node hash: H(0x01 ‖ left ‖ right). */
export function hashChildren(hasher: MerkleHasher, left: Uint8Array, right: Uint8Array): Uint8Array {
  const input = new Uint8Array(1 + left.length + right.length);
  input[0] = 1;
  input.set(left, 1);
  input.set(right, 1 + left.length);
  return hasher.hash(input);
}

/** The root of the empty tree: the hash of the empty string. */
export function emptyRoot(hasher: MerkleHasher): Uint8Array {
  return hasher.hash(new Uint8Array(0));
}

/** The largest power of two strictly less than n (n ≥ 2): RFC 9162's split point k. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function assertSize(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
}

/**
 * The ranges whose subtree hashes form the inclusion proof PATH(index, D[size]), in proof order
 * (the sibling nearest the leaf first).
 */
export function inclusionRanges(index: number, size: number): LeafRange[] {
  assertSize(index, 'index');
  assertSize(size, 'size');
  if (index >= size) throw new RangeError(`leaf ${index} is not in a tree of size ${size}`);
  const ranges: LeafRange[] = [];
  // Iterative form of PATH(m, D[n]): descend, remembering siblings, then reverse (deepest first).
  let start = 0;
  let end = size;
  let m = index;
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (m < k) {
      ranges.push({ start: start + k, end });
      end = start + k;
    } else {
      ranges.push({ start, end: start + k });
      start += k;
      m -= k;
    }
  }
  return ranges.reverse();
}

/** The ranges whose subtree hashes form the consistency proof PROOF(from, D[to]), in proof order. */
export function consistencyRanges(from: number, to: number): LeafRange[] {
  assertSize(from, 'from');
  assertSize(to, 'to');
  if (from > to) throw new RangeError(`cannot prove consistency from size ${from} to the smaller size ${to}`);
  if (from === 0 || from === to) return [];
  const ranges: LeafRange[] = [];
  // Iterative form of SUBPROOF(m, D[n], b).
  let start = 0;
  let end = to;
  let m = from;
  let whole = true;
  while (m !== end - start) {
    const n = end - start;
    const k = splitPoint(n);
    if (m <= k) {
      ranges.push({ start: start + k, end });
      end = start + k;
    } else {
      ranges.push({ start, end: start + k });
      start += k;
      m -= k;
      whole = false;
    }
  }
  if (!whole) ranges.push({ start, end });
  return ranges.reverse();
}

/**
 * The complete aligned subtrees that make up a range of the RFC split structure, left to right
 * (largest first). Every range produced by the functions above starts at a multiple of the
 * largest power of two not above its length, so its decomposition follows the length's bits.
 */
export function rangeNodes(range: LeafRange): NodeRef[] {
  const nodes: NodeRef[] = [];
  let start = range.start;
  let remaining = range.end - range.start;
  if (remaining <= 0) throw new RangeError(`empty range [${range.start}, ${range.end})`);
  while (remaining > 0) {
    let size = 1;
    let level = 0;
    while (size * 2 <= remaining) {
      size *= 2;
      level += 1;
    }
    if (start % size !== 0) throw new RangeError(`range [${range.start}, ${range.end}) is not aligned to the tree's split structure`);
    nodes.push({ level, index: start / size });
    start += size;
    remaining -= size;
  }
  return nodes;
}

/** MTH of a range from its complete subtrees (as `rangeNodes` lists them): folded right to left. */
export function foldRange(hasher: MerkleHasher, nodeHashes: readonly Uint8Array[]): Uint8Array {
  if (nodeHashes.length === 0) throw new RangeError('a range has at least one node');
  let hash = nodeHashes[nodeHashes.length - 1]!;
  for (let i = nodeHashes.length - 2; i >= 0; i -= 1) hash = hashChildren(hasher, nodeHashes[i]!, hash);
  return hash;
}

/** The nodes of a tree of `size` leaves whose hashes determine its root. */
export function rootNodes(size: number): NodeRef[] {
  assertSize(size, 'size');
  return size === 0 ? [] : rangeNodes({ start: 0, end: size });
}

/** Builds values from subtree hashes looked up by a synchronous source (an in-memory tree). */
export type NodeSource = (node: NodeRef) => Uint8Array;

/** MTH(D[0:size]) from a node source. */
export function rootFrom(hasher: MerkleHasher, size: number, source: NodeSource): Uint8Array {
  return size === 0 ? emptyRoot(hasher) : foldRange(hasher, rootNodes(size).map(source));
}

/** Resolves a proof's ranges to hashes with a node source. */
export function proofFrom(hasher: MerkleHasher, ranges: readonly LeafRange[], source: NodeSource): Uint8Array[] {
  return ranges.map((range) => foldRange(hasher, rangeNodes(range).map(source)));
}

/**
 * An in-memory tree over leaf hashes that keeps every complete subtree, the same nodes the store
 * keeps. Used by verification, bundles and tests.
 */
export class MemoryTree {
  /** levels[k][i]: hash of the complete subtree (k, i). */
  private readonly levels: Uint8Array[][] = [[]];
  constructor(private readonly hasher: MerkleHasher) {}

  /** Number of leaves. */
  get size(): number {
    return this.levels[0]!.length;
  }

  /** Appends a leaf hash and completes every subtree it closes. */
  append(leafHash: Uint8Array): void {
    this.levels[0]!.push(leafHash);
    let level = 0;
    let index = this.levels[0]!.length - 1;
    while (index % 2 === 1) {
      const row = this.levels[level]!;
      const parent = hashChildren(this.hasher, row[index - 1]!, row[index]!);
      level += 1;
      if (!this.levels[level]) this.levels[level] = [];
      this.levels[level]!.push(parent);
      index = (index - 1) / 2;
    }
  }

  /** The stored hash of a complete subtree. */
  node(ref: NodeRef): Uint8Array {
    const hash = this.levels[ref.level]?.[ref.index];
    if (!hash) throw new RangeError(`subtree (${ref.level}, ${ref.index}) is not complete`);
    return hash;
  }

  /** MTH of the first `size` leaves. */
  root(size = this.size): Uint8Array {
    this.check(size);
    return rootFrom(this.hasher, size, (ref) => this.node(ref));
  }

  /** Inclusion proof of leaf `index` in the tree of the first `size` leaves. */
  inclusionProof(index: number, size = this.size): Uint8Array[] {
    this.check(size);
    return proofFrom(this.hasher, inclusionRanges(index, size), (ref) => this.node(ref));
  }

  /** Consistency proof between the trees of the first `from` and `to` leaves. */
  consistencyProof(from: number, to = this.size): Uint8Array[] {
    this.check(to);
    return proofFrom(this.hasher, consistencyRanges(from, to), (ref) => this.node(ref));
  }

  private check(size: number): void {
    if (size > this.size) throw new RangeError(`the tree has ${this.size} leaves, not ${size}`);
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i += 1) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** RFC 9162 §2.1.3.2: verifies that `leafHash` is leaf `index` of the tree of `size` with `root`. */
export function verifyInclusion(
  hasher: MerkleHasher,
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = hashChildren(hasher, p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = hashChildren(hasher, r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalBytes(r, root);
}

/** RFC 9162 §2.1.4.2: verifies that the tree (`to`, `toRoot`) extends the tree (`from`, `fromRoot`). */
export function verifyConsistency(
  hasher: MerkleHasher,
  from: number,
  to: number,
  fromRoot: Uint8Array,
  toRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || from > to) return false;
  if (from === to) return proof.length === 0 && equalBytes(fromRoot, toRoot);
  // An empty tree is a prefix of every tree; RFC 9162 gives no proof for it.
  if (from === 0) return proof.length === 0 && equalBytes(fromRoot, emptyRoot(hasher));
  let path = [...proof];
  // If `from` is a power of two, the old root is itself the first proof node.
  if ((from & (from - 1)) === 0) path = [fromRoot, ...path];
  if (path.length === 0) return false;
  let fn = from - 1;
  let sn = to - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = hashChildren(hasher, c, fr);
      sr = hashChildren(hasher, c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = hashChildren(hasher, sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalBytes(fr, fromRoot) && equalBytes(sr, toRoot);
}

/** Constant-time byte comparison, exported for checkpoint and bundle checks. */
export function sameHash(a: Uint8Array, b: Uint8Array): boolean {
  return equalBytes(a, b);
}

/** A complete subtree with its hash, as the store keeps it. */
export interface StoredNode extends NodeRef {
  readonly hash: Uint8Array;
}

/**
 * Appends leaves to a tree known only by its size and right edge (`frontier`: the hashes of
 * `rootNodes(size)`, left to right). Returns the new right edge and every subtree of level ≥ 1
 * the new leaves complete — exactly what the store writes per append, so no earlier node is read.
 */
export function extendFrontier(
  hasher: MerkleHasher,
  size: number,
  frontier: readonly Uint8Array[],
  leafHashes: readonly Uint8Array[],
): { frontier: Uint8Array[]; nodes: StoredNode[] } {
  const levels = rootNodes(size).map((node) => node.level);
  if (levels.length !== frontier.length) throw new RangeError(`a tree of ${size} leaves has ${levels.length} edge nodes, not ${frontier.length}`);
  const stack = frontier.map((hash, i) => ({ level: levels[i]!, hash }));
  const nodes: StoredNode[] = [];
  leafHashes.forEach((leafHash, offset) => {
    const leaf = size + offset;
    let top = { level: 0, hash: leafHash };
    while (stack.length > 0 && stack[stack.length - 1]!.level === top.level) {
      const left = stack.pop()!;
      const level = top.level + 1;
      top = { level, hash: hashChildren(hasher, left.hash, top.hash) };
      nodes.push({ level, index: (leaf + 1) / 2 ** level - 1, hash: top.hash });
    }
    stack.push(top);
  });
  return { frontier: stack.map((entry) => entry.hash), nodes };
}

/** Splits a stored right edge (concatenated hashes) into hashes of `hashLength` bytes. */
export function splitFrontier(bytes: Uint8Array | null, hashLength: number): Uint8Array[] {
  const hashes: Uint8Array[] = [];
  if (!bytes) return hashes;
  for (let at = 0; at < bytes.length; at += hashLength) hashes.push(bytes.subarray(at, at + hashLength));
  return hashes;
}
