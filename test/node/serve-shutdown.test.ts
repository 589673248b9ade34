/**
 * Graceful shutdown: `tongban serve` in a child process gets SIGTERM while exchanges and an outbox
 * delivery are in flight; it stops accepting connections, finishes them, closes its store and
 * exits 0. A request that will not finish is cut off once the drain timeout has passed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load-config.ts';
import { joinFederation, logIn, setUpBridge, type Bridge } from '../../src/demo/federation-setup.ts';
import { initNode } from '../../src/node/init-node.ts';
import { openNode } from '../../src/node/open-node.ts';
import { startNodeServer } from '../../src/node/start-node-server.ts';
import { startTestNode, type TestNode } from '../support/nodes.ts';

/** How long the provider holds every envelope before handling it, so the requester has exchanges in flight. */
const providerDelayMs = 1500;

/** Starts `tongban serve` for a data directory as its own process and waits for its URL. */
async function serveProcess(dir: string): Promise<{ url: string; child: ChildProcess; exit: Promise<{ code: number | null; signal: string | null }>; output: () => string }> {
  const child = spawn(process.execPath, ['bin/tongban.mjs', 'serve', '--dir', dir, '--port', '0', '--log-level', 'info'], { env: { ...process.env } });
  let stderr = '';
  let stdout = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += String(chunk);
  });
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += String(chunk);
  });
  const exit = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 30_000);
    const look = () => {
      const match = /listening on (http:\/\/[^\s]+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stderr!.on('data', look);
    void exit.then(({ code }) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
  return { url, child, exit, output: () => `${stderr}\n${stdout}` };
}

/** Tries a fresh TCP connection; resolves with the error code, or 'connected'. */
function tryConnect(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
}

async function until(condition: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('tongban serve shuts down gracefully', () => {
  let hub: TestNode;
  let provider: TestNode;
  let requester: TestNode;
  let bridge: Bridge;
  let held = 0;
  let child: ChildProcess | undefined;

  before(async () => {
    hub = await startTestNode({ code: '100000', name: '国家枢纽', level: 'hub', role: 'hub' });
    provider = await startTestNode({ code: '520400', name: '贵州省安顺市', level: 'prefecture' });
    requester = await startTestNode({ code: '331083', name: '浙江省玉环市', level: 'county' });
    const admin = (node: TestNode) =>
      logIn(node.url, { username: node.init.admin.username, password: node.init.admin.password, totpSecret: node.init.admin.secondFactor.secret });
    const [hubAdmin, providerAdmin, requesterAdmin] = [await admin(hub), await admin(provider), await admin(requester)];
    await joinFederation(hubAdmin, [providerAdmin, requesterAdmin]);
    bridge = await setUpBridge(providerAdmin, requesterAdmin, { people: 5 });
    // The requester now runs as `tongban serve` in its own process, on the same data directory.
    await requester.running.close();
    // The provider holds every envelope for a while (its HTTP routes look `receive` and
    // `receiveBatch` up per request); a batch counts as the messages it carries.
    type Exchange = Pick<typeof provider.running.node.exchange, 'receive' | 'receiveBatch'>;
    const exchange = provider.running.node.exchange as Exchange;
    const { receive, receiveBatch } = exchange;
    exchange.receive = async (raw) => {
      held++;
      await new Promise((resolve) => setTimeout(resolve, providerDelayMs));
      return receive(raw);
    };
    exchange.receiveBatch = async (raw) => {
      const payloads = (raw as { payloads?: unknown }).payloads;
      held += Array.isArray(payloads) ? payloads.length : 1;
      await new Promise((resolve) => setTimeout(resolve, providerDelayMs));
      return receiveBatch(raw);
    };
  });

  after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await provider?.close();
    await hub?.close();
    rmSync(requester.dir, { recursive: true, force: true });
  });

  test('SIGTERM: new connections are refused, running exchanges and an outbox delivery finish, the process exits 0', async () => {
    const served = await serveProcess(requester.dir);
    child = served.child;
    const ask = (person: number, extra: Record<string, unknown> = {}) =>
      fetch(`${served.url}/api/v1/exchange/requests`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${bridge.requester.caseworker.token}` },
        body: JSON.stringify({
          to: '520400',
          op: 'query',
          agreement: bridge.agreement,
          item: '就医结算备案',
          purpose: 'medical-filing',
          dataset: '520400/social-insurance-enrolment',
          key: { idNumber: bridge.people[person]!.idNumber },
          fields: ['name', 'insuredStatus'],
          ...extra,
        }),
      }).then(async (response) => ({ status: response.status, body: (await response.json()) as { id: string; records?: unknown[]; status?: string } }));

    const queued = await ask(4, { async: true });
    assert.equal(queued.status, 202, JSON.stringify(queued.body));
    const running = [ask(0), ask(1), ask(2)];
    // Three exchanges and the outbox delivery are all under way: the first exchange and the outbox
    // delivery went at once, the two that came while the first was on the wire follow as a batch.
    await until(() => held >= 4, 'four envelopes at the provider');

    served.child.kill('SIGTERM');
    let finished = false;
    void Promise.all(running).then(() => (finished = true));
    await until(() => /shutting down/.test(served.output()), 'the shutdown to start', 5000);
    // The server stops listening a moment after it says it is shutting down.
    let attempt = await tryConnect(served.url);
    for (let waited = 0; attempt === 'connected' && waited < 1000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      attempt = await tryConnect(served.url);
    }
    assert.notEqual(attempt, 'connected', 'no new connections while draining');
    assert.equal(finished, false, 'new connections were refused while the exchanges were still running');

    const answers = await Promise.all(running);
    for (const answer of answers) {
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(answer.body.records?.length, 1);
    }
    const exit = await served.exit;
    assert.deepEqual(exit, { code: 0, signal: null }, served.output());
    assert.doesNotMatch(served.output(), /cut off/, 'the drain ends when the running requests do, not at its timeout');
    assert.ok(held >= 4);

    // The store was closed cleanly and holds everything that was in flight.
    const node = await openNode(loadConfig({ dir: requester.dir, env: {} }));
    try {
      const requested = await node.events.list({ type: 'exchange.requested', limit: 1000 });
      for (const answer of answers) {
        assert.equal(requested.filter((event) => event.details.id === answer.body.id).length, 1, `exchange ${answer.body.id} is recorded`);
      }
      const delivered = await node.exchange.outbound(queued.body.id);
      assert.equal(delivered.status, 'answered', 'the outbox delivery under way was finished, not abandoned');
    } finally {
      await node.close();
    }
  });

  test('a request that does not finish is cut off after the drain timeout', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'tongban-drain-')), 'node');
    try {
      await initNode({ dir, code: '330000', name: '浙江省', level: 'province', suite: 'intl', port: 0, env: {}, extraConfig: { auth: { passwordCostLog2: 10 }, log: { level: 'silent' } } });
      const running = await startNodeServer(loadConfig({ dir, env: {} }), { drainTimeoutMs: 300 });
      // A request whose body never completes: the server is still reading it when asked to stop.
      const { hostname, port } = new URL(running.url);
      const stuck = httpRequest({ host: hostname, port, method: 'POST', path: '/api/v1/auth/login', headers: { 'content-type': 'application/json', 'content-length': 1000 } });
      const cut = new Promise<string>((resolve) => {
        stuck.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
        stuck.once('response', (response) => resolve(`HTTP ${response.statusCode}`));
      });
      stuck.write('{"username":');
      await until(() => running.inFlight() === 1, 'the stuck request to arrive', 5000);
      // Without the cut-off this would wait for the client (or the 30 s request timeout).
      await running.close();
      assert.equal(await cut, 'ECONNRESET', 'the stuck connection was closed');
      await until(() => running.inFlight() === 0, 'the cut request to be counted out', 5000);
    } finally {
      rmSync(join(dir, '..'), { recursive: true, force: true });
    }
  });
});
