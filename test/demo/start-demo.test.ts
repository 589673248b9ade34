/**
 * The demo federation `npm start` runs: every member is a real node that answers and lets its
 * staff in, holds its generated datasets, is bound by four active agreements, has quality runs
 * (the marriage register scores poorly) and a signed checkpoint, and answers exchanges.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoAgreements, startDemo, stopDemo, type DemoAccount, type RunningDemo, type RunningDemoNode } from '../../src/demo/start-demo.ts';
import { demoDatasetSlugs } from '../../src/demo/generate/demo-records.ts';
import type { DemoDataManifest } from '../../src/demo/generate/generate-demo-data.ts';
import { validateCitizenId } from '../../src/standards/index.ts';
import { totpCode } from '../support/nodes.ts';

describe('demo federation', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tongban-demo-'));
  let demo: RunningDemo;
  const tokens = new Map<string, string>();
  const node = (code: string) => demo.nodes.find((candidate) => candidate.member.code === code)!;

  before(async () => {
    demo = await startDemo({ dir, basePort: 20000 + Math.floor(Math.random() * 20000), logLevel: 'silent', people: 300 });
  });
  after(async () => {
    if (demo) await stopDemo(demo.nodes);
    rmSync(dir, { recursive: true, force: true });
  });

  /** Logs an account in once (the demo spent this window's one-time codes; the next window's is accepted once). */
  async function tokenOf(member: RunningDemoNode, account: DemoAccount): Promise<string> {
    const cached = tokens.get(`${member.member.code}/${account.username}`);
    if (cached) return cached;
    const response = await fetch(`${member.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: account.username, password: account.password, ...(account.totpSecret ? { totp: totpCode(account.totpSecret, Date.now() + 30_000) } : {}) }),
    });
    assert.equal(response.status, 200, `${account.username} cannot log in to ${member.member.code}`);
    const { accessToken } = (await response.json()) as { accessToken: string };
    tokens.set(`${member.member.code}/${account.username}`, accessToken);
    return accessToken;
  }
  const as = async (code: string, username: string) => tokenOf(node(code), node(code).accounts.find((account) => account.username === username)!);
  const get = async <T>(code: string, path: string, token?: string): Promise<T> => {
    const response = await fetch(`${node(code).url}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    assert.equal(response.status, 200, `GET ${path} on ${code}: ${await response.clone().text()}`);
    return (await response.json()) as T;
  };
  const post = async <T>(code: string, path: string, token: string, body: unknown): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${node(code).url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as T };
  };

  test('a hub and three members answer on loopback', async () => {
    assert.deepEqual(demo.nodes.map((member) => member.member.code), ['100000', '330000', '310000', '520400']);
    for (const member of demo.nodes) {
      const ready = await fetch(`${member.url}/readyz`);
      assert.equal(ready.status, 200);
      const info = (await (await fetch(`${member.url}/api/v1/node`)).json()) as { code: string; role: string };
      assert.equal(info.code, member.member.code);
      assert.equal(info.role, member.member.level === 'hub' ? 'hub' : 'node');
    }
  });

  test('the printed demo accounts can log in', async () => {
    for (const member of demo.nodes.slice(1)) {
      assert.deepEqual(member.accounts.map((account) => account.username).sort(), ['admin', 'agreements', 'auditor', 'caseworker', 'steward']);
      for (const account of member.accounts) await tokenOf(member, account);
    }
  });

  test('each member holds its generated datasets, imported in full and published to the hub', async () => {
    for (const code of ['330000', '310000', '520400']) {
      const manifest = JSON.parse(readFileSync(join(dir, code, 'demo-data', 'manifest.json'), 'utf8')) as DemoDataManifest;
      assert.equal(manifest.people, 300);
      const token = await as(code, 'steward');
      for (const slug of demoDatasetSlugs) {
        const dataset = await get<{ data: { rows: number | null } }>(code, `/api/v1/catalog/datasets/${code}/${slug}`, token);
        assert.equal(dataset.data.rows, manifest.datasets[slug].rows, `${code}/${slug}`);
      }
      assert.deepEqual(node(code).datasets.map((dataset) => dataset.rows), demoDatasetSlugs.map((slug) => manifest.datasets[slug].rows));
    }
    const found = await get<{ datasets: { id: string }[] }>('310000', `/api/v1/catalog/search?q=${encodeURIComponent('婚姻登记')}`, await as('310000', 'caseworker'));
    assert.deepEqual(found.datasets.map((dataset) => dataset.id).sort(), ['310000/marriage-register', '330000/marriage-register', '520400/marriage-register']);
  });

  test('four agreements are active on every party, bridge and radial', async () => {
    assert.deepEqual(demo.agreements, Object.values(demoAgreements));
    for (const agreement of demo.agreements) {
      const id = agreement.slice(0, agreement.indexOf('@'));
      const parties = id.match(/\d{6}/g)!;
      for (const code of parties) {
        const view = await get<{ state: string; signedBy: string[] }>(code, `/api/v1/agreements/${id}`, await as(code, 'agreements'));
        assert.equal(view.state, 'active', `${id} on ${code}`);
        assert.deepEqual([...view.signedBy].sort(), [...parties].sort());
      }
    }
    assert.equal(demo.exchanges.length, 4);
    assert.ok(demo.exchanges.some((line) => line.includes('(bridge)')) && demo.exchanges.some((line) => line.includes('(radial)')));
    const marriage = demo.exchanges.find((line) => line.includes('married'));
    const answered = demo.exchanges.filter((line) => line !== marriage);
    for (const line of answered) assert.match(line, /: ok, (true|[1-9]\d* record\(s\))$/);
    // The marriage register scores below the agreement's floor of 95, so 浙江's gateway refuses it.
    assert.match(marriage ?? '', /: refused, quality_below_floor at \/service\/qualityFloor\/330000~1marriage-register$/);
  });

  test('浙江 can query 安顺 about the demo citizen under the active agreement', async () => {
    assert.ok(validateCitizenId(demo.citizen.idNumber).valid);
    assert.equal(demo.citizen.idNumber.slice(0, 4), '5204');
    const answer = await post<{ result: boolean }>('330000', '/api/v1/exchange/requests', await as('330000', 'caseworker'), {
      to: '520400',
      op: 'verify',
      agreement: demoAgreements.socialInsurance,
      item: '就医结算备案',
      purpose: 'medical-filing',
      dataset: '520400/social-insurance-enrolment',
      key: { idNumber: demo.citizen.idNumber },
      predicate: { field: 'isInsured', equals: 'true' },
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.result, true);
  });

  test("the demo citizen's access report on 安顺 lists 浙江's requests", async () => {
    const report = await post<{ entries: { requester: string; dataset: string; agreement: string }[] }>('520400', '/api/v1/audit/access-report', await as('520400', 'auditor'), {
      idNumber: demo.citizen.idNumber,
    });
    assert.equal(report.status, 200, JSON.stringify(report.body));
    const datasets = new Set(report.body.entries.filter((entry) => entry.requester === '330000').map((entry) => entry.dataset));
    assert.ok(datasets.has('520400/social-insurance-enrolment') && datasets.has('520400/medical-filing'), JSON.stringify(report.body.entries));
  });

  test('quality runs score the clean datasets fully and the marriage register below its floor', async () => {
    for (const code of ['330000', '310000', '520400']) {
      const runs = node(code).quality;
      assert.equal(runs.length, 4);
      for (const run of runs) {
        if (run.dataset.endsWith('/marriage-register')) {
          assert.equal(run.status, 'fail');
          assert.ok(run.tasksOpened > 0);
          assert.ok(run.overall !== null && run.overall < 95, `${run.dataset} scores ${run.overall}`);
        } else {
          assert.equal(run.overall, 100, `${run.dataset} scores ${run.overall}`);
        }
      }
      const { tasks } = await get<{ tasks: { rule: string; state: string }[] }>(code, `/api/v1/quality/tasks?dataset=${code}/marriage-register`, await as(code, 'steward'));
      assert.equal(tasks.length, runs.find((run) => run.dataset.endsWith('/marriage-register'))!.tasksOpened);
      assert.ok(tasks.some((task) => task.rule === '公民身份号码符合 GB 11643'));
      const score = await get<{ latest: { scores: { overall: number } } | null }>(code, `/api/v1/quality/datasets/${code}/marriage-register/score`, await as(code, 'steward'));
      assert.equal(score.latest?.scores.overall, runs.find((run) => run.dataset.endsWith('/marriage-register'))!.overall);
    }
  });

  test("every node has signed an audit checkpoint; each member's is witnessed by the hub and its partners", async () => {
    const witnessed = Object.fromEntries(demo.nodes.map((member) => [member.member.code, [...member.witnessedBy].sort()]));
    assert.deepEqual(witnessed, { '100000': [], '330000': ['100000', '310000', '520400'], '310000': ['100000', '330000'], '520400': ['100000', '330000'] });
    for (const member of demo.nodes) {
      const note = await fetch(`${member.url}/.well-known/tongban/checkpoint`);
      assert.equal(note.status, 200);
      assert.ok(member.checkpointSize > 0);
      const { checkpoints } = await get<{ checkpoints: { size: number }[] }>(member.member.code, '/api/v1/audit/checkpoints');
      assert.ok(checkpoints.some((checkpoint) => checkpoint.size === member.checkpointSize));
    }
  });
});
