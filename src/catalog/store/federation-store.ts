/** (hub) The federation catalogue: each member's latest publication and its datasets, searchable. */
import { lockRowsClause, textContains, type DialectName } from '../../store/dialect.ts';
import type { Db } from '../../store/open-store.ts';
import { searchTerms, searchTextOf, type CatalogPublication, type CatalogQuery, type PublishedDataset, type SortKey } from '../domain/publication.ts';
import { inCatalogOrder } from './dataset-store.ts';
import type { CatalogFederationDatasetTable } from './tables.ts';

/** The version the hub holds for a member, locked for the transaction where the engine can. */
export async function lockedFederationVersion(trx: Db, dialect: DialectName, node: string): Promise<number | undefined> {
  const row = await trx
    .selectFrom('catalog_federation_nodes')
    .select('version')
    .where('node', '=', node)
    .modifyEnd(lockRowsClause(dialect))
    .executeTakeFirst();
  return row ? Number(row.version) : undefined;
}

/** Replaces a member's publication and datasets; inside the transaction that checked the version. */
export async function storePublication(
  trx: Db,
  publication: CatalogPublication,
  evidence: { kid: string; jws: string; receivedAt: string },
  exists: boolean,
): Promise<void> {
  const row = { version: publication.version, ts: publication.ts, received_at: evidence.receivedAt, kid: evidence.kid, jws: evidence.jws };
  if (exists) {
    await trx.updateTable('catalog_federation_nodes').set(row).where('node', '=', publication.node).execute();
    await trx.deleteFrom('catalog_federation_datasets').where('node', '=', publication.node).execute();
  } else {
    await trx.insertInto('catalog_federation_nodes').values({ node: publication.node, ...row }).execute();
  }
  const datasets = publication.datasets.map((dataset) => ({
    dataset_id: dataset.id,
    node: publication.node,
    name: dataset.name,
    code: dataset.code,
    updated_at: dataset.updatedAt,
    grade: dataset.grade,
    sharing: dataset.sharing.type,
    search_text: searchTextOf(dataset),
    metadata: JSON.stringify(dataset),
  }));
  for (let start = 0; start < datasets.length; start += 500) {
    await trx.insertInto('catalog_federation_datasets').values(datasets.slice(start, start + 500)).execute();
  }
}

/** A page of federation search results. */
export interface FederationPage {
  readonly total: number;
  readonly limit: number;
  readonly offset: number;
  readonly datasets: PublishedDataset[];
}

/** Searches every member's published metadata. */
export async function searchFederation(db: Db, dialect: DialectName, query: CatalogQuery): Promise<FederationPage> {
  const limit = query.limit ?? 50;
  const offset = query.offset ?? 0;
  let select = db.selectFrom('catalog_federation_datasets');
  for (const term of searchTerms(query.q)) select = select.where((eb) => textContains(dialect, eb.ref('search_text'), term));
  if (query.provider) select = select.where('node', '=', query.provider);
  if (query.sharing) select = select.where('sharing', '=', query.sharing);
  if (query.grade) select = select.where('grade', '=', query.grade);
  const counted = await select.select((eb) => eb.fn.countAll<number | string>().as('count')).executeTakeFirstOrThrow();
  const columns = { id: 'dataset_id', name: 'name', code: 'code', updated: 'updated_at' } as const satisfies Record<SortKey, keyof CatalogFederationDatasetTable>;
  const rows = await inCatalogOrder(select.select('metadata'), dialect, query.sort, columns).limit(limit).offset(offset).execute();
  return { total: Number(counted.count), limit, offset, datasets: rows.map((row) => JSON.parse(row.metadata) as PublishedDataset) };
}
