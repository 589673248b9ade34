/** Batch signatures: one JWS over a Merkle root, each member verifiable on its own with its inclusion proof. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TongbanError } from '../../src/core/errors.ts';
import { canonicalJson, cryptoSuite, formatKid, verifyJws, type JwsSigner, type SuiteName } from '../../src/crypto/index.ts';
import {
  batchDocumentType,
  batchRoot,
  isBatchedJws,
  maxBatchMembers,
  memberOfBatch,
  parseBatchDocument,
  signBatch,
  signWholeBatch,
  wholeBatch,
  type BatchDocument,
  type BatchedJws,
} from '../../src/exchange/domain/batch.ts';

const header = { id: 'batch-0001', from: '520400', to: '330000', ts: '2026-11-29T08:00:00.000Z' };

function signerFor(suiteName: SuiteName): JwsSigner & { publicKey: Uint8Array } {
  const suite = cryptoSuite(suiteName);
  const pair = suite.generateSigningKey();
  return { kid: formatKid('520400', 's-1'), suite, privateKey: pair.privateKey, publicKey: pair.publicKey };
}

/** Distinct canonical answers, so no two members share a leaf. */
function answers(count: number): string[] {
  return Array.from({ length: count }, (_, i) => canonicalJson({ id: `answer-${i}`, inReplyTo: `request-${i}`, body: { result: i % 2 === 0 } }));
}

/** The batch document a member carries, parsed without verifying (the tests verify separately). */
function documentOf(member: BatchedJws): BatchDocument {
  return parseBatchDocument(JSON.parse(Buffer.from(member.batch.payload, 'base64url').toString('utf8')));
}

function withPayloadByteChanged(member: BatchedJws, at: number): BatchedJws {
  const bytes = Buffer.from(member.payload, 'base64url');
  const i = at % bytes.length;
  bytes[i] = bytes[i]! ^ 1;
  return { ...member, payload: bytes.toString('base64url') };
}

function envelopeInvalid(work: () => unknown): void {
  assert.throws(work, (error: unknown) => {
    assert.ok(error instanceof TongbanError, String(error));
    assert.equal(error.name, 'InputError');
    assert.equal(error.code, 'envelope_invalid');
    return true;
  });
}

const goodDocument = (): Record<string, unknown> => ({ type: batchDocumentType, ...header, size: 3, root: 'A'.repeat(43) });

for (const suiteName of ['intl', 'sm'] as const) {
  describe(`batch signatures (${suiteName})`, () => {
    const signer = signerFor(suiteName);
    const suite = signer.suite;

    for (const count of [1, 2, 3, 7, 64]) {
      test(`a batch of ${count} signs once and every member is in it`, () => {
        const texts = answers(count);
        const members = signBatch(texts, signer, header);
        assert.equal(members.length, count);
        const verified = verifyJws(members[0]!.batch, () => signer);
        assert.equal(verified.kid, signer.kid);
        assert.equal(verified.header.alg, suite.jwsAlgorithm);
        const document = parseBatchDocument(verified.payload);
        assert.deepEqual({ ...document, root: undefined }, { type: batchDocumentType, ...header, size: count, root: undefined });
        assert.equal(batchRoot(suite, texts.map((text) => Buffer.from(text, 'utf8'))), document.root);
        assert.equal(batchRoot(suite, members.map((member) => Buffer.from(member.payload, 'base64url'))), document.root);
        members.forEach((member, index) => {
          assert.ok(isBatchedJws(member));
          assert.equal(member.index, index);
          assert.deepEqual(member.batch, members[0]!.batch, 'one signature covers the batch');
          assert.equal(Buffer.from(member.payload, 'base64url').toString('utf8'), texts[index]);
          assert.ok(memberOfBatch(suite, member, document), `member ${index}`);
        });
      });
    }

    test('tampering with a member fails membership', () => {
      const members = signBatch(answers(7), signer, header);
      const document = documentOf(members[0]!);
      for (const member of members) {
        const { index } = member;
        for (let at = 0; at < Buffer.from(member.payload, 'base64url').length; at += 5) {
          assert.equal(memberOfBatch(suite, withPayloadByteChanged(member, at), document), false, `payload byte ${at} of ${index}`);
        }
        for (const other of members) {
          if (other.index === index) continue;
          assert.equal(memberOfBatch(suite, { ...member, index: other.index }, document), false, `${index} claimed as ${other.index}`);
          assert.equal(memberOfBatch(suite, { ...member, proof: other.proof }, document), false, `${index} with ${other.index}'s proof`);
          assert.equal(memberOfBatch(suite, { ...member, payload: other.payload }, document), false, `${other.index}'s payload as ${index}`);
        }
        assert.equal(memberOfBatch(suite, { ...member, proof: member.proof.slice(0, -1) }, document), false, `truncated proof of ${index}`);
        assert.equal(memberOfBatch(suite, { ...member, proof: [...member.proof, member.proof[0]!] }, document), false, `extended proof of ${index}`);
        assert.equal(memberOfBatch(suite, { ...member, proof: [member.payload, ...member.proof] }, document), false, `prefixed proof of ${index}`);
        assert.equal(memberOfBatch(suite, { ...member, index: -1 }, document), false);
        assert.equal(memberOfBatch(suite, { ...member, index: 7 }, document), false);
        assert.equal(memberOfBatch(suite, { ...member, index: 0.5 }, document), false);
      }
      // The last member, whose path depends most on the size, under a forged size either way.
      const last = members[6]!;
      assert.equal(memberOfBatch(suite, last, { ...document, size: 6 }), false);
      assert.equal(memberOfBatch(suite, last, { ...document, size: 8 }), false);
      assert.equal(memberOfBatch(suite, last, { ...document, size: 64 }), false);
      // A member in a complete left subtree has the same path in any tree whose top split is the
      // same (sizes 5 to 8 for leaf 3): the proof does not bind the size, the batch signature does.
      assert.equal(memberOfBatch(suite, members[3]!, { ...document, size: 5 }), true);
      const forged = Buffer.from(canonicalJson({ ...document, size: 5 }), 'utf8').toString('base64url');
      assert.throws(() => verifyJws({ ...members[3]!.batch, payload: forged }, () => signer), (error: unknown) => error instanceof TongbanError && error.code === 'signature_invalid');
      const other = documentOf(signBatch(answers(7).reverse(), signer, header)[0]!);
      assert.equal(memberOfBatch(suite, members[0]!, other), false, 'another batch root');
    });

    test('a single member has an empty proof and refuses any proof at all', () => {
      const [only] = signBatch(answers(1), signer, header);
      assert.deepEqual(only!.proof, []);
      const document = documentOf(only!);
      assert.equal(memberOfBatch(suite, { ...only!, proof: [document.root] }, document), false);
      assert.equal(memberOfBatch(suite, only!, { ...document, size: 2 }), false);
    });

    test('signBatch refuses an empty batch and one over the limit', () => {
      assert.throws(() => signBatch([], signer, header), RangeError);
      assert.throws(() => signBatch(answers(maxBatchMembers + 1), signer, header), RangeError);
      assert.equal(signBatch(answers(maxBatchMembers), signer, header).length, maxBatchMembers);
    });

    test('a whole batch is sent without proofs: the payloads and a signed root over them', () => {
      const texts = answers(5);
      const whole = signWholeBatch(texts, signer, header);
      assert.deepEqual(Object.keys(whole), ['batch', 'payloads']);
      assert.deepEqual(whole.payloads.map((payload) => Buffer.from(payload, 'base64url').toString('utf8')), texts);
      const document = parseBatchDocument(verifyJws(whole.batch, () => signer).payload);
      assert.equal(document.size, 5);
      assert.equal(batchRoot(suite, whole.payloads.map((payload) => Buffer.from(payload, 'base64url'))), document.root);
      assert.throws(() => signWholeBatch([], signer, header), RangeError);
    });

    test('the whole batch checks at once, and says no to anything memberOfBatch would refuse', () => {
      for (const count of [1, 2, 3, 7, 13]) {
        const members = signBatch(answers(count), signer, header);
        const document = documentOf(members[0]!);
        assert.ok(wholeBatch(suite, members, document), `a batch of ${count}`);
        assert.equal(wholeBatch(suite, members.slice(0, -1), document), false, 'one member short');
        assert.equal(wholeBatch(suite, [...members, members[0]!], document), false, 'one member too many');
        assert.equal(wholeBatch(suite, members, { ...document, size: count + 1 }), false, 'another size');
        assert.equal(wholeBatch(suite, members, { ...document, root: documentOf(signBatch(answers(count + 1), signer, header)[0]!).root }), false, 'another root');
        members.forEach((member, index) => {
          const swapped = (replacement: BatchedJws) => members.map((other) => (other === member ? replacement : other));
          assert.equal(wholeBatch(suite, swapped(withPayloadByteChanged(member, index)), document), false, `payload of ${index} changed`);
          if (member.proof.length > 0) {
            assert.equal(wholeBatch(suite, swapped({ ...member, proof: member.proof.slice(0, -1) }), document), false, `proof of ${index} truncated`);
            assert.equal(wholeBatch(suite, swapped({ ...member, proof: [...member.proof].reverse() }), document), member.proof.length === 1, `proof of ${index} reordered`);
          }
          assert.equal(wholeBatch(suite, swapped({ ...member, proof: [...member.proof, document.root] }), document), false, `proof of ${index} extended`);
        });
        if (count > 1) {
          assert.equal(wholeBatch(suite, [...members].reverse(), document), false, 'out of order');
          assert.equal(wholeBatch(suite, members.map((member, index) => (index === 0 ? { ...member, proof: members[1]!.proof } : member)), document), false, 'a proof of another member');
        }
      }
    });

    test('property: every member verifies, and none at another index', () => {
      const texts = fc.uniqueArray(fc.jsonValue().map((value) => canonicalJson(value)), { minLength: 1, maxLength: maxBatchMembers });
      fc.assert(
        fc.property(texts, (canonicalTexts) => {
          const members = signBatch(canonicalTexts, signer, header);
          const document = parseBatchDocument(verifyJws(members[0]!.batch, () => signer).payload);
          assert.equal(document.size, canonicalTexts.length);
          for (const member of members) {
            assert.ok(memberOfBatch(suite, member, document));
            for (let index = 0; index < members.length; index += 1) {
              if (index !== member.index) assert.equal(memberOfBatch(suite, { ...member, index }, document), false);
            }
          }
        }),
        { numRuns: suiteName === 'sm' ? 40 : 100 },
      );
    });
  });
}

describe('isBatchedJws', () => {
  const [member] = signBatch(answers(3), signerFor('intl'), header);
  const good = member!;
  const plain = good.batch;

  test('accepts a member, also after a JSON round trip', () => {
    assert.ok(isBatchedJws(good));
    assert.ok(isBatchedJws(JSON.parse(JSON.stringify(good))));
  });

  test('refuses a plain JWS and what is not an object', () => {
    assert.equal(isBatchedJws(plain), false);
    for (const value of [null, undefined, 'text', 3, [], [good]]) assert.equal(isBatchedJws(value), false, String(value));
  });

  test('refuses extra and missing members', () => {
    assert.equal(isBatchedJws({ ...good, extra: 1 }), false);
    assert.equal(isBatchedJws({ ...good, batch: { ...good.batch, header: {} } }), false);
    for (const key of ['payload', 'batch', 'index', 'proof'] as const) {
      const { [key]: _dropped, ...rest } = good;
      assert.equal(isBatchedJws(rest), false, `without ${key}`);
      assert.equal(isBatchedJws({ ...rest, other: _dropped }), false, `${key} renamed`);
    }
    for (const key of ['payload', 'protected', 'signature'] as const) {
      const { [key]: _dropped, ...rest } = good.batch;
      assert.equal(isBatchedJws({ ...good, batch: rest }), false, `batch without ${key}`);
      assert.equal(isBatchedJws({ ...good, batch: { ...rest, [key]: 7 } }), false, `batch ${key} not a string`);
    }
    assert.equal(isBatchedJws({ ...good, batch: null }), false);
    assert.equal(isBatchedJws({ ...good, batch: 'jws' }), false);
    assert.equal(isBatchedJws({ ...good, payload: 7 }), false);
  });

  test('refuses a second spelling of the same bytes (the leaf covers bytes, evidence is compared as text)', () => {
    assert.equal(isBatchedJws({ ...good, payload: `${good.payload}=` }), false);
    assert.equal(isBatchedJws({ ...good, payload: `${good.payload}!!` }), false);
    const last = good.payload.at(-1)!;
    const sibling = Buffer.from(good.payload, 'base64url');
    const respelled = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_']
      .map((char) => `${good.payload.slice(0, -1)}${char}`)
      .find((text) => text.at(-1) !== last && Buffer.from(text, 'base64url').equals(sibling));
    if (respelled) assert.equal(isBatchedJws({ ...good, payload: respelled }), false);
    const proofHash = good.proof[0];
    if (proofHash) {
      const other = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_']
        .map((char) => `${proofHash.slice(0, -1)}${char}`)
        .find((text) => text !== proofHash && Buffer.from(text, 'base64url').equals(Buffer.from(proofHash, 'base64url')));
      if (other) assert.equal(isBatchedJws({ ...good, proof: [other, ...good.proof.slice(1)] }), false);
    }
  });

  test('refuses an index that is not an integer', () => {
    for (const index of [-1, 0.5, '0', null, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      assert.equal(isBatchedJws({ ...good, index }), false, String(index));
    }
  });

  test('refuses a proof that is too long or not base64url hashes', () => {
    const hash = good.proof[0]!;
    // 64 members need at most 6 proof hashes.
    assert.ok(isBatchedJws({ ...good, proof: Array.from({ length: 6 }, () => hash) }));
    assert.equal(isBatchedJws({ ...good, proof: Array.from({ length: 7 }, () => hash) }), false);
    assert.equal(isBatchedJws({ ...good, proof: [hash.slice(0, 42)] }), false);
    assert.equal(isBatchedJws({ ...good, proof: [`${hash}=`] }), false);
    assert.equal(isBatchedJws({ ...good, proof: ['a+b/'] }), false);
    assert.equal(isBatchedJws({ ...good, proof: [7] }), false);
    assert.equal(isBatchedJws({ ...good, proof: hash }), false);
  });
});

describe('parseBatchDocument', () => {
  test('accepts a well-formed document', () => {
    assert.deepEqual(parseBatchDocument(goodDocument()), goodDocument());
    assert.equal(parseBatchDocument({ ...goodDocument(), size: maxBatchMembers }).size, maxBatchMembers);
    assert.equal(parseBatchDocument({ ...goodDocument(), size: 1, id: 'x'.repeat(100) }).size, 1);
  });

  test('refuses each malformed field as envelope_invalid', () => {
    for (const value of [null, 'text', 7, [goodDocument()]]) envelopeInvalid(() => parseBatchDocument(value));
    const { root: _root, ...withoutRoot } = goodDocument();
    const cases: Record<string, unknown>[] = [
      { ...goodDocument(), extra: true },
      { ...goodDocument(), type: 'tongban.message' },
      withoutRoot,
      { ...goodDocument(), size: undefined },
    ];
    for (const key of ['type', 'id', 'from', 'to', 'ts'] as const) {
      const { [key]: _dropped, ...rest } = goodDocument();
      cases.push(rest);
    }
    for (const key of ['id', 'from', 'to', 'ts'] as const) {
      cases.push({ ...goodDocument(), [key]: '' }, { ...goodDocument(), [key]: 'x'.repeat(101) }, { ...goodDocument(), [key]: 7 });
    }
    cases.push({ ...goodDocument(), ts: 'yesterday' });
    for (const size of [0, -1, maxBatchMembers + 1, 2.5, '3', null, Number.NaN]) cases.push({ ...goodDocument(), size });
    for (const root of ['A'.repeat(42), `${'A'.repeat(42)}=`, `${'A'.repeat(42)}+`, 7, '']) cases.push({ ...goodDocument(), root });
    for (const document of cases) envelopeInvalid(() => parseBatchDocument(document));
  });
});
