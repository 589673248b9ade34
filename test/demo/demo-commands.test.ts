/** `tongban demo generate` and the demo command's options, run in-process with captured output. */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { createOutput } from '../../src/cli/output.ts';
import type { DemoDataManifest } from '../../src/demo/generate/generate-demo-data.ts';

async function tongban(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, createOutput({ out: (text) => out.push(text), err: (text) => err.push(text) }));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const root = mkdtempSync(join(tmpdir(), 'tongban-demo-cli-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('tongban demo generate', () => {
  test('writes the files and the manifest, and prints the manifest with --json', async () => {
    const out = join(root, 'json');
    const run = await tongban('demo', 'generate', '--people', '1500', '--seed', '11', '--out', out, '--format', 'jsonl', '--json');
    assert.equal(run.code, 0, run.err);
    const printed = JSON.parse(run.out) as DemoDataManifest;
    assert.deepEqual(printed, JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')));
    assert.equal(printed.people, 1500);
    assert.equal(printed.seed, 11);
    assert.equal(printed.datasets['household-registration'].file, 'household-registration.jsonl');
    assert.equal(readFileSync(join(out, 'household-registration.jsonl'), 'utf8').trimEnd().split('\n').length, 1500);
  });

  test('prints progress lines and a summary of rows and injected defects', async () => {
    const out = join(root, 'human');
    const run = await tongban('demo', 'generate', '--people', '20000', '--out', out, '--counties', '520402,520423');
    assert.equal(run.code, 0, run.err);
    assert.match(run.err, /generated 10,000 \/ 20,000 people \(50%\)/);
    assert.match(run.err, /generated 20,000 \/ 20,000 people \(100%\)/);
    assert.match(run.out, /Wrote 20,000 people \(seed 2026, csv\)/);
    assert.match(run.out, /marriage-register\s+marriage-register\.csv/);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as DemoDataManifest;
    assert.deepEqual(manifest.counties, ['520402', '520423']);
    for (const [kind, count] of Object.entries(manifest.defects.counts)) assert.match(run.out, new RegExp(`${kind}\\s+[0-9.]+\\s+${count.toLocaleString('en')}`));
  });

  test('bad arguments are refused with a stable code and write nothing', async () => {
    const out = join(root, 'refused');
    const people = await tongban('demo', 'generate', '--people', 'many', '--out', out);
    assert.equal(people.code, 1);
    assert.match(people.err, /error \[invalid_input\]: --people must be a whole number/);
    const county = await tongban('demo', 'generate', '--people', '10', '--out', out, '--counties', '330000');
    assert.equal(county.code, 1);
    assert.match(county.err, /invalid_input.*330000/);
    assert.equal(existsSync(out), false);
    const format = await tongban('demo', 'generate', '--people', '10', '--out', out, '--format', 'xml');
    assert.equal(format.code, 2);
    const size = await tongban('demo', '--size', 'huge');
    assert.equal(size.code, 2);
    assert.match(size.err, /small, large/);
  });
});
