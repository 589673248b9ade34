import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { subjectHashOfIdNumber } from '../../src/audit/access-report.ts';
import { addStaff, type StaffSession } from '../../src/demo/federation-setup.ts';
import { startTestNode, type TestNode } from '../support/nodes.ts';

let node: TestNode;
let auditorToken: string;
const person = '11010519491231002X';
const other = '110105194912310037';

before(async () => {
  node = await startTestNode({ code: '520400' });
  const token = await node.adminToken();
  const admin: StaffSession = {
    url: node.url,
    token,
    call: async <T,>(method: string, path: string, body?: unknown) => (await node.call(method, path, { token, body })).body as T,
  };
  auditorToken = (await addStaff(admin, 'auditor1', ['auditor'])).session.token;
  const key = await node.running.node.keyring.subjectKey();
  // The events the exchange gateway writes when it answers a partner (see src/exchange/gateway.ts).
  for (const [index, idNumber] of [person, other, person, person].entries()) {
    await node.running.node.events.record({
      type: 'exchange.answered',
      actor: 'node:330000',
      outcome: 'success',
      subjectHash: subjectHashOfIdNumber(key, idNumber),
      details: {
        id: `m${index}`, from: '330000', to: '520400', op: 'query', agreement: 'AG-1@1', item: 'item-1', purpose: 'benefit check',
        dataset: '520400/social-insurance', fields: ['name', 'status'], operator: 'staff:secret-operator', case: 'case-9',
      },
    });
  }
});
after(async () => node.close());

test('the access report lists only the subject\'s answered exchanges, without operator ids, paginated, and is logged', async () => {
  const token = auditorToken;
  const first = await node.call('POST', '/api/v1/audit/access-report', { token, body: { idNumber: person.toLowerCase(), limit: 2 } });
  assert.equal(first.status, 200, JSON.stringify(first.body));
  const entries = first.body['entries'] as Array<Record<string, unknown>>;
  assert.equal(entries.length, 2);
  assert.deepEqual(Object.keys(entries[0]!).sort(), ['agreement', 'at', 'dataset', 'eventId', 'fields', 'item', 'op', 'purpose', 'requester', 'seq']);
  assert.equal(entries[0]!['requester'], '330000');
  assert.deepEqual(entries[0]!['fields'], ['name', 'status']);
  assert.ok(!JSON.stringify(first.body).includes('secret-operator'));
  assert.equal(typeof first.body['next'], 'number');
  const second = await node.call('POST', '/api/v1/audit/access-report', { token, body: { idNumber: person, limit: 2, afterSeq: first.body['next'] } });
  assert.equal((second.body['entries'] as unknown[]).length, 1);
  assert.equal(second.body['next'], null);

  const logged = await node.running.node.events.list({ type: 'audit.access_report', limit: 10 });
  assert.equal(logged.length, 2);
  const key = await node.running.node.keyring.subjectKey();
  assert.equal(logged[0]!.subjectHash, subjectHashOfIdNumber(key, person));
  assert.ok(!JSON.stringify(logged).includes(person));
});

test('the access report needs audit.read and a plausible ID number', async () => {
  const anonymous = await node.call('POST', '/api/v1/audit/access-report', { body: { idNumber: person } });
  assert.equal(anonymous.status, 401);
  const refused = await node.call('POST', '/api/v1/audit/access-report', { token: await node.adminToken(), body: { idNumber: person } });
  assert.equal(refused.status, 403);
  const token = auditorToken;
  const bad = await node.call('POST', '/api/v1/audit/access-report', { token, body: { idNumber: 'not an id!' } });
  assert.equal(bad.status, 400);
  assert.equal(bad.body['code'], 'invalid_input');
});
