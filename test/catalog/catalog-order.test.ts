/**
 * A catalogue page comes back in the order the caller asks (id, name, code, last update; `-`
 * reverses), ties by id, and in the same order on SQLite and PostgreSQL even when PostgreSQL's
 * columns collate by a locale, which would skip punctuation and fold case.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { catalogSorts, type CatalogSort } from '../../src/catalog/domain/publication.ts';
import { searchDatasets } from '../../src/catalog/store/dataset-store.ts';
import { searchFederation } from '../../src/catalog/store/federation-store.ts';
import { backfill } from '../../src/store/migrations/0013-federation-sort-columns.ts';
import { forEachEngine } from '../support/databases.ts';

/** Ids, names and codes whose code-point order differs from a locale's. */
const datasets = [
  { id: '330000/ab', name: '浙江社保', code: 'ZJ-002', updated: '2026-03-01T00:00:00.000Z' },
  { id: '330000/a_b', name: '上海户籍', code: 'zj_001', updated: '2026-01-01T00:00:00.000Z' },
  { id: '330000/A1', name: '北京婚姻', code: 'ZJ-010', updated: '2026-02-01T00:00:00.000Z' },
  { id: '330000/aB', name: 'Zeta', code: 'a-1', updated: '2026-03-01T00:00:00.000Z' },
  { id: '330000/a-b', name: 'alpha', code: 'ZJ_003', updated: '2026-04-01T00:00:00.000Z' },
];

/** The order the query should give, worked out here by code point (JavaScript's default string order). */
function expected(sort: CatalogSort): string[] {
  const key = sort.replace(/^-/, '') as 'id' | 'name' | 'code' | 'updated';
  const sign = sort.startsWith('-') ? -1 : 1;
  const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...datasets]
    .sort((a, b) => sign * byCodePoint(a[key], b[key]) || (key === 'id' ? 0 : byCodePoint(a.id, b.id)))
    .map((dataset) => dataset.id);
}

forEachEngine('catalogue order', ({ openFresh, dialect }) => {
  test("a node's own catalogue and the hub's federation catalogue come back in the order asked", async () => {
    const store = await openFresh();
    if (dialect === 'postgres') {
      for (const [table, columns] of [
        ['catalog_datasets', ['id', 'name', 'code']],
        ['catalog_federation_datasets', ['dataset_id', 'name', 'code']],
      ] as const) {
        for (const column of columns) await sql.raw(`alter table ${table} alter column ${column} type text collate "en-x-icu"`).execute(store.db);
      }
    }
    await store.db
      .insertInto('catalog_datasets')
      .values(
        datasets.map((dataset, index) => ({
          id: dataset.id,
          slug: `slug-${index}`,
          code: dataset.code,
          name: dataset.name,
          grade: 'general',
          sharing: 'unconditional',
          version: 1,
          document: '{}',
          search_text: dataset.name.toLowerCase(),
          table_name: `ds_order_${index}`,
          data_layout: null,
          row_count: null,
          imported_at: null,
          created_at: '2026-01-01T00:00:00.000Z',
          created_by: 'system',
          updated_at: dataset.updated,
          updated_by: 'system',
        })),
      )
      .execute();
    await store.db.insertInto('catalog_federation_nodes').values({ node: '330000', version: 1, ts: '2026-04-01T00:00:00.000Z', received_at: '2026-04-01T00:00:00.000Z', kid: 'k', jws: '{}' }).execute();
    await store.db
      .insertInto('catalog_federation_datasets')
      .values(
        datasets.map((dataset) => ({
          dataset_id: dataset.id,
          node: '330000',
          name: dataset.name,
          code: dataset.code,
          updated_at: dataset.updated,
          grade: 'general',
          sharing: 'unconditional',
          search_text: dataset.name.toLowerCase(),
          metadata: JSON.stringify({ id: dataset.id, name: dataset.name }),
        })),
      )
      .execute();

    for (const sort of catalogSorts) {
      const own = await searchDatasets(store.db, dialect, { sort, limit: 50, offset: 0 });
      assert.deepEqual(own.rows.map((row) => row.id), expected(sort), `own catalogue, sort ${sort}`);
      const federation = await searchFederation(store.db, dialect, { sort });
      assert.deepEqual(federation.datasets.map((dataset) => dataset.id), expected(sort), `federation catalogue, sort ${sort}`);
    }
    // Without a sort the order is by id, and pages follow the order.
    assert.deepEqual((await searchDatasets(store.db, dialect, {})).rows.map((row) => row.id), expected('id'));
    const page = await searchFederation(store.db, dialect, { sort: '-updated', limit: 2, offset: 1 });
    assert.deepEqual(page.datasets.map((dataset) => dataset.id), expected('-updated').slice(1, 3));
  });

  test('publications the hub held before the code and update-time columns get them from their metadata', async () => {
    const store = await openFresh();
    await store.db.insertInto('catalog_federation_nodes').values({ node: '310000', version: 1, ts: '2026-04-01T00:00:00.000Z', received_at: '2026-04-01T00:00:00.000Z', kid: 'k', jws: '{}' }).execute();
    await store.db
      .insertInto('catalog_federation_datasets')
      .values(
        datasets.slice(0, 2).map((dataset) => ({
          dataset_id: dataset.id.replace('330000', '310000'),
          node: '310000',
          name: dataset.name,
          code: null,
          updated_at: null,
          grade: 'general',
          sharing: 'unconditional',
          search_text: dataset.name,
          metadata: JSON.stringify({ id: dataset.id, code: dataset.code, updatedAt: dataset.updated }),
        })),
      )
      .execute();
    await backfill(store.db as never, dialect);
    const rows = await store.db.selectFrom('catalog_federation_datasets').select(['dataset_id', 'code', 'updated_at']).orderBy('dataset_id').execute();
    assert.deepEqual(rows, [
      { dataset_id: '310000/a_b', code: 'zj_001', updated_at: '2026-01-01T00:00:00.000Z' },
      { dataset_id: '310000/ab', code: 'ZJ-002', updated_at: '2026-03-01T00:00:00.000Z' },
    ]);
  });
});
