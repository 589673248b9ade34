/**
 * `tongban init`: creates a node's data directory, database, keys and first administrator.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { systemClock, type Clock } from '../core/clock.ts';
import { ConflictError, TongbanError } from '../core/errors.ts';
import { configFileName, loadConfig } from '../config/load-config.ts';
import type { ConfigInput } from '../config/schema.ts';
import { generateInitialKeys, type PublicKeyInfo } from '../keys/keyring.ts';
import { migrateToLatest } from '../store/migrate.ts';
import { openConfiguredStore, openNode, readNodeInfo } from './open-node.ts';

export interface InitNodeOptions {
  readonly dir: string;
  readonly code: string;
  readonly name: string;
  readonly level: 'hub' | 'ministry' | 'province' | 'prefecture' | 'county';
  readonly role?: 'node' | 'hub';
  readonly suite?: 'intl' | 'sm';
  readonly host?: string;
  readonly port?: number;
  readonly databaseUrl?: string;
  /** The key-encryption secret; when absent a random one is written to `<dir>/key-secret`. */
  readonly keySecret?: string;
  readonly adminUsername?: string;
  /** When absent a strong random password is generated and returned once. */
  readonly adminPassword?: string;
  /** Extra settings written to tongban.yaml, e.g. a lower password cost for demos. */
  readonly extraConfig?: Partial<Pick<ConfigInput, 'auth' | 'log'>>;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly clock?: Clock;
}

export interface InitNodeResult {
  readonly dir: string;
  readonly configFile: string;
  readonly keySecretFile: string | null;
  readonly keys: readonly PublicKeyInfo[];
  readonly admin: {
    readonly id: string;
    readonly username: string;
    readonly password: string;
    readonly secondFactor: { readonly secret: string; readonly uri: string };
  };
}

const keySecretFileName = 'key-secret';

/** A random password that always meets the password policy. */
export function generatePassword(): string {
  return `Tb-${randomBytes(15).toString('base64url')}9a`;
}

/** Creates a node; on any failure it removes what it wrote, so a retry starts clean. */
export async function initNode(options: InitNodeOptions): Promise<InitNodeResult> {
  const dir = resolve(options.dir);
  const configFile = join(dir, configFileName);
  if (existsSync(configFile)) {
    throw new ConflictError(`${dir} already holds a Tongban node (${configFileName} exists).`, { dir }, 'node_exists');
  }
  const dirExisted = existsSync(dir);
  if (dirExisted && readdirSync(dir).length > 0) {
    throw new ConflictError(`${dir} is not empty; choose an empty or new directory for the node.`, { dir }, 'node_exists');
  }
  const clock = options.clock ?? systemClock;
  const written: string[] = [];
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    let keySecretFile: string | null = null;
    if (!options.keySecret && !options.env?.TONGBAN_KEYS_SECRET) {
      keySecretFile = join(dir, keySecretFileName);
      writeFileSync(keySecretFile, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
      written.push(keySecretFile);
    }
    const config: ConfigInput = {
      node: {
        code: options.code,
        name: options.name,
        level: options.level,
        role: options.role ?? (options.level === 'hub' ? 'hub' : 'node'),
        suite: options.suite ?? 'intl',
      },
      http: { host: options.host ?? '127.0.0.1', port: options.port ?? 8300 },
      ...(options.databaseUrl ? { database: { url: options.databaseUrl } } : {}),
      keys: keySecretFile ? { secretFile: keySecretFileName } : options.keySecret ? { secret: options.keySecret } : {},
      ...options.extraConfig,
    };
    writeFileSync(configFile, `# Tongban node configuration. Reference: README.md#configuration\n${stringify(config)}`, {
      mode: 0o600,
    });
    written.push(configFile);

    const loaded = loadConfig({ dir, env: options.env ?? {} });
    const store = await openConfiguredStore(loaded);
    try {
      if (!loaded.config.database.url) written.push(loaded.sqlitePath, `${loaded.sqlitePath}-wal`, `${loaded.sqlitePath}-shm`);
      await migrateToLatest(store);
      if (await readNodeInfo(store)) {
        throw new ConflictError(`The database at ${store.location} already holds a node.`, { location: store.location }, 'node_exists');
      }
      const now = clock.now().toISOString();
      const keys = await store.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('node_info')
          .values({
            id: 1,
            code: loaded.config.node.code,
            name: loaded.config.node.name,
            level: loaded.config.node.level,
            role: loaded.config.node.role,
            suite: loaded.config.node.suite,
            created_at: now,
          })
          .execute();
        return generateInitialKeys(trx, {
          clock,
          nodeCode: loaded.config.node.code,
          suite: loaded.config.node.suite,
          secret: loaded.keySecret,
        });
      });
      await store.close();
      const node = await openNode(loaded, { clock });
      try {
        await node.events.record({
          type: 'node.initialised',
          actor: 'system',
          outcome: 'success',
          details: { code: node.info.code, name: node.info.name, level: node.info.level, role: node.info.role, suite: node.info.suite },
        });
        const password = options.adminPassword ?? generatePassword();
        const created = await node.identity.createAccount(
          { kind: 'system' },
          { username: options.adminUsername ?? 'admin', displayName: '系统管理员', roles: ['admin'], password },
        );
        if (!created.secondFactor) throw new TongbanError('internal_error', 'The administrator was created without a second factor.');
        return {
          dir,
          configFile,
          keySecretFile,
          keys,
          admin: { id: created.account.id, username: created.account.username, password, secondFactor: created.secondFactor },
        };
      } finally {
        await node.close();
      }
    } finally {
      await store.close().catch(() => undefined);
    }
  } catch (error) {
    for (const path of written.reverse()) rmSync(path, { force: true });
    if (!dirExisted) rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
