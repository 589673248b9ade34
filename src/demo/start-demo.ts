/**
 * The demo federation that `npm start` brings up: a hub and province nodes on loopback,
 * each a real node with its own database, keys and administrator.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../config/load-config.ts';
import { initNode } from '../node/init-node.ts';
import { addStaff, joinFederation, logIn, setUpBridge, type Credentials, type StaffSession } from './federation-setup.ts';
import { startNodeServer, type RunningNode } from '../node/start-node-server.ts';

/** One member of the demo federation. */
export interface DemoMember {
  readonly code: string;
  readonly name: string;
  readonly level: 'hub' | 'province' | 'prefecture' | 'county';
  readonly portOffset: number;
}

export const demoMembers: readonly DemoMember[] = [
  { code: '100000', name: '国家政务服务平台枢纽', level: 'hub', portOffset: 0 },
  { code: '330000', name: '浙江省', level: 'province', portOffset: 1 },
  { code: '310000', name: '上海市', level: 'province', portOffset: 2 },
  { code: '520400', name: '贵州省安顺市', level: 'prefecture', portOffset: 3 },
];

/** The demo's bridge: 安顺 (where migrant workers come from) provides, 浙江 (where they work) asks. */
const bridgeProvider = '520400';
const bridgeRequester = '330000';
/** The seed of the demo's generated people, so the printout can name one of them. */
export const demoSeed = 2026;
/** The agreement the demo activates between 安顺 and 浙江. */
export const demoAgreement = `agr-${bridgeProvider}-${bridgeRequester}-social-insurance@1`;

export interface DemoAccount {
  readonly username: string;
  readonly roles: readonly string[];
  readonly password: string;
  readonly totpSecret?: string;
}

export interface RunningDemoNode {
  readonly member: DemoMember;
  readonly url: string;
  readonly accounts: readonly DemoAccount[];
  readonly running: RunningNode;
}

export interface DemoOptions {
  readonly dir: string;
  readonly basePort: number;
  readonly host?: string;
  readonly logLevel?: string;
  /** How many generated people the provider's datasets hold. */
  readonly people?: number;
}

/** Creates fresh demo nodes under `dir` and serves them all; close them with `stopDemo`. */
export async function startDemo(options: DemoOptions): Promise<RunningDemoNode[]> {
  const root = resolve(options.dir);
  if (existsSync(root)) rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const started: RunningDemoNode[] = [];
  try {
    for (const member of demoMembers) {
      const dir = join(root, member.code);
      const init = await initNode({
        dir,
        code: member.code,
        name: member.name,
        level: member.level,
        host: options.host ?? '127.0.0.1',
        port: options.basePort + member.portOffset,
        extraConfig: { log: { level: (options.logLevel ?? 'warn') as 'warn' } },
        env: {},
      });
      const running = await startNodeServer(loadConfig({ dir, env: {} }));
      const accounts: DemoAccount[] = [
        { username: init.admin.username, roles: ['admin'], password: init.admin.password, totpSecret: init.admin.secondFactor.secret },
      ];
      started.push({ member, url: running.url, accounts, running });
    }

    // The federation is built through the nodes' own APIs, as operators would build it.
    const admin = async (node: RunningDemoNode) => {
      const credentials = node.accounts[0]!;
      return logIn(node.url, { username: credentials.username, password: credentials.password, ...(credentials.totpSecret ? { totpSecret: credentials.totpSecret } : {}) });
    };
    const byCode = (code: string) => started.find((node) => node.member.code === code)!;
    const admins = new Map<string, StaffSession>();
    for (const node of started) admins.set(node.member.code, await admin(node));
    await joinFederation(admins.get('100000')!, started.filter((node) => node.member.level !== 'hub').map((node) => admins.get(node.member.code)!));
    const bridge = await setUpBridge(admins.get(bridgeProvider)!, admins.get(bridgeRequester)!, { people: options.people ?? 500, seed: demoSeed });
    addAccounts(byCode(bridgeProvider), bridge.provider.credentials);
    addAccounts(byCode(bridgeRequester), bridge.requester.credentials);
    for (const node of started.filter((candidate) => candidate.member.level !== 'hub')) {
      const session = admins.get(node.member.code)!;
      const existing = new Set(node.accounts.map((account) => account.username));
      for (const [username, roles] of [
        ['caseworker', ['caseworker']],
        ['steward', ['steward']],
        ['agreements', ['agreements']],
        ['auditor', ['auditor']],
      ] as const) {
        if (existing.has(username)) continue;
        const created = await addStaff(session, username, roles);
        addAccounts(node, { [username]: created.credentials });
      }
    }
    return started;
  } catch (error) {
    await stopDemo(started);
    throw error;
  }
}

function addAccounts(node: RunningDemoNode, credentials: Record<string, Credentials>): void {
  const accounts = node.accounts as DemoAccount[];
  for (const [role, account] of Object.entries(credentials)) {
    accounts.push({ username: account.username, roles: [role], password: account.password, ...(account.totpSecret ? { totpSecret: account.totpSecret } : {}) });
  }
}

export async function stopDemo(nodes: readonly RunningDemoNode[]): Promise<void> {
  await Promise.all(nodes.map((node) => node.running.close()));
}
