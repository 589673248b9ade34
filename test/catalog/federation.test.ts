/**
 * Publication of catalogue metadata to a real hub and federation search from another member,
 * against the real directory: join, approval and sync over HTTP.
 */
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { signJws, cryptoSuite, formatKid } from '../../src/crypto/index.ts';
import { parseDatasetDocument } from '../../src/catalog/index.ts';
import { publicationOf, publishedDatasetOf } from '../../src/catalog/domain/publication.ts';
import { startTestNode, type TestNode } from '../support/nodes.ts';
import { datasetDocument } from './catalog-fixture.ts';

const directorySource = readFileSync(new URL('../../src/directory/index.ts', import.meta.url), 'utf8');
const skip = directorySource.includes('TEMPORARY') ? 'directory context not landed yet' : false;

/** Waits for a condition the node's background loop brings about; the limit only bounds a failing test. */
async function eventually<T>(probe: () => Promise<T | undefined>, what: string, limitMs = 20_000): Promise<T> {
  const until = Date.now() + limitMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function login(node: TestNode, username: string, role: string): Promise<string> {
  const password = 'Correct-Horse-Battery-9';
  const admin = await node.adminToken();
  const created = await node.call('POST', '/api/v1/accounts', { token: admin, body: { username, displayName: username, roles: [role], password } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const response = await node.call('POST', '/api/v1/auth/login', { body: { username, password } });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body.accessToken as string;
}

async function join(hub: TestNode, member: TestNode): Promise<void> {
  const joined = await member.call('POST', '/api/v1/directory/join', { token: await member.adminToken(), body: { hub: hub.url, endpoint: member.url } });
  assert.ok(joined.status < 300, JSON.stringify(joined.body));
  const approved = await hub.call('POST', `/api/v1/directory/applications/${member.running.node.info.code}/approve`, { token: await hub.adminToken() });
  assert.ok(approved.status < 300, JSON.stringify(approved.body));
  const synced = await member.call('POST', '/api/v1/directory/sync', { token: await member.adminToken() });
  assert.equal(synced.status, 200, JSON.stringify(synced.body));
}

describe('catalogue publication and federation search', { skip }, () => {
  let hub: TestNode;
  let zhejiang: TestNode;
  let shanghai: TestNode;
  let steward: string;
  let caseworker: string;

  before(async () => {
    hub = await startTestNode({ code: '100000', name: '国家政务服务平台枢纽', level: 'hub', overrides: { 'federation.syncIntervalSeconds': 86_400 } });
    // The publishing member retries every second, as a node whose hub was down would.
    zhejiang = await startTestNode({ code: '330000', name: '浙江省', overrides: { 'federation.syncIntervalSeconds': 1 } });
    shanghai = await startTestNode({ code: '310000', name: '上海市', overrides: { 'federation.syncIntervalSeconds': 86_400 } });
    steward = await login(zhejiang, 'steward1', 'steward');
    caseworker = await login(shanghai, 'caseworker1', 'caseworker');
  });
  after(async () => {
    await Promise.all([zhejiang?.close(), shanghai?.close(), hub?.close()]);
  });

  test('publication waits for a hub, then reaches it without being asked', async () => {
    const created = await zhejiang.call('POST', '/api/v1/catalog/datasets', { token: steward, body: datasetDocument() });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const waiting = await zhejiang.call('GET', '/api/v1/catalog/publication', { token: steward });
    assert.equal(waiting.body.state, 'waiting_for_hub');

    await join(hub, zhejiang);
    const published = await eventually(async () => {
      const status = await zhejiang.call('GET', '/api/v1/catalog/publication', { token: steward });
      return status.body.state === 'published' ? status.body : undefined;
    }, 'the catalogue to reach the hub');
    assert.equal(published.hub, '100000');
    assert.equal(published.publishedVersion, published.version);
    const received = await hub.running.node.events.list({ type: 'catalog.publication_received' });
    assert.equal(received.at(-1)?.details.node, '330000');
  });

  test('another member searches the federation catalogue through its own node', async () => {
    const before = await shanghai.call('GET', '/api/v1/catalog/search?q=户籍', { token: caseworker });
    assert.equal(before.status, 503, 'no hub known before joining');
    await join(hub, shanghai);

    const found = await shanghai.call('GET', `/api/v1/catalog/search?q=${encodeURIComponent('户籍 人口')}`, { token: caseworker });
    assert.equal(found.status, 200, JSON.stringify(found.body));
    assert.equal(found.body.total, 1);
    const [dataset] = found.body.datasets as Array<Record<string, unknown>>;
    assert.equal(dataset!.id, '330000/household-register');
    assert.equal(dataset!.providerName, '浙江省公安厅');
    assert.deepEqual((dataset!.sharing as { type: string }).type, 'conditional');
    assert.ok(!('data' in dataset!), 'no row counts or rows leave the provider');

    const byItem = await shanghai.call('GET', '/api/v1/catalog/search?q=idnumber&grade=important&provider=330000', { token: caseworker });
    assert.equal(byItem.body.total, 1);
    const none = await shanghai.call('GET', '/api/v1/catalog/search?sharing=unconditional', { token: caseworker });
    assert.equal(none.body.total, 0);
    const paged = await shanghai.call('GET', '/api/v1/catalog/search?limit=1&offset=1', { token: caseworker });
    assert.deepEqual(paged.body.datasets, []);
  });

  test('changes are published again with a higher version', async () => {
    const updated = await zhejiang.call('PUT', '/api/v1/catalog/datasets/330000/household-register', {
      token: steward,
      body: datasetDocument({ name: '户籍人口基本信息（2026版）' }),
    });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    const renamed = await eventually(async () => {
      const found = await shanghai.call('GET', '/api/v1/catalog/search?q=2026', { token: caseworker });
      return found.body.total === 1 ? found.body : undefined;
    }, 'the new name to reach the hub');
    assert.equal((renamed.datasets as Array<{ version: number }>)[0]!.version, 2);
  });

  test('the hub answers its own staff, and refuses unsigned callers and forged publications', async () => {
    const staff = await hub.call('GET', '/api/v1/catalog/federation?provider=330000', { token: await hub.adminToken() });
    assert.equal(staff.status, 200);
    assert.equal(staff.body.total, 1);
    const anonymous = await hub.call('GET', '/api/v1/catalog/federation');
    assert.equal(anonymous.status, 401);

    // Shanghai signs a publication of Zhejiang's datasets: the signature is good, the claim is not.
    const document = parseDatasetDocument(datasetDocument(), { code: '330000', name: '浙江省' });
    const forged = publicationOf('310000', 99, [publishedDatasetOf(document, 1, new Date().toISOString())], new Date());
    const signed = signJws(forged, await shanghai.running.node.keyring.signer());
    const refused = await hub.call('POST', '/api/v1/catalog/federation', { body: signed });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.code, 'invalid_input');

    // A node that is no member at all.
    const suite = cryptoSuite('intl');
    const stranger = suite.generateSigningKey();
    const unknown = signJws(publicationOf('440000', 1, [], new Date()), { kid: formatKid('440000', 's-stranger'), suite, privateKey: stranger.privateKey });
    const notMember = await hub.call('POST', '/api/v1/catalog/federation', { body: unknown });
    assert.equal(notMember.body.code, 'member_unknown');

    const refusals = await hub.running.node.events.list({ type: 'catalog.publication_refused' });
    assert.deepEqual(refusals.map((event) => event.details.code), ['invalid_input', 'member_unknown']);

    const stillThere = await shanghai.call('GET', '/api/v1/catalog/search?provider=330000', { token: caseworker });
    assert.equal((stillThere.body.datasets as Array<{ name: string }>)[0]!.name, '户籍人口基本信息（2026版）');
  });

  test("the hub's own catalogue is searchable too", async () => {
    const hubSteward = await login(hub, 'hubsteward', 'steward');
    const created = await hub.call('POST', '/api/v1/catalog/datasets', {
      token: hubSteward,
      body: datasetDocument({ id: 'national-items', name: '全国跨省通办事项清单', sharing: { type: 'unconditional' }, grade: 'general' }),
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const status = await hub.call('POST', '/api/v1/catalog/publication', { token: hubSteward });
    assert.equal(status.body.state, 'published');
    const found = await shanghai.call('GET', `/api/v1/catalog/search?q=${encodeURIComponent('跨省通办')}`, { token: caseworker });
    assert.deepEqual((found.body.datasets as Array<{ id: string }>).map((d) => d.id), ['100000/national-items']);
  });

  test('a federation search comes back in the order the caller asks, which its node passes on to the hub', async () => {
    const ids = async (sort: string) => {
      const found = await shanghai.call('GET', `/api/v1/catalog/search?sort=${encodeURIComponent(sort)}`, { token: caseworker });
      assert.equal(found.status, 200, JSON.stringify(found.body));
      return (found.body.datasets as Array<{ id: string }>).map((d) => d.id);
    };
    const byId = ['100000/national-items', '330000/household-register'];
    assert.deepEqual(await ids('id'), byId);
    assert.deepEqual(await ids('-id'), [...byId].reverse());
    // 全 (U+5168) comes before 户 (U+6237): names go by code point on every engine.
    assert.deepEqual(await ids('name'), byId);
    assert.deepEqual(await ids('-name'), [...byId].reverse());
    // The hub's dataset was registered last.
    assert.deepEqual(await ids('-updated'), byId);
    const refused = await shanghai.call('GET', '/api/v1/catalog/search?sort=size', { token: caseworker });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.code, 'invalid_input');
  });
});
