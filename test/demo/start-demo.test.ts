/** The demo federation `npm start` runs: every member is a real node that answers and lets its staff in. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemo, stopDemo, type RunningDemoNode } from '../../src/demo/start-demo.ts';
import { generatePeople } from '../../src/demo/people.ts';
import { totpCode } from '../support/nodes.ts';

describe('demo federation', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tongban-demo-'));
  let nodes: RunningDemoNode[] = [];
  before(async () => {
    nodes = await startDemo({ dir, basePort: 20000 + Math.floor(Math.random() * 20000), logLevel: 'silent', people: 50 });
  });
  after(async () => {
    await stopDemo(nodes);
    rmSync(dir, { recursive: true, force: true });
  });

  test('a hub and three members answer on loopback', async () => {
    assert.deepEqual(nodes.map((node) => node.member.code), ['100000', '330000', '310000', '520400']);
    for (const node of nodes) {
      const ready = await fetch(`${node.url}/readyz`);
      assert.equal(ready.status, 200);
      const info = (await (await fetch(`${node.url}/api/v1/node`)).json()) as { code: string; role: string };
      assert.equal(info.code, node.member.code);
      assert.equal(info.role, node.member.level === 'hub' ? 'hub' : 'node');
    }
  });

  test('the members have joined, and 浙江 can query 安顺 under the active agreement', async () => {
    const zhejiang = nodes[1]!;
    const caseworker = zhejiang.accounts.find((account) => account.username === 'caseworker')!;
    const login = await fetch(`${zhejiang.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: caseworker.username, password: caseworker.password }),
    });
    const { accessToken } = (await login.json()) as { accessToken: string };
    const status = (await (await fetch(`${zhejiang.url}/api/v1/directory/status`, { headers: { authorization: `Bearer ${accessToken}` } })).json()) as { state: string };
    assert.equal(status.state, 'fresh');
    const people = generatePeople(50, 2026);
    const answer = await fetch(`${zhejiang.url}/api/v1/exchange/requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
      body: JSON.stringify({
        to: '520400',
        op: 'verify',
        agreement: 'agr-520400-330000-social-insurance@1',
        item: '就医结算备案',
        purpose: 'medical-filing',
        dataset: '520400/social-insurance-enrolment',
        key: { idNumber: people[0]!.idNumber },
        predicate: { field: 'isInsured', equals: 'true' },
      }),
    });
    assert.equal(answer.status, 200, await answer.clone().text());
    assert.equal(((await answer.json()) as { result: boolean }).result, true);
  });

  test('the printed demo accounts can log in', async () => {
    const province = nodes[1]!;
    for (const account of province.accounts) {
      // The demo spent this window's code of the administrator; the next window's code is accepted once.
      const response = await fetch(`${province.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          username: account.username,
          password: account.password,
          ...(account.totpSecret ? { totp: totpCode(account.totpSecret, Date.now() + 30_000) } : {}),
        }),
      });
      assert.equal(response.status, 200, `${account.username} cannot log in`);
    }
  });
});
