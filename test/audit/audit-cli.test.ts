/** `tongban audit …` in-process: verify, checkpoint, prove, export and check-bundle, and tampering caught. */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { main } from '../../src/cli/main.ts';
import { createOutput } from '../../src/cli/output.ts';

async function tongban(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, createOutput({ out: (text) => out.push(text), err: (text) => err.push(text) }));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const root = mkdtempSync(join(tmpdir(), 'tongban-audit-cli-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('tongban audit', () => {
  const dir = join(root, 'node');

  test('verify, checkpoint, prove, export and check-bundle on an intact log', async () => {
    assert.equal((await tongban('init', '--code', '330000', '--name', '浙江省', '--dir', dir, '--port', '0', '--json')).code, 0);
    const verified = await tongban('audit', 'verify', '--dir', dir, '--json');
    assert.equal(verified.code, 0, verified.err);
    assert.equal(JSON.parse(verified.out).ok, true);
    const checkpoint = await tongban('audit', 'checkpoint', '--dir', dir);
    assert.equal(checkpoint.code, 0, checkpoint.err);
    assert.match(checkpoint.out, /^tongban\.example\/330000\n\d+\n[A-Za-z0-9+/=]+\n\n\u2014 /);

    const database = new BetterSqlite3(join(dir, 'node.db'), { readonly: true });
    const event = database.prepare('select id from events where seq = 1').get() as { id: string };
    database.close();
    const proved = await tongban('audit', 'prove', '--event', event.id, '--dir', dir, '--json');
    assert.equal(proved.code, 0, proved.err);
    assert.equal(JSON.parse(proved.out).seq, 1);

    const bundle = join(root, 'bundle.json');
    const exported = await tongban('audit', 'export', '--from', '0', '--to', '2', '--out', bundle, '--dir', dir);
    assert.equal(exported.code, 0, exported.err);
    const checked = await tongban('audit', 'check-bundle', bundle, '--json');
    assert.equal(checked.code, 0, checked.out);
    assert.equal(JSON.parse(checked.out).entries, 3);

    const content = JSON.parse(readFileSync(bundle, 'utf8')) as { entries: Array<{ payload: string }> };
    content.entries[1]!.payload = content.entries[1]!.payload.replace('"outcome":"success"', '"outcome":"failure"');
    writeFileSync(join(root, 'tampered.json'), JSON.stringify(content));
    const refused = await tongban('audit', 'check-bundle', join(root, 'tampered.json'));
    assert.equal(refused.code, 1);
    assert.match(refused.out, /Entry 1: not included/);
    assert.match(refused.err, /audit_integrity_failed/);

    const badRange = await tongban('audit', 'export', '--from', '5', '--to', '2', '--out', bundle, '--dir', dir);
    assert.equal(badRange.code, 1);
    assert.match(badRange.err, /invalid_input/);
    const unknown = await tongban('audit', 'prove', '--event', 'no-such-event', '--dir', dir);
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /not_found/);
  });

  test('verify names the entry an attacker with file access changed', async () => {
    const database = new BetterSqlite3(join(dir, 'node.db'));
    database.exec('drop trigger events_no_update');
    database.prepare("update events set payload = replace(payload, '\"outcome\":\"success\"', '\"outcome\":\"failure\"') where seq = 2").run();
    database.close();
    const verified = await tongban('audit', 'verify', '--dir', dir);
    assert.equal(verified.code, 1);
    assert.match(verified.out, /\[entry_changed\] Entry 2 /);
    assert.match(verified.out, /\[checkpoint_root_mismatch\]/);
  });
});
