/**
 * Record reads by one text key made together (as the messages of a batch are decided) go to the
 * database as one query, and each caller still gets exactly what it would get alone: its own
 * rows, at most the limit per key value, none for a value that matches nothing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InformationItem } from '../../src/catalog/domain/dataset.ts';
import { createStagingTable, dynamic, insertRows, selectRecords } from '../../src/catalog/store/managed-table.ts';
import { forEachEngine } from '../support/databases.ts';

forEachEngine('record reads', ({ openFresh, dialect }) => {
  test('reads made together get the rows they get alone, each at most the limit', async () => {
    const store = await openFresh();
    const items: InformationItem[] = [
      { name: 'idNumber', type: 'string' },
      { name: 'name', type: 'string' },
      { name: 'since', type: 'date' },
      { name: 'count', type: 'integer' },
    ];
    const table = await createStagingTable(store.db, dialect, 'ds_reads', items, ['idNumber']);
    const rows = [
      { idNumber: 'A', name: '甲', since: '2020-01-01', count: 1 },
      { idNumber: 'B', name: '乙一', since: '2021-01-01', count: 2 },
      { idNumber: 'B', name: '乙二', since: '2021-01-02', count: 3 },
      { idNumber: 'B', name: '乙三', since: '2021-01-03', count: 4 },
      { idNumber: 'C', name: '丙', since: '2022-01-01', count: 5 },
      // A value differing from another only in case or by a trailing space is another value.
      { idNumber: 'c', name: '小丙', since: '2022-01-02', count: 6 },
      { idNumber: 'C ', name: '丙空格', since: '2022-01-03', count: 7 },
    ];
    await insertRows(store.db, dialect, table.name, items, rows);
    const itemMap = new Map(items.map((item) => [item.name, item]));
    const db = dynamic(store.db);
    const read = (value: string, limit: number, fields = ['name', 'since', 'count']) => selectRecords(db, table.name, itemMap, { idNumber: value }, fields, limit);
    const sortByName = (records: Record<string, unknown>[]) => [...records].sort((a, b) => String(a.name).localeCompare(String(b.name)));

    const alone = [];
    for (const value of ['A', 'B', 'C', 'c', 'C ', 'nobody', 'B']) alone.push(await read(value, 10));
    const together = await Promise.all(['A', 'B', 'C', 'c', 'C ', 'nobody', 'B'].map((value) => read(value, 10)));
    assert.deepEqual(together.map(sortByName), alone.map(sortByName));
    assert.deepEqual(together[0], [{ name: '甲', since: '2020-01-01', count: 1 }]);
    assert.equal(together[1]!.length, 3);
    assert.deepEqual(together[5], []);

    // The limit holds per key value, also when read together.
    const limited = await Promise.all(['B', 'A', 'B'].map((value) => read(value, 2)));
    assert.deepEqual(limited.map((records) => records.length), [2, 1, 2]);
    for (const record of limited[0]!) assert.ok(['乙一', '乙二', '乙三'].includes(String(record.name)));
    // Reads of other fields are other groups; the key may be among the fields.
    const mixed = await Promise.all([read('A', 5, ['idNumber', 'name']), read('A', 5, ['count']), read('C', 5, ['idNumber'])]);
    assert.deepEqual(mixed, [[{ idNumber: 'A', name: '甲' }], [{ count: 1 }], [{ idNumber: 'C' }]]);
  });
});
