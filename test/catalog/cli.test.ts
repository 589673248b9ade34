/** `tongban catalog …` in-process: add a document, import with a report file, list, show. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { main } from '../../src/cli/main.ts';
import { createOutput } from '../../src/cli/output.ts';
import { initNode } from '../../src/node/init-node.ts';
import { csvHeader, datasetDocument, idNumber } from './catalog-fixture.ts';

async function tongban(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, createOutput({ out: (text) => out.push(text), err: (text) => err.push(text) }));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('tongban catalog', () => {
  let root: string;
  let dir: string;
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'tongban-catalog-cli-'));
    dir = join(root, 'node');
    await initNode({ dir, code: '330000', name: '浙江省', level: 'province', env: {}, extraConfig: { auth: { passwordCostLog2: 10 }, log: { level: 'silent' } } });
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('add, import with a report, list and show', async () => {
    const documentFile = join(root, 'household.yaml');
    writeFileSync(documentFile, stringify(datasetDocument()));
    const added = await tongban('catalog', 'add', documentFile, '--dir', dir);
    assert.equal(added.code, 0, added.err);
    assert.match(added.out, /Added 330000\/household-register, version 1/);

    const bad = join(root, 'bad.yaml');
    writeFileSync(bad, stringify(datasetDocument({ grade: 'secret' as never })));
    const refused = await tongban('catalog', 'add', bad, '--dir', dir);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /error \[invalid_input\]: Invalid dataset document: grade must be one of/);

    const rows = join(root, 'rows.csv');
    writeFileSync(rows, `${csvHeader}\n${idNumber(1)},张三,1990-01-01,1,2.5,true,\n${idNumber(2)},李四,1990-99-01,,,,\n`);
    const report = join(root, 'report.jsonl');
    const dryRun = await tongban('catalog', 'import', '330000/household-register', rows, '--dry-run', '--dir', dir);
    assert.equal(dryRun.code, 0, dryRun.err);
    assert.match(dryRun.out, /Dry run of 330000\/household-register/);
    const imported = await tongban('catalog', 'import', '330000/household-register', rows, '--report', report, '--dir', dir, '--json');
    assert.equal(imported.code, 0, imported.err);
    const result = JSON.parse(imported.out) as { rowsImported: number; rowsRejected: number; rowsPerSecond: number };
    assert.equal(result.rowsImported, 1);
    assert.equal(result.rowsRejected, 1);
    assert.deepEqual(readFileSync(report, 'utf8').trim().split('\n').map((line) => JSON.parse(line)), [
      { line: 3, field: 'birthDate', problem: 'is not a date as YYYY-MM-DD' },
    ]);

    const aborted = await tongban('catalog', 'import', '330000/household-register', rows, '--max-errors', '0', '--dir', dir);
    assert.equal(aborted.code, 1);
    assert.match(aborted.err, /import_invalid.*nothing was written/);

    const list = await tongban('catalog', 'list', '--dir', dir, '--json');
    const page = JSON.parse(list.out) as { total: number; datasets: Array<{ data: { rows: number } }> };
    assert.equal(page.total, 1);
    assert.equal(page.datasets[0]!.data.rows, 1);
    const shown = await tongban('catalog', 'show', '330000/household-register', '--dir', dir);
    assert.match(shown.out, /data: {8}1 rows/);
    const status = await tongban('catalog', 'publish', '--dir', dir);
    assert.match(status.out, /waiting_for_hub/);
  });

  test('list in the order asked', async () => {
    const second = join(root, 'marriage.yaml');
    writeFileSync(second, stringify(datasetDocument({ id: 'marriage-register', name: '婚姻登记信息' })));
    assert.equal((await tongban('catalog', 'add', second, '--dir', dir)).code, 0);
    const ids = async (...sort: string[]) => {
      const list = await tongban('catalog', 'list', ...sort, '--dir', dir, '--json');
      assert.equal(list.code, 0, list.err);
      return (JSON.parse(list.out) as { datasets: Array<{ id: string }> }).datasets.map((dataset) => dataset.id);
    };
    assert.deepEqual(await ids(), ['330000/household-register', '330000/marriage-register']);
    assert.deepEqual(await ids('--sort', '-id'), ['330000/marriage-register', '330000/household-register']);
    assert.deepEqual(await ids('--sort', '-updated'), ['330000/marriage-register', '330000/household-register']);
    const refused = await tongban('catalog', 'list', '--sort', 'size', '--dir', dir);
    assert.equal(refused.code, 2, 'a usage error');
    assert.match(refused.err, /--sort/);
  });
});
