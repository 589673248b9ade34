/**
 * GET /api/v1/exchange/requests lists every request this node sent — answered while the
 * caseworker waited (sync) or queued in the outbox (async) — with its outcome, paginated and
 * filtered in the database; a sync request keeps its decision but never the records it returned.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { joinFederation, logIn, setUpBridge, type Bridge, type StaffSession } from '../../src/demo/federation-setup.ts';
import { freshPostgresUrl, type FreshPostgresDatabase } from '../support/databases.ts';
import { startTestNode, type TestNode } from '../support/nodes.ts';

interface Listed {
  id: string;
  mode: 'sync' | 'async';
  to: string;
  op: string;
  agreement: string;
  status: string;
  attempts: number;
  clause: string | null;
  code: string | null;
  answerId: string | null;
  answer: unknown;
  createdAt: string;
}

interface Page {
  requests: Listed[];
  total: number;
  limit: number;
  offset: number;
}

for (const engine of ['sqlite', 'postgres'] as const) describe(`the list of requests this node sent (requester on ${engine})`, () => {
  let database: FreshPostgresDatabase | undefined;
  let hub: TestNode;
  let provider: TestNode;
  let requester: TestNode;
  let bridge: Bridge;
  let caseworker: StaffSession;
  const sent: { id: string; kind: string }[] = [];

  const ask = async (body: Record<string, unknown>) => {
    const response = await fetch(`${requester.url}/api/v1/exchange/requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${caseworker.token}` },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const list = async (query: Record<string, string | number> = {}) => {
    const search = new URLSearchParams(Object.entries(query).map(([key, value]): [string, string] => [key, String(value)]));
    const response = await fetch(`${requester.url}/api/v1/exchange/requests?${search}`, { headers: { authorization: `Bearer ${caseworker.token}` } });
    return { status: response.status, body: (await response.json()) as Page & { code?: string } };
  };
  const base = () => ({
    to: '520400',
    agreement: bridge.agreement,
    item: '就医结算备案',
    purpose: 'medical-filing',
    dataset: '520400/social-insurance-enrolment',
    key: { idNumber: bridge.people[0]!.idNumber },
  });

  before(async () => {
    hub = await startTestNode({ code: '100000', name: '国家枢纽', level: 'hub', role: 'hub' });
    provider = await startTestNode({ code: '520400', name: '贵州省安顺市', level: 'prefecture' });
    database = engine === 'postgres' ? await freshPostgresUrl() : undefined;
    requester = await startTestNode({ code: '331083', name: '浙江省玉环市', level: 'county', ...(database ? { databaseUrl: database.url } : {}) });
    const admin = async (node: TestNode) =>
      logIn(node.url, { username: node.init.admin.username, password: node.init.admin.password, totpSecret: node.init.admin.secondFactor.secret });
    const hubAdmin = await admin(hub);
    const [providerAdmin, requesterAdmin] = [await admin(provider), await admin(requester)];
    await joinFederation(hubAdmin, [providerAdmin, requesterAdmin]);
    bridge = await setUpBridge(providerAdmin, requesterAdmin, { people: 20 });
    caseworker = bridge.requester.caseworker;

    // The outbox is driven by hand below, so the background worker must not deliver the waiting one.
    await requester.running.node.exchange.stop();
    // Five requests, oldest first: three sync (allowed, allowed radial, refused) and two async.
    const allowed = await ask({ ...base(), op: 'query', fields: ['name', 'insuredStatus'] });
    assert.equal(allowed.status, 200, JSON.stringify(allowed.body));
    sent.push({ id: allowed.body.id as string, kind: 'sync-ok' });
    const radial = await ask({ ...base(), op: 'verify', predicate: { field: 'isInsured', equals: 'true' }, route: 'radial' });
    assert.equal(radial.status, 200, JSON.stringify(radial.body));
    sent.push({ id: radial.body.id as string, kind: 'sync-radial' });
    const refused = await ask({ ...base(), op: 'query', fields: ['name', 'idNumber', 'salary'] });
    assert.equal(refused.body.code, 'field_not_granted', JSON.stringify(refused.body));
    sent.push({ id: '', kind: 'sync-denied' });
    const queued = await ask({ ...base(), op: 'verify', async: true });
    assert.equal(queued.status, 202, JSON.stringify(queued.body));
    sent.push({ id: queued.body.id as string, kind: 'async-delivered' });
    await requester.running.node.exchange.deliverDue();
    const waiting = await ask({ ...base(), op: 'verify', async: true });
    sent.push({ id: waiting.body.id as string, kind: 'async-queued' });
  });
  after(async () => {
    await requester?.close();
    await provider?.close();
    await hub?.close();
    await database?.drop();
  });

  test('lists sync and async requests, newest first, with their outcome and the total', async () => {
    const { status, body } = await list();
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.total, 5);
    assert.deepEqual([body.limit, body.offset], [50, 0]);
    const [waiting, delivered, refused, radial, allowed] = body.requests;
    assert.deepEqual(
      body.requests.map((row) => [row.mode, row.status]),
      [
        ['async', 'queued'],
        ['async', 'answered'],
        ['sync', 'denied'],
        ['sync', 'answered'],
        ['sync', 'answered'],
      ],
    );
    assert.equal(waiting!.id, sent[4]!.id);
    assert.equal(delivered!.id, sent[3]!.id);
    assert.equal(radial!.id, sent[1]!.id);
    assert.equal(allowed!.id, sent[0]!.id);
    assert.match(allowed!.clause ?? '', /^\/datasets\/0\/grants\/0/);
    assert.ok(allowed!.answerId, 'the id of the signed answer is listed');
    assert.equal(allowed!.code, null);
    assert.equal(refused!.code, 'field_not_granted');
    assert.ok(refused!.clause, 'a refusal names its clause');
    assert.match(delivered!.clause ?? '', /^\/datasets\//);
    assert.equal(waiting!.clause, null);
    assert.equal(radial!.agreement, bridge.agreement);
    // The same row is what GET /requests/:id returns, for sync requests too.
    const one = await fetch(`${requester.url}/api/v1/exchange/requests/${allowed!.id}`, { headers: { authorization: `Bearer ${caseworker.token}` } });
    assert.deepEqual(await one.json(), allowed);
  });

  test('pages through every request exactly once', async () => {
    const seen: string[] = [];
    for (let offset = 0; offset < 5; offset += 2) {
      const { body } = await list({ limit: 2, offset });
      assert.equal(body.total, 5);
      assert.ok(body.requests.length <= 2);
      seen.push(...body.requests.map((row) => row.id));
    }
    assert.equal(new Set(seen).size, 5);
    const beyond = await list({ limit: 2, offset: 10 });
    assert.deepEqual([beyond.body.requests.length, beyond.body.total], [0, 5]);
  });

  test('filters by outcome, mode, partner and agreement, together', async () => {
    const answered = await list({ outcome: 'answered' });
    assert.deepEqual([answered.body.total, answered.body.requests.every((row) => row.status === 'answered')], [3, true]);
    const sync = await list({ mode: 'sync' });
    assert.equal(sync.body.total, 3);
    const asyncAnswered = await list({ mode: 'async', outcome: 'answered' });
    assert.deepEqual(asyncAnswered.body.requests.map((row) => row.id), [sent[3]!.id]);
    assert.equal((await list({ partner: '520400' })).body.total, 5);
    assert.equal((await list({ partner: '100000' })).body.total, 0);
    const agreementId = bridge.agreement.split('@')[0]!;
    assert.equal((await list({ agreement: agreementId })).body.total, 5, 'any version of the agreement');
    assert.equal((await list({ agreement: bridge.agreement })).body.total, 5);
    assert.equal((await list({ agreement: `${agreementId}@99` })).body.total, 0);
    const deniedHere = await list({ partner: '520400', agreement: agreementId, outcome: 'denied', mode: 'sync' });
    assert.deepEqual([deniedHere.body.total, deniedHere.body.requests[0]!.code], [1, 'field_not_granted']);
  });

  test('a bad filter is refused with a stable code', async () => {
    const bad: Record<string, string | number>[] = [{ outcome: 'maybe' }, { limit: 0 }, { limit: 501 }, { offset: -1 }, { partner: 'x' }, { agreement: 'Bad Agreement' }, { mode: 'later' }, { colour: 'red' }];
    for (const query of bad) {
      const { status, body } = await list(query);
      assert.equal(status, 400, JSON.stringify(query));
      assert.equal(body.code, 'invalid_input', JSON.stringify(body));
    }
  });

  test('sync requests keep the decision, never the records or the key of the person asked about', async () => {
    const person = bridge.people[0]!;
    const rows = await requester.running.node.store.db.selectFrom('exchange_outbound').selectAll().execute();
    const syncRows = rows.filter((row) => row.envelope.startsWith('{"sent":"sync"'));
    assert.equal(syncRows.length, 3);
    const dump = JSON.stringify(syncRows);
    assert.ok(!dump.includes(person.idNumber), 'a sync row holds the ID number');
    assert.ok(!dump.includes([...person.name].slice(1).join('')), 'a sync row holds the name');
    // One row per exchange.requested event: both are written in one transaction.
    const events = await requester.running.node.events.list({ type: 'exchange.requested', limit: 1000 });
    assert.deepEqual(events.map((event) => event.details.id).sort(), syncRows.map((row) => row.id).sort());
  });

  test('the outbox does not pick up requests that were sent synchronously', async () => {
    const before = await list({ mode: 'sync' });
    await requester.running.node.exchange.deliverDue();
    const afterDelivery = await list({ mode: 'sync' });
    assert.deepEqual(afterDelivery.body.requests.map((row) => [row.id, row.status, row.attempts]), before.body.requests.map((row) => [row.id, row.status, row.attempts]));
    assert.ok(afterDelivery.body.requests.every((row) => row.attempts === 1));
  });
});
