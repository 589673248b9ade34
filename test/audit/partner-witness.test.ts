/**
 * Partners witness each other: once an agreement between two members is active, each names the
 * other as a node to watch, co-signs its checkpoints and posts the cosignature back; the hub
 * watches both as well.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import type { TestNode } from '../support/nodes.ts';
import { approveOverHttp, joinOverHttp, startHub, startMember, syncOverHttp, tokenFor } from '../directory/fixture.ts';
import { agreementDoc, agreementId, provider, requester } from '../agreements/fixtures.ts';

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const document = agreementDoc((doc) => (doc.validity = { from: day(-30), to: day(365) }));
const quiet = { 'audit.witnessIntervalSeconds': 86_400 };

let hub: TestNode;
let providerNode: TestNode;
let requesterNode: TestNode;

before(async () => {
  [hub, providerNode, requesterNode] = await Promise.all([
    startHub({ overrides: quiet }),
    startMember(provider, '安顺市', { overrides: quiet }),
    startMember(requester, '玉环市', { overrides: quiet }),
  ]);
  await hub.running.node.directory.setOwnEndpoint(hub.url);
  for (const member of [providerNode, requesterNode]) assert.equal((await joinOverHttp(member, hub.url)).status, 200);
  for (const code of [provider, requester]) assert.equal((await approveOverHttp(hub, code)).status, 200);
  await syncOverHttp(hub);
  for (const member of [providerNode, requesterNode]) await syncOverHttp(member);
});
after(async () => {
  await Promise.all([hub, providerNode, requesterNode].map((node) => node?.close()));
});

test('the parties of an active agreement witness each other; before that, nobody is watched', async () => {
  assert.deepEqual(await providerNode.running.node.audit.witness.targets(), []);
  assert.deepEqual((await hub.running.node.audit.witness.targets()).sort(), [provider, requester].sort());

  const tokens: Record<string, string> = { [provider]: await tokenFor(providerNode, 'wang.agreements', 'agreements'), [requester]: await tokenFor(requesterNode, 'chen.agreements', 'agreements') };
  const nodes: Record<string, TestNode> = { [provider]: providerNode, [requester]: requesterNode };
  assert.equal((await providerNode.call('POST', '/api/v1/agreements', { token: tokens[provider], body: { text: stringify(document) } })).status, 201);
  assert.equal((await providerNode.call('POST', `/api/v1/agreements/${agreementId}/propose`, { token: tokens[provider], body: {} })).status, 200);
  for (const code of [requester, provider]) {
    const signed = await nodes[code]!.call('POST', `/api/v1/agreements/${agreementId}/sign`, { token: tokens[code], body: {} });
    assert.equal(signed.status, 200, JSON.stringify(signed.body));
  }
  for (const code of [provider, requester]) {
    const activated = await nodes[code]!.call('POST', `/api/v1/agreements/${agreementId}/activate`, { token: tokens[code], body: {} });
    assert.equal(activated.status, 200, JSON.stringify(activated.body));
  }

  assert.deepEqual(await providerNode.running.node.audit.witness.targets(), [requester]);
  assert.deepEqual(await requesterNode.running.node.audit.witness.targets(), [provider]);
  for (const node of [providerNode, requesterNode]) await node.running.node.audit.signCheckpoint(null);

  const round = await providerNode.call('POST', '/api/v1/audit/witness', { token: await providerNode.adminToken() });
  assert.equal(round.status, 200, JSON.stringify(round.body));
  assert.deepEqual(round.body['results'], [{ node: requester, status: 'witnessed', size: (await requesterNode.running.node.audit.latestCheckpoint())!.size, posted: true }]);
  await hub.running.node.audit.witness.witnessAll();

  const listed = await requesterNode.call('GET', '/api/v1/audit/checkpoints?limit=1');
  const [latest] = listed.body['checkpoints'] as Array<{ witnesses: Array<{ witness: string }> }>;
  assert.deepEqual(latest!.witnesses.map((witness) => witness.witness).sort(), ['100000', provider].sort());
});
