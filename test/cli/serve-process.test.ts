/** `tongban init` then `tongban serve` as real processes, the way an operator runs a node. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = mkdtempSync(join(tmpdir(), 'tongban-serve-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('a node initialised and served by the CLI answers over HTTP and stops cleanly on SIGTERM', async () => {
  const dir = join(root, 'sh');
  const env = { ...process.env, TONGBAN_AUTH_PASSWORD_COST_LOG2: '10' };
  const init = JSON.parse(
    execFileSync(process.execPath, ['bin/tongban.mjs', 'init', '--code', '310000', '--name', '上海市', '--dir', dir, '--json'], {
      encoding: 'utf8',
      env,
    }),
  ) as { admin: { username: string } };
  assert.equal(init.admin.username, 'admin');

  const server = spawn(process.execPath, ['bin/tongban.mjs', 'serve', '--dir', dir, '--port', '0', '--log-level', 'warn'], { env });
  try {
    const url = await new Promise<string>((resolveUrl, reject) => {
      let stderr = '';
      server.stderr.on('data', (chunk: Buffer) => {
        stderr += String(chunk);
        const match = /listening on (http:\/\/[^\s]+)/.exec(stderr);
        if (match) resolveUrl(match[1]!);
      });
      server.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
      setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 30_000).unref();
    });
    assert.deepEqual(await (await fetch(`${url}/healthz`)).json(), { status: 'ok' });
    const node = (await (await fetch(`${url}/api/v1/node`)).json()) as { code: string; name: string };
    assert.deepEqual([node.code, node.name], ['310000', '上海市']);
    const docs = await fetch(`${url}/openapi.json`);
    assert.equal(docs.status, 200);
  } finally {
    const exited = new Promise<number | null>((resolveExit) => server.on('exit', (code) => resolveExit(code)));
    server.kill('SIGTERM');
    assert.equal(await exited, 0, 'serve exits with 0 on SIGTERM');
  }
});
