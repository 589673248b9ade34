/** The agreements service at one node: import, lifecycle, permissions, refusals, expiry, explanations, the policy index. */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { TongbanError } from '../../src/core/errors.ts';
import { systemActor } from '../../src/identity/index.ts';
import { createAgreementService, retryDelayMs, type AgreementService } from '../../src/agreements/index.ts';
import { assertTransition, canTransition, nextStates } from '../../src/agreements/domain/lifecycle.ts';
import { forEachEngine } from '../support/databases.ts';
import { agreementDoc, agreementId, catalogEntry, enrolment, provider, requester } from './fixtures.ts';
import { eventTypes, principal, startFederation, type TestFederation } from './harness.ts';

async function refused(work: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(work, (error: unknown) => {
    assert.ok(error instanceof TongbanError, String(error));
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
}

const explainRequest = {
  requester,
  agreement: `${agreementId}@1`,
  item: '就医结算备案',
  purpose: 'medical-filing',
  operation: 'query',
  dataset: enrolment,
  fields: ['name', 'idNumber'],
  at: '2026-03-01T00:00:00Z',
};

test('the lifecycle: allowed and refused transitions', () => {
  assert.ok(canTransition('draft', 'proposed'));
  assert.ok(canTransition('proposed', 'signed'));
  assert.ok(canTransition('signed', 'active'));
  assert.ok(canTransition('active', 'suspended'));
  assert.ok(canTransition('suspended', 'active'));
  assert.ok(canTransition('active', 'expired'));
  assert.ok(canTransition('active', 'superseded'));
  assert.ok(!canTransition('draft', 'active'));
  assert.ok(!canTransition('proposed', 'active'));
  assert.ok(!canTransition('expired', 'active'));
  assert.deepEqual(nextStates('terminated'), []);
  assert.throws(() => assertTransition('agr-x', 1, 'terminated', 'active'), /final; import a new version/);
  assert.throws(() => assertTransition('agr-x', 1, 'draft', 'signed'), /from draft it can become proposed, terminated, superseded/);
});

test('retries back off from 5 s, doubling, to at most an hour', () => {
  assert.deepEqual([1, 2, 3, 4].map(retryDelayMs), [5_000, 10_000, 20_000, 40_000]);
  assert.equal(retryDelayMs(30), 3_600_000);
});

forEachEngine('agreement service', ({ openFresh }) => {
  let federation: TestFederation | undefined;
  afterEach(async () => {
    await federation?.close();
    federation = undefined;
  });

  async function agreed(): Promise<TestFederation> {
    const started = await startFederation(openFresh, [{ code: provider }, { code: requester }]);
    const [a, b] = [started.party(provider), started.party(requester)];
    await a.service.importDocument(systemActor, { document: agreementDoc() });
    await a.service.propose(systemActor, agreementId);
    await b.service.sign(systemActor, agreementId);
    await a.service.sign(systemActor, agreementId);
    await a.service.activate(systemActor, agreementId);
    return started;
  }

  test('import: a draft, a replaced draft, refusals recorded', async () => {
    federation = await startFederation(openFresh, [{ code: provider }, { code: requester }]);
    const a = federation.party(provider);
    const first = await a.service.importDocument(systemActor, { text: stringify(agreementDoc()), source: 'a.yaml' });
    assert.deepEqual([first.created, first.agreement.version, first.agreement.state], [true, 1, 'draft']);
    assert.match(first.agreement.hash, /^[0-9a-f]{64}$/);

    const edited = await a.service.importDocument(systemActor, { document: agreementDoc((d) => (d.title = '修订稿')) });
    assert.deepEqual([edited.created, edited.agreement.version, edited.agreement.title], [false, 1, '修订稿']);
    assert.notEqual(edited.agreement.hash, first.agreement.hash);
    assert.deepEqual((await a.service.list()).length, 1);

    await refused(a.service.importDocument(systemActor, { text: 'id: agr-x\nversion: [\n', source: 'broken.yaml' }), 'agreement_invalid', /^broken\.yaml is not valid YAML at line 3/);
    await refused(a.service.importDocument(systemActor, { document: agreementDoc((d) => (d.datasets[0]!.grants[0]!.to = '310000')) }), 'agreement_invalid', /\/datasets\/0\/grants\/0\/to/);
    const refusals = await a.core.events.list({ type: 'agreement.refused' });
    assert.equal(refusals.length, 2);
    assert.equal(refusals[0]?.details.action, 'import');
    assert.equal(refusals[0]?.details.source, 'broken.yaml');
    assert.deepEqual(await eventTypes(a), ['agreement.state_changed', 'agreement.draft_updated', 'agreement.refused', 'agreement.refused']);
  });

  test('a node holds only agreements it is party to', async () => {
    federation = await startFederation(openFresh, [{ code: '330000' }]);
    await refused(federation.party('330000').service.importDocument(systemActor, { document: agreementDoc() }), 'not_a_party', /This node \(330000\) is not a party/);
  });

  test('permissions: managing and signing need their permissions', async () => {
    federation = await startFederation(openFresh, [{ code: provider }, { code: requester }]);
    const a = federation.party(provider);
    await refused(a.service.importDocument(principal('caseworker'), { document: agreementDoc() }), 'forbidden', /agreements\.manage/);
    await a.service.importDocument(principal('agreements'), { document: agreementDoc() });
    await refused(a.service.propose(principal('steward'), agreementId), 'forbidden');
    await a.service.propose(principal('agreements'), agreementId);
    await refused(a.service.sign(principal('caseworker'), agreementId), 'forbidden', /agreements\.sign/);
    const refusal = (await a.core.events.list({ type: 'agreement.refused' }))[0];
    assert.equal(refusal?.actor, 'token:t-caseworker');
    assert.equal(refusal?.details.code, 'forbidden');
  });

  test('lifecycle at one node: refused moves change nothing; suspend, reinstate, terminate', async () => {
    federation = await startFederation(openFresh, [{ code: provider }, { code: requester }]);
    const a = federation.party(provider);
    await a.service.importDocument(systemActor, { document: agreementDoc() });
    await refused(a.service.sign(systemActor, agreementId), 'agreement_transition_invalid', /propose it first/);
    await refused(a.service.activate(systemActor, agreementId), 'agreement_transition_invalid');
    await refused(a.service.suspend(systemActor, agreementId), 'agreement_transition_invalid', /is draft; it cannot become suspended/);
    await refused(a.service.get('agr-nothing-here'), 'agreement_unknown');
    assert.equal((await a.service.get(agreementId)).state, 'draft');
    const discarded = await a.service.terminate(systemActor, agreementId);
    assert.equal(discarded.agreement.state, 'terminated');
    assert.deepEqual(discarded.deliveries, [], 'a draft never sent concerns no partner');
    await federation.close();

    federation = await agreed();
    const p = federation.party(provider);
    const ask = { requester, provider, agreement: { id: agreementId, version: 1 }, item: '就医结算备案', purpose: 'medical-filing', operation: 'query' as const, dataset: enrolment, fields: ['name'], at: new Date('2026-02-01T00:00:00Z') };
    assert.equal((await p.service.decide(ask, catalogEntry(enrolment))).allow, true);
    const suspended = await p.service.suspend(systemActor, agreementId, { reason: '数据安全检查' });
    assert.equal(suspended.agreement.state, 'suspended');
    assert.deepEqual(suspended.deliveries.map((d) => [d.kind, d.to]), [['notice', requester]]);
    assert.equal((await p.service.decide(ask, catalogEntry(enrolment))).code, 'agreement_suspended');
    await refused(p.service.suspend(systemActor, agreementId), 'agreement_transition_invalid');
    await p.service.reinstate(systemActor, agreementId);
    assert.equal((await p.service.decide(ask, catalogEntry(enrolment))).allow, true);
    await p.service.terminate(systemActor, agreementId, { reason: 'ended by both sides' });
    assert.equal((await p.service.decide(ask, catalogEntry(enrolment))).code, 'agreement_not_active');
    await refused(p.service.reinstate(systemActor, agreementId), 'agreement_transition_invalid', /final/);
    const detail = await p.service.get(agreementId);
    assert.deepEqual(detail.transitions.slice(-4).map((t) => [t.from, t.to, t.reason]), [
      ['signed', 'active', 'every party signed; activated here'],
      ['active', 'suspended', '数据安全检查'],
      ['suspended', 'active', null],
      ['active', 'terminated', 'ended by both sides'],
    ]);
    const notices = await federation.party(requester).core.events.list({ type: 'agreement.notice_received' });
    assert.deepEqual(notices.map((event) => event.details.state), ['active', 'suspended', 'active', 'terminated']);
  });

  test('an agreement whose validity ended is expired, at decision time and by the background check', async () => {
    federation = await agreed();
    const a = federation.party(provider);
    const ask = { requester, provider, agreement: { id: agreementId, version: 1 }, item: '就医结算备案', purpose: 'medical-filing', operation: 'query' as const, dataset: enrolment, fields: ['name'], at: new Date('2028-01-01T00:00:00Z') };
    assert.equal(a.service.decideNow(ask, catalogEntry(enrolment)).code, 'agreement_expired');
    assert.equal(await a.service.expireDue(), 0, 'not yet');
    federation.clock.set('2027-12-31T16:00:00Z');
    assert.equal(await a.service.expireDue(), 1);
    assert.equal((await a.service.get(agreementId)).state, 'expired');
    assert.equal(await a.service.expireDue(), 0);
    const b = federation.party(requester);
    assert.equal(await b.service.expireDue(), 1, 'a signed version expires too');
    await refused(b.service.activate(systemActor, agreementId), 'agreement_transition_invalid');
  });

  test('a version past its validity cannot be activated', async () => {
    federation = await startFederation(openFresh, [{ code: provider }, { code: requester }]);
    const [a, b] = [federation.party(provider), federation.party(requester)];
    await a.service.importDocument(systemActor, { document: agreementDoc() });
    await a.service.propose(systemActor, agreementId);
    await b.service.sign(systemActor, agreementId);
    await a.service.sign(systemActor, agreementId);
    federation.clock.set('2028-01-02T00:00:00Z');
    await refused(a.service.activate(systemActor, agreementId), 'agreement_expired', /valid only until 2027-12-31/);
  });

  test('explain: the decision, its clause and its text; recorded; the requester judges by the agreement', async () => {
    federation = await agreed();
    const a = federation.party(provider);
    a.datasets.set(enrolment, catalogEntry(enrolment));
    const explanation = await a.service.explain(principal('caseworker'), explainRequest);
    assert.equal(explanation.decision.code, 'field_not_granted');
    assert.equal(explanation.decision.clause, '/datasets/0/grants/0/query');
    assert.equal(explanation.datasetSource, 'catalog');
    assert.match(explanation.sentence, /^DENY field_not_granted \(agr-520400-331083-social-insurance@1 \/datasets\/0\/grants\/0\/query\): .*"idNumber"/);
    assert.equal(explanation.clauseText, '- name\n- insuredStatus\n- insuredSince');
    const allowed = await a.service.explain(systemActor, { ...explainRequest, fields: ['name'] });
    assert.equal(allowed.decision.allow, true);
    assert.match(allowed.sentence, /^ALLOW/);
    assert.match(allowed.clauseText ?? '', /mask:\n {2}name: keep-first-char/);

    const atRequester = await federation.party(requester).service.explain(systemActor, { ...explainRequest, fields: ['name'] });
    assert.equal(atRequester.datasetSource, 'agreement');
    assert.equal(atRequester.decision.code, 'agreement_not_active', 'the requester has not activated its copy');
    assert.match(atRequester.sentence, /as the agreement declares them/);

    const recorded = await a.core.events.list({ type: 'agreement.explained' });
    assert.deepEqual(recorded.map((event) => [event.actor, event.details.allow, event.details.code]), [
      ['token:t-caseworker', false, 'field_not_granted'],
      ['system', true, null],
    ]);
    await refused(a.service.explain(systemActor, { ...explainRequest, agreement: 'agr-x' }), 'invalid_input', /\/agreement/);
    const { fields: _fields, ...withoutFields } = explainRequest;
    await refused(a.service.explain(systemActor, withoutFields), 'invalid_input', /"fields" is required/);
  });

  test('every process of the node sees changes made by another', async () => {
    federation = await agreed();
    const a = federation.party(provider);
    const other: AgreementService = await createAgreementService(a.core, a.deps);
    const ask = { requester, provider, agreement: { id: agreementId, version: 1 }, item: '就医结算备案', purpose: 'medical-filing', operation: 'query' as const, dataset: enrolment, fields: ['name'], at: new Date('2026-02-01T00:00:00Z') };
    assert.equal(other.decideNow(ask, catalogEntry(enrolment)).allow, true);
    await a.service.suspend(systemActor, agreementId);
    assert.equal(other.decideNow(ask, catalogEntry(enrolment)).allow, true, 'the other process still holds its compiled copy');
    // Its background loop notices the revision change and recompiles.
    const looping = await createAgreementService(a.core, { ...a.deps, tickMs: 5 });
    await a.service.reinstate(systemActor, agreementId);
    await a.service.suspend(systemActor, agreementId);
    await other.refresh();
    assert.equal(other.decideNow(ask, catalogEntry(enrolment)).code, 'agreement_suspended');
    assert.equal(looping.decideNow(ask, catalogEntry(enrolment)).code, 'agreement_suspended', 'loaded at creation');
    await a.service.reinstate(systemActor, agreementId);
    looping.start();
    try {
      for (let i = 0; i < 400 && looping.decideNow(ask, catalogEntry(enrolment)).code !== undefined; i++) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      assert.equal(looping.decideNow(ask, catalogEntry(enrolment)).allow, true);
    } finally {
      await looping.stop();
    }
  });
});
