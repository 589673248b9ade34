/**
 * Radial batches on real nodes over loopback HTTP: radial requests queued for one partner go to
 * the hub under one batch signature, the hub checks the batch and every message in it and relays
 * it whole to the partner's batch endpoint, and the answers come back as one signed batch — while
 * the hub still reads no body. A batch the hub cannot relay whole is refused, recorded, and never
 * reaches the partner.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '../../src/core/ids.ts';
import { canonicalJson, type JwsSigner } from '../../src/crypto/index.ts';
import type { Bridge } from '../../src/demo/federation-setup.ts';
import { isBatchedJws, signWholeBatch } from '../../src/exchange/domain/batch.ts';
import { verifyEvidenceFromMember } from '../../src/exchange/gateway.ts';
import { sealBody } from '../../src/exchange/sealing.ts';
import { bridgeMessage, bridgeRequest, startTestFederation, type TestFederation } from '../support/federation.ts';
import type { TestNode } from '../support/nodes.ts';

describe('radial batches through the hub', () => {
  let federation: TestFederation;
  let hub: TestNode;
  let provider: TestNode;
  let requester: TestNode;
  let bridge: Bridge;
  let signer: JwsSigner;
  let from: string;

  before(async () => {
    federation = await startTestFederation({ people: 60 });
    ({ hub, provider, requester, bridge } = federation);
    signer = await requester.running.node.keyring.signer();
    from = requester.running.node.info.code;
  });
  after(async () => {
    await federation?.close();
  });

  const answeredCount = async () => (await provider.running.node.events.list({ type: 'exchange.answered', limit: 100_000 })).length;
  const relayed = () => hub.running.node.events.list({ type: 'exchange.relayed', limit: 100_000 });

  /** A radial message as the requester builds it: relayed by the hub, body sealed for the provider. */
  const radialMessage = (person: number, overrides: Record<string, unknown> = {}) => {
    const message = { ...bridgeMessage(bridge, from, person), via: '100000' };
    return { ...message, body: sealBody(requester.running.node.directory, '520400', message.body, message.id, 'request'), ...overrides };
  };

  const signed = (messages: readonly Record<string, unknown>[], header: Partial<{ from: string; to: string; ts: string }> = {}) =>
    signWholeBatch(
      messages.map((item) => canonicalJson(item)),
      signer,
      { id: newId(), from, to: '520400', ts: new Date().toISOString(), ...header },
    );

  const relayBatch = async (body: unknown, url = hub.url) => {
    const response = await fetch(`${url}/api/v1/exchange/relay-batches`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  test('radial requests queued for one partner are relayed in batches, answered as one signed batch, and the hub reads no body', async () => {
    const before = await answeredCount();
    // Issued in one turn of the event loop: the first goes alone, the rest queue and go batched.
    const outcomes = await Promise.all(Array.from({ length: 30 }, (_, index) => requester.running.node.exchange.request(bridgeRequest(bridge, index, { route: 'radial' }))));
    outcomes.forEach((outcome, index) => {
      assert.equal(outcome.route, 'radial');
      assert.equal(outcome.answer.status, 'ok', `request ${index}`);
      assert.equal((outcome.answer.body as { records: unknown[] }).records.length, 1, `request ${index}`);
    });
    const batched = outcomes.map((outcome) => outcome.evidence).filter(isBatchedJws);
    assert.ok(batched.length >= 20, `most queued answers come batched (${batched.length} of 30)`);
    assert.ok(new Set(batched.map((evidence) => evidence.batch.signature)).size < batched.length / 4, 'many answers share one batch signature');
    for (const evidence of batched) {
      const verified = verifyEvidenceFromMember(requester.running.node.directory, evidence, '520400', () => new Date());
      assert.equal((verified.payload as { type: string }).type, 'tongban.answer');
    }
    assert.equal((await answeredCount()) - before, 30, 'one effect per request');

    // The hub recorded every message it relayed, with the batch it came in.
    const events = await relayed();
    const ids = new Set(outcomes.map((outcome) => outcome.id));
    const mine = events.filter((event) => ids.has(event.details.id as string));
    assert.equal(new Set(mine.map((event) => event.details.id)).size, 30);
    assert.ok(mine.every((event) => event.outcome === 'success'));
    assert.ok(mine.filter((event) => typeof event.details.batch === 'string').length >= 20);

    // Everything the hub stored: no ID number, no name, no answer value.
    const db = hub.running.node.store.db;
    let dump = '';
    for (const table of await db.introspection.getTables()) dump += JSON.stringify(await db.selectFrom(table.name as never).selectAll().execute());
    for (const person of bridge.people.slice(0, 30)) {
      assert.ok(!dump.includes(person.idNumber), 'the hub stored an ID number');
      assert.ok(!dump.includes(person.name), 'the hub stored a name');
    }
  });

  test('a batch the hub cannot relay whole is refused with its code, recorded, and never reaches the partner', async () => {
    const before = await answeredCount();
    const deniedBefore = (await relayed()).filter((event) => event.outcome === 'denied').length;
    const good = signed([radialMessage(40), radialMessage(41)]);

    const cases: [string, unknown, string?][] = [
      ['recipient_unknown', signed([radialMessage(42, { to: '999999' })], { to: '999999' })],
      ['envelope_invalid', signed([radialMessage(43), { ...radialMessage(44), body: bridgeMessage(bridge, from, 44).body }])],
      ['not_for_this_node', signed([radialMessage(45, { via: '310000' })])],
      ['envelope_invalid', signed([radialMessage(46), radialMessage(47, { to: '100000' })])],
      ['envelope_invalid', signed([radialMessage(48, { from: '520400' })])],
      ['signature_invalid', { ...good, batch: { ...good.batch, signature: `${good.batch.signature.slice(0, -4)}AAAA` } }],
      ['signature_invalid', { ...good, payloads: [...good.payloads].reverse() }],
      ['clock_skew', signed([radialMessage(49)], { ts: new Date(Date.now() + 3_600_000).toISOString() })],
      ['sender_unknown', signed([radialMessage(50)], { from: '999999' })],
      ['envelope_invalid', { batch: good.batch }],
      ['not_for_this_node', good, provider.url],
    ];
    for (const [code, batch, url] of cases) {
      const refused = await relayBatch(batch, url);
      assert.equal(refused.body.code, code, `${code}: ${JSON.stringify(refused.body)}`);
    }
    assert.equal(await answeredCount(), before, 'no refused batch reached the partner');
    const denied = (await relayed()).filter((event) => event.outcome === 'denied');
    assert.ok(denied.length - deniedBefore >= cases.length - 1, 'every refusal at the hub is recorded');
    assert.ok(denied.some((event) => event.details.code === 'recipient_unknown'));

    // The good batch itself is relayed and answered.
    const answered = await relayBatch(good);
    assert.equal(answered.status, 200, JSON.stringify(answered.body));
    const results = answered.body.results as { status: number }[];
    assert.deepEqual(results.map((result) => result.status), [200, 200]);
    assert.equal((await answeredCount()) - before, 2);
  });
});
