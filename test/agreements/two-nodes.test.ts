/**
 * An agreement between two real nodes on loopback, joined to a real hub: import → propose →
 * sign at both → activate at both over HTTP, with signatures verified through the signed
 * directory; then explanations, the published schema and refused federation messages.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { signJws } from '../../src/crypto/index.ts';
import type { TestNode } from '../support/nodes.ts';
import { approveOverHttp, eventsOf, joinOverHttp, startHub, startMember, syncOverHttp, tokenFor } from '../directory/fixture.ts';
import { agreementDoc, agreementId, enrolment, provider, requester } from './fixtures.ts';

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
/** Valid around today, whatever day the tests run. */
const document = agreementDoc((doc) => (doc.validity = { from: day(-30), to: day(365) }));

describe('an agreement between two nodes over HTTP', () => {
  let hub: TestNode;
  let anshun: TestNode;
  let yuhuan: TestNode;
  const tokens: Record<string, string> = {};

  before(async () => {
    [hub, anshun, yuhuan] = await Promise.all([startHub(), startMember(provider, '安顺市'), startMember(requester, '玉环市')]);
    await hub.running.node.directory.setOwnEndpoint(hub.url);
    for (const member of [anshun, yuhuan]) {
      const joined = await joinOverHttp(member, hub.url);
      assert.equal(joined.status, 200, JSON.stringify(joined.body));
    }
    for (const code of [provider, requester]) assert.equal((await approveOverHttp(hub, code)).status, 200);
    await syncOverHttp(hub);
    for (const member of [anshun, yuhuan]) await syncOverHttp(member);
    tokens[provider] = await tokenFor(anshun, 'wang.agreements', 'agreements');
    tokens[requester] = await tokenFor(yuhuan, 'chen.agreements', 'agreements');
  });
  after(async () => {
    await Promise.all([hub, anshun, yuhuan].map((node) => node?.close()));
  });

  test('propose → sign at both → activate at both', async () => {
    const imported = await anshun.call('POST', '/api/v1/agreements', { token: tokens[provider], body: { text: stringify(document) } });
    assert.equal(imported.status, 201, JSON.stringify(imported.body));
    assert.equal((imported.body.agreement as { state: string }).state, 'draft');

    const proposed = await anshun.call('POST', `/api/v1/agreements/${agreementId}/propose`, { token: tokens[provider], body: {} });
    assert.equal(proposed.status, 200, JSON.stringify(proposed.body));
    assert.deepEqual(proposed.body.deliveries, [{ id: (proposed.body.deliveries as Array<{ id: string }>)[0]!.id, to: requester, kind: 'proposal', status: 'delivered' }]);

    const atYuhuan = await yuhuan.call('GET', `/api/v1/agreements/${agreementId}`, { token: tokens[requester] });
    assert.equal(atYuhuan.status, 200);
    assert.equal(atYuhuan.body.state, 'proposed');
    assert.equal(atYuhuan.body.proposedBy, provider);

    const signedAtYuhuan = await yuhuan.call('POST', `/api/v1/agreements/${agreementId}/sign`, { token: tokens[requester], body: {} });
    assert.equal(signedAtYuhuan.status, 200, JSON.stringify(signedAtYuhuan.body));
    assert.equal((signedAtYuhuan.body.deliveries as Array<{ status: string }>)[0]?.status, 'delivered');
    const signedAtAnshun = await anshun.call('POST', `/api/v1/agreements/${agreementId}/sign`, { token: tokens[provider], body: {} });
    assert.equal((signedAtAnshun.body.agreement as { state: string }).state, 'signed');

    for (const [node, code] of [[anshun, provider], [yuhuan, requester]] as const) {
      const activated = await node.call('POST', `/api/v1/agreements/${agreementId}/activate`, { token: tokens[code], body: {} });
      assert.equal(activated.status, 200, JSON.stringify(activated.body));
      assert.equal((activated.body.agreement as { state: string }).state, 'active');
    }
    const list = await yuhuan.call('GET', '/api/v1/agreements', { token: tokens[requester] });
    assert.deepEqual((list.body.agreements as Array<{ state: string; signedBy: string[] }>).map((a) => [a.state, [...a.signedBy].sort()]), [['active', [provider, requester].sort()]]);

    // The gateway's question, answered from the compiled policy.
    const decision = await anshun.running.node.agreements.decide(
      { requester, provider, agreement: { id: agreementId, version: 1 }, item: '就医结算备案', purpose: 'medical-filing', operation: 'query', dataset: enrolment, fields: ['name'], at: new Date() },
      { id: enrolment, provider, name: '参保登记', grade: 'general', sharing: 'unconditional', items: [], keyFields: ['idNumber'] },
    );
    assert.equal(decision.allow, true, decision.reason);
    assert.ok((await eventsOf(yuhuan, 'agreement.proposal_received')).length === 1);
    assert.ok((await eventsOf(anshun, 'agreement.signature_added')).length === 2);
  });

  test('explain over HTTP names the clause and shows its text', async () => {
    const caseworker = await tokenFor(yuhuan, 'li.caseworker', 'caseworker');
    const explained = await yuhuan.call('POST', '/api/v1/agreements/explain', {
      token: caseworker,
      body: { requester, agreement: `${agreementId}@1`, item: '就医结算备案', purpose: 'medical-filing', operation: 'query', dataset: enrolment, fields: ['idNumber'] },
    });
    assert.equal(explained.status, 200, JSON.stringify(explained.body));
    const decision = explained.body.decision as { allow: boolean; code: string; clause: string; field: string };
    assert.deepEqual([decision.allow, decision.code, decision.clause, decision.field], [false, 'field_not_granted', '/datasets/0/grants/0/query', 'idNumber']);
    assert.equal(explained.body.clauseText, '- name\n- insuredStatus\n- insuredSince');
    assert.match(String(explained.body.sentence), /^DENY field_not_granted/);
    const refused = await yuhuan.call('POST', `/api/v1/agreements/${agreementId}/sign`, { token: caseworker, body: {} });
    assert.equal(refused.status, 403);
  });

  test('the schema is public; a message from a non-party or a tampered one is refused and recorded once', async () => {
    const schema = await fetch(`${anshun.url}/api/v1/agreements/schema.json`);
    assert.equal(schema.status, 200);
    assert.match(schema.headers.get('content-type') ?? '', /application\/schema\+json/);
    assert.equal(((await schema.json()) as { title: string }).title, 'Tongban agreement (合作协议)');

    const hubSigner = await hub.running.node.keyring.signer();
    const fromHub = signJws(
      { type: 'tongban.agreement-signature', agreement: agreementId, version: 1, hashAlg: 'sha256', hash: '0'.repeat(64), party: '100000', signedAt: new Date().toISOString() },
      hubSigner,
    );
    const notParty = await anshun.call('POST', '/api/v1/agreements/federation/signatures', { body: fromHub });
    assert.equal(notParty.status, 403, JSON.stringify(notParty.body));
    assert.equal(notParty.body.code, 'not_a_party');

    const garbage = await anshun.call('POST', '/api/v1/agreements/federation/proposals', { body: { payload: 'e30', protected: 'e30', signature: 'AA' } });
    assert.equal(garbage.status, 400);
    const refusals = await eventsOf(anshun, 'agreement.refused');
    assert.deepEqual(refusals.map((event) => event.details.action), ['receive_signature', 'receive_proposal']);
    const httpRefusals = (await eventsOf(anshun, 'http.request_refused')).filter((event) => String(event.details.route).includes('/agreements/federation/'));
    assert.deepEqual(httpRefusals, [], 'recorded by the service, not twice');
  });

  test('suspending needs no body; the partner is told', async () => {
    const suspended = await anshun.call('POST', `/api/v1/agreements/${agreementId}/suspend`, { token: tokens[provider] });
    assert.equal(suspended.status, 200, JSON.stringify(suspended.body));
    assert.equal((suspended.body.agreement as { state: string }).state, 'suspended');
    assert.deepEqual((suspended.body.deliveries as Array<{ kind: string; status: string }>).map((d) => [d.kind, d.status]), [['notice', 'delivered']]);
    const notices = await eventsOf(yuhuan, 'agreement.notice_received');
    assert.equal(notices.at(-1)?.details.state, 'suspended');
    assert.equal((await yuhuan.call('GET', `/api/v1/agreements/${agreementId}`, { token: tokens[requester] })).body.state, 'active', 'each node decides for its own copy');
  });
});
