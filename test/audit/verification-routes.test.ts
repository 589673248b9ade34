/**
 * POST/GET /api/v1/audit/verification on a real node, on both engines: only the audit permission
 * may run it; each run is recorded as an audit.verified event; a tampered entry is reported.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { engines, freshPostgresUrl, type FreshPostgresDatabase } from '../support/databases.ts';
import { startTestNode, unusedTotp, type TestNode } from '../support/nodes.ts';

for (const engine of engines) {
  describe(`audit verification routes (${engine.label})`, { skip: engine.unavailable !== undefined && !engine.required ? engine.unavailable : false }, () => {
    let node: TestNode;
    let database: FreshPostgresDatabase | undefined;
    let auditor: string;
    let admin: string;
    before(async () => {
      database = engine.dialect === 'postgres' ? await freshPostgresUrl() : undefined;
      node = await startTestNode({ code: '330000', name: '浙江省', overrides: { 'audit.witnessIntervalSeconds': 86_400 }, ...(database ? { databaseUrl: database.url } : {}) });
      admin = await node.adminToken();
      const created = await node.call('POST', '/api/v1/accounts', {
        token: admin,
        body: { username: 'auditor', displayName: '安全审计员', roles: ['auditor'], password: 'Tongban-Audit-Check-2026!' },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const secret = (created.body.secondFactor as { secret: string }).secret;
      const login = await node.call('POST', '/api/v1/auth/login', { body: { username: 'auditor', password: 'Tongban-Audit-Check-2026!', totp: await unusedTotp(secret) } });
      assert.equal(login.status, 200, JSON.stringify(login.body));
      auditor = login.body.accessToken as string;
    });
    after(async () => {
      await node?.close();
      await database?.drop();
    });

    test('without the audit permission both routes are refused (the administrator reads events, not audit results)', async () => {
      for (const method of ['GET', 'POST']) {
        const refused = await node.call(method, '/api/v1/audit/verification', { token: admin });
        assert.equal(refused.status, 403, `${method}: ${JSON.stringify(refused.body)}`);
        const anonymous = await node.call(method, '/api/v1/audit/verification');
        assert.equal(anonymous.status, 401);
      }
    });

    test('a run on an intact log says so, is recorded as an event, and is what GET returns next', async () => {
      const before = await node.call('GET', '/api/v1/audit/verification', { token: auditor });
      assert.equal(before.status, 200);
      assert.equal(before.body.verification, null);

      const size = await node.running.node.events.size();
      const run = await node.call('POST', '/api/v1/audit/verification', { token: auditor });
      assert.equal(run.status, 200, JSON.stringify(run.body));
      assert.equal(run.body.ok, true);
      assert.equal(run.body.entries, size);
      assert.deepEqual(run.body.problems, []);
      assert.match(run.body.verifiedBy as string, /^staff:/);

      const [recorded] = await node.running.node.events.list({ type: 'audit.verified' });
      assert.ok(recorded);
      assert.equal(recorded.id, run.body.event);
      assert.equal(recorded.outcome, 'success');
      assert.equal(recorded.details.entries, size);

      const latest = await node.call('GET', '/api/v1/audit/verification', { token: auditor });
      const shown = latest.body.verification as Record<string, unknown>;
      assert.equal(shown.event, run.body.event);
      assert.equal(shown.ok, true);
      assert.equal(shown.problems, 0);
      assert.equal(shown.root, run.body.root);
    });

    test('a rewritten entry is reported by seq, the run is recorded as a failure, and GET shows it', async () => {
      const db = node.running.node.store.db;
      // What an attacker with database access does first: remove the append-only guards.
      if (engine.dialect === 'sqlite') await sql`drop trigger events_no_update`.execute(db);
      else await sql`drop trigger events_no_update on events`.execute(db);
      await db
        .updateTable('events')
        .set({ payload: sql<string>`replace(payload, '"outcome":"success"', '"outcome":"failure"')` })
        .where('seq', '=', 1)
        .execute();
      const run = await node.call('POST', '/api/v1/audit/verification', { token: auditor });
      assert.equal(run.status, 200);
      assert.equal(run.body.ok, false);
      const problems = run.body.problems as { kind: string; seq?: number }[];
      assert.ok(problems.some((problem) => problem.seq === 1), JSON.stringify(problems));

      const failures = (await node.running.node.events.list({ type: 'audit.verified' })).filter((event) => event.outcome === 'failure');
      assert.equal(failures.length, 1);
      const latest = await node.call('GET', '/api/v1/audit/verification', { token: auditor });
      const shown = latest.body.verification as Record<string, unknown>;
      assert.equal(shown.ok, false);
      assert.ok((shown.problems as number) >= 1);
    });
  });
}
