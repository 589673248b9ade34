/**
 * `tongban serve` shutting down while a request is still running: the drain waits at most
 * `http.drainTimeoutMs`, and a second Ctrl-C during the drain exits at once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = mkdtempSync(join(tmpdir(), 'tongban-interrupt-'));
const dir = join(root, 'node');
const baseEnv = { ...process.env, TONGBAN_AUTH_PASSWORD_COST_LOG2: '10' };

before(() => {
  execFileSync(process.execPath, ['bin/tongban.mjs', 'init', '--code', '310000', '--name', '上海市', '--dir', dir, '--json'], { encoding: 'utf8', env: baseEnv });
});
after(() => rmSync(root, { recursive: true, force: true }));

interface Served {
  readonly server: ChildProcessWithoutNullStreams;
  readonly port: number;
  readonly stderr: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function serve(env: Record<string, string>): Promise<Served> {
  const server = spawn(process.execPath, ['bin/tongban.mjs', 'serve', '--dir', dir, '--port', '0', '--log-level', 'warn'], { env: { ...baseEnv, ...env } });
  let stderr = '';
  server.stderr.on('data', (chunk: Buffer) => {
    stderr += String(chunk);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => server.on('exit', (code, signal) => resolveExit({ code, signal })));
  const port = await new Promise<number>((resolvePort, reject) => {
    const look = () => {
      const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr);
      if (match) resolvePort(Number(match[1]));
    };
    server.stderr.on('data', look);
    void exited.then(({ code }) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
    setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 30_000).unref();
  });
  return { server, port, stderr: () => stderr, exited };
}

/** Starts a request whose body never finishes, so the server counts it as running. */
async function hangingRequest(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolveConnect) => socket.once('connect', () => resolveConnect()));
  socket.on('error', () => undefined);
  socket.write('POST /api/v1/exchange/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"payload":');
  // The server reads connections in the order their data arrived: once a later request is
  // answered, it has seen this one's headers and counts it as running.
  await new Promise((resolveWait) => setTimeout(resolveWait, 50));
  assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
  return socket;
}

async function waitFor(served: Served, pattern: RegExp): Promise<void> {
  while (!pattern.test(served.stderr())) {
    const exited = await Promise.race([served.exited.then(() => true), new Promise<false>((resolveWait) => setTimeout(() => resolveWait(false), 20))]);
    if (exited && !pattern.test(served.stderr())) throw new Error(`serve exited before printing ${pattern}: ${served.stderr()}`);
  }
}

test('a second Ctrl-C during the drain exits at once, with a message, instead of waiting for the running request', async () => {
  const served = await serve({ TONGBAN_HTTP_DRAIN_TIMEOUT_MS: '600000', TONGBAN_HTTP_REQUEST_TIMEOUT_MS: '600000' });
  const socket = await hangingRequest(served.port);
  try {
    served.server.kill('SIGINT');
    await waitFor(served, /SIGINT: shutting down; finishing 1 running request\(s\)\. Press Ctrl-C again to exit at once\./);
    served.server.kill('SIGINT');
    const { code } = await served.exited;
    assert.equal(code, 130, 'exit status of an interrupted program');
    assert.match(served.stderr(), /SIGINT again: exiting now without waiting for 1 running request\(s\)\./);
  } finally {
    socket.destroy();
    served.server.kill('SIGKILL');
  }
});

test('http.drainTimeoutMs bounds the drain: a request still running then is cut off and serve exits cleanly', async () => {
  const served = await serve({ TONGBAN_HTTP_DRAIN_TIMEOUT_MS: '300', TONGBAN_HTTP_REQUEST_TIMEOUT_MS: '600000' });
  const socket = await hangingRequest(served.port);
  const socketClosed = new Promise<void>((resolveClose) => socket.once('close', () => resolveClose()));
  try {
    served.server.kill('SIGTERM');
    const { code } = await served.exited;
    assert.equal(code, 0);
    await socketClosed;
    assert.match(served.stderr(), /SIGTERM: shutting down; finishing 1 running request\(s\)/);
    assert.doesNotMatch(served.stderr(), /exiting now/);
  } finally {
    socket.destroy();
    served.server.kill('SIGKILL');
  }
});
