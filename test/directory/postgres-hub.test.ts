/**
 * The directory on PostgreSQL in the 国密 suite, with the hub running as two processes over one
 * database: a duplicate application sent to both at once is stored once, and what one process
 * decides the other serves.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/load-config.ts';
import { cryptoSuite, signJws } from '../../src/crypto/index.ts';
import { startNodeServer, type RunningNode } from '../../src/node/start-node-server.ts';
import { engines, freshPostgresUrl, type FreshPostgresDatabase } from '../support/databases.ts';
import type { TestNode } from '../support/nodes.ts';
import { eventsOf, joinOverHttp, quietFederation, startHub, startMember, syncOverHttp } from './fixture.ts';

const postgres = engines.find((engine) => engine.dialect === 'postgres')!;
const skip = postgres.unavailable && !postgres.required ? `${postgres.unavailable}; set TEST_POSTGRES_URL to run these` : false;

describe('the directory on PostgreSQL with a hub of two processes', { skip }, () => {
  let databases: FreshPostgresDatabase[] = [];
  let hub: TestNode;
  let secondHub: RunningNode;
  let member: TestNode;

  before(async () => {
    databases = await Promise.all([freshPostgresUrl(), freshPostgresUrl()]);
    hub = await startHub({ databaseUrl: databases[0]!.url, suite: 'sm' });
    secondHub = await startNodeServer(loadConfig({ dir: hub.dir, env: {}, overrides: { ...quietFederation, 'http.port': 0 } }));
    member = await startMember('330000', '浙江省', { databaseUrl: databases[1]!.url, suite: 'sm' });
  });
  after(async () => {
    await secondHub?.close();
    await Promise.all([hub, member].map((node) => node?.close()));
    await Promise.all(databases.map((database) => database.drop()));
  });

  test('the same application sent to both hub processes at once is stored once', async () => {
    const suite = cryptoSuite('sm');
    const signing = suite.generateSigningKey();
    const sealing = suite.generateAgreementKey();
    const now = new Date().toISOString();
    const application = signJws(
      {
        type: 'tongban.membership-application',
        code: '320000',
        name: '江苏省',
        level: 'province',
        parent: null,
        endpoint: 'https://js.example.gov.cn',
        keys: [
          { kid: '320000#s-1', use: 'sign', suite: 'sm', publicKey: Buffer.from(signing.publicKey).toString('base64url'), validFrom: now },
          { kid: '320000#e-1', use: 'encrypt', suite: 'sm', publicKey: Buffer.from(sealing.publicKey).toString('base64url'), validFrom: now },
        ],
        ts: now,
      },
      { kid: '320000#s-1', suite, privateKey: signing.privateKey },
    );
    const post = (url: string) =>
      fetch(`${url}/api/v1/directory/applications`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(application) });
    const answers = await Promise.all([post(hub.url), post(secondHub.url)]);
    assert.deepEqual(answers.map((answer) => answer.status).sort(), [202, 409]);
    const refused = (await answers.find((answer) => answer.status === 409)!.json()) as { code: string };
    assert.equal(refused.code, 'application_pending');
    assert.equal((await eventsOf(hub, 'directory.application_received')).filter((event) => event.details.code === '320000').length, 1);
  });

  test('a member approved by one process syncs from the other, with SM2 signatures throughout', async () => {
    assert.equal((await joinOverHttp(member, hub.url)).status, 200);
    const token = await hub.adminToken();
    const approved = await fetch(`${secondHub.url}/api/v1/directory/applications/330000/approve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(approved.status, 200, await approved.clone().text());
    const synced = await syncOverHttp(member);
    assert.deepEqual(synced.results.map((step) => step.status), ['updated']);
    const view = member.running.node.directory;
    assert.equal(view.member('330000')?.status, 'active');
    assert.ok(view.hub()?.keys.every((key) => key.suite === 'sm'));
    const versions = (await eventsOf(hub, 'directory.published')).map((event) => event.details.version as number);
    assert.equal(new Set(versions).size, versions.length, 'each version published once');
  });
});
