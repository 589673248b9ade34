/**
 * Real nodes for integration tests: initialised in a temp directory, served on a loopback port
 * chosen by the OS, talked to over HTTP.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOTP } from 'otpauth';
import { loadConfig } from '../../src/config/load-config.ts';
import type { Clock } from '../../src/core/clock.ts';
import { initNode, type InitNodeResult } from '../../src/node/init-node.ts';
import { startNodeServer, type RunningNode } from '../../src/node/start-node-server.ts';

export interface TestNode {
  readonly url: string;
  readonly dir: string;
  readonly init: InitNodeResult;
  readonly running: RunningNode;
  /** The current one-time code of the first administrator. */
  adminCode(): string;
  /** Logs the administrator in and returns an access token. */
  adminToken(): Promise<string>;
  /** fetch against the node, JSON in and out. */
  call(method: string, path: string, options?: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> }): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }>;
  close(): Promise<void>;
}

export interface TestNodeOptions {
  readonly code?: string;
  readonly name?: string;
  readonly suite?: 'intl' | 'sm';
  readonly databaseUrl?: string;
  readonly clock?: Clock;
  readonly bodyLimitBytes?: number;
  /** Defaults to `province`; `hub` also makes the node the federation hub (role `hub`). */
  readonly level?: 'hub' | 'ministry' | 'province' | 'prefecture' | 'county';
  /** Defaults to `hub` for level `hub`, else `node`. */
  readonly role?: 'node' | 'hub';
  /** Extra dotted-path settings, e.g. `{ 'federation.graceSeconds': 600 }`. */
  readonly overrides?: Readonly<Record<string, string | number | boolean>>;
  /** The fetch the node calls other nodes with (default: its own keep-alive client). */
  readonly fetch?: typeof fetch;
}

/** A one-time code for a base32 secret, optionally for another moment. */
export function totpCode(secret: string, at: number = Date.now()): string {
  return new TOTP({ secret }).generate({ timestamp: at });
}

const lastStep = new Map<string, number>();

/**
 * A one-time code the server has not seen yet for this secret: codes are single-use per 30 s step
 * and the server accepts one step of drift, so a second login in the same step uses the next one,
 * and a third waits for time to move on.
 */
export async function unusedTotp(secret: string): Promise<string> {
  for (;;) {
    const now = Math.floor(Date.now() / 30_000);
    const step = Math.max(now, (lastStep.get(secret) ?? -1) + 1);
    if (step <= now + 1) {
      lastStep.set(secret, step);
      return totpCode(secret, step * 30_000 + 1_000);
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

export async function startTestNode(options: TestNodeOptions = {}): Promise<TestNode> {
  const dir = join(mkdtempSync(join(tmpdir(), 'tongban-node-')), 'node');
  const init = await initNode({
    dir,
    code: options.code ?? '330000',
    name: options.name ?? '浙江省',
    level: options.level ?? 'province',
    ...(options.role ? { role: options.role } : {}),
    suite: options.suite ?? 'intl',
    port: 0,
    env: {},
    extraConfig: { auth: { passwordCostLog2: 10 }, log: { level: (process.env.TEST_NODE_LOG_LEVEL ?? 'silent') as 'silent' } },
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const overrides = { ...options.overrides, ...(options.bodyLimitBytes ? { 'http.bodyLimitBytes': options.bodyLimitBytes } : {}) };
  const running = await startNodeServer(loadConfig({ dir, env: {}, overrides }), {
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const call: TestNode['call'] = async (method, path, callOptions = {}) => {
    const headers: Record<string, string> = { ...callOptions.headers };
    if (callOptions.token) headers.authorization = `Bearer ${callOptions.token}`;
    let body: string | undefined = callOptions.rawBody;
    if (callOptions.body !== undefined) {
      body = JSON.stringify(callOptions.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${running.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: response.headers };
  };
  const adminCode = () => totpCode(init.admin.secondFactor.secret, options.clock?.now().getTime());
  // A one-time code is accepted once, so the administrator logs in once per test node.
  let adminToken: Promise<string> | undefined;
  return {
    url: running.url,
    dir,
    init,
    running,
    adminCode,
    adminToken() {
      adminToken ??= (async () => {
      const response = await call('POST', '/api/v1/auth/login', {
        body: { username: init.admin.username, password: init.admin.password, totp: options.clock ? adminCode() : await unusedTotp(init.admin.secondFactor.secret) },
      });
      if (response.status !== 200) throw new Error(`admin login failed: ${JSON.stringify(response.body)}`);
      return response.body.accessToken as string;
      })();
      return adminToken;
    },
    call,
    async close() {
      await running.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
