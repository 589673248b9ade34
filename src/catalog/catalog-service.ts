/**
 * The resource catalogue service: dataset documents and their versions, imports into
 * node-managed tables, linked read-only tables, the lean record reads the gateway makes, and
 * publication of the metadata to the hub (plus, on the hub, the federation catalogue).
 */
import { performance } from 'node:perf_hooks';
import type { Selectable } from 'kysely';
import { ConflictError, InputError, NotFoundError, TongbanError, markRecorded, toTongbanError } from '../core/errors.ts';
import { signJws, type FlattenedJws } from '../crypto/index.ts';
import type { DirectoryService } from '../directory/index.ts';
import { actorName, type Actor } from '../identity/index.ts';
import type { BackgroundService, NodeCore } from '../node/node-core.ts';
import { storedBoolean } from '../store/dialect.ts';
import {
  dataLayoutOf,
  datasetInfoOf,
  documentJson,
  managedTableName,
  parseDatasetDocument,
  slugOf,
  type DatasetDocument,
  type DatasetInfo,
  type InformationItem,
} from './domain/dataset.ts';
import { parseText, type RecordValue } from './domain/record-values.ts';
import {
  parsePublication,
  publicationOf,
  publishedDatasetOf,
  queryString,
  searchTextOf,
  type CatalogPublication,
  type PublishedQualityScore,
  type CatalogQuery,
  type PublishedDataset,
} from './domain/publication.ts';
import {
  authenticateSearchRequest,
  callHub,
  endpointOf,
  federationPath,
  searchSignatureHeader,
  signSearchRequest,
  verifyMemberJws,
  withinSkew,
} from './federation.ts';
import { scanImport, type ImportFormat, type ImportMode, type ImportProgress, type RowError, type ScanOptions } from './importer.ts';
import { allDatasets, bumpCatalogVersion, findDataset, lockDataset, readCatalogState, searchDatasets, type DatasetRow } from './store/dataset-store.ts';
import { lockedFederationVersion, searchFederation, storePublication, type FederationPage } from './store/federation-store.ts';
import { linkedColumns, missingColumns, openLinkedDatabase, type LinkedDatabase } from './store/linked-source.ts';
import { appendToLiveTable, countRows, createStagingTable, dropTable, dynamic, insertRows, replaceLiveTable, selectRecords } from './store/managed-table.ts';
import type { CatalogTables } from './store/tables.ts';

export type { FederationPage } from './store/federation-store.ts';

/** A dataset as the catalogue shows it: its document, version and where its rows live. */
export interface DatasetView extends DatasetDocument {
  readonly version: number;
  readonly backing: 'managed' | 'linked';
  readonly data: {
    /** Rows imported into the node-managed table; null before the first import and for linked data. */
    readonly rows: number | null;
    readonly importedAt: string | null;
    /** For linked data: the configured table or view. */
    readonly linkedTable?: string;
  };
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A page of the local catalogue. */
export interface DatasetPage {
  readonly total: number;
  readonly limit: number;
  readonly offset: number;
  readonly datasets: DatasetView[];
}

/** What an import is asked to do. */
export interface ImportRequest extends ScanOptions {
  readonly mode?: ImportMode;
  /** Check every row and write nothing. */
  readonly dryRun?: boolean;
}

/** What an import did (or, in a dry run, would do). */
export interface ImportResult {
  readonly dataset: string;
  readonly format: ImportFormat;
  readonly mode: ImportMode;
  readonly dryRun: boolean;
  readonly bytes: number;
  readonly rowsRead: number;
  /** Rows written (or, in a dry run, that would be written). */
  readonly rowsImported: number;
  readonly rowsRejected: number;
  readonly errorCount: number;
  /** The first row errors in full; `errorCount` counts them all. */
  readonly errors: RowError[];
  readonly errorsTruncated: boolean;
  /** Rows in the dataset after the import (unchanged by a dry run). */
  readonly rowCount: number | null;
  readonly durationMs: number;
  readonly rowsPerSecond: number;
}

/** How far publication of the catalogue to the hub has got. */
export interface PublicationStatus {
  readonly version: number;
  readonly publishedVersion: number;
  readonly publishedAt: string | null;
  /** `published`: the hub holds the current version; `pending`: not yet; `waiting_for_hub`: no hub known; `failing`: the last attempt failed. */
  readonly state: 'published' | 'pending' | 'waiting_for_hub' | 'failing';
  readonly hub: string | null;
  readonly lastError: string | null;
}

/** What the hub did with a publication. */
export interface ReceivedPublication {
  readonly node: string;
  readonly version: number;
  readonly datasets: number;
  /** False when the hub already held this version (a retry). */
  readonly stored: boolean;
}

/** The state of one `catalog.linked` entry. */
export interface LinkedStatus {
  readonly dataset: string;
  readonly table: string;
  readonly ok: boolean;
  readonly problem?: string;
}

/** The catalogue: what the gateway reads, what stewards manage, what the hub publishes. */
export interface CatalogService extends BackgroundService {
  /** A dataset this node provides, or undefined. */
  dataset(id: string): Promise<DatasetInfo | undefined>;
  /**
   * Records of a dataset whose key fields equal `match`, with only `fields`, at most `limit`.
   * Values are bound, identifiers quoted: `match` and `fields` are checked against the dataset's items.
   */
  readRecords(
    id: string,
    match: Readonly<Record<string, string>>,
    fields: readonly string[],
    limit: number,
  ): Promise<Record<string, unknown>[]>;
  /** Datasets of this node matching a query. */
  list(query?: CatalogQuery): Promise<DatasetPage>;
  /** One dataset; `dataset_unknown` when there is none. */
  get(id: string): Promise<DatasetView>;
  /** Adds a dataset from its document (YAML or JSON, already parsed). */
  create(actor: Actor, document: unknown): Promise<DatasetView>;
  /** Replaces a dataset's document, bumping its version (an identical document changes nothing). */
  update(actor: Actor, id: string, document: unknown): Promise<DatasetView>;
  /** Drops the imported rows of a node-managed dataset. */
  clearData(actor: Actor, id: string): Promise<DatasetView>;
  /** Imports CSV or JSON Lines into the dataset's node-managed table. */
  importRecords(actor: Actor, id: string, source: AsyncIterable<Uint8Array | string>, request: ImportRequest): Promise<ImportResult>;
  /** Whether the hub holds the current catalogue. */
  publicationStatus(): Promise<PublicationStatus>;
  /** Publishes now if the hub lacks the current version (the background loop does the same on a timer). */
  publish(): Promise<PublicationStatus>;
  /** (hub) Verifies and stores a member's signed publication. */
  receivePublication(jws: FlattenedJws): Promise<ReceivedPublication>;
  /** (hub) Searches the federation catalogue held here. */
  federationSearch(query: CatalogQuery): Promise<FederationPage>;
  /** (hub) Checks a member's signed search request header for `target`; returns the member's code. */
  authenticateSearch(header: string, target: string): string;
  /** Searches the federation catalogue: answered here on the hub, else forwarded to the hub signed by this node. */
  searchFederation(actor: Actor, query: CatalogQuery): Promise<FederationPage>;
  /** Checks every `catalog.linked` entry: the dataset exists and the table's columns cover its items. */
  checkLinked(): Promise<LinkedStatus[]>;
  /** A dataset's published quality score changed: the catalogue gets a new version and is published again. */
  qualityScoresChanged(): Promise<void>;
}

/** What the catalogue needs besides the node core. */
export interface CatalogServiceDeps {
  readonly directory: DirectoryService;
  /** The latest quality score of each dataset, published (and so signed) with its entry. */
  readonly qualityScores?: () => Promise<ReadonlyMap<string, PublishedQualityScore>>;
}

interface LinkedBacking {
  readonly table: string;
  readonly url: string | undefined;
}

interface CachedDataset {
  readonly row: DatasetRow;
  readonly document: DatasetDocument;
  readonly info: DatasetInfo;
  readonly items: ReadonlyMap<string, InformationItem>;
  readonly loadedAt: number;
}

/** How long a process trusts its cached copy of a dataset that another process might change. */
const cacheMilliseconds = 5000;
const maxReadLimit = 1000;

type DatasetRowTable = CatalogTables['catalog_datasets'];

/** Creates the catalogue service of a node. */
export async function createCatalogService(core: NodeCore, deps: CatalogServiceDeps): Promise<CatalogService> {
  const { store, events, clock, info, config, keyring } = core;
  const { db, dialect } = store;
  const { directory } = deps;
  const provider = { code: info.code, name: info.name };
  const isHub = info.role === 'hub';
  const skewSeconds = config.exchange.clockSkewSeconds;

  const linked = new Map<string, LinkedBacking>();
  for (const entry of config.catalog.linked) {
    const id = entry.dataset.includes('/') ? entry.dataset : `${info.code}/${entry.dataset}`;
    linked.set(id, { table: entry.table, url: entry.url ?? config.database.url });
  }
  const linkedDatabases = new Map<string, LinkedDatabase>();
  const linkedProblems = new Map<string, string | null>();
  const cache = new Map<string, CachedDataset>();

  function linkedDatabase(id: string, backing: LinkedBacking): LinkedDatabase {
    if (!backing.url) {
      throw new TongbanError(
        'config_invalid',
        `catalog.linked names table ${backing.table} for ${id} without a url, and database.url is not set (this node runs on SQLite).`,
        { dataset: id },
      );
    }
    let database = linkedDatabases.get(backing.url);
    if (!database) {
      database = openLinkedDatabase(backing.url);
      linkedDatabases.set(backing.url, database);
    }
    return database;
  }

  /** Why a linked table cannot back the document, or null when it can. */
  async function linkedProblem(id: string, backing: LinkedBacking, document: DatasetDocument): Promise<string | null> {
    const database = linkedDatabase(id, backing);
    let columns: string[];
    try {
      columns = await linkedColumns(database, backing.table);
    } catch (error) {
      return `the linked database at ${database.location} cannot be read: ${(error as Error).message}`;
    }
    if (columns.length === 0) return `the linked table or view ${backing.table} does not exist at ${database.location} (or cannot be seen)`;
    const missing = missingColumns(document.items, columns);
    return missing.length > 0 ? `the linked table ${backing.table} lacks columns for the items: ${missing.join(', ')}` : null;
  }

  async function load(id: string): Promise<CachedDataset | undefined> {
    const cached = cache.get(id);
    const now = clock.now().getTime();
    if (cached && now - cached.loadedAt < cacheMilliseconds && now >= cached.loadedAt) return cached;
    const row = await findDataset(db, id);
    if (!row) {
      cache.delete(id);
      return undefined;
    }
    const document = JSON.parse(row.document) as DatasetDocument;
    const entry: CachedDataset = {
      row: { ...row, row_count: row.row_count === null ? null : Number(row.row_count) },
      document,
      info: datasetInfoOf(document),
      items: new Map(document.items.map((item) => [item.name, item])),
      loadedAt: now,
    };
    cache.set(id, entry);
    return entry;
  }

  async function required(id: string): Promise<CachedDataset> {
    const entry = await load(id);
    if (!entry) throw new NotFoundError(`No dataset ${id} in this node's catalogue.`, { dataset: id }, 'dataset_unknown');
    return entry;
  }

  function viewOf(row: DatasetRow): DatasetView {
    const document = JSON.parse(row.document) as DatasetDocument;
    const backing = linked.get(row.id);
    return {
      ...document,
      version: row.version,
      backing: backing ? 'linked' : 'managed',
      data: backing
        ? { rows: null, importedAt: null, linkedTable: backing.table }
        : { rows: row.row_count === null ? null : Number(row.row_count), importedAt: row.imported_at },
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  /** Records a refused change and marks the error so the HTTP layer does not record it again. */
  async function refuse(actor: Actor, operation: string, dataset: string | null, error: unknown): Promise<never> {
    const failure = toTongbanError(error);
    if (failure.kind !== 'internal') {
      await events.record({
        type: 'catalog.dataset_refused',
        actor: actorName(actor),
        outcome: 'denied',
        details: { operation, dataset, code: failure.code, path: failure.details?.path ?? null },
      });
      markRecorded(failure);
    }
    throw failure;
  }

  async function parseAndCheck(document: unknown): Promise<DatasetDocument> {
    const parsed = parseDatasetDocument(document, provider);
    const backing = linked.get(parsed.id);
    if (backing) {
      const problem = await linkedProblem(parsed.id, backing, parsed);
      if (problem) throw new InputError(`Dataset ${parsed.id} is linked in catalog.linked, but ${problem}.`, { path: 'items', dataset: parsed.id });
      linkedProblems.set(parsed.id, null);
    }
    return parsed;
  }

  function rowOf(document: DatasetDocument): Pick<DatasetRowTable, 'code' | 'name' | 'grade' | 'sharing' | 'document' | 'search_text'> {
    return {
      code: document.code,
      name: document.name,
      grade: document.grade,
      sharing: document.sharing.type,
      document: documentJson(document),
      search_text: searchTextOf(document),
    };
  }

  // --- publication -------------------------------------------------------------------------

  let timer: NodeJS.Timeout | undefined;
  let started = false;
  let publishing: Promise<PublicationStatus> | undefined;

  async function statusFrom(hubKnown: boolean): Promise<PublicationStatus> {
    const state = await readCatalogState(db);
    const hub = isHub ? info.code : (directory.hub()?.code ?? null);
    let status: PublicationStatus['state'];
    if (state.published_version >= state.version) status = 'published';
    else if (!hubKnown) status = 'waiting_for_hub';
    else status = state.publish_state === 'failing' ? 'failing' : 'pending';
    return {
      version: state.version,
      publishedVersion: state.published_version,
      publishedAt: state.published_at,
      state: status,
      hub,
      lastError: state.last_error,
    };
  }

  async function currentPublication(version: number): Promise<{ publication: CatalogPublication; jws: FlattenedJws; kid: string }> {
    const rows = await allDatasets(db);
    const scores = (await deps.qualityScores?.()) ?? new Map<string, PublishedQualityScore>();
    const datasets: PublishedDataset[] = rows.map((row) => {
      const published = publishedDatasetOf(JSON.parse(row.document) as DatasetDocument, row.version, row.updated_at);
      const score = scores.get(row.id);
      return score ? { ...published, quality: score } : published;
    });
    const publication = publicationOf(info.code, version, datasets, clock.now());
    const signer = await keyring.signer();
    return { publication, jws: signJws(publication, signer), kid: signer.kid };
  }

  async function markPublished(version: number, hub: string, datasets: number): Promise<void> {
    await db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable('catalog_state')
        .set({ published_version: version, published_at: clock.now().toISOString(), publish_state: 'ok', last_error: null })
        .where('id', '=', 1)
        .where('published_version', '<', version)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) > 0) {
        await events.append(trx, [{ type: 'catalog.published', actor: 'system', outcome: 'success', details: { version, hub, datasets } }]);
      }
    });
  }

  async function markFailing(version: number, hub: string, error: TongbanError): Promise<void> {
    await db.transaction().execute(async (trx) => {
      const state = await trx.selectFrom('catalog_state').select('publish_state').where('id', '=', 1).executeTakeFirstOrThrow();
      await trx.updateTable('catalog_state').set({ publish_state: 'failing', last_error: `${error.code}: ${error.message}` }).where('id', '=', 1).execute();
      // Only the transition is an event: a hub that stays down must not flood the log.
      if (state.publish_state !== 'failing') {
        await events.append(trx, [
          { type: 'catalog.publish_failed', actor: 'system', outcome: 'failure', details: { version, hub, code: error.code } },
        ]);
      }
    });
  }

  async function publishOnce(): Promise<PublicationStatus> {
    const state = await readCatalogState(db);
    if (state.published_version >= state.version) return statusFrom(true);
    if (isHub) {
      const { publication, jws, kid } = await currentPublication(state.version);
      await storeFederationPublication(publication, { kid, jws: JSON.stringify(jws) }, 'system');
      await markPublished(state.version, info.code, publication.datasets.length);
      return statusFrom(true);
    }
    const hub = directory.hub();
    if (!hub) return statusFrom(false);
    const { publication, jws } = await currentPublication(state.version);
    try {
      await callHub(
        core.fetch,
        `${endpointOf(hub)}${federationPath}`,
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(jws) },
        config.exchange.requestTimeoutMs,
      );
      await markPublished(state.version, hub.code, publication.datasets.length);
    } catch (error) {
      const failure = toTongbanError(error);
      const held = failure.details?.held;
      if (failure.code === 'already_exists' && typeof held === 'number' && held >= state.version) {
        // The hub holds a newer version than ours (e.g. after a restore): move past it and retry.
        await db.updateTable('catalog_state').set({ version: held + 1 }).where('id', '=', 1).where('version', '<=', held).execute();
      }
      await markFailing(state.version, hub.code, failure);
    }
    return statusFrom(true);
  }

  function publishSoon(): Promise<PublicationStatus> {
    publishing ??= publishOnce().finally(() => {
      publishing = undefined;
    });
    return publishing;
  }

  function kick(): void {
    if (started) publishSoon().catch(() => undefined);
  }

  // --- hub side ------------------------------------------------------------------------------

  async function storeFederationPublication(
    publication: CatalogPublication,
    evidence: { kid: string; jws: string },
    actor: string,
  ): Promise<ReceivedPublication> {
    return db.transaction().execute(async (trx) => {
      const held = await lockedFederationVersion(trx, dialect, publication.node);
      if (held !== undefined && held > publication.version) {
        throw new ConflictError(
          `The hub holds version ${held} of ${publication.node}'s catalogue, newer than ${publication.version}.`,
          { node: publication.node, held, version: publication.version },
        );
      }
      const result = { node: publication.node, version: publication.version, datasets: publication.datasets.length };
      if (held === publication.version) return { ...result, stored: false };
      await storePublication(trx, publication, { ...evidence, receivedAt: clock.now().toISOString() }, held !== undefined);
      await events.append(trx, [{ type: 'catalog.publication_received', actor, outcome: 'success', details: result }]);
      return { ...result, stored: true };
    });
  }

  function assertHub(): void {
    if (!isHub) {
      throw new TongbanError('not_for_this_node', `Node ${info.code} is not the hub; the federation catalogue lives at the hub.`);
    }
  }

  // --- the service ---------------------------------------------------------------------------

  const service: CatalogService = {
    async dataset(id) {
      return (await load(id))?.info;
    },

    async readRecords(id, match, fields, limit) {
      const entry = await required(id);
      const keys = Object.keys(match);
      if (keys.length === 0) throw new InputError('A lookup needs at least one key field.', { path: 'match' });
      const typed: Record<string, RecordValue> = {};
      for (const key of keys) {
        if (!entry.info.keyFields.includes(key)) {
          throw new InputError(`'${key}' is not a key field of ${id} (key fields: ${entry.info.keyFields.join(', ')}).`, { path: `match.${key}`, field: key });
        }
        const parsed = parseText(entry.items.get(key)!.type, match[key]!);
        if ('problem' in parsed || parsed.value === null) {
          throw new InputError(`The value for key field '${key}' ${'problem' in parsed ? parsed.problem : 'is empty'}.`, { path: `match.${key}`, field: key });
        }
        typed[key] = parsed.value;
      }
      if (fields.length === 0) throw new InputError('Name at least one field to read.', { path: 'fields' });
      for (const field of fields) {
        if (!entry.items.has(field)) throw new InputError(`'${field}' is not an item of ${id}.`, { path: 'fields', field });
      }
      const rows = Math.max(1, Math.min(Math.trunc(limit) || 1, maxReadLimit));
      const backing = linked.get(id);
      if (backing) {
        let problem = linkedProblems.get(id);
        if (problem === undefined) {
          problem = await linkedProblem(id, backing, entry.document);
          linkedProblems.set(id, problem);
        }
        if (problem) throw new TongbanError('not_ready', `Dataset ${id} cannot be read: ${problem}.`, { dataset: id });
        return selectRecords(linkedDatabase(id, backing).db, backing.table, entry.items, typed, fields, rows);
      }
      if (entry.row.data_layout === null) return [];
      for (const key of keys) {
        const value = typed[key];
        if (typeof value === 'boolean') typed[key] = storedBoolean(dialect, value);
      }
      return selectRecords(dynamic(db), entry.row.table_name, entry.items, typed, fields, rows);
    },

    async list(query = {}) {
      const limit = query.limit ?? 50;
      const offset = query.offset ?? 0;
      const { total, rows } = await searchDatasets(db, dialect, { ...query, limit, offset });
      return { total, limit, offset, datasets: rows.map(viewOf) };
    },

    async get(id) {
      const row = await findDataset(db, id);
      if (!row) throw new NotFoundError(`No dataset ${id} in this node's catalogue.`, { dataset: id }, 'dataset_unknown');
      return viewOf(row);
    },

    async create(actor, input) {
      let document: DatasetDocument;
      try {
        document = await parseAndCheck(input);
      } catch (error) {
        return refuse(actor, 'create', null, error);
      }
      const now = clock.now().toISOString();
      const who = actorName(actor);
      let row: DatasetRow;
      try {
        row = await db.transaction().execute(async (trx) => {
          if (await findDataset(trx, document.id)) {
            throw new ConflictError(`Dataset ${document.id} already exists; use update to change it.`, { dataset: document.id, path: 'id' });
          }
          const values: DatasetRowTable = {
            id: document.id,
            slug: slugOf(document.id),
            ...rowOf(document),
            version: 1,
            table_name: managedTableName(slugOf(document.id)),
            data_layout: null,
            row_count: null,
            imported_at: null,
            created_at: now,
            created_by: who,
            updated_at: now,
            updated_by: who,
          };
          await trx.insertInto('catalog_datasets').values(values).execute();
          await trx
            .insertInto('catalog_dataset_versions')
            .values({ dataset_id: document.id, version: 1, document: values.document, changed_at: now, changed_by: who })
            .execute();
          const catalogVersion = await bumpCatalogVersion(trx);
          await events.append(trx, [
            {
              type: 'catalog.dataset_created',
              actor: who,
              outcome: 'success',
              details: { dataset: document.id, version: 1, code: document.code, grade: document.grade, sharing: document.sharing.type, catalogVersion },
            },
          ]);
          return values as Selectable<DatasetRowTable>;
        });
      } catch (error) {
        if (error instanceof TongbanError) return refuse(actor, 'create', document.id, error);
        throw error;
      }
      cache.delete(document.id);
      kick();
      return viewOf(row);
    },

    async update(actor, id, input) {
      let document: DatasetDocument;
      try {
        const candidate =
          typeof input === 'object' && input !== null && !Array.isArray(input) && !('id' in input) ? { ...input, id } : input;
        document = await parseAndCheck(candidate);
        if (document.id !== id) throw new InputError(`The document is for ${document.id}, not ${id}.`, { path: 'id' });
      } catch (error) {
        return refuse(actor, 'update', id, error);
      }
      const now = clock.now().toISOString();
      const who = actorName(actor);
      let row: DatasetRow;
      try {
        row = await db.transaction().execute(async (trx) => {
          const current = await lockDataset(trx, dialect, id);
          if (!current) throw new NotFoundError(`No dataset ${id} in this node's catalogue.`, { dataset: id }, 'dataset_unknown');
          const json = documentJson(document);
          if (json === current.document) return current;
          const layout = dataLayoutOf(document);
          if (current.data_layout !== null && current.data_layout !== layout) {
            throw new ConflictError(
              `Dataset ${id} holds ${current.row_count ?? 0} imported rows laid out by its current items and key fields; ` +
                `clear its data first ('tongban catalog clear ${id}'), or keep the item names, types and key fields.`,
              { dataset: id, path: 'items' },
              'dataset_has_data',
            );
          }
          const version = current.version + 1;
          const changes = { ...rowOf(document), version, updated_at: now, updated_by: who };
          await trx.updateTable('catalog_datasets').set(changes).where('id', '=', id).execute();
          await trx.insertInto('catalog_dataset_versions').values({ dataset_id: id, version, document: json, changed_at: now, changed_by: who }).execute();
          const catalogVersion = await bumpCatalogVersion(trx);
          await events.append(trx, [
            {
              type: 'catalog.dataset_updated',
              actor: who,
              outcome: 'success',
              details: { dataset: id, version, grade: document.grade, sharing: document.sharing.type, catalogVersion },
            },
          ]);
          return { ...current, ...changes };
        });
      } catch (error) {
        if (error instanceof TongbanError) return refuse(actor, 'update', id, error);
        throw error;
      }
      cache.delete(id);
      kick();
      return viewOf(row);
    },

    async clearData(actor, id) {
      const who = actorName(actor);
      const row = await db.transaction().execute(async (trx) => {
        const current = await lockDataset(trx, dialect, id);
        if (!current) throw new NotFoundError(`No dataset ${id} in this node's catalogue.`, { dataset: id }, 'dataset_unknown');
        if (linked.has(id)) throw new InputError(`Dataset ${id} is backed by a linked table; it has no node-managed rows to clear.`, { dataset: id });
        await dropTable(trx, current.table_name);
        const changes = { data_layout: null, row_count: null, imported_at: null };
        await trx.updateTable('catalog_datasets').set(changes).where('id', '=', id).execute();
        await events.append(trx, [
          { type: 'catalog.data_cleared', actor: who, outcome: 'success', details: { dataset: id, rowsDropped: current.row_count === null ? 0 : Number(current.row_count) } },
        ]);
        return { ...current, ...changes };
      });
      cache.delete(id);
      return viewOf(row);
    },

    async importRecords(actor, id, source, request) {
      const started = performance.now();
      const who = actorName(actor);
      const mode = request.mode ?? 'replace';
      const dryRun = request.dryRun ?? false;
      let progress: ImportProgress = { bytes: 0, rowsRead: 0, rowsRejected: 0 };
      let staging: string | undefined;
      try {
        const entry = await required(id);
        if (linked.has(id)) {
          throw new InputError(`Dataset ${id} is backed by the linked table ${linked.get(id)!.table}; imports fill node-managed tables only.`, { dataset: id });
        }
        const { document } = entry;
        const layout = dataLayoutOf(document);
        if (!dryRun) staging = (await createStagingTable(db, dialect, entry.row.table_name, document.items, document.keyFields)).name;
        const stagingTable = staging;
        const scan = await scanImport(
          source,
          document,
          {
            ...request,
            onProgress: (current) => {
              progress = current;
              request.onProgress?.(current);
            },
          },
          stagingTable ? (rows) => db.transaction().execute((trx) => insertRows(trx, dialect, stagingTable, document.items, rows)) : undefined,
        );
        let rowCount: number | null = entry.row.row_count;
        if (stagingTable) {
          rowCount = await db.transaction().execute(async (trx) => {
            const current = await lockDataset(trx, dialect, id);
            if (!current) throw new NotFoundError(`Dataset ${id} was removed during the import.`, { dataset: id }, 'dataset_unknown');
            if (dataLayoutOf(JSON.parse(current.document) as DatasetDocument) !== layout) {
              throw new TongbanError('import_invalid', `The items of ${id} changed while the import ran; nothing was written. Import again.`, { dataset: id });
            }
            let count: number;
            if (mode === 'replace' || current.data_layout === null) {
              await replaceLiveTable(trx, current.table_name, stagingTable);
              count = mode === 'replace' ? scan.rowsAccepted : await countRows(trx, current.table_name);
            } else {
              await appendToLiveTable(trx, current.table_name, stagingTable, document.items.map((item) => item.name));
              count = await countRows(trx, current.table_name);
            }
            await trx
              .updateTable('catalog_datasets')
              .set({ data_layout: layout, row_count: count, imported_at: clock.now().toISOString() })
              .where('id', '=', id)
              .execute();
            await events.append(trx, [
              {
                type: 'catalog.import_completed',
                actor: who,
                outcome: 'success',
                details: {
                  dataset: id,
                  format: request.format,
                  mode,
                  bytes: scan.bytes,
                  rowsRead: scan.rowsRead,
                  rowsImported: scan.rowsAccepted,
                  rowsRejected: scan.rowsRejected,
                  rowCount: count,
                },
              },
            ]);
            return count;
          });
          staging = undefined;
          cache.delete(id);
        }
        const durationMs = Math.max(0, performance.now() - started);
        return {
          dataset: id,
          format: request.format,
          mode,
          dryRun,
          bytes: scan.bytes,
          rowsRead: scan.rowsRead,
          rowsImported: scan.rowsAccepted,
          rowsRejected: scan.rowsRejected,
          errorCount: scan.errorCount,
          errors: [...scan.errors],
          errorsTruncated: scan.errorCount > scan.errors.length,
          rowCount,
          durationMs: Math.round(durationMs),
          rowsPerSecond: durationMs > 0 ? Math.round((scan.rowsRead * 1000) / durationMs) : scan.rowsRead,
        };
      } catch (error) {
        if (staging) await dropTable(db, staging).catch(() => undefined);
        const failure = toTongbanError(error);
        await events
          .record({
            type: 'catalog.import_failed',
            actor: who,
            outcome: failure.kind === 'internal' ? 'failure' : 'denied',
            details: { dataset: id, format: request.format, mode, dryRun, code: failure.code, bytes: progress.bytes, rowsRead: progress.rowsRead, rowsRejected: progress.rowsRejected },
          })
          .catch(() => undefined);
        if (failure.kind !== 'internal') markRecorded(failure);
        throw error instanceof TongbanError ? failure : error;
      }
    },

    async publicationStatus() {
      return statusFrom(isHub || directory.hub() !== undefined);
    },

    publish: publishSoon,

    async receivePublication(jws) {
      let node: string | null = null;
      try {
        assertHub();
        const now = clock.now();
        const verified = verifyMemberJws(directory, jws, now);
        node = verified.node;
        const publication = parsePublication(verified.payload, verified.node);
        if (!withinSkew(publication.ts, now, skewSeconds)) {
          throw new TongbanError('clock_skew', `The publication's time ${publication.ts} is more than ${skewSeconds} s from the hub's; check the node clock.`);
        }
        return await storeFederationPublication(publication, { kid: verified.kid, jws: JSON.stringify(jws) }, `node:${verified.node}`);
      } catch (error) {
        const failure = toTongbanError(error);
        if (failure.kind !== 'internal') {
          await events.record({
            type: 'catalog.publication_refused',
            actor: node ? `node:${node}` : null,
            outcome: 'denied',
            details: { node, code: failure.code },
          });
          markRecorded(failure);
        }
        throw failure.kind === 'internal' ? error : failure;
      }
    },

    async federationSearch(query) {
      assertHub();
      return searchFederation(db, dialect, query);
    },

    authenticateSearch(header, target) {
      assertHub();
      return authenticateSearchRequest(directory, header, target, clock.now(), skewSeconds);
    },

    async searchFederation(actor, query) {
      if (isHub) return searchFederation(db, dialect, query);
      const hub = directory.hub();
      if (!hub) {
        throw new TongbanError('directory_unavailable', 'This node does not know the hub yet; join the federation before searching its catalogue.');
      }
      const target = `${federationPath}${queryString(query)}`;
      const signature = signSearchRequest(
        { node: info.code, target, operator: actorName(actor), ts: clock.now().toISOString() },
        await keyring.signer(),
      );
      const body = await callHub(core.fetch, `${endpointOf(hub)}${target}`, { method: 'GET', headers: { [searchSignatureHeader]: signature } }, config.exchange.requestTimeoutMs);
      const page = body as Partial<FederationPage>;
      if (typeof page.total !== 'number' || !Array.isArray(page.datasets)) {
        throw new TongbanError('answer_invalid', 'The hub answered the catalogue search with something that is not a result page.');
      }
      return page as FederationPage;
    },

    async qualityScoresChanged() {
      await db.transaction().execute((trx) => bumpCatalogVersion(trx));
      kick();
    },

    async checkLinked() {
      const results: LinkedStatus[] = [];
      for (const [id, backing] of linked) {
        const entry = await load(id);
        let problem: string | null;
        try {
          problem = entry ? await linkedProblem(id, backing, entry.document) : `dataset ${id} is not in the catalogue yet`;
        } catch (error) {
          problem = toTongbanError(error).message;
        }
        if (entry) linkedProblems.set(id, problem);
        results.push({ dataset: id, table: backing.table, ok: problem === null, ...(problem ? { problem } : {}) });
      }
      return results;
    },

    start() {
      if (started) return;
      started = true;
      void service.checkLinked().then(async (results) => {
        for (const result of results.filter((status) => !status.ok)) {
          await events.record({
            type: 'catalog.linked_invalid',
            actor: 'system',
            outcome: 'failure',
            details: { dataset: result.dataset, table: result.table, problem: result.problem ?? null },
          });
        }
      }).catch(() => undefined);
      kick();
      timer = setInterval(kick, config.federation.syncIntervalSeconds * 1000);
      timer.unref();
    },

    async stop() {
      started = false;
      if (timer) clearInterval(timer);
      timer = undefined;
      await publishing?.catch(() => undefined);
      await Promise.all([...linkedDatabases.values()].map((database) => database.close()));
      linkedDatabases.clear();
    },
  };
  return service;
}
