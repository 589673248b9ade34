/**
 * The composition root: opens a node's database and wires its services, once, from its config.
 */
import { hash } from 'node:crypto';
import { createEventLog } from '../audit/store/event-log.ts';
import { createAuditService, type AuditService } from '../audit/index.ts';
import { systemClock, type Clock } from '../core/clock.ts';
import { NotFoundError } from '../core/errors.ts';
import { createIdentityService } from '../identity/index.ts';
import { createKeyring } from '../keys/keyring.ts';
import type { LoadedConfig } from '../config/load-config.ts';
import { assertSchemaNotNewer, isSchemaCurrent, migrateToLatest } from '../store/migrate.ts';
import { openStore, type Store } from '../store/open-store.ts';
import { createSecretBox } from '../keys/secret-box.ts';
import type { NodeInfoTable } from './tables.ts';
import type { Fetch, NodeCore, NodeInfo } from './node-core.ts';
import { createDirectoryService, type DirectoryService } from '../directory/index.ts';
import { createCatalogService, type CatalogService } from '../catalog/index.ts';
import { createAgreementService, type AgreementService } from '../agreements/index.ts';
import { createExchangeService, createKeepAliveFetch, type ExchangeService } from '../exchange/index.ts';
import { createQualityService, type QualityService } from '../quality/index.ts';
import { qualityFloorCheck } from './quality-floor.ts';
import { createStandardsService, type StandardsService } from '../standards/index.ts';

export type { NodeInfo } from './node-core.ts';

/** A running node: the foundation services plus every bounded context. */
export interface NodeContext extends NodeCore {
  readonly directory: DirectoryService;
  readonly catalog: CatalogService;
  readonly agreements: AgreementService;
  readonly exchange: ExchangeService;
  readonly audit: AuditService;
  readonly quality: QualityService;
  readonly standards: StandardsService;
  /** Starts background work: directory sync, outbox delivery. */
  start(): void;
  close(): Promise<void>;
}

export interface OpenNodeOptions {
  /** Apply pending migrations (serve, migrate) rather than refusing to run on an old schema. */
  readonly migrate?: boolean;
  readonly clock?: Clock;
  readonly fetch?: Fetch;
}

/** Opens the store a config names, refusing databases from a newer Tongban. */
export async function openConfiguredStore(loaded: LoadedConfig): Promise<Store> {
  const { database } = loaded.config;
  return openStore(
    database.url ? { url: database.url, poolSize: database.poolSize } : { sqlitePath: loaded.sqlitePath },
  );
}

export async function readNodeInfo(store: Store): Promise<NodeInfoTable | undefined> {
  const tables = await store.db.introspection.getTables();
  if (!tables.some((table) => table.name === 'node_info')) return undefined;
  return store.db.selectFrom('node_info').selectAll().where('id', '=', 1).executeTakeFirst();
}

/** Hashes event leaves with the node's suite: SHA-256 for `intl`, SM3 for `sm`. */
export function leafHasherFor(suite: 'intl' | 'sm'): { hash(data: Uint8Array): Uint8Array } {
  const algorithm = suite === 'sm' ? 'sm3' : 'sha256';
  // One-shot hash(): no Hash object per call on the append path.
  return { hash: (data) => hash(algorithm, data, 'buffer') };
}

/** Opens a node from its loaded configuration and wires every service. */
export async function openNode(loaded: LoadedConfig, options: OpenNodeOptions = {}): Promise<NodeContext> {
  const { config } = loaded;
  const clock = options.clock ?? systemClock;
  const store = await openConfiguredStore(loaded);
  try {
    await assertSchemaNotNewer(store);
    if (options.migrate) await migrateToLatest(store);
    else if (!(await isSchemaCurrent(store))) {
      throw new NotFoundError(
        `The database at ${store.location} needs migrating; run 'tongban migrate --dir ${loaded.dir}'.`,
        { location: store.location },
        'not_ready',
      );
    }
    const row = await readNodeInfo(store);
    if (!row) {
      throw new NotFoundError(
        `The database at ${store.location} holds no initialised node. Run 'tongban init' first.`,
        { location: store.location },
        'not_a_node',
      );
    }
    if (row.code !== config.node.code) {
      throw new NotFoundError(
        `The database at ${store.location} belongs to node ${row.code}, but the config says ${config.node.code}.`,
        { database: row.code, config: config.node.code },
        'not_a_node',
      );
    }
    const info: NodeInfo = {
      code: row.code,
      name: row.name,
      level: row.level,
      role: row.role,
      suite: row.suite,
      createdAt: row.created_at,
    };
    const events = createEventLog({ db: store.db, hasher: leafHasherFor(info.suite), clock });
    const keyring = createKeyring({
      db: store.db,
      events,
      clock,
      nodeCode: info.code,
      suite: info.suite,
      secret: loaded.keySecret,
    });
    await keyring.checkSecret();
    const identity = createIdentityService({
      db: store.db,
      events,
      clock,
      auth: config.auth,
      nodeCode: info.code,
      sessionSecret: await keyring.sessionSecret(),
      secretBox: createSecretBox(loaded.keySecret ?? ''),
      dialect: store.dialect,
    });
    // Node-to-node calls reuse keep-alive sockets; tests may inject their own fetch instead.
    const keepAlive = options.fetch ? undefined : createKeepAliveFetch();
    const core: NodeCore = {
      config,
      dir: loaded.dir,
      info,
      store,
      clock,
      events,
      keyring,
      identity,
      fetch: options.fetch ?? keepAlive!.fetch,
    };
    const directory = await createDirectoryService(core);
    // Quality is created after the catalogue it checks; the catalogue reads its scores only when publishing.
    const later: { quality?: QualityService } = {};
    const catalog = await createCatalogService(core, { directory, qualityScores: async () => (later.quality ? later.quality.publishedScores() : new Map()) });
    const agreements = await createAgreementService(core, { directory, catalog });
    const standards = createStandardsService(core);
    const quality = createQualityService(core, { catalog, standards });
    later.quality = quality;
    const exchange = await createExchangeService(core, { directory, catalog, agreements, qualityFloor: qualityFloorCheck(agreements, quality) });
    const audit = createAuditService(core, { directory, agreements });
    const background = [directory, catalog, agreements, exchange, audit];
    let started = false;
    return {
      ...core,
      directory,
      catalog,
      agreements,
      exchange,
      audit,
      quality,
      standards,
      start() {
        if (started) return;
        started = true;
        for (const service of background) service.start();
      },
      async close() {
        await Promise.all(background.map((service) => service.stop()));
        keepAlive?.close();
        await store.close();
      },
    };
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
}
