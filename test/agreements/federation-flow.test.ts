/**
 * Agreements between nodes, in process: propose → sign at every party → activate at each;
 * deliveries that wait for an unreachable partner; refused messages; new versions; standing approvals.
 */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { TongbanError } from '../../src/core/errors.ts';
import { signJws, type FlattenedJws } from '../../src/crypto/index.ts';
import { systemActor } from '../../src/identity/index.ts';
import type { PolicyRequest } from '../../src/agreements/index.ts';
import { forEachEngine } from '../support/databases.ts';
import { agreementDoc, agreementId, catalogEntry, enrolment, household, provider, requester } from './fixtures.ts';
import { eventTypes, startFederation, type TestFederation } from './harness.ts';

const ask: PolicyRequest = {
  requester,
  provider,
  agreement: { id: agreementId, version: 1 },
  item: '就医结算备案',
  purpose: 'medical-filing',
  operation: 'query',
  dataset: enrolment,
  fields: ['name'],
  at: new Date('2026-01-05T02:00:00Z'),
};

async function refused(work: Promise<unknown>, code: string, message?: RegExp): Promise<TongbanError> {
  try {
    await work;
  } catch (error) {
    assert.ok(error instanceof TongbanError, String(error));
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return error;
  }
  assert.fail(`expected ${code}`);
}

forEachEngine('agreements between nodes', ({ openFresh }) => {
  let federation: TestFederation | undefined;
  afterEach(async () => {
    await federation?.close();
    federation = undefined;
  });

  test('propose → sign at both → activate at both, across suites (SHA-256 and SM3)', async () => {
    federation = await startFederation(openFresh, [{ code: provider }, { code: requester, suite: 'sm' }]);
    const a = federation.party(provider);
    const b = federation.party(requester);
    a.datasets.set(enrolment, catalogEntry(enrolment));

    const imported = await a.service.importDocument(systemActor, { text: stringify(agreementDoc()), source: 'agreement.yaml' });
    assert.equal(imported.agreement.state, 'draft');
    assert.equal(imported.created, true);

    const proposed = await a.service.propose(systemActor, agreementId);
    assert.equal(proposed.agreement.state, 'proposed');
    assert.deepEqual(proposed.deliveries.map((d) => [d.to, d.kind, d.status]), [[requester, 'proposal', 'delivered']]);
    const atB = await b.service.get(agreementId);
    assert.equal(atB.state, 'proposed');
    assert.equal(atB.proposedBy, provider);
    assert.equal(atB.hashAlg, 'sm3', 'each node hashes with its own suite');
    assert.notEqual(atB.hash, imported.agreement.hash);

    // Not every party has signed: activation is refused at both.
    await refused(b.service.activate(systemActor, agreementId), 'agreement_not_signed', /no signature of 520400, 331083/);

    const signedAtB = await b.service.sign(systemActor, agreementId);
    assert.equal(signedAtB.agreement.state, 'proposed');
    assert.deepEqual(signedAtB.agreement.signedBy, [requester]);
    assert.deepEqual(signedAtB.deliveries.map((d) => d.status), ['delivered']);
    assert.deepEqual((await a.service.get(agreementId)).signedBy, [requester]);

    const signedAtA = await a.service.sign(systemActor, agreementId);
    assert.equal(signedAtA.agreement.state, 'signed', 'the last signature completes it');
    assert.equal((await b.service.get(agreementId)).state, 'signed');
    await refused(a.service.sign(systemActor, agreementId), 'agreement_transition_invalid');

    // Activation is local: B's copy stays signed (not active) until B activates it.
    const activeAtA = await a.service.activate(systemActor, agreementId);
    assert.equal(activeAtA.agreement.state, 'active');
    assert.equal(a.service.decideNow(ask, a.datasets.get(enrolment)).allow, true);
    const atBBefore = b.service.decideNow(ask, catalogEntry(enrolment));
    assert.equal(atBBefore.code, 'agreement_not_active');
    await b.service.activate(systemActor, agreementId);
    assert.equal(b.service.decideNow(ask, catalogEntry(enrolment)).allow, true);

    const detail = await a.service.get(agreementId);
    assert.deepEqual(detail.transitions.map((t) => [t.from, t.to]), [[null, 'draft'], ['draft', 'proposed'], ['proposed', 'signed'], ['signed', 'active']]);
    assert.deepEqual(detail.signatures.map((s) => s.party).sort(), [requester, provider].sort());
    assert.deepEqual(detail.signatures.find((s) => s.party === requester)?.hashAlg, 'sm3');

    assert.deepEqual(
      (await eventTypes(a)).filter((type) => type !== 'agreement.message_delivered'),
      [
        'agreement.state_changed', // → draft
        'agreement.state_changed', // → proposed
        'agreement.signature_added', // B's, received
        'agreement.signature_added', // A's own
        'agreement.state_changed', // → signed
        'agreement.refused', // signing twice
        'agreement.state_changed', // → active
        'agreement.notice_received', // B activated too
      ],
    );
    assert.ok((await eventTypes(b)).includes('agreement.proposal_received'));
    assert.ok((await eventTypes(b)).includes('agreement.notice_received'), 'A told B it activated');
  });

  test('an unreachable partner gets the message later, with back-off; nothing is lost', async () => {
    federation = await startFederation(openFresh, [{ code: provider }, { code: requester }]);
    const a = federation.party(provider);
    const b = federation.party(requester);
    await a.service.importDocument(systemActor, { document: agreementDoc() });
    federation.down.add(requester);

    const proposed = await a.service.propose(systemActor, agreementId);
    assert.equal(proposed.deliveries[0]?.status, 'pending');
    assert.match(proposed.deliveries[0]?.error ?? '', /unreachable/);
    await refused(b.service.get(agreementId), 'agreement_unknown');

    assert.deepEqual(await a.service.deliverDue(), [], 'not due yet');
    federation.clock.advance(5_000);
    const second = await a.service.deliverDue();
    assert.equal(second[0]?.status, 'pending');
    let deliveries = (await a.service.get(agreementId)).deliveries;
    assert.equal(deliveries[0]?.attempts, 2);
    assert.equal(deliveries[0]?.nextAttemptAt, new Date(federation.clock.now().getTime() + 10_000).toISOString(), 'the delay doubles');

    federation.down.delete(requester);
    federation.clock.advance(9_000);
    assert.deepEqual(await a.service.deliverDue(), []);
    federation.clock.advance(1_000);
    assert.equal((await a.service.deliverDue())[0]?.status, 'delivered');
    deliveries = (await a.service.get(agreementId)).deliveries;
    assert.equal(deliveries[0]?.status, 'delivered');
    assert.equal((await b.service.get(agreementId)).state, 'proposed');
    const delayed = await a.core.events.list({ type: 'agreement.message_delayed' });
    assert.equal(delayed.length, 2);
  });

  test('a signature that arrives before the proposal waits and is retried', async () => {
    federation = await startFederation(openFresh, [{ code: provider }, { code: requester }, { code: '330000' }]);
    const [a, b, c] = [federation.party(provider), federation.party(requester), federation.party('330000')];
    const doc = agreementDoc((d) => d.parties.push({ node: '330000', role: 'requester' }));
    await a.service.importDocument(systemActor, { document: doc });
    federation.down.add('330000');
    await a.service.propose(systemActor, agreementId);
    federation.down.delete('330000');

    const signed = await b.service.sign(systemActor, agreementId);
    const toC = signed.deliveries.find((d) => d.to === '330000');
    assert.equal(toC?.status, 'pending');
    assert.match(toC?.error ?? '', /agreement_unknown/);

    federation.clock.advance(5_000);
    await a.service.deliverDue();
    await b.service.deliverDue();
    const atC = await c.service.get(agreementId);
    assert.equal(atC.state, 'proposed');
    assert.deepEqual(atC.signedBy, [requester]);
    await c.service.sign(systemActor, agreementId);
    await a.service.sign(systemActor, agreementId);
    for (const party of [a, b, c]) assert.equal((await party.service.get(agreementId)).state, 'signed', party.code);
  });

  test('the last two signatures arriving at once still complete the agreement', async () => {
    federation = await startFederation(openFresh, [{ code: provider }, { code: requester }, { code: '330000' }]);
    const [a, b, c] = [federation.party(provider), federation.party(requester), federation.party('330000')];
    await a.service.importDocument(systemActor, { document: agreementDoc((d) => d.parties.push({ node: '330000', role: 'requester' })) });
    await a.service.propose(systemActor, agreementId);
    await a.service.sign(systemActor, agreementId);
    federation.down.add(provider);
    await b.service.sign(systemActor, agreementId);
    await c.service.sign(systemActor, agreementId);
    federation.down.delete(provider);
    federation.clock.advance(5_000);
    await Promise.all([b.service.deliverDue(), c.service.deliverDue()]);
    const atA = await a.service.get(agreementId);
    assert.deepEqual([...atA.signedBy].sort(), ['330000', provider, requester].sort());
    assert.equal(atA.state, 'signed');
  });

  test('refused messages: not a party, not for us, tampered, unknown sender, different content', async () => {
    federation = await startFederation(openFresh, [{ code: provider }, { code: requester }, { code: '330000' }]);
    const [a, b, outsider] = [federation.party(provider), federation.party(requester), federation.party('330000')];
    const doc = agreementDoc();
    const hash = await (async () => (await a.service.importDocument(systemActor, { document: doc })).agreement)();
    const proposal = async (from: typeof a, change: Record<string, unknown> = {}): Promise<FlattenedJws> =>
      signJws(
        { type: 'tongban.agreement-proposal', document: doc, hashAlg: hash.hashAlg, hash: hash.hash, from: from.code, to: requester, proposedAt: federation!.clock.now().toISOString(), ...change },
        await from.core.keyring.signer(),
      );

    await refused(b.service.receive('proposal', await proposal(outsider)), 'not_a_party', /only parties may propose/);
    await refused(b.service.receive('proposal', await proposal(a, { to: '330000' })), 'not_for_this_node');
    const good = await proposal(a);
    await refused(b.service.receive('proposal', { ...good, signature: good.signature.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) }), 'signature_invalid');
    await refused(b.service.receive('proposal', await proposal(a, { hash: '0'.repeat(64) })), 'signature_invalid', /not the hash/);
    federation.listed.delete(provider);
    await refused(b.service.receive('proposal', good), 'sender_unknown');
    federation.listed.add(provider);
    federation.suspended.add(provider);
    await refused(b.service.receive('proposal', good), 'member_suspended');
    federation.suspended.delete(provider);
    assert.equal((await b.service.receive('proposal', good)).status, 'accepted');
    assert.equal((await b.service.receive('proposal', good)).status, 'duplicate', 'a retried delivery changes nothing');

    const other = agreementDoc((d) => (d.title = 'another text'));
    const conflicting = signJws(
      { type: 'tongban.agreement-proposal', document: other, hashAlg: hash.hashAlg, hash: (await import('../../src/agreements/index.ts')).agreementHashWith(other, hash.hashAlg).hash, from: provider, to: requester, proposedAt: federation.clock.now().toISOString() },
      await a.core.keyring.signer(),
    );
    await refused(b.service.receive('proposal', conflicting), 'already_exists', /different content/);

    const refusals = await b.core.events.list({ type: 'agreement.refused' });
    assert.deepEqual(
      refusals.map((event) => event.details.code),
      ['not_a_party', 'not_for_this_node', 'signature_invalid', 'signature_invalid', 'sender_unknown', 'member_suspended', 'already_exists'],
    );
    assert.equal((await b.service.get(agreementId)).title, doc.title, 'nothing changed');
  });

  test('a new version is drafted beside the active one and supersedes it when activated', async () => {
    federation = await startFederation(openFresh, [{ code: provider }, { code: requester }]);
    const [a, b] = [federation.party(provider), federation.party(requester)];
    const agree = async (version?: number) => {
      await a.service.propose(systemActor, agreementId, version);
      await b.service.sign(systemActor, agreementId, version);
      await a.service.sign(systemActor, agreementId, version);
      await a.service.activate(systemActor, agreementId, version);
      await b.service.activate(systemActor, agreementId, version);
    };
    await a.service.importDocument(systemActor, { document: agreementDoc() });
    await agree();

    // The same file imported again becomes version 2 (version 1 is taken), as a draft.
    const changed = agreementDoc((d) => d.datasets[0]!.grants[0]!.query!.push('idNumber'));
    const imported = await a.service.importDocument(systemActor, { document: changed });
    assert.equal(imported.agreement.version, 2);
    assert.equal(imported.renumberedFrom, 1);
    assert.equal(imported.agreement.state, 'draft');
    const withId = { ...ask, fields: ['idNumber'] };
    assert.equal(a.service.decideNow(withId, catalogEntry(enrolment)).code, 'field_not_granted', 'version 1 still rules');
    assert.equal(a.service.decideNow({ ...withId, agreement: { id: agreementId, version: 2 } }, catalogEntry(enrolment)).code, 'agreement_not_active');

    await agree(2);
    const v1 = await a.service.get(agreementId, 1);
    assert.equal(v1.state, 'superseded');
    assert.equal(v1.supersededBy, 2);
    const old = a.service.decideNow(ask, catalogEntry(enrolment));
    assert.equal(old.code, 'agreement_not_active');
    assert.match(old.reason, /superseded by version 2/);
    assert.equal(a.service.decideNow({ ...withId, agreement: { id: agreementId, version: 2 } }, catalogEntry(enrolment)).allow, true);
    assert.deepEqual((await a.service.list()).map((s) => [s.version, s.state]), [[1, 'superseded'], [2, 'active']]);
  });

  test('standing approvals: issued by the provider, sent to the requester, and required for conditional data', async () => {
    federation = await startFederation(openFresh, [{ code: provider }, { code: requester }]);
    const [a, b] = [federation.party(provider), federation.party(requester)];
    await a.service.importDocument(systemActor, { document: agreementDoc() });
    await a.service.propose(systemActor, agreementId);
    await b.service.sign(systemActor, agreementId);
    await a.service.sign(systemActor, agreementId);
    await a.service.activate(systemActor, agreementId);
    const conditional = { ...ask, dataset: household, fields: ['address'] };
    assert.equal(a.service.decideNow(conditional, catalogEntry(household)).code, 'approval_required');

    await refused(b.service.approve(systemActor, agreementId, { dataset: household, requester, validTo: '2026-12-31' }), 'not_a_party', /only its provider/);
    await refused(a.service.approve(systemActor, agreementId, { dataset: household, requester: '330000', validTo: '2026-12-31' }), 'dataset_not_granted');
    await refused(a.service.approve(systemActor, agreementId, { dataset: household, requester, items: ['户口迁移'], validTo: '2026-12-31' }), 'item_not_allowed');
    await refused(a.service.approve(systemActor, agreementId, { dataset: household, requester, validTo: '2025-12-31' }), 'invalid_input');

    const issued = await a.service.approve(systemActor, agreementId, { dataset: household, requester, purposes: ['medical-filing'], validTo: '2026-06-30' });
    assert.equal(issued.approval.validTo, '2026-06-30T16:00:00.000Z', 'the whole last day, Beijing time');
    assert.deepEqual(issued.deliveries.map((d) => [d.to, d.kind, d.status]), [[requester, 'approval', 'delivered']]);
    assert.equal(a.service.decideNow(conditional, catalogEntry(household)).allow, true);
    assert.equal(a.service.decideNow({ ...conditional, at: new Date('2026-06-30T16:00:00Z') }, catalogEntry(household)).code, 'approval_required');
    assert.equal((await b.service.get(agreementId)).approvals.length, 1, 'the requester holds it too');
    assert.deepEqual(await eventTypes(b, 'agreement.approval'), ['agreement.approval_received']);
    assert.deepEqual(await eventTypes(a, 'agreement.approval'), ['agreement.approval_issued']);
  });
});
