/**
 * Batch signatures on real nodes over loopback HTTP: concurrent caseworker requests to one partner
 * go under one signature each way, every answer stays evidence on its own, a retried message gets
 * its stored (batched) answer, and every way of tampering with a batch is refused and recorded
 * without an effect.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { newId } from '../../src/core/ids.ts';
import { canonicalJson, signJws, type JwsSigner } from '../../src/crypto/index.ts';
import type { Bridge, StaffSession } from '../../src/demo/federation-setup.ts';
import { isBatchedJws, signWholeBatch, type BatchedJws } from '../../src/exchange/domain/batch.ts';
import { verifyEvidenceFromMember, verifyWholeBatchFromMember } from '../../src/exchange/gateway.ts';
import { answeredFromOutbox, bridgeMessage, bridgeRequest, startTestFederation, type TestFederation } from '../support/federation.ts';
import type { TestNode } from '../support/nodes.ts';

interface Result {
  status: number;
  body: Record<string, unknown>;
}

describe('batch signatures between two nodes', () => {
  let federation: TestFederation;
  let provider: TestNode;
  let requester: TestNode;
  let bridge: Bridge;
  let caseworker: StaffSession;
  let signer: JwsSigner;
  /** The requester's node code. */
  let from: string;

  before(async () => {
    federation = await startTestFederation({ people: 80 });
    ({ provider, requester, bridge } = federation);
    caseworker = bridge.requester.caseworker;
    signer = await requester.running.node.keyring.signer();
    from = requester.running.node.info.code;
  });
  after(async () => {
    await federation?.close();
  });

  const query = (index: number) => ({
    to: '520400',
    agreement: bridge.agreement,
    item: '就医结算备案',
    purpose: 'medical-filing',
    dataset: '520400/social-insurance-enrolment',
    key: { idNumber: bridge.people[index]!.idNumber },
    op: 'query',
    fields: ['insuredStatus'],
  });

  const ask = async (body: Record<string, unknown>): Promise<Result> => {
    const response = await fetch(`${requester.url}/api/v1/exchange/requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${caseworker.token}` },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  /** A message from the requester to the provider, as the requester's gateway would build it. */
  const message = (index: number, overrides: Record<string, unknown> = {}) => ({ ...bridgeMessage(bridge, from, index), ...overrides });

  const signed = (messages: readonly Record<string, unknown>[], header: Partial<{ from: string; to: string; ts: string }> = {}) =>
    signWholeBatch(
      messages.map((item) => canonicalJson(item)),
      signer,
      { id: newId(), from, to: '520400', ts: new Date().toISOString(), ...header },
    );

  const post = async (path: string, body: unknown): Promise<Result> => {
    const response = await fetch(`${provider.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const postBatch = (body: unknown) => post('/api/v1/exchange/batches', body);
  const results = (result: Result) => result.body.results as Result[];

  const answeredCount = async () => (await provider.running.node.events.list({ type: 'exchange.answered', limit: 100_000 })).length;

  test('requests queued for one partner share batch signatures, and every answer verifies on its own', async () => {
    const before = await answeredCount();
    // Issued in one turn of the event loop, as a busy node would have them: two go at once, the rest queue and go batched.
    const outcomes = await Promise.all(Array.from({ length: 40 }, (_, index) => requester.running.node.exchange.request(bridgeRequest(bridge, index))));
    outcomes.forEach((outcome, index) => {
      assert.equal(outcome.answer.status, 'ok');
      assert.equal(outcome.answer.inReplyTo, outcome.id);
      assert.equal((outcome.answer.body as { records: unknown[] }).records.length, 1, `request ${index}`);
    });
    const batched = outcomes.map((outcome) => outcome.evidence).filter(isBatchedJws);
    assert.ok(batched.length >= 30, `most queued answers come batched (${batched.length} of 40)`);
    const batches = new Set(batched.map((evidence) => evidence.batch.signature));
    assert.ok(batches.size < batched.length / 4, 'many answers share one batch signature');
    for (const evidence of batched) {
      const verified = verifyEvidenceFromMember(requester.running.node.directory, evidence, '520400', () => new Date());
      assert.equal((verified.payload as { type: string }).type, 'tongban.answer');
    }
    assert.equal((await answeredCount()) - before, 40, 'one effect per request');
    const requested = await requester.running.node.events.list({ type: 'exchange.requested', limit: 100_000 });
    assert.ok(requested.length >= 40);
    // Through the caseworker's API the batched evidence is returned as it came.
    const { status, body } = await ask(query(60));
    assert.equal(status, 200, JSON.stringify(body));
    assert.ok(typeof body.evidence === 'object' && body.evidence !== null);
  });

  test('queued requests due together are delivered by the outbox in shared batches, each with its own evidence', async () => {
    const node = requester.running.node;
    const before = await answeredCount();
    const queued = await Promise.all(Array.from({ length: 8 }, (_, index) => node.exchange.enqueue(bridgeRequest(bridge, 70 + index))));
    // Delivered here, or by the node's own outbox loop if it claimed them first.
    const delivered = await answeredFromOutbox(node, queued.map((request) => request.id));
    const evidence = delivered.map((request) => {
      assert.equal(request.status, 'answered', JSON.stringify(request));
      return (request.answer as { evidence: unknown }).evidence;
    });
    const batched = evidence.filter(isBatchedJws);
    assert.ok(batched.length >= 4, `most due requests go batched (${batched.length} of 8)`);
    for (const member of batched) assert.equal((verifyEvidenceFromMember(node.directory, member, '520400', () => new Date()).payload as { type: string }).type, 'tongban.answer');
    assert.equal((await answeredCount()) - before, 8, 'one effect per request');
  });

  test('a batch of messages is answered in order under one signature; a retried message gets its stored answer', async () => {
    const messages = [message(41), message(42), message(43)];
    const answered = await postBatch(signed(messages));
    assert.equal(answered.status, 200, JSON.stringify(answered.body));
    const [first, second, third] = results(answered);
    for (const result of [first, second, third]) assert.equal(result!.status, 200, JSON.stringify(result));
    const evidence = [first, second, third].map((result) => (result!.body as { answer: BatchedJws }).answer);
    assert.ok(evidence.every(isBatchedJws));
    assert.equal(new Set(evidence.map((member) => member.batch.signature)).size, 1);
    evidence.forEach((member, index) => {
      const answer = verifyEvidenceFromMember(requester.running.node.directory, member, '520400', () => new Date()).payload as { inReplyTo: string };
      assert.equal(answer.inReplyTo, messages[index]!.id, 'results come in the order of the messages');
    });
    // The requester holding the whole answer batch checks it at once, with the same result; anything
    // but that whole batch, untouched, is left to the member-by-member check.
    const directory = requester.running.node.directory;
    const together = verifyWholeBatchFromMember(directory, evidence, '520400');
    assert.deepEqual(
      together?.map((verified) => verified.payload),
      evidence.map((member) => verifyEvidenceFromMember(directory, member, '520400', () => new Date()).payload),
    );
    assert.equal(verifyWholeBatchFromMember(directory, evidence.slice(1), '520400'), undefined, 'a member short');
    assert.equal(verifyWholeBatchFromMember(directory, [evidence[0]!, { ...evidence[1]!, proof: evidence[2]!.proof }, evidence[2]!], '520400'), undefined, 'a proof swapped');
    assert.equal(verifyWholeBatchFromMember(directory, evidence, '330000'), undefined, 'another sender');
    // The same message alone, re-signed later (as an outbox retry would): the stored batched answer.
    const retried = await post('/api/v1/exchange/messages', signJws({ ...messages[1]!, ts: new Date(Date.now() + 1000).toISOString() }, signer));
    assert.equal(retried.status, 200);
    assert.deepEqual(retried.body, second!.body);
    // And the same batch again: every stored answer, no second effect.
    const before = await answeredCount();
    const again = await postBatch(signed(messages));
    assert.deepEqual(results(again), results(answered));
    assert.equal(await answeredCount(), before);
  });

  test('a batch that fails as a whole is refused, recorded, and changes nothing', async () => {
    const before = await answeredCount();
    const refusedBefore = (await provider.running.node.events.list({ type: 'exchange.refused', limit: 100_000 })).length;
    const good = signed([message(44), message(45)]);

    const swapped = { ...good, payloads: [...good.payloads].reverse() };
    assert.equal((await postBatch(swapped)).body.code, 'signature_invalid', 'the messages are not the ones signed');
    const other = signed([message(46), message(47)]);
    assert.equal((await postBatch({ ...good, payloads: other.payloads })).body.code, 'signature_invalid');
    assert.equal((await postBatch({ ...good, payloads: good.payloads.slice(0, 1) })).body.code, 'signature_invalid', 'fewer messages than signed');
    const forged = { ...good, batch: { ...good.batch, signature: `${good.batch.signature.slice(0, -4)}AAAA` } };
    assert.equal((await postBatch(forged)).body.code, 'signature_invalid');
    assert.equal((await postBatch(signed([message(48)], { to: '310000' }))).body.code, 'not_for_this_node');
    assert.equal((await postBatch(signed([message(48)], { ts: new Date(Date.now() + 3_600_000).toISOString() }))).body.code, 'clock_skew');
    assert.equal((await postBatch(signed([message(48)], { from: '999999' }))).body.code, 'sender_unknown');
    assert.equal((await postBatch({ batch: good.batch })).body.code, 'envelope_invalid');
    assert.equal((await postBatch({ ...good, extra: 1 })).body.code, 'envelope_invalid');
    assert.equal((await postBatch({ ...good, payloads: [] })).body.code, 'envelope_invalid');
    assert.equal((await postBatch({ ...good, payloads: Array.from({ length: 65 }, () => good.payloads[0]) })).body.code, 'envelope_invalid');
    assert.equal((await postBatch({ batch: signJws({ type: 'tongban.batch', id: 'x' }, signer), payloads: good.payloads })).body.code, 'envelope_invalid');
    assert.equal((await postBatch([good])).body.code, 'envelope_invalid');

    const oversized = await fetch(`${provider.url}/api/v1/exchange/batches`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ batch: good.batch, payloads: ['x'.repeat(7 * 1024 * 1024)] }),
    });
    assert.equal(oversized.status, 413);

    assert.equal(await answeredCount(), before, 'no refused batch had an effect');
    const refused = await provider.running.node.events.list({ type: 'exchange.refused', limit: 100_000 });
    assert.ok(refused.length - refusedBefore >= 12, 'every refusal is recorded');
  });

  test('within a trusted batch each message is checked on its own', async () => {
    const used = message(50);
    assert.equal((await post('/api/v1/exchange/messages', signJws(used, signer))).status, 200);
    const before = await answeredCount();
    const fine = message(51);
    const batch = signed([
      fine,
      { ...used, purpose: 'other' }, // a used id with different content
      message(52, { from: '520400' }), // claims another sender than the batch's signer
      message(53, { ts: new Date(Date.now() + 3_600_000).toISOString() }), // outside the time window
      message(54, { to: '310000' }), // addressed elsewhere
      { ...message(55), op: 'delete' }, // not a message
      message(56, { body: { dataset: '520400/social-insurance-enrolment', key: { idNumber: bridge.people[56]!.idNumber }, fields: ['birthDate'] } }),
    ]);
    const answered = await postBatch(batch);
    assert.equal(answered.status, 200, JSON.stringify(answered.body));
    const codes = results(answered).map((result) => (result.status === 200 ? 'ok' : (result.body as { code: string }).code));
    assert.deepEqual(codes, ['ok', 'replayed', 'signature_invalid', 'clock_skew', 'not_for_this_node', 'envelope_invalid', 'field_not_granted']);
    // The denial is signed too: a member of the same batch signature.
    const denial = results(answered)[6]!.body as { details: { answer: unknown; clause: string } };
    assert.ok(isBatchedJws(denial.details.answer));
    assert.match(denial.details.clause, /^\/datasets\//);
    assert.equal((await answeredCount()) - before, 1);
  });

  test('property: a message gets the same decision in a batch as alone', async () => {
    // Variants of a message, each decided by a different check; fresh ids, so nothing is a retry.
    const variants: Record<string, (index: number) => Record<string, unknown>> = {
      allowed: (index) => message(index),
      verify: (index) => message(index, { op: 'verify', body: { dataset: '520400/social-insurance-enrolment', key: { idNumber: bridge.people[index]!.idNumber } } }),
      fieldNotGranted: (index) => message(index, { body: { dataset: '520400/social-insurance-enrolment', key: { idNumber: bridge.people[index]!.idNumber }, fields: ['birthDate'] } }),
      purpose: (index) => message(index, { purpose: 'curiosity' }),
      item: (index) => message(index, { item: '户口迁移' }),
      agreement: (index) => message(index, { agreement: 'agr-nothing-like-this@1' }),
      approval: (index) => message(index, { op: 'verify', body: { dataset: '520400/household-registration', key: { idNumber: bridge.people[index]!.idNumber } } }),
      skewed: (index) => message(index, { ts: new Date(Date.now() + 3_600_000).toISOString() }),
      elsewhere: (index) => message(index, { to: '310000' }),
    };
    const outcome = (result: Result) => {
      const body = result.body as { code?: string; details?: { clause?: string }; answer?: unknown };
      return { status: result.status, code: body.code ?? null, clause: body.details?.clause ?? null };
    };
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...Object.keys(variants)), { minLength: 2, maxLength: 8 }), fc.nat(60), async (kinds, offset) => {
        const made = kinds.map((kind, index) => variants[kind]!((offset + index) % 80));
        const batched = results(await postBatch(signed(made))).map(outcome);
        const alone: ReturnType<typeof outcome>[] = [];
        for (const item of made) alone.push(outcome(await post('/api/v1/exchange/messages', signJws({ ...item, id: newId() }, signer))));
        assert.deepEqual(batched, alone, kinds.join(', '));
      }),
      { numRuns: 12 },
    );
  });
});

describe('batch signatures turned off', () => {
  let federation: TestFederation;

  before(async () => {
    federation = await startTestFederation({ overrides: { 'exchange.batchMaxMessages': 1 }, people: 20 });
  });
  after(async () => {
    await federation?.close();
  });

  test('with exchange.batchMaxMessages 1 every message goes alone under its own signature', async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, async (_, index) => {
        const { requester, bridge } = federation;
        const response = await fetch(`${requester.url}/api/v1/exchange/requests`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${bridge.requester.caseworker.token}` },
          body: JSON.stringify({
            to: '520400',
            agreement: bridge.agreement,
            item: '就医结算备案',
            purpose: 'medical-filing',
            dataset: '520400/social-insurance-enrolment',
            key: { idNumber: bridge.people[index]!.idNumber },
            op: 'verify',
            predicate: { field: 'isInsured', equals: 'true' },
          }),
        });
        return { status: response.status, body: (await response.json()) as { evidence: unknown } };
      }),
    );
    for (const outcome of outcomes) {
      assert.equal(outcome.status, 200, JSON.stringify(outcome.body));
      assert.equal(isBatchedJws(outcome.body.evidence), false);
      assert.deepEqual(Object.keys(outcome.body.evidence as object).sort(), ['payload', 'protected', 'signature']);
    }
  });
});
