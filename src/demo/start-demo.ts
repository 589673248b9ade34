/**
 * The demo federation that `npm start` brings up: a hub and province nodes on loopback,
 * each a real node with its own database, keys and administrator.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../config/load-config.ts';
import { systemActor } from '../identity/index.ts';
import { generatePassword, initNode } from '../node/init-node.ts';
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
];

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
      if (member.level !== 'hub') {
        for (const [username, roles] of [
          ['caseworker', ['caseworker']],
          ['steward', ['steward']],
          ['agreements', ['agreements']],
          ['auditor', ['auditor']],
        ] as const) {
          const password = generatePassword();
          const created = await running.node.identity.createAccount(systemActor, {
            username,
            displayName: username,
            roles: [...roles],
            password,
          });
          accounts.push({
            username,
            roles,
            password,
            ...(created.secondFactor ? { totpSecret: created.secondFactor.secret } : {}),
          });
        }
      }
      started.push({ member, url: running.url, accounts, running });
    }
    return started;
  } catch (error) {
    await stopDemo(started);
    throw error;
  }
}

export async function stopDemo(nodes: readonly RunningDemoNode[]): Promise<void> {
  await Promise.all(nodes.map((node) => node.running.close()));
}
