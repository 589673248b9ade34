import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import {
  MemoryTree,
  consistencyRanges,
  hashChildren,
  hashLeaf,
  inclusionRanges,
  splitPoint,
  verifyConsistency,
  verifyInclusion,
  type MerkleHasher,
} from '../../src/audit/domain/merkle.ts';

const sha256: MerkleHasher = { hash: (data) => createHash('sha256').update(data).digest() };
const sm3: MerkleHasher = { hash: (data) => createHash('sm3').update(data).digest() };

/** RFC 9162 §2.1.1 MTH, written as the recursion reads. */
function naiveRoot(h: MerkleHasher, leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return h.hash(new Uint8Array(0));
  if (leaves.length === 1) return hashLeaf(h, leaves[0]!);
  const k = splitPoint(leaves.length);
  return hashChildren(h, naiveRoot(h, leaves.slice(0, k)), naiveRoot(h, leaves.slice(k)));
}

/** RFC 9162 §2.1.3.1 PATH(m, D[n]). */
function naivePath(h: MerkleHasher, m: number, leaves: readonly Uint8Array[]): Uint8Array[] {
  if (leaves.length === 1) return [];
  const k = splitPoint(leaves.length);
  return m < k
    ? [...naivePath(h, m, leaves.slice(0, k)), naiveRoot(h, leaves.slice(k))]
    : [...naivePath(h, m - k, leaves.slice(k)), naiveRoot(h, leaves.slice(0, k))];
}

/** RFC 9162 §2.1.4.1 SUBPROOF(m, D[n], b). */
function naiveSubproof(h: MerkleHasher, m: number, leaves: readonly Uint8Array[], b: boolean): Uint8Array[] {
  const n = leaves.length;
  if (m === n) return b ? [] : [naiveRoot(h, leaves)];
  const k = splitPoint(n);
  return m <= k
    ? [...naiveSubproof(h, m, leaves.slice(0, k), b), naiveRoot(h, leaves.slice(k))]
    : [...naiveSubproof(h, m - k, leaves.slice(k), false), naiveRoot(h, leaves.slice(0, k))];
}

function leavesOf(n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => Buffer.from(`leaf ${i}`));
}

function treeOf(h: MerkleHasher, leaves: readonly Uint8Array[]): MemoryTree {
  const tree = new MemoryTree(h);
  for (const leaf of leaves) tree.append(hashLeaf(h, leaf));
  return tree;
}

function flipBit(bytes: Buffer, at: number): void {
  const i = at % bytes.length;
  bytes[i] = bytes[i]! ^ 1;
}

const hex = (values: readonly Uint8Array[]) => values.map((v) => Buffer.from(v).toString('hex'));

describe('merkle tree (RFC 9162)', () => {
  test('split point is the largest power of two strictly below n', () => {
    assert.deepEqual([2, 3, 4, 5, 8, 9, 17].map(splitPoint), [1, 2, 2, 4, 4, 8, 16]);
  });

  test('roots, inclusion and consistency proofs match the naive RFC recursion for every size up to 40', () => {
    for (const h of [sha256, sm3]) {
      const all = leavesOf(40);
      const tree = treeOf(h, all);
      for (let n = 0; n <= 40; n += 1) {
        const leaves = all.slice(0, n);
        assert.deepEqual(hex([tree.root(n)]), hex([naiveRoot(h, leaves)]), `root ${n}`);
        for (let m = 0; m < n; m += 1) {
          assert.deepEqual(hex(tree.inclusionProof(m, n)), hex(naivePath(h, m, leaves)), `path ${m}/${n}`);
        }
        for (let m = 1; m <= n; m += 1) {
          assert.deepEqual(hex(tree.consistencyProof(m, n)), hex(naiveSubproof(h, m, leaves, true)), `proof ${m}->${n}`);
        }
      }
    }
  });

  test('the empty tree has the hash of the empty string as root; a one-leaf tree has its leaf hash', () => {
    const tree = new MemoryTree(sha256);
    assert.equal(Buffer.from(tree.root()).toString('hex'), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    tree.append(hashLeaf(sha256, Buffer.from('x')));
    assert.deepEqual(tree.root(), hashLeaf(sha256, Buffer.from('x')));
  });

  test('every inclusion proof verifies, and a tampered one does not', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 70 }), fc.nat(), fc.nat(), fc.nat(255), (n, rawIndex, rawPick, flip) => {
        const tree = treeOf(sha256, leavesOf(n));
        const index = rawIndex % n;
        const leaf = hashLeaf(sha256, Buffer.from(`leaf ${index}`));
        const proof = tree.inclusionProof(index, n);
        const root = tree.root(n);
        assert.ok(verifyInclusion(sha256, index, n, leaf, proof, root));
        // wrong leaf, wrong index, truncated or extended proof, flipped byte
        assert.ok(!verifyInclusion(sha256, index, n, hashLeaf(sha256, Buffer.from('other')), proof, root));
        if (n > 1) assert.ok(!verifyInclusion(sha256, (index + 1) % n, n, leaf, proof, root));
        assert.ok(!verifyInclusion(sha256, index, n, leaf, [...proof, root], root));
        if (proof.length > 0) {
          assert.ok(!verifyInclusion(sha256, index, n, leaf, proof.slice(1), root));
          const pick = rawPick % proof.length;
          const bad = proof.map((p) => Buffer.from(p));
          flipBit(bad[pick]!, flip);
          assert.ok(!verifyInclusion(sha256, index, n, leaf, bad, root));
        }
        assert.ok(!verifyInclusion(sha256, n, n, leaf, proof, root));
      }),
      { numRuns: 300 },
    );
  });

  test('consistency between every pair m <= n verifies, and tampering fails', () => {
    for (const h of [sha256, sm3]) {
      const tree = treeOf(h, leavesOf(33));
      for (let n = 0; n <= 33; n += 1) {
        for (let m = 0; m <= n; m += 1) {
          const proof = tree.consistencyProof(m, n);
          assert.ok(verifyConsistency(h, m, n, tree.root(m), tree.root(n), proof), `${m}->${n}`);
          if (m > 0 && m < n) {
            assert.ok(!verifyConsistency(h, m, n, tree.root(m), tree.root(m), proof), `wrong new root ${m}->${n}`);
            if (proof.length > 0) {
              const bad = proof.map((p) => Buffer.from(p));
              flipBit(bad[0]!, 0);
              assert.ok(!verifyConsistency(h, m, n, tree.root(m), tree.root(n), bad), `tampered ${m}->${n}`);
            }
          }
        }
      }
    }
  });

  test('a forked history is not consistent', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), fc.nat(), (m, extra, rawAt) => {
        const n = m + extra;
        const honest = treeOf(sha256, leavesOf(n));
        const forked = leavesOf(n);
        const at = rawAt % m;
        forked[at] = Buffer.from('rewritten');
        const fork = treeOf(sha256, forked);
        assert.ok(!verifyConsistency(sha256, m, n, honest.root(m), fork.root(n), fork.consistencyProof(m, n)));
      }),
      { numRuns: 200 },
    );
  });

  test('ranges refuse sizes that do not exist', () => {
    assert.throws(() => inclusionRanges(3, 3), RangeError);
    assert.throws(() => consistencyRanges(4, 3), RangeError);
    assert.throws(() => new MemoryTree(sha256).root(1), RangeError);
  });
});
