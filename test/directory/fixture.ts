/**
 * Builders for directory integration tests: a hub and member nodes on loopback, talked to over
 * HTTP (and, where the CLI is under test, through `tongban` run in-process).
 */
import { main } from '../../src/cli/main.ts';
import { createOutput } from '../../src/cli/output.ts';
import type { Clock } from '../../src/core/clock.ts';
import { systemActor } from '../../src/identity/index.ts';
import { startTestNode, totpCode, type TestNode } from '../support/nodes.ts';

/** Background syncs never fire during a test: every sync is asked for explicitly. */
export const quietFederation = { 'federation.syncIntervalSeconds': 86_400 } as const;

/** How a test node of the federation is started. */
export interface FederationNodeOptions {
  readonly clock?: Clock;
  readonly overrides?: Record<string, string | number | boolean>;
  readonly databaseUrl?: string;
  readonly suite?: 'intl' | 'sm';
}

function nodeOptions(options: FederationNodeOptions) {
  return {
    overrides: { ...quietFederation, ...options.overrides },
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
    ...(options.suite ? { suite: options.suite } : {}),
  };
}

/** Starts the national hub (100000). */
export function startHub(options: FederationNodeOptions = {}): Promise<TestNode> {
  return startTestNode({ code: '100000', name: '国家政务服务平台枢纽', level: 'hub', ...nodeOptions(options) });
}

/** Starts a province node. */
export function startMember(code: string, name: string, options: FederationNodeOptions = {}): Promise<TestNode> {
  return startTestNode({ code, name, ...nodeOptions(options) });
}

/** Runs `tongban` in-process and captures what it prints. */
export async function tongban(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, createOutput({ out: (text) => out.push(text), err: (text) => err.push(text) }));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** Joins `member` to the hub at `hubUrl` through the API, as the member's administrator. */
export async function joinOverHttp(member: TestNode, hubUrl: string, extra: Record<string, unknown> = {}) {
  return member.call('POST', '/api/v1/directory/join', { token: await member.adminToken(), body: { hub: hubUrl, endpoint: member.url, ...extra } });
}

/** Approves an application at the hub through the API. */
export async function approveOverHttp(hub: TestNode, code: string) {
  return hub.call('POST', `/api/v1/directory/applications/${code}/approve`, { token: await hub.adminToken() });
}

/** Asks a node to sync now through the API and returns the body. */
export async function syncOverHttp(node: TestNode): Promise<{ status: Record<string, unknown>; results: Array<Record<string, unknown>> }> {
  const response = await node.call('POST', '/api/v1/directory/sync', { token: await node.adminToken() });
  if (response.status !== 200) throw new Error(`sync failed: ${JSON.stringify(response.body)}`);
  return response.body as { status: Record<string, unknown>; results: Array<Record<string, unknown>> };
}

/** A staff account with one role on `node`, logged in; returns its access token. */
export async function tokenFor(node: TestNode, username: string, role: 'caseworker' | 'steward' | 'agreements'): Promise<string> {
  const password = 'Correct-Horse-Battery-9';
  await node.running.node.identity.createAccount(systemActor, { username, displayName: username, roles: [role], password });
  const response = await node.call('POST', '/api/v1/auth/login', { body: { username, password } });
  if (response.status !== 200) throw new Error(`login failed: ${JSON.stringify(response.body)}`);
  return response.body.accessToken as string;
}

/** Logs the administrator in again at the clock's current time (a moved clock expires the first token). */
export async function freshAdminToken(node: TestNode, clock: Clock): Promise<string> {
  const response = await node.call('POST', '/api/v1/auth/login', {
    body: { username: node.init.admin.username, password: node.init.admin.password, totp: totpCode(node.init.admin.secondFactor.secret, clock.now().getTime()) },
  });
  if (response.status !== 200) throw new Error(`admin login failed: ${JSON.stringify(response.body)}`);
  return response.body.accessToken as string;
}

/** The events of one type a node recorded. */
export async function eventsOf(node: TestNode, type: string) {
  return node.running.node.events.list({ type, limit: 1000 });
}
