/** Structured logs never carry secrets or citizen ID numbers in clear. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config/load-config.ts';
import { initNode } from '../../src/node/init-node.ts';
import { maskIdNumbers } from '../../src/node/http/redact.ts';
import { startNodeServer } from '../../src/node/start-node-server.ts';

test('ID numbers are masked to their division prefix', () => {
  assert.equal(maskIdNumbers('id=11010519491231002X&x=1'), 'id=110105************&x=1');
  assert.equal(maskIdNumbers('legacy 110105491231002 here'), 'legacy 110105********* here');
  assert.equal(maskIdNumbers('/records/440524188001010014'), '/records/440524************');
  // Longer digit runs (e.g. a 20-digit serial) and short numbers are left alone.
  assert.equal(maskIdNumbers('serial 12345678901234567890'), 'serial 12345678901234567890');
  assert.equal(maskIdNumbers('port 8300'), 'port 8300');
});

test('request logs hold no password, token, 2FA code or ID number', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'tongban-log-')), 'node');
  const lines: string[] = [];
  const logStream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const init = await initNode({
    dir, code: '330000', name: '浙江省', level: 'province', port: 0, env: {},
    extraConfig: { auth: { passwordCostLog2: 10 } },
  });
  const running = await startNodeServer(loadConfig({ dir, env: {} }), { logLevel: 'trace', logStream });
  try {
    const secretPassword = 'Never-Log-This-9';
    await fetch(`${running.url}/api/v1/auth/login?subject=11010519491231002X`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer super-secret-bearer-value' },
      body: JSON.stringify({ username: init.admin.username, password: secretPassword, totp: '123456' }),
    });
    await fetch(`${running.url}/api/v1/records/440524188001010014`, { headers: { authorization: 'Bearer another-secret' } });
  } finally {
    await running.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const text = lines.join('');
  assert.ok(text.includes('incoming request'), 'requests are logged');
  for (const secret of ['Never-Log-This-9', 'super-secret-bearer-value', 'another-secret', '11010519491231002X', '440524188001010014', init.admin.password]) {
    assert.ok(!text.includes(secret), `logs contain ${secret}`);
  }
  assert.ok(text.includes('110105************'), 'the masked form is logged instead');
  for (const line of lines) JSON.parse(line);
});
