/** The `tongban` command, run in-process with captured output, plus the real binary once. */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { main } from '../../src/cli/main.ts';
import { createOutput } from '../../src/cli/output.ts';

interface Run {
  code: number;
  out: string;
  err: string;
}

async function tongban(...args: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, createOutput({ out: (text) => out.push(text), err: (text) => err.push(text) }));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const root = mkdtempSync(join(tmpdir(), 'tongban-cli-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Initialises a node with fast password hashing for tests. */
async function initAt(dir: string, ...extra: string[]): Promise<Run> {
  const run = await tongban('init', '--code', '330000', '--name', '浙江省', '--dir', dir, '--port', '0', '--json', ...extra);
  if (run.code === 0) {
    const config = join(dir, 'tongban.yaml');
    writeFileSync(config, `${readFileSync(config, 'utf8')}auth:\n  passwordCostLog2: 10\n`);
  }
  return run;
}

describe('tongban CLI', () => {
  const dir = join(root, 'zj');

  test('version and help', async () => {
    const version = await tongban('version', '--json');
    assert.equal(version.code, 0);
    assert.match(JSON.parse(version.out).version, /^\d+\.\d+\.\d+/);
    const help = await tongban('--help');
    assert.equal(help.code, 0);
    for (const command of ['init', 'serve', 'migrate', 'user', 'keys', 'config', 'version', 'demo']) {
      assert.match(help.out, new RegExp(`\\b${command}\\b`));
    }
    const userHelp = await tongban('user', '--help');
    assert.match(userHelp.out, /reset-2fa/);
    const unknown = await tongban('frobnicate');
    assert.equal(unknown.code, 2);
  });

  test('init creates a node with keys, database and an administrator with a second factor', async () => {
    const run = await initAt(dir);
    assert.equal(run.code, 0, run.err);
    const result = JSON.parse(run.out);
    assert.equal(result.admin.username, 'admin');
    assert.match(result.admin.secondFactor.uri, /^otpauth:\/\/totp\//);
    assert.ok(result.keys.some((key: { kid: string; use: string }) => key.use === 'sign' && key.kid.startsWith('330000#')));
    const again = await initAt(dir);
    assert.equal(again.code, 1);
    assert.match(again.err, /^error \[node_exists\]/);
  });

  test('config check validates and lists settings', async () => {
    const ok = await tongban('config', 'check', '--dir', dir, '--json');
    assert.equal(ok.code, 0, ok.err);
    assert.equal(JSON.parse(ok.out).keySecret, 'present');
    const list = await tongban('config', 'check', '--list');
    assert.match(list.out, /TONGBAN_DATABASE_URL/);
  });

  test('user add, list, disable, enable and reset-2fa', async () => {
    const added = await tongban('user', 'add', 'wang.steward', '--role', 'steward', '--dir', dir, '--json');
    assert.equal(added.code, 0, added.err);
    assert.ok(JSON.parse(added.out).password.length >= 12);
    const auditor = await tongban('user', 'add', 'zhou.audit', '--role', 'auditor', '--dir', dir, '--json');
    assert.ok(JSON.parse(auditor.out).secondFactor.secret, 'an auditor gets a second factor');
    const mixed = await tongban('user', 'add', 'x.mixed', '--role', 'admin', 'caseworker', '--dir', dir);
    assert.equal(mixed.code, 1);
    assert.match(mixed.err, /^error \[duty_separation\]/);
    const badRole = await tongban('user', 'add', 'x.bad', '--role', 'emperor', '--dir', dir);
    assert.equal(badRole.code, 2);

    const list = await tongban('user', 'list', '--dir', dir, '--json');
    const names = JSON.parse(list.out).accounts.map((account: { username: string }) => account.username);
    assert.deepEqual(names.sort(), ['admin', 'wang.steward', 'zhou.audit']);

    assert.equal((await tongban('user', 'disable', 'wang.steward', '--dir', dir)).code, 0);
    const disabled = JSON.parse((await tongban('user', 'list', '--dir', dir, '--json')).out).accounts.find(
      (account: { username: string }) => account.username === 'wang.steward',
    );
    assert.equal(disabled.status, 'disabled');
    assert.equal((await tongban('user', 'enable', 'wang.steward', '--dir', dir)).code, 0);
    const reset = await tongban('user', 'reset-2fa', 'zhou.audit', '--dir', dir, '--json');
    assert.equal(reset.code, 0, reset.err);
    assert.match(JSON.parse(reset.out).uri, /^otpauth:/);
    const nobody = await tongban('user', 'disable', 'nobody', '--dir', dir);
    assert.match(nobody.err, /^error \[not_found\]/);
  });

  test('keys list and rotate', async () => {
    const before = JSON.parse((await tongban('keys', 'list', '--dir', dir, '--json')).out).keys;
    const rotated = await tongban('keys', 'rotate', '--use', 'sign', '--dir', dir, '--json');
    assert.equal(rotated.code, 0, rotated.err);
    const after = JSON.parse((await tongban('keys', 'list', '--dir', dir, '--json')).out).keys;
    assert.equal(after.length, before.length + 1);
    assert.equal(after.filter((key: { use: string; status: string }) => key.use === 'sign' && key.status === 'retired').length, 1);
  });

  test('migrate reports state and is idempotent', async () => {
    const run = await tongban('migrate', '--dir', dir, '--json');
    assert.equal(run.code, 0, run.err);
    assert.deepEqual(JSON.parse(run.out).applied, []);
    const status = await tongban('migrate', '--status', '--dir', dir);
    assert.match(status.out, /0001-foundation/);
  });

  test('a directory that is not a node is refused clearly', async () => {
    const empty = mkdtempSync(join(root, 'empty-'));
    const run = await tongban('keys', 'list', '--dir', empty);
    assert.equal(run.code, 1);
    assert.match(run.err, /^error \[not_a_node\].*tongban init/);
    const json = await tongban('user', 'list', '--dir', empty, '--json');
    assert.equal(JSON.parse(json.out).error.code, 'not_a_node');
  });

  test('a corrupt config is refused with the key at fault', async () => {
    const broken = join(root, 'broken');
    assert.equal((await initAt(broken)).code, 0);
    const config = join(broken, 'tongban.yaml');
    const original = readFileSync(config, 'utf8');
    writeFileSync(config, `${original}http:\n  port: not-a-port\n`);
    const duplicate = await tongban('config', 'check', '--dir', broken);
    assert.equal(duplicate.code, 1);
    assert.match(duplicate.err, /config_invalid/);
    writeFileSync(config, original.replace('level: province', 'level: province\n  colour: blue'));
    const unknown = await tongban('config', 'check', '--dir', broken);
    assert.match(unknown.err, /unknown key 'node\.colour'/);
    writeFileSync(config, 'node: [unclosed\n');
    const yaml = await tongban('config', 'check', '--dir', broken);
    assert.match(yaml.err, /not valid YAML/);
  });

  test('a wrong key-encryption secret is refused before anything is written', async () => {
    const node = join(root, 'secret');
    assert.equal((await initAt(node)).code, 0);
    writeFileSync(join(node, 'key-secret'), 'an-entirely-different-secret-value\n');
    const run = await tongban('keys', 'list', '--dir', node);
    assert.equal(run.code, 1);
    assert.match(run.err, /^error \[key_secret_invalid\]/);
  });

  test('a database from a newer Tongban is refused', async () => {
    const node = join(root, 'newer');
    assert.equal((await initAt(node)).code, 0);
    const database = new BetterSqlite3(join(node, 'node.db'));
    database.prepare("insert into schema_migrations (name, timestamp) values ('9999-from-the-future', '2030-01-01T00:00:00.000Z')").run();
    database.close();
    for (const args of [['keys', 'list'], ['migrate'], ['user', 'list']]) {
      const run = await tongban(...args, '--dir', node);
      assert.equal(run.code, 1);
      assert.match(run.err, /^error \[database_too_new\].*9999-from-the-future/);
    }
  });

  test('an unreachable PostgreSQL database is refused without leaking its password', async () => {
    const node = join(root, 'pg-down');
    const run = await tongban('init', '--code', '310000', '--name', '上海市', '--dir', node, '--database-url', 'postgres://tongban:s3cret-pw@127.0.0.1:1/tongban');
    assert.equal(run.code, 1);
    assert.match(run.err, /^error \[database_unreachable\]/);
    assert.ok(!run.err.includes('s3cret-pw'));
    assert.throws(() => readFileSync(join(node, 'tongban.yaml')), 'a failed init leaves nothing behind');
  });

  test('standards validate exits 1 when any value is invalid', async () => {
    const good = await tongban('standards', 'validate', '--as', 'citizen-id', '11010519491231002X', '440524188001010014');
    assert.equal(good.code, 0, good.err);
    const bad = await tongban('standards', 'validate', '--as', 'citizen-id', '11010519491231002X', '110105194912310021', '--json');
    assert.equal(bad.code, 1);
    const results = JSON.parse(bad.out).results as { value: string; valid: boolean }[];
    assert.deepEqual(results.map((result) => result.valid), [true, false]);
  });

  test('the installed binary runs', () => {
    const out = execFileSync(process.execPath, ['bin/tongban.mjs', 'version'], { encoding: 'utf8' });
    assert.match(out, /^tongban \d+\.\d+\.\d+/);
    const failed = spawnSync(process.execPath, ['bin/tongban.mjs', 'keys', 'list', '--dir', join(root, 'nowhere')], { encoding: 'utf8' });
    assert.equal(failed.status, 1);
    assert.equal(failed.stderr.trim().split('\n').length, 1, 'one clear line');
  });
});
