/** A whole node on PostgreSQL: init, serve, log in over HTTP; two server processes sharing one database. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/load-config.ts';
import { startNodeServer, type RunningNode } from '../../src/node/start-node-server.ts';
import { engines, freshPostgresUrl, type FreshPostgresDatabase } from '../support/databases.ts';
import { startTestNode, type TestNode } from '../support/nodes.ts';

const postgres = engines.find((engine) => engine.dialect === 'postgres')!;
const skip = postgres.unavailable && !postgres.required ? `${postgres.unavailable}; set TEST_POSTGRES_URL to run these` : false;

describe('a node on PostgreSQL', { skip }, () => {
  let database: FreshPostgresDatabase;
  let node: TestNode;
  let second: RunningNode;
  before(async () => {
    database = await freshPostgresUrl();
    node = await startTestNode({ code: '310000', name: '上海市', databaseUrl: database.url, suite: 'sm' });
    // A second server process of the same node, on the same database, as behind a load balancer.
    second = await startNodeServer(loadConfig({ dir: node.dir, env: {}, overrides: { 'http.port': 0 } }));
  });
  after(async () => {
    await second?.close();
    await node?.close();
    await database?.drop();
  });

  test('is ready, reports PostgreSQL, and signs with the sm suite', async () => {
    assert.deepEqual((await node.call('GET', '/readyz')).body, { status: 'ready', database: 'postgres' });
    const keys = (await node.call('GET', '/api/v1/node/keys')).body.keys as { suite: string }[];
    assert.ok(keys.every((key) => key.suite === 'sm'));
  });

  test('both processes serve the same accounts and sessions, and the log stays one dense sequence', async () => {
    const token = await node.adminToken();
    const created = await node.call('POST', '/api/v1/accounts', {
      token,
      body: { username: 'chen.steward', displayName: '陈', roles: ['steward'], password: 'Data-Steward-2026' },
    });
    assert.equal(created.status, 201);
    // The session made through the first process is honoured by the second.
    const me = await fetch(`${second.url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(me.status, 200);
    // Concurrent logins through both processes append to one log without gaps.
    await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        fetch(`${index % 2 ? second.url : node.url}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'chen.steward', password: index % 3 ? 'Data-Steward-2026' : 'Wrong-Password-99' }),
        }),
      ),
    );
    const events = (await node.call('GET', '/api/v1/events?limit=1000', { token })).body.events as { seq: number }[];
    assert.deepEqual(events.map((event) => event.seq), events.map((_, index) => index));
  });
});
