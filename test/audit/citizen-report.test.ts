/**
 * The citizen's access report across the federation, between real nodes on loopback: a caseworker
 * issues a token, the person lists accesses on every member (each page signed by its node and
 * verified), paginated, without operator ids; bad, foreign and expired tokens are refused and logged.
 * 玉环 (SM suite) is reached through a recording relay, which sees the signed queries but cannot
 * read the ID number sealed inside them; neither can the hub.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { subjectHashOfIdNumber } from '../../src/audit/access-report.ts';
import { signJws, type FlattenedJws } from '../../src/crypto/index.ts';
import { openBody, sealBody } from '../../src/exchange/index.ts';
import { fixedClock } from '../../src/core/clock.ts';
import type { TongbanError } from '../../src/core/errors.ts';
import { startTestNode } from '../support/nodes.ts';
import type { TestNode } from '../support/nodes.ts';
import { approveOverHttp, joinOverHttp, startHub, startMember, syncOverHttp, tokenFor } from '../directory/fixture.ts';

const person = '11010519491231002X';
const other = '110105194912310037';
const quiet = { 'audit.witnessIntervalSeconds': 86_400 };

/** A plain HTTP relay in front of a node that records every access query it carries. */
async function startRelay(target: string): Promise<{ url: string; queries: FlattenedJws[]; close(): Promise<void> }> {
  const queries: FlattenedJws[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      if (request.url === '/api/v1/audit/subject-accesses') queries.push(JSON.parse(body.toString('utf8')) as FlattenedJws);
      const headers: Record<string, string> = {};
      for (const name of ['content-type', 'accept', 'authorization']) {
        const value = request.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      fetch(`${target}${request.url}`, { method: request.method!, headers, ...(body.length > 0 ? { body } : {}) })
        .then(async (answer) => {
          response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
          response.end(Buffer.from(await answer.arrayBuffer()));
        })
        .catch(() => {
          response.writeHead(502);
          response.end();
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, queries, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function payloadOf(jws: FlattenedJws): Record<string, unknown> {
  return JSON.parse(Buffer.from(jws.payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** The events a gateway writes when it answers a partner about someone (see src/exchange/gateway.ts). */
async function answered(node: TestNode, idNumber: string, from: string, index: number): Promise<void> {
  const key = await node.running.node.keyring.subjectKey();
  await node.running.node.events.record({
    type: 'exchange.answered',
    actor: `node:${from}`,
    outcome: 'success',
    subjectHash: subjectHashOfIdNumber(key, idNumber),
    details: {
      id: `m${index}`, from, to: node.running.node.info.code, op: 'query', agreement: 'AG-1@1', item: '就医结算备案', purpose: 'medical-filing',
      dataset: `${node.running.node.info.code}/enrolment`, fields: ['name'], operator: 'staff:secret-operator', case: 'case-1',
    },
  });
}

describe('the citizen access report across the federation', () => {
  let hub: TestNode;
  let anshun: TestNode;
  let yuhuan: TestNode;
  let relay: Awaited<ReturnType<typeof startRelay>>;
  let caseworker: string;

  before(async () => {
    [hub, anshun, yuhuan] = await Promise.all([
      startHub({ overrides: quiet }),
      startMember('520400', '安顺市', { overrides: quiet }),
      startMember('331083', '玉环市', { overrides: quiet, suite: 'sm' }),
    ]);
    await hub.running.node.directory.setOwnEndpoint(hub.url);
    relay = await startRelay(yuhuan.url);
    assert.equal((await joinOverHttp(anshun, hub.url)).status, 200);
    assert.equal((await joinOverHttp(yuhuan, hub.url, { endpoint: relay.url })).status, 200);
    for (const code of ['520400', '331083']) assert.equal((await approveOverHttp(hub, code)).status, 200);
    await syncOverHttp(hub);
    for (const member of [anshun, yuhuan]) await syncOverHttp(member);
    await answered(anshun, person, '331083', 0);
    await answered(anshun, other, '331083', 1);
    await answered(yuhuan, person, '520400', 2);
    await answered(yuhuan, person, '520400', 3);
    await answered(yuhuan, person, '520400', 4);
    caseworker = await tokenFor(anshun, 'li.counter', 'caseworker');
  });
  after(async () => {
    await Promise.all([hub, anshun, yuhuan].map((node) => node?.close()));
    await relay?.close();
  });

  async function issue(idNumber = person): Promise<string> {
    const issued = await anshun.call('POST', '/api/v1/audit/citizen-tokens', { token: caseworker, body: { idNumber } });
    assert.equal(issued.status, 200, JSON.stringify(issued.body));
    return issued.body['token'] as string;
  }

  test('a caseworker issues a token; the person gathers every node\'s signed page, paginated, without operator ids', async () => {
    const token = await issue();
    const first = await anshun.call('POST', '/api/v1/audit/my-accesses', { body: { token, idNumber: person, limit: 2 } });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const nodes = first.body['nodes'] as Array<{ node: string; status: string; entries: Array<Record<string, unknown>>; next: number | null }>;
    const byNode = Object.fromEntries(nodes.map((page) => [page.node, page]));
    assert.deepEqual(Object.keys(byNode).sort(), ['100000', '331083', '520400']);
    for (const page of nodes) assert.equal(page.status, 'ok');
    assert.equal(byNode['520400']!.entries.length, 1);
    assert.equal(byNode['520400']!.entries[0]!['requester'], '331083');
    assert.equal(byNode['331083']!.entries.length, 2);
    assert.equal(byNode['100000']!.entries.length, 0);
    assert.ok(!JSON.stringify(first.body).includes('secret-operator'));
    assert.ok(!JSON.stringify(first.body).includes('case-1'));
    assert.deepEqual(Object.keys(first.body['next'] as object), ['331083']);

    const second = await anshun.call('POST', '/api/v1/audit/my-accesses', { body: { token, idNumber: person, limit: 2, after: first.body['next'] } });
    assert.equal(second.status, 200, JSON.stringify(second.body));
    const secondNodes = second.body['nodes'] as Array<{ node: string; entries: unknown[] }>;
    assert.deepEqual(secondNodes.map((page) => [page.node, page.entries.length]), [['331083', 1]]);
    assert.equal(second.body['next'], null);

    // Logged where each page was produced (under the subject's hash there), and the gathering here.
    const atYuhuan = await yuhuan.running.node.events.list({ type: 'audit.access_report' });
    assert.equal(atYuhuan.length, 2);
    assert.equal(atYuhuan[0]!.actor, 'node:520400');
    assert.equal(atYuhuan[0]!.subjectHash, subjectHashOfIdNumber(await yuhuan.running.node.keyring.subjectKey(), person));
    const gathered = await anshun.running.node.events.list({ type: 'audit.citizen_report' });
    assert.equal(gathered.length, 2);
    assert.equal(gathered[0]!.outcome, 'success');
    assert.ok(!JSON.stringify(gathered).includes(person));
  });

  test('a token for someone else, a forged token and a token from another node are refused and logged', async () => {
    const token = await issue(other);
    const wrongPerson = await anshun.call('POST', '/api/v1/audit/my-accesses', { body: { token, idNumber: person } });
    assert.equal(wrongPerson.status, 401);
    assert.equal(wrongPerson.body['code'], 'citizen_token_invalid');

    const [head, payload] = token.split('.');
    const forged = await anshun.call('POST', '/api/v1/audit/my-accesses', { body: { token: `${head}.${payload}.${'A'.repeat(86)}`, idNumber: other } });
    assert.equal(forged.body['code'], 'citizen_token_invalid');

    const foreign = await yuhuan.call('POST', '/api/v1/audit/my-accesses', { body: { token, idNumber: other } });
    assert.equal(foreign.body['code'], 'citizen_token_invalid');

    const refused = await anshun.running.node.events.list({ type: 'audit.citizen_report' });
    assert.ok(refused.filter((event) => event.outcome === 'denied').length >= 2);

    const anonymous = await anshun.call('POST', '/api/v1/audit/citizen-tokens', { body: { idNumber: person } });
    assert.equal(anonymous.status, 401);
    const bad = await anshun.call('POST', '/api/v1/audit/citizen-tokens', { token: caseworker, body: { idNumber: 'not an id!' } });
    assert.equal(bad.body['code'], 'invalid_input');
  });

  test('a member refuses an access query that is not signed by a member or not addressed to it', async () => {
    const signer = await anshun.running.node.keyring.signer();
    const subject = sealBody(anshun.running.node.directory, '331083', { idNumber: person }, 'q1', 'request');
    const query = { type: 'tongban.subject-access-query', id: 'q1', from: '520400', to: '100000', ts: new Date().toISOString(), subject, limit: 5, afterSeq: null };
    const misaddressed = await yuhuan.call('POST', '/api/v1/audit/subject-accesses', { body: signJws(query, signer) });
    assert.equal(misaddressed.body['code'], 'not_for_this_node');
    const stale = await yuhuan.call('POST', '/api/v1/audit/subject-accesses', { body: signJws({ ...query, to: '331083', ts: '2020-01-01T00:00:00.000Z' }, signer) });
    assert.equal(stale.body['code'], 'clock_skew');
    const jws = signJws({ ...query, to: '331083' }, signer);
    const tampered = await yuhuan.call('POST', '/api/v1/audit/subject-accesses', { body: { ...jws, payload: Buffer.from(JSON.stringify({ ...query, to: '331083', limit: 500 })).toString('base64url') } });
    assert.equal(tampered.body['code'], 'signature_invalid');
    const denied = await yuhuan.running.node.events.list({ type: 'audit.subject_query_answered' });
    assert.equal(denied.filter((event) => event.outcome === 'denied').length, 3);
  });

  test('the ID number travels sealed for the addressee: the relay and the hub cannot read it; a tampered or misdirected seal is refused', async () => {
    const token = await issue();
    relay.queries.length = 0;
    const report = await anshun.call('POST', '/api/v1/audit/my-accesses', { body: { token, idNumber: person, limit: 5 } });
    assert.equal(report.status, 200, JSON.stringify(report.body));
    const pages = report.body['nodes'] as Array<{ node: string; status: string; entries: unknown[] }>;
    assert.deepEqual(pages.map((page) => [page.node, page.status, page.entries.length]).sort(), [['100000', 'ok', 0], ['331083', 'ok', 3], ['520400', 'ok', 1]]);

    // What the relay carried: a signed query with no ID number in it, in any encoding.
    assert.equal(relay.queries.length, 1);
    const carried = relay.queries[0]!;
    const query = payloadOf(carried);
    assert.equal(query['to'], '331083');
    assert.equal(query['idNumber'], undefined);
    for (const text of [JSON.stringify(carried), JSON.stringify(query)]) {
      assert.ok(!text.includes(person) && !text.includes(person.slice(0, 10)), 'the ID number is readable on the wire');
    }
    const subject = query['subject'] as Parameters<typeof openBody>[1];
    assert.equal(subject.sealed.enc, 'SM2-SM4-HMAC-SM3');
    const message = { id: query['id'] as string, to: '331083' };
    // Neither the hub nor the sender holds 玉环's decryption key; 玉环 does.
    for (const node of [hub, anshun]) {
      await assert.rejects(openBody(node.running.node.keyring, subject, message, 'request'), (error: TongbanError) => error.code === 'envelope_invalid');
    }
    assert.deepEqual(await openBody(yuhuan.running.node.keyring, subject, message, 'request'), { idNumber: person });

    // Re-sent by a member with a flipped ciphertext byte (signature valid), or moved to another query id: refused and logged.
    const signer = await anshun.running.node.keyring.signer();
    const flipped = `${subject.sealed.ct.slice(0, 20)}${subject.sealed.ct[20] === 'A' ? 'B' : 'A'}${subject.sealed.ct.slice(21)}`;
    const fresh = { ...query, ts: new Date().toISOString() };
    const tampered = await yuhuan.call('POST', '/api/v1/audit/subject-accesses', { body: signJws({ ...fresh, subject: { sealed: { ...subject.sealed, ct: flipped } } }, signer) });
    assert.equal(tampered.status, 400);
    assert.equal(tampered.body['code'], 'envelope_invalid');
    const moved = await yuhuan.call('POST', '/api/v1/audit/subject-accesses', { body: signJws({ ...fresh, id: 'another-query' }, signer) });
    assert.equal(moved.body['code'], 'envelope_invalid');
    // The hub (intl suite) refuses a seal made for someone else's key.
    const forHub = await hub.call('POST', '/api/v1/audit/subject-accesses', { body: signJws({ ...fresh, to: '100000' }, signer) });
    assert.equal(forHub.body['code'], 'envelope_invalid');
    const inClearQuery: Record<string, unknown> = { ...fresh, idNumber: person };
    delete inClearQuery['subject'];
    const inClear = await yuhuan.call('POST', '/api/v1/audit/subject-accesses', { body: signJws(inClearQuery, signer) });
    assert.equal(inClear.body['code'], 'invalid_input');
    const refusals = await yuhuan.running.node.events.list({ type: 'audit.subject_query_answered' });
    assert.deepEqual(
      refusals.filter((event) => event.outcome === 'denied').slice(-3).map((event) => (event.details as { code?: string }).code),
      ['envelope_invalid', 'envelope_invalid', 'invalid_input'],
    );
    assert.ok(!JSON.stringify(refusals).includes(person));
  });
});

test('a citizen token expires after audit.citizenTokenTtlSeconds', async () => {
  const clock = fixedClock('2026-03-01T08:00:00Z');
  const node = await startTestNode({ code: '520400', clock, overrides: { 'audit.citizenTokenTtlSeconds': 300, 'audit.witnessIntervalSeconds': 86_400 } });
  try {
    const citizen = node.running.node.audit.citizen;
    const issued = await citizen.issueToken('staff:counter', person);
    assert.equal(issued.expiresAt, '2026-03-01T08:05:00.000Z');
    const report = await citizen.report({ token: issued.token, idNumber: person });
    assert.deepEqual(report.nodes.map((page) => [page.node, page.status]), [['520400', 'ok']]);
    clock.advance(301_000);
    await assert.rejects(citizen.report({ token: issued.token, idNumber: person }), (error: TongbanError) => error.code === 'citizen_token_expired');
  } finally {
    await node.close();
  }
});
