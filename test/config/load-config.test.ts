import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envName, listSettings, loadConfig } from '../../src/config/load-config.ts';
import { TongbanError } from '../../src/core/errors.ts';

function nodeDir(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tongban-config-'));
  writeFileSync(join(dir, 'tongban.yaml'), yaml);
  return dir;
}

const minimal = 'node:\n  code: "330000"\n  name: 浙江省\n  level: province\n';

function refusal(run: () => unknown): TongbanError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof TongbanError, `expected a TongbanError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a refusal');
}

test('a minimal file gets every default and is frozen', () => {
  const { config, sqlitePath } = loadConfig({ dir: nodeDir(minimal) });
  assert.equal(config.node.suite, 'intl');
  assert.equal(config.http.port, 8300);
  assert.equal(config.database.url, undefined);
  assert.match(sqlitePath, /node\.db$/);
  assert.ok(Object.isFrozen(config) && Object.isFrozen(config.http));
});

test('environment overrides the file and flags override the environment', () => {
  const dir = nodeDir(`${minimal}http:\n  port: 9000\n`);
  assert.equal(loadConfig({ dir }).config.http.port, 9000);
  assert.equal(loadConfig({ dir, env: { TONGBAN_HTTP_PORT: '9100' } }).config.http.port, 9100);
  assert.equal(loadConfig({ dir, env: { TONGBAN_HTTP_PORT: '9100' }, overrides: { 'http.port': 9200 } }).config.http.port, 9200);
  assert.equal(loadConfig({ dir, env: { TONGBAN_HTTP_TRUST_PROXY: 'false' } }).config.http.trustProxy, false);
  assert.equal(loadConfig({ dir, env: { TONGBAN_HTTP_TRUST_PROXY: 'true' } }).config.http.trustProxy, true);
  // Variables that are not Tongban's are ignored.
  assert.equal(loadConfig({ dir, env: { PATH: '/usr/bin' } }).config.http.port, 9000);
});

test('an unknown key is refused, naming the key', () => {
  const error = refusal(() => loadConfig({ dir: nodeDir(`${minimal}http:\n  colour: red\n`) }));
  assert.equal(error.code, 'config_invalid');
  assert.match(error.message, /unknown key 'http\.colour'/);
});

test('an unknown top-level section is refused', () => {
  const error = refusal(() => loadConfig({ dir: nodeDir(`${minimal}databse:\n  url: x\n`) }));
  assert.match(error.message, /unknown key 'databse'/);
});

test('a bad value is refused with the key and what is allowed', () => {
  const port = refusal(() => loadConfig({ dir: nodeDir(`${minimal}http:\n  port: 70000\n`) }));
  assert.match(port.message, /'http\.port'.*65535/);
  const suite = refusal(() => loadConfig({ dir: nodeDir(minimal.replace('level: province', 'level: province\n  suite: rsa')) }));
  assert.match(suite.message, /'node\.suite': must be one of "intl", "sm"/);
  const code = refusal(() => loadConfig({ dir: nodeDir(minimal.replace('"330000"', '"33"')) }));
  assert.match(code.message, /'node\.code'.*GB\/T 2260/);
  const url = refusal(() => loadConfig({ dir: nodeDir(`${minimal}database:\n  url: mysql://x\n`) }));
  assert.match(url.message, /'database\.url'.*postgres/);
});

test('an unknown TONGBAN_ variable is refused rather than silently ignored', () => {
  const error = refusal(() => loadConfig({ dir: nodeDir(minimal), env: { TONGBAN_HTTP_PROT: '1' } }));
  assert.equal(error.code, 'config_invalid');
  assert.match(error.message, /TONGBAN_HTTP_PROT/);
});

test('an unknown override path is refused', () => {
  const error = refusal(() => loadConfig({ dir: nodeDir(minimal), overrides: { 'http.nope': 1 } }));
  assert.match(error.message, /Unknown setting 'http\.nope'/);
});

test('malformed YAML is refused with its line', () => {
  const error = refusal(() => loadConfig({ dir: nodeDir(`${minimal}http:\n  port: [1,\n`) }));
  assert.equal(error.code, 'config_invalid');
  assert.match(error.message, /not valid YAML/);
});

test('a YAML file that is not a mapping is refused', () => {
  const error = refusal(() => loadConfig({ dir: nodeDir('- a\n- b\n') }));
  assert.match(error.message, /mapping/);
});

test('a directory without a config is not a node', () => {
  const error = refusal(() => loadConfig({ dir: mkdtempSync(join(tmpdir(), 'tongban-empty-')) }));
  assert.equal(error.code, 'not_a_node');
});

test('a missing explicit config file is config_missing', () => {
  const error = refusal(() => loadConfig({ dir: nodeDir(minimal), file: '/nonexistent/tongban.yaml' }));
  assert.equal(error.code, 'config_missing');
});

test('the key secret is read from keys.secretFile relative to the data directory', () => {
  const dir = nodeDir(`${minimal}keys:\n  secretFile: key-secret\n`);
  writeFileSync(join(dir, 'key-secret'), 'a-long-enough-secret-value\n');
  assert.equal(loadConfig({ dir }).keySecret, 'a-long-enough-secret-value');
  const missing = refusal(() => loadConfig({ dir: nodeDir(`${minimal}keys:\n  secretFile: nope\n`) }));
  assert.equal(missing.code, 'config_missing');
});

test('every setting has an environment variable name', () => {
  assert.equal(envName('http', 'bodyLimitBytes'), 'TONGBAN_HTTP_BODY_LIMIT_BYTES');
  const settings = listSettings();
  assert.ok(settings.some((s) => s.path === 'database.url' && s.env === 'TONGBAN_DATABASE_URL'));
  assert.ok(settings.some((s) => s.path === 'keys.secret' && s.env === 'TONGBAN_KEYS_SECRET'));
});
