/**
 * Catalogue benchmark on SQLite (a node's own WAL file): CSV import rows per second beside a raw
 * better-sqlite3 loop that parses the same file with csv-parse and inserts it with one prepared
 * statement in one transaction; and readRecords lookups per second beside a raw prepared SELECT.
 * The ratios show what checking every row, the staging table and swap, Kysely and the catalogue's
 * cache cost. Figures only: nothing here fails on a timing.
 *
 * Run: `npm run bench -- catalog` or `node --import tsx bench/catalog.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { parse } from 'csv-parse';
import { loadConfig } from '../src/config/load-config.ts';
import { systemActor } from '../src/identity/index.ts';
import { initNode } from '../src/node/init-node.ts';
import { openNode } from '../src/node/open-node.ts';

const ROWS = 200_000;
const LOOKUPS = 20_000;

function idNumber(index: number): string {
  return `3301021990${String(index).padStart(7, '0')}X`.slice(0, 18);
}

async function* generate(): AsyncGenerator<string> {
  yield 'idNumber,name,born,children\n';
  let block = '';
  for (let index = 0; index < ROWS; index += 1) {
    block += `${idNumber(index)},name ${index},${1950 + (index % 60)}-0${1 + (index % 9)}-1${index % 10},${index % 5}\n`;
    if (index % 2000 === 1999) {
      yield block;
      block = '';
    }
  }
  if (block) yield block;
}

function rate(value: number): string {
  return `${Math.round(value).toLocaleString('en')}`.padStart(12);
}

async function rawBaseline(file: string): Promise<{ importRate: number; lookupRate: number }> {
  const database = new BetterSqlite3(file);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.exec('create table raw (idNumber text, name text, born text, children integer); create index raw_key on raw (idNumber)');
  const insert = database.prepare('insert into raw values (?, ?, ?, ?)');
  const started = performance.now();
  const parser = Readable.from(generate()).pipe(parse({ from_line: 2 }));
  database.exec('begin');
  for await (const record of parser as AsyncIterable<string[]>) insert.run(record[0], record[1], record[2], Number(record[3]));
  database.exec('commit');
  const seconds = (performance.now() - started) / 1000;
  const select = database.prepare('select name, born from raw where idNumber = ? limit 10');
  const lookupStart = performance.now();
  for (let index = 0; index < LOOKUPS; index += 1) select.all(idNumber((index * 7919) % ROWS));
  const lookupSeconds = (performance.now() - lookupStart) / 1000;
  database.close();
  return { importRate: ROWS / seconds, lookupRate: LOOKUPS / lookupSeconds };
}

export async function run(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'tongban-bench-catalog-'));
  try {
    const dir = join(root, 'node');
    await initNode({ dir, code: '330000', name: '浙江省', level: 'province', env: {}, extraConfig: { auth: { passwordCostLog2: 10 }, log: { level: 'silent' } } });
    const node = await openNode(loadConfig({ dir, env: {} }));
    try {
      await node.catalog.create(systemActor, {
        id: 'bench-register',
        code: '9-99-999-0001',
        name: 'bench',
        abstract: 'generated rows',
        items: [
          { name: 'idNumber', type: 'string' },
          { name: 'name', type: 'string' },
          { name: 'born', type: 'date' },
          { name: 'children', type: 'integer' },
        ],
        keyFields: ['idNumber'],
        sharing: { type: 'unconditional' },
        updateCycle: 'yearly',
        grade: 'general',
      });
      const imported = await node.catalog.importRecords(systemActor, '330000/bench-register', generate(), { format: 'csv' });
      const oursImport = (imported.rowsRead * 1000) / Math.max(1, imported.durationMs);
      const lookupStart = performance.now();
      for (let index = 0; index < LOOKUPS; index += 1) {
        await node.catalog.readRecords('330000/bench-register', { idNumber: idNumber((index * 7919) % ROWS) }, ['name', 'born'], 10);
      }
      const oursLookups = LOOKUPS / ((performance.now() - lookupStart) / 1000);
      const raw = await rawBaseline(join(root, 'raw.sqlite'));
      console.log(`catalog: ${ROWS.toLocaleString('en')}-row CSV import and ${LOOKUPS.toLocaleString('en')} key lookups on SQLite (WAL)`);
      console.log('measure          ours rows/s      raw rows/s   ours/raw');
      console.log(`import       ${rate(oursImport)}    ${rate(raw.importRate)}   ${(oursImport / raw.importRate).toFixed(2)}`);
      console.log(`lookup       ${rate(oursLookups)}    ${rate(raw.lookupRate)}   ${(oursLookups / raw.lookupRate).toFixed(2)}`);
      console.log('ours: catalog.importRecords (strict decoding, row checks, batched inserts into a staging table, swap, event);');
      console.log('      catalog.readRecords (cached dataset, checks, one indexed SELECT through Kysely).');
      console.log('raw:  csv-parse into one prepared INSERT in one transaction; one prepared SELECT per lookup.');
    } finally {
      await node.close();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
