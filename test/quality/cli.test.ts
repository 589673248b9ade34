/** `tongban quality` in-process: a CSV file checked through DuckDB, the HTML report, remediation tasks. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { main } from '../../src/cli/main.ts';
import { createOutput } from '../../src/cli/output.ts';
import { progressPrinter } from '../../src/quality/cli.ts';

async function tongban(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, createOutput({ out: (text) => out.push(text), err: (text) => err.push(text) }));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('tongban quality (CLI)', () => {
  const root = mkdtempSync(join(tmpdir(), 'tongban-quality-cli-'));
  const dir = join(root, 'node');
  const csv = join(root, 'register.csv');
  const rules = join(root, 'rules.yaml');
  before(async () => {
    const init = await tongban('init', '--code', '330000', '--name', '浙江省', '--dir', dir, '--port', '0', '--json');
    assert.equal(init.code, 0, init.err);
    writeFileSync(csv, 'idNumber,sex,division\n11010519491231002X,2,110105\n11010519491231002Y,5,110105\n440524188001010014,1,999999\n');
    writeFileSync(join(root, 'divisions.csv'), 'code\n110105\n440524\n');
    writeFileSync(
      rules,
      [
        'rules:',
        '  - name: id valid',
        '    check: validator',
        '    field: idNumber',
        '    validator: citizenId',
        '  - name: sex coded',
        '    check: codeList',
        '    field: sex',
        '    codeList: gb-t-2261.1',
        '  - name: division known',
        '    check: reference',
        '    field: division',
        '    dataset: divisions',
        '    datasetField: code',
        '',
      ].join('\n'),
    );
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('a CSV file is checked in place, with an HTML report and tasks opened from the failures', async () => {
    const html = join(root, 'report.html');
    const run = await tongban('quality', 'run', csv, '--file', '--rules', rules, '--reference', `divisions=${join(root, 'divisions.csv')}`, '--html', html, '--open-tasks', '--dir', dir, '--json');
    assert.equal(run.code, 0, run.err);
    const record = JSON.parse(run.out) as { dataset: string; rowCount: number; results: { name: string; failed: number }[] };
    assert.equal(record.dataset, `file:${csv}`);
    assert.equal(record.rowCount, 3);
    assert.deepEqual(Object.fromEntries(record.results.map((result) => [result.name, result.failed])), { 'id valid': 1, 'sex coded': 1, 'division known': 1 });
    const page = readFileSync(html, 'utf8');
    assert.match(page, /^<!doctype html>/);
    assert.match(page, /division known/);
    assert.ok(!page.includes('11010519491231002Y'));
    const tasks = await tongban('quality', 'tasks', 'list', '--dataset', `file:${csv}`, '--dir', dir, '--json');
    assert.equal(tasks.code, 0, tasks.err);
    const list = (JSON.parse(tasks.out) as { tasks: { id: string; state: string }[] }).tasks;
    assert.equal(list.length, 3);
    const assigned = await tongban('quality', 'tasks', 'assign', list[0]!.id, '--to', 'li', '--dir', dir, '--json');
    assert.equal(JSON.parse(assigned.out).state, 'assigned');
    const early = await tongban('quality', 'tasks', 'wont-fix', list[0]!.id, '--dir', dir);
    assert.notEqual(early.code, 0, 'the reason is required');
  });

  test('a malformed rule file points at the line; an unreadable file is refused clearly', async () => {
    const broken = join(root, 'broken.yaml');
    writeFileSync(broken, 'rules:\n  - name: x\n    check: missing\n    field: [oops\n');
    const bad = await tongban('quality', 'run', csv, '--file', '--rules', broken, '--dir', dir);
    assert.notEqual(bad.code, 0);
    assert.match(bad.err, /broken\.yaml line \d/);
    const gbk = join(root, 'gbk.csv');
    writeFileSync(gbk, Buffer.from('d0d5c3fb2cd0d4b1f00acdf5b7bc2c320a', 'hex'));
    const refused = await tongban('quality', 'run', gbk, '--file', '--rules', rules, '--dir', dir);
    assert.notEqual(refused.code, 0);
    assert.match(refused.err, /not UTF-8 text \(a GBK export\?\)/);
  });

  test('progress lines go to stderr only when forced or on a terminal, never by default with --json or off a terminal', async () => {
    const args = ['quality', 'run', csv, '--file', '--rules', rules, '--reference', `divisions=${join(root, 'divisions.csv')}`, '--dir', dir];
    const progressLine = /\[\d+\.\ds\] (scanning|scanned|rules evaluated)/;
    // Under the test runner stderr is not a terminal: no progress, JSON or not.
    for (const extra of [[], ['--json']]) {
      const quiet = await tongban(...args, ...extra);
      assert.equal(quiet.code, 0, quiet.err);
      assert.doesNotMatch(quiet.err, progressLine);
    }
    const forced = await tongban(...args, '--json', '--progress');
    assert.equal(forced.code, 0, forced.err);
    assert.equal(JSON.parse(forced.out).rowCount, 3, 'stdout stays one JSON document');
    const lines = forced.err.split('\n').filter((line) => progressLine.test(line));
    assert.match(lines[0]!, /scanning the table once for 3 row-level rules…$/);
    assert.match(lines[1]!, /scanned 3 rows$/);
    assert.deepEqual(lines.slice(2).map((line) => line.replace(/^\S+ /, '')), [
      'rules evaluated [#######·············] 1/3',
      'rules evaluated [#############·······] 2/3',
      'rules evaluated [####################] 3/3',
    ]);
    const off = await tongban(...args, '--progress', '--no-progress');
    assert.doesNotMatch(off.err, progressLine);
  });

  test('on a terminal, progress is on by default and off with --json', () => {
    const printed: string[] = [];
    assert.equal(progressPrinter({ json: true }, (line) => printed.push(line), true), undefined);
    assert.equal(progressPrinter({}, (line) => printed.push(line), false), undefined);
    const printer = progressPrinter({}, (line) => printed.push(line), true);
    printer!({ phase: 'scanned', rows: 10_000_000 });
    assert.match(printed[0]!, /scanned 10000000 rows$/);
  });

  test('standards import (dry run, then for real) and export through the CLI', async () => {
    const table = join(root, 'gb2260.csv');
    writeFileSync(table, 'code,name\n110000,北京市\n110105,朝阳区\n');
    const dry = await tongban('standards', 'import', '--kind', 'code-lists', table, '--name', 'gb-t-2260', '--list-version', '2', '--dry-run', '--dir', dir, '--json');
    assert.equal(dry.code, 0, dry.err);
    assert.equal(JSON.parse(dry.out).results[0].status, 'would_import');
    const real = await tongban('standards', 'import', '--kind', 'code-lists', table, '--name', 'gb-t-2260', '--list-version', '2', '--dir', dir, '--json');
    assert.equal(JSON.parse(real.out).results[0].status, 'imported');
    const out = join(root, 'exported.csv');
    const exported = await tongban('standards', 'export', '--kind', 'code-lists', out, '--name', 'gb-t-2260', '--dir', dir);
    assert.equal(exported.code, 0, exported.err);
    assert.equal(readFileSync(out, 'utf8'), 'code,name\n110000,北京市\n110105,朝阳区\n');
    const unknown = await tongban('quality', 'conformance', '330000/nothing', '--dir', dir);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.err, /330000\/nothing/);
  });
});
