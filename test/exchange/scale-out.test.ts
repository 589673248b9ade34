/**
 * Scale-out: a provider node running as two OS processes over one PostgreSQL database. The same
 * message id sent to both at once yields one effect and one answer.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { loadConfig } from '../../src/config/load-config.ts';
import { newId } from '../../src/core/ids.ts';
import { openNode } from '../../src/node/open-node.ts';
import { canonicalJson, signJws } from '../../src/crypto/index.ts';
import { signWholeBatch } from '../../src/exchange/domain/batch.ts';
import { joinFederation, logIn, setUpBridge, type Bridge } from '../../src/demo/federation-setup.ts';
import { engines, freshPostgresUrl, type FreshPostgresDatabase } from '../support/databases.ts';
import { bridgeMessage } from '../support/federation.ts';
import { startTestNode, type TestNode } from '../support/nodes.ts';

const postgres = engines.find((engine) => engine.dialect === 'postgres')!;
const skip = postgres.unavailable && !postgres.required ? `${postgres.unavailable}; set TEST_POSTGRES_URL to run these` : false;

/** Starts `tongban serve` for a data directory as its own process and waits for its URL. */
async function serveProcess(dir: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['bin/tongban.mjs', 'serve', '--dir', dir, '--port', '0', '--log-level', 'warn'], {
    env: { ...process.env },
  });
  const url = await new Promise<string>((resolve, reject) => {
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += String(chunk);
      const match = /listening on (http:\/\/[^\s]+)/.exec(stderr);
      if (match) resolve(match[1]!);
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
    setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 30_000).unref();
  });
  return { url, child };
}

describe('a provider as two processes on one PostgreSQL database', { skip }, () => {
  let database: FreshPostgresDatabase;
  let requesterDatabase: FreshPostgresDatabase;
  let hub: TestNode;
  let provider: TestNode;
  let requester: TestNode;
  let second: { url: string; child: ChildProcess };
  let bridge: Bridge;

  before(async () => {
    database = await freshPostgresUrl();
    requesterDatabase = await freshPostgresUrl();
    hub = await startTestNode({ code: '100000', name: '国家枢纽', level: 'hub', role: 'hub' });
    provider = await startTestNode({ code: '520400', name: '贵州省安顺市', level: 'prefecture', databaseUrl: database.url });
    requester = await startTestNode({ code: '331083', name: '浙江省玉环市', level: 'county', databaseUrl: requesterDatabase.url });
    const admin = (node: TestNode) =>
      logIn(node.url, { username: node.init.admin.username, password: node.init.admin.password, totpSecret: node.init.admin.secondFactor.secret });
    const hubAdmin = await admin(hub);
    const providerAdmin = await admin(provider);
    const requesterAdmin = await admin(requester);
    await joinFederation(hubAdmin, [providerAdmin, requesterAdmin]);
    bridge = await setUpBridge(providerAdmin, requesterAdmin, { people: 20 });
    second = await serveProcess(provider.dir);
  });
  after(async () => {
    if (second) {
      const exited = new Promise((resolve) => second.child.on('exit', resolve));
      second.child.kill('SIGTERM');
      await exited;
    }
    await requester?.close();
    await provider?.close();
    await hub?.close();
    await database?.drop();
    await requesterDatabase?.drop();
  });

  test('the same message sent to both processes at once has one effect and one answer', async () => {
    const signer = await requester.running.node.keyring.signer();
    const message = bridgeMessage(bridge, '331083', 0);
    const envelope = JSON.stringify(signJws(message, signer));
    const post = (url: string) =>
      fetch(`${url}/api/v1/exchange/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: envelope }).then(
        async (response) => ({ status: response.status, body: (await response.json()) as { answer?: { signature: string } } }),
      );
    const [first, other] = await Promise.all([post(provider.url), post(second.url)]);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(other.status, 200, JSON.stringify(other.body));
    assert.deepEqual(first.body, other.body, 'both processes return the one stored answer');

    const answered = await provider.running.node.events.list({ type: 'exchange.answered', limit: 1000 });
    assert.equal(answered.filter((event) => event.details.id === message.id).length, 1, 'one effect');
    const rows = await provider.running.node.store.db.selectFrom('exchange_inbound').selectAll().where('id', '=', message.id).execute();
    assert.equal(rows.length, 1);
  });

  test('the same batch sent to both processes at once has one effect and one answer per message', async () => {
    const signer = await requester.running.node.keyring.signer();
    const messages = [1, 2, 3, 4].map((person) => bridgeMessage(bridge, '331083', person));
    const batch = JSON.stringify(
      signWholeBatch(
        messages.map((message) => canonicalJson(message)),
        signer,
        { id: newId(), from: '331083', to: '520400', ts: new Date().toISOString() },
      ),
    );
    const post = (url: string) =>
      fetch(`${url}/api/v1/exchange/batches`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: batch }).then(
        async (response) => ({ status: response.status, body: (await response.json()) as { results: { status: number; body: unknown }[] } }),
      );
    const [first, other] = await Promise.all([post(provider.url), post(second.url)]);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(other.status, 200, JSON.stringify(other.body));
    for (const result of first.body.results) assert.equal(result.status, 200, JSON.stringify(result));
    assert.deepEqual(first.body.results, other.body.results, 'both processes return the one stored answer of each message');

    const answered = await provider.running.node.events.list({ type: 'exchange.answered', limit: 1000 });
    for (const message of messages) {
      assert.equal(answered.filter((event) => event.details.id === message.id).length, 1, `one effect for ${message.id}`);
    }
  });

  test('both processes append to one dense log', async () => {
    const requests = Array.from({ length: 12 }, (_, index) => bridgeMessage(bridge, '331083', index, 'verify'));
    const signer = await requester.running.node.keyring.signer();
    await Promise.all(
      requests.map((message, index) =>
        fetch(`${index % 2 ? second.url : provider.url}/api/v1/exchange/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(signJws(message, signer)),
        }),
      ),
    );
    const events = await provider.running.node.store.db.selectFrom('events').select('seq').orderBy('seq').execute();
    assert.deepEqual(events.map((event) => Number(event.seq)), events.map((_, index) => index));
  });

  test('outbox messages are delivered exactly once when several processes run the outbox', async () => {
    const other = await openNode(loadConfig({ dir: requester.dir, env: {} }));
    try {
      const queued = [];
      for (let index = 0; index < 10; index++) {
        queued.push(
          await requester.running.node.exchange.enqueue({
            to: '520400',
            op: 'verify',
            agreement: bridge.agreement,
            item: '就医结算备案',
            purpose: 'medical-filing',
            operator: 'system',
            body: { dataset: '520400/social-insurance-enrolment', key: { idNumber: bridge.people[index]!.idNumber } },
          }),
        );
      }
      await Promise.all([requester.running.node.exchange.deliverDue(), other.exchange.deliverDue(), other.exchange.deliverDue()]);
      const deadline = Date.now() + 10_000;
      for (const { id } of queued) {
        let row = await requester.running.node.exchange.outbound(id);
        // The node's own background loop may be finishing a delivery that the runs above skipped as claimed.
        while (row.status === 'delivering' && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          row = await requester.running.node.exchange.outbound(id);
        }
        assert.equal(row.status, 'answered');
        assert.equal(row.attempts, 1, `${id} was attempted ${row.attempts} times`);
      }
      const delivered = await requester.running.node.events.list({ type: 'exchange.delivered', limit: 1000 });
      for (const { id } of queued) assert.equal(delivered.filter((event) => event.details.id === id).length, 1);
    } finally {
      await other.close();
    }
  });
});
