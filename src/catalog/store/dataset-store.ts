/** Queries on the catalogue's own tables: datasets, their versions and the publication state. */
import { sql, type Selectable, type SelectQueryBuilder } from 'kysely';
import { byCodePoint, lockRowsClause, textContains, type DialectName } from '../../store/dialect.ts';
import type { Db } from '../../store/open-store.ts';
import { searchTerms, sortOrder, type CatalogQuery, type CatalogSort, type SortKey } from '../domain/publication.ts';
import type { CatalogDatasetTable, CatalogStateTable } from './tables.ts';

/** A dataset row as stored. */
export type DatasetRow = Selectable<CatalogDatasetTable>;
/** The publication state row. */
export type CatalogStateRow = Selectable<CatalogStateTable>;

/** One dataset row, or undefined. */
export async function findDataset(db: Db, id: string): Promise<DatasetRow | undefined> {
  return db.selectFrom('catalog_datasets').selectAll().where('id', '=', id).executeTakeFirst();
}

/** One dataset row, locked until the transaction ends where the engine has row locks. */
export async function lockDataset(trx: Db, dialect: DialectName, id: string): Promise<DatasetRow | undefined> {
  return trx.selectFrom('catalog_datasets').selectAll().where('id', '=', id).modifyEnd(lockRowsClause(dialect)).executeTakeFirst();
}

/** Datasets matching a query, in the order it asks (id by default), and how many match in all. */
export async function searchDatasets(db: Db, dialect: DialectName, query: CatalogQuery): Promise<{ total: number; rows: DatasetRow[] }> {
  let select = db.selectFrom('catalog_datasets');
  for (const term of searchTerms(query.q)) select = select.where((eb) => textContains(dialect, eb.ref('search_text'), term));
  if (query.sharing) select = select.where('sharing', '=', query.sharing);
  if (query.grade) select = select.where('grade', '=', query.grade);
  const counted = await select.select((eb) => eb.fn.countAll<number | string>().as('count')).executeTakeFirstOrThrow();
  const columns = { id: 'id', name: 'name', code: 'code', updated: 'updated_at' } as const satisfies Record<SortKey, keyof CatalogDatasetTable>;
  const rows = await inCatalogOrder(select.selectAll(), dialect, query.sort, columns)
    .limit(query.limit ?? 50)
    .offset(query.offset ?? 0)
    .execute();
  return { total: Number(counted.count), rows };
}

/**
 * A catalogue query ordered as `sort` asks, ties by id, by code point on both engines; `columns`
 * names the table's column for each sort key.
 */
export function inCatalogOrder<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  dialect: DialectName,
  sort: CatalogSort | undefined,
  columns: Readonly<Record<SortKey, string>>,
): SelectQueryBuilder<DB, TB, O> {
  const order = sortOrder(sort);
  const byKey = order.key === 'id' ? query : query.orderBy(byCodePoint(dialect, sql.ref(columns[order.key])), order.direction);
  return byKey.orderBy(byCodePoint(dialect, sql.ref(columns.id)), order.key === 'id' ? order.direction : 'asc');
}

/** Every dataset row, for a publication. */
export async function allDatasets(db: Db): Promise<DatasetRow[]> {
  return db.selectFrom('catalog_datasets').selectAll().orderBy('id').execute();
}

/** Bumps the catalogue version inside the transaction of a change; returns the new version. */
export async function bumpCatalogVersion(trx: Db): Promise<number> {
  const row = await trx
    .updateTable('catalog_state')
    .set((eb) => ({ version: eb('version', '+', 1) }))
    .where('id', '=', 1)
    .returning('version')
    .executeTakeFirstOrThrow();
  return Number(row.version);
}

/** The publication state. */
export async function readCatalogState(db: Db): Promise<CatalogStateRow> {
  const row = await db.selectFrom('catalog_state').selectAll().where('id', '=', 1).executeTakeFirstOrThrow();
  return { ...row, version: Number(row.version), published_version: Number(row.published_version) };
}
