/** `tongban init | serve | migrate | keys | config`: commands that create, run and inspect a node. */
import { Option, type Command } from 'commander';
import { loadConfig, listSettings, type LoadedConfig } from '../config/load-config.ts';
import { nodeLevels, suiteNames } from '../config/schema.ts';
import { InputError } from '../core/errors.ts';
import { initNode } from '../node/init-node.ts';
import { openConfiguredStore, openNode, type NodeContext } from '../node/open-node.ts';
import { startNodeServer } from '../node/start-node-server.ts';
import { migrateToLatest, migrationState } from '../store/migrate.ts';
import { configOption, dirOf, dirOption, jsonOption, type NodeDirOptions } from './main.ts';
import { table, type Output } from './output.ts';

/** Loads the node config named by the command's options, with the process environment. */
export function loadFor(options: NodeDirOptions, overrides: Record<string, string | number | undefined> = {}): LoadedConfig {
  return loadConfig({
    dir: dirOf(options),
    ...(options.config ? { file: options.config } : {}),
    env: process.env,
    overrides,
  });
}

/** Opens the node the options name, runs `work`, and closes the node whatever happens. */
export async function withNode<T>(options: NodeDirOptions, work: (node: NodeContext) => Promise<T>): Promise<T> {
  const node = await openNode(loadFor(options));
  try {
    return await work(node);
  } finally {
    await node.close();
  }
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InputError(`--port must be 0–65535, not '${value}'.`);
  return port;
}

export function registerNodeCommands(program: Command, output: Output): void {
  program
    .command('init')
    .description('create a node: data directory, database, keys and the first administrator')
    .requiredOption('--code <code>', 'GB/T 2260 division code (or ministry code) of the jurisdiction')
    .requiredOption('--name <name>', 'name of the jurisdiction, e.g. 浙江省')
    .addOption(new Option('--level <level>', 'administrative level').choices(nodeLevels))
    .addOption(new Option('--role <role>', 'node or hub').choices(['node', 'hub']))
    .addOption(new Option('--suite <suite>', 'crypto suite: intl (Ed25519/X25519/AES-GCM) or sm (SM2/SM3/SM4)').choices(suiteNames).default('intl'))
    .option('--port <port>', 'HTTP port to write into the config', parsePort)
    .option('--host <host>', 'HTTP listen address to write into the config')
    .option('--database-url <url>', 'use PostgreSQL at this URL instead of the embedded SQLite file')
    .option('--admin <username>', 'user name of the first administrator', 'admin')
    .addOption(dirOption())
    .addOption(jsonOption())
    .action(async (options: NodeDirOptions & {
      code: string; name: string; level?: (typeof nodeLevels)[number]; role?: 'node' | 'hub'; suite: 'intl' | 'sm';
      port?: number; host?: string; databaseUrl?: string; admin: string;
    }) => {
      const level = options.level ?? inferLevel(options.code);
      const result = await initNode({
        dir: dirOf(options),
        code: options.code,
        name: options.name,
        level,
        suite: options.suite,
        adminUsername: options.admin,
        env: process.env,
        ...(options.role ? { role: options.role } : {}),
        ...(options.port !== undefined ? { port: options.port } : {}),
        ...(options.host ? { host: options.host } : {}),
        ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
      });
      output.result(options, result, () =>
        [
          `Created node ${options.code} ${options.name} in ${result.dir}`,
          `  config:        ${result.configFile}`,
          result.keySecretFile ? `  key secret:    ${result.keySecretFile} (keep it safe; without it the keys cannot be opened)` : '  key secret:    from TONGBAN_KEYS_SECRET',
          `  signing key:   ${result.keys.find((key) => key.use === 'sign')?.kid ?? ''}`,
          '',
          'First administrator (shown once):',
          `  user name:     ${result.admin.username}`,
          `  password:      ${result.admin.password}`,
          `  2FA secret:    ${result.admin.secondFactor.secret}`,
          `  2FA URI:       ${result.admin.secondFactor.uri}`,
          '',
          `Start it with: tongban serve --dir ${result.dir}`,
        ].join('\n'),
      );
    });

  program
    .command('serve')
    .description("serve the node's HTTP API (applies pending migrations first)")
    .addOption(dirOption())
    .addOption(configOption())
    .option('--port <port>', 'override http.port', parsePort)
    .option('--host <host>', 'override http.host')
    .option('--database-url <url>', 'override database.url')
    .option('--log-level <level>', 'override log.level')
    .action(async (options: NodeDirOptions & { port?: number; host?: string; databaseUrl?: string; logLevel?: string }) => {
      const loaded = loadFor(options, {
        'http.port': options.port,
        'http.host': options.host,
        'database.url': options.databaseUrl,
        'log.level': options.logLevel,
      });
      const running = await startNodeServer(loaded);
      output.err(`Tongban node ${running.node.info.code} ${running.node.info.name} listening on ${running.url} (API docs: ${running.url}/docs)`);
      await new Promise<void>((resolveStop) => {
        let draining = false;
        const stop = (signal: NodeJS.Signals) => {
          if (draining) {
            // The operator asked twice: stop waiting for the drain. Nothing half-written is lost:
            // each write is one transaction, and an interrupted outbox delivery is retried later.
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            output.err(`${signal} again: exiting now without waiting for ${running.inFlight()} running request(s).`);
            process.exit(signal === 'SIGTERM' ? 143 : 130);
          }
          draining = true;
          output.err(`${signal}: shutting down; finishing ${running.inFlight()} running request(s). Press Ctrl-C again to exit at once.`);
          void running.close().then(() => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            resolveStop();
          });
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });

  program
    .command('migrate')
    .description("bring the node's database schema up to date (or show its state)")
    .addOption(dirOption())
    .addOption(configOption())
    .option('--status', 'only show which migrations have run')
    .addOption(jsonOption())
    .action(async (options: NodeDirOptions & { status?: boolean }) => {
      const store = await openConfiguredStore(loadFor(options));
      try {
        const result = options.status
          ? { applied: [] as string[], state: await migrationState(store) }
          : await migrateToLatest(store);
        output.result(options, result, () =>
          [
            options.status ? `Database: ${store.location}` : `Applied ${result.applied.length} migration(s) to ${store.location}`,
            table(['migration', 'applied at'], result.state.map((m) => [m.name, m.executedAt ?? 'pending'])),
          ].join('\n'),
        );
      } finally {
        await store.close();
      }
    });

  const keys = program.command('keys').description("list and rotate the node's keys");
  keys
    .command('list')
    .description('list active and retired keys')
    .addOption(dirOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (options: NodeDirOptions) => {
      await withNode(options, async (node) => {
        const list = await node.keyring.list();
        output.result(options, { keys: list }, () =>
          table(
            ['kid', 'use', 'suite', 'status', 'created', 'retired'],
            list.map((key) => [key.kid, key.use, key.suite, key.status, key.createdAt, key.retiredAt ?? '']),
          ),
        );
      });
    });
  keys
    .command('rotate')
    .description('make a fresh key active; the old one is retired but still verifies what it signed')
    .addOption(new Option('--use <use>', 'which key to rotate').choices(['sign', 'encrypt', 'session']).default('sign'))
    .addOption(dirOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (options: NodeDirOptions & { use: 'sign' | 'encrypt' | 'session' }) => {
      await withNode(options, async (node) => {
        const key = await node.keyring.rotate('system', options.use);
        output.result(options, key, () =>
          `Rotated the ${options.use} key: ${key.kid} is now active.${options.use === 'session' ? ' Every staff session must log in again.' : ''}`,
        );
      });
    });

  const config = program.command('config').description('check the configuration');
  config
    .command('check')
    .description('validate tongban.yaml, the environment and flags; print the effective settings')
    .addOption(dirOption())
    .addOption(configOption())
    .option('--list', 'list every setting and its environment variable')
    .addOption(jsonOption())
    .action((options: NodeDirOptions & { list?: boolean }) => {
      if (options.list) {
        const settings = listSettings();
        output.result(options, { settings }, () => table(['setting', 'environment variable'], settings.map((s) => [s.path, s.env])));
        return;
      }
      const loaded = loadFor(options);
      const effective = {
        ...loaded.config,
        database: { ...loaded.config.database, ...(loaded.config.database.url ? { url: '(set)' } : {}) },
        keys: { ...loaded.config.keys, ...(loaded.config.keys.secret ? { secret: '(set)' } : {}) },
      };
      output.result(options, { ok: true, file: loaded.file, config: effective, keySecret: loaded.keySecret ? 'present' : 'missing' }, () =>
        [`Configuration OK: ${loaded.file}`, JSON.stringify(effective, null, 2), `key-encryption secret: ${loaded.keySecret ? 'present' : 'MISSING'}`].join('\n'),
      );
    });
}

/** GB/T 2260: provinces end in 0000, prefectures in 00; anything else is a county. */
function inferLevel(code: string): (typeof nodeLevels)[number] {
  if (!/^\d{6}$/.test(code)) return 'ministry';
  if (code === '100000') return 'hub';
  if (code.endsWith('0000')) return 'province';
  if (code.endsWith('00')) return 'prefecture';
  return 'county';
}
