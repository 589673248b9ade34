/** The demo federation `npm start` runs: every member is a real node that answers and lets its staff in. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemo, stopDemo, type RunningDemoNode } from '../../src/demo/start-demo.ts';
import { totpCode } from '../support/nodes.ts';

describe('demo federation', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tongban-demo-'));
  let nodes: RunningDemoNode[] = [];
  before(async () => {
    nodes = await startDemo({ dir, basePort: 20000 + Math.floor(Math.random() * 20000), logLevel: 'silent' });
  });
  after(async () => {
    await stopDemo(nodes);
    rmSync(dir, { recursive: true, force: true });
  });

  test('a hub and two province nodes answer on loopback', async () => {
    assert.deepEqual(nodes.map((node) => node.member.code), ['100000', '330000', '310000']);
    for (const node of nodes) {
      const ready = await fetch(`${node.url}/readyz`);
      assert.equal(ready.status, 200);
      const info = (await (await fetch(`${node.url}/api/v1/node`)).json()) as { code: string; role: string };
      assert.equal(info.code, node.member.code);
      assert.equal(info.role, node.member.level === 'hub' ? 'hub' : 'node');
    }
  });

  test('the printed demo accounts can log in', async () => {
    const province = nodes[1]!;
    for (const account of province.accounts) {
      const response = await fetch(`${province.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          username: account.username,
          password: account.password,
          ...(account.totpSecret ? { totp: totpCode(account.totpSecret) } : {}),
        }),
      });
      assert.equal(response.status, 200, `${account.username} cannot log in`);
    }
  });
});
