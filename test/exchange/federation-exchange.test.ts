/**
 * The heart of Tongban end to end, on real nodes over loopback HTTP: a hub, a provider (安顺市)
 * and a requester (玉环市) join, publish, sign an agreement, and exchange — bridge and radial —
 * while everything outside the agreement is refused with the clause that refused it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { httpStatusOf, type ErrorCode } from '../../src/core/errors.ts';
import { newId } from '../../src/core/ids.ts';
import { signJws } from '../../src/crypto/index.ts';
import { systemActor } from '../../src/identity/index.ts';
import { joinFederation, logIn, setUpBridge, type Bridge, type StaffSession } from '../../src/demo/federation-setup.ts';
import { bridgeMessage } from '../support/federation.ts';
import { startTestNode, type TestNode } from '../support/nodes.ts';

interface Refusal {
  status: number;
  body: { code: string; message: string; details?: Record<string, unknown> };
}

describe('exchange across a federation', () => {
  let hub: TestNode;
  let provider: TestNode;
  let requester: TestNode;
  let bridge: Bridge;
  let caseworker: StaffSession;
  let hubAdmin: StaffSession;

  before(async () => {
    hub = await startTestNode({ code: '100000', name: '国家枢纽', level: 'hub', role: 'hub' });
    provider = await startTestNode({ code: '520400', name: '贵州省安顺市', level: 'prefecture' });
    requester = await startTestNode({ code: '331083', name: '浙江省玉环市', level: 'county' });
    const admin = async (node: TestNode) =>
      logIn(node.url, { username: node.init.admin.username, password: node.init.admin.password, totpSecret: node.init.admin.secondFactor.secret });
    hubAdmin = await admin(hub);
    const [providerAdmin, requesterAdmin] = [await admin(provider), await admin(requester)];
    await joinFederation(hubAdmin, [providerAdmin, requesterAdmin]);
    bridge = await setUpBridge(providerAdmin, requesterAdmin, { people: 50 });
    caseworker = bridge.requester.caseworker;
  });
  after(async () => {
    await requester?.close();
    await provider?.close();
    await hub?.close();
  });

  const ask = async (body: Record<string, unknown>): Promise<Refusal & { body: Record<string, unknown> }> => {
    const response = await fetch(`${requester.url}/api/v1/exchange/requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${caseworker.token}` },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Refusal['body'] };
  };

  const base = () => ({
    to: '520400',
    agreement: bridge.agreement,
    item: '就医结算备案',
    purpose: 'medical-filing',
    dataset: '520400/social-insurance-enrolment',
    key: { idNumber: bridge.people[0]!.idNumber },
  });

  test('a bridge query returns exactly the granted fields, masked, with a signed answer', async () => {
    const { status, body } = await ask({ ...base(), op: 'query', fields: ['name', 'insuredStatus', 'insuredSince'] });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.status, 'ok');
    const records = body.records as Record<string, unknown>[];
    assert.equal(records.length, 1);
    const person = bridge.people[0]!;
    assert.deepEqual(Object.keys(records[0]!).sort(), ['insuredSince', 'insuredStatus', 'name']);
    assert.equal(records[0]!.name, [...person.name][0] + '*'.repeat([...person.name].length - 1), 'name is masked keep-first-char');
    assert.equal(records[0]!.insuredStatus, 'active');
    const decision = body.decision as { clause: string; agreement: string };
    assert.equal(decision.agreement, bridge.agreement);
    assert.match(decision.clause, /^\/datasets\/0\/grants\/0/);
    assert.ok((body.evidence as { signature: string }).signature.length > 40);
  });

  test('a verify answers yes or no without the record', async () => {
    const yes = await ask({ ...base(), op: 'verify', predicate: { field: 'isInsured', equals: 'true' } });
    assert.equal(yes.status, 200, JSON.stringify(yes.body));
    assert.equal(yes.body.result, true);
    assert.equal(yes.body.records, undefined);
    const never = bridge.people.find((_, index) => index % 10 === 9)!;
    const no = await ask({ ...base(), key: { idNumber: never.idNumber }, op: 'verify', predicate: { field: 'isInsured', equals: 'true' } });
    assert.equal(no.body.result, false);
  });

  test('a radial query through the hub gets the same answer, and the hub never sees the plaintext', async () => {
    const person = bridge.people[1]!;
    const { status, body } = await ask({ ...base(), key: { idNumber: person.idNumber }, op: 'query', fields: ['insuredStatus'], route: 'radial' });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.route, 'radial');
    assert.deepEqual(body.records, [{ insuredStatus: 'active' }]);

    // Everything the hub stored: no ID number, no name, no answer value.
    const db = hub.running.node.store.db;
    const tables = await db.introspection.getTables();
    let dump = '';
    for (const table of tables) {
      const rows = await db.selectFrom(table.name as never).selectAll().execute();
      dump += JSON.stringify(rows);
    }
    assert.ok(!dump.includes(person.idNumber), 'the hub stored the ID number');
    assert.ok(!dump.includes(person.name), 'the hub stored the name');
    const relayed = await hub.running.node.events.list({ type: 'exchange.relayed', limit: 1000 });
    assert.ok(relayed.length >= 1, 'the hub records that it relayed');
  });

  test('requests outside the agreement are refused with their code and the clause', async () => {
    const cases: [string, Record<string, unknown>][] = [
      ['field_not_granted', { ...base(), op: 'query', fields: ['name', 'birthDate'] }],
      ['purpose_not_allowed', { ...base(), op: 'query', fields: ['name'], purpose: 'curiosity' }],
      ['item_not_allowed', { ...base(), op: 'query', fields: ['name'], item: '户口迁移' }],
      ['operation_not_granted', { ...base(), dataset: '520400/household-registration', op: 'query', fields: ['name'] }],
      ['approval_required', { ...base(), dataset: '520400/household-registration', op: 'verify', predicate: { field: 'hasRegistration', equals: 'true' } }],
      ['agreement_unknown', { ...base(), op: 'query', fields: ['name'], agreement: 'agr-nothing-like-this@1' }],
    ];
    for (const [code, request] of cases) {
      const refused = await ask(request);
      assert.equal(refused.body.code, code, `${code}: ${JSON.stringify(refused.body)}`);
      assert.equal(refused.status, httpStatusOf(code as ErrorCode));
      if (code !== 'agreement_unknown') assert.ok(typeof refused.body.details?.clause === 'string', `${code} names a clause`);
    }
    // The provider recorded each denial, with the clause.
    const denied = await provider.running.node.events.list({ type: 'exchange.denied', limit: 1000 });
    assert.ok(denied.length >= cases.length);
  });

  test('the provider refuses forged, replayed, stale and misaddressed envelopes', async () => {
    const signer = await requester.running.node.keyring.signer();
    const message = (overrides: Record<string, unknown> = {}) => ({ ...bridgeMessage(bridge, '331083', 2), ...overrides });
    const post = async (envelope: unknown) => {
      const response = await fetch(`${provider.url}/api/v1/exchange/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(envelope),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };

    const original = message();
    const first = await post(signJws(original, signer));
    assert.equal(first.status, 200);
    const retried = await post(signJws({ ...original, ts: new Date(Date.now() + 1000).toISOString() }, signer));
    assert.deepEqual(retried.body, first.body, 'a retried id returns the stored answer');
    const replayed = await post(signJws({ ...original, purpose: 'other' }, signer));
    assert.equal(replayed.body.code, 'replayed');

    // A time far ahead: the key is valid then, but the clocks disagree by an hour.
    assert.equal((await post(signJws(message({ ts: new Date(Date.now() + 3_600_000).toISOString() }), signer))).body.code, 'clock_skew');
    // A time before the key existed: the key was not valid then.
    assert.equal((await post(signJws(message({ ts: new Date(Date.now() - 3_600_000).toISOString() }), signer))).body.code, 'key_not_valid');
    assert.equal((await post(signJws(message({ to: '310000' }), signer))).body.code, 'not_for_this_node');
    assert.equal((await post(signJws(message({ from: '999999' }), signer))).body.code, 'sender_unknown');

    const tampered = signJws(message(), signer);
    const forged = { ...tampered, signature: tampered.signature.slice(0, -4) + 'AAAA' };
    assert.equal((await post(forged)).body.code, 'signature_invalid');
    const wrongKid = await post(signJws(message({ from: '520400', to: '520400' }), signer));
    assert.equal(wrongKid.body.code, 'signature_invalid');
    assert.equal((await post({ payload: 'x' })).body.code, 'envelope_invalid');
    assert.equal((await post(signJws({ ...message(), op: 'delete' }, signer))).body.code, 'envelope_invalid');

    const big = await fetch(`${provider.url}/api/v1/exchange/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ payload: 'x'.repeat(400_000), protected: 'y', signature: 'z' }),
    });
    assert.equal(big.status, 413);

    const refusals = await provider.running.node.events.list({ type: 'exchange.refused', limit: 1000 });
    const codes = new Set(refusals.map((event) => event.details.code));
    for (const code of ['replayed', 'clock_skew', 'not_for_this_node', 'sender_unknown', 'signature_invalid', 'envelope_invalid']) {
      assert.ok(codes.has(code), `refusal ${code} not recorded`);
    }
  });

  test('the hub refuses to relay to a non-member, and to relay plaintext', async () => {
    const signer = await requester.running.node.keyring.signer();
    const relay = async (overrides: Record<string, unknown>) => {
      const message = {
        id: newId(),
        ts: new Date().toISOString(),
        from: '331083',
        to: '999999',
        via: '100000',
        op: 'query',
        agreement: bridge.agreement,
        item: '就医结算备案',
        purpose: 'medical-filing',
        operator: 'system',
        body: { sealed: { enc: 'X25519-A256GCM', kid: '999999#e-0000000000', ct: 'AAAA' } },
        ...overrides,
      };
      const response = await fetch(`${hub.url}/api/v1/exchange/relay`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(signJws(message, signer)),
      });
      return (await response.json()) as { code: string };
    };
    assert.equal((await relay({})).code, 'recipient_unknown');
    const plaintext = { dataset: '520400/social-insurance-enrolment', key: { idNumber: bridge.people[0]!.idNumber }, fields: ['name'] };
    assert.equal((await relay({ to: '520400', body: plaintext })).code, 'envelope_invalid');
    assert.equal((await relay({ to: '520400', via: '310000' })).code, 'not_for_this_node');
    const refused = await hub.running.node.events.list({ type: 'exchange.relayed', limit: 1000 });
    assert.ok(refused.some((event) => event.outcome === 'denied' && event.details.code === 'recipient_unknown'));
  });

  test('a suspended requester is refused once the provider has synced', async () => {
    const session = hubAdmin;
    await session.call('POST', '/api/v1/directory/members/331083/suspend', { reason: 'test' });
    await provider.running.node.directory.sync(systemActor);
    const refused = await ask({ ...base(), op: 'query', fields: ['name'] });
    assert.equal(refused.body.code, 'member_suspended');
    await session.call('POST', '/api/v1/directory/members/331083/reinstate', {});
    await provider.running.node.directory.sync(systemActor);
    await requester.running.node.directory.sync(systemActor);
  });

  test('a queued request is delivered by the outbox once the provider is reachable', async () => {
    const queued = await ask({ ...base(), op: 'verify', predicate: { field: 'isInsured', equals: 'true' }, async: true });
    assert.equal(queued.status, 202, JSON.stringify(queued.body));
    const id = queued.body.id as string;
    await requester.running.node.exchange.deliverDue();
    const response = await fetch(`${requester.url}/api/v1/exchange/requests/${id}`, { headers: { authorization: `Bearer ${caseworker.token}` } });
    const outbound = (await response.json()) as { status: string; answer: { answer: { body: { result: boolean } } } };
    assert.equal(outbound.status, 'answered');
    assert.equal(outbound.answer.answer.body.result, true);
  });
});
