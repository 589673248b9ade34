/**
 * A run interrupted mid-way leaves nothing half-written: no run record, no remediation change, only
 * the event saying it was interrupted; and the next run works. In-process through an AbortSignal on
 * both engines, and as a real `tongban quality run` child process stopped by Ctrl-C or killed.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { TongbanError } from '../../src/core/errors.ts';
import { systemActor } from '../../src/identity/index.ts';
import { managedTableName } from '../../src/catalog/index.ts';
import type { EvaluationProgress, QualityService } from '../../src/quality/index.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { initNode } from '../../src/node/init-node.ts';
import { openNode, type NodeContext } from '../../src/node/open-node.ts';
import { forEachEngine } from '../support/databases.ts';
import { chunks, datasetDocument, openCatalogNode, type CatalogNode } from '../catalog/catalog-fixture.ts';

const slug = 'marriage-register';
const id = `330000/${slug}`;
const rules = {
  rules: [
    { check: 'validator', name: 'id valid', field: 'idNumber', validator: 'citizenId' },
    { check: 'codeList', name: 'sex coded', field: 'sex', codeList: 'gb-t-2261.1' },
    { check: 'regex', name: 'division shape', field: 'division', pattern: '^[1-6][0-9]{5}$' },
  ],
};

/** Creates the register on a node: three CSV rows, then `extraRows` bulk rows (half failing the sex rule). */
async function createRegister(node: NodeContext, dialect: 'sqlite' | 'postgres', extraRows: number): Promise<void> {
  const { catalog } = node;
  await catalog.create(
    systemActor,
    datasetDocument({ id: slug, items: [{ name: 'idNumber', type: 'string' }, { name: 'sex', type: 'string' }, { name: 'division', type: 'string' }], keyFields: ['idNumber'] }),
  );
  const csv = ['idNumber,sex,division', '11010519491231002X,2,110105', '11010519491231002Y,5,110105', '440524188001010014,1,999999', ''].join('\n');
  await catalog.importRecords(systemActor, id, chunks(csv), { format: 'csv' });
  if (extraRows > 0) {
    const table = sql.table(managedTableName(slug));
    const series =
      dialect === 'sqlite'
        ? sql`with recursive n(i) as (select 1 union all select i + 1 from n where i < ${extraRows}) select i from n`
        : sql`select generate_series(1, ${extraRows}) as i`;
    await sql`insert into ${table} ("idNumber", "sex", "division") select '11010519491231002X', case when i % 2 = 0 then '7' else '1' end, '110105' from (${series}) as s`.execute(node.store.db);
  }
}

async function taskStates(quality: QualityService): Promise<string[]> {
  return (await quality.remediation.list({ dataset: id })).map((task) => `${task.rule}:${task.state}`).sort();
}

forEachEngine('interrupted quality runs', ({ dialect }) => {
  let fixture: CatalogNode;
  let quality: QualityService;
  before(async () => {
    fixture = await openCatalogNode(dialect);
    await createRegister(fixture.node, dialect, 0);
    quality = fixture.node.quality;
  });
  after(async () => fixture.close());

  test('aborting at any phase stores no run, changes no task, records the interruption; the next run works', async () => {
    // A first run opens tasks; the division is corrected and its task marked fixed, so a finished run would verify it.
    const first = await quality.run(systemActor, id, { rules, openTasks: true });
    const tasks = await quality.remediation.list({ dataset: id });
    assert.equal(tasks.length, 3);
    const divisionTask = tasks.find((task) => task.rule === 'division shape')!;
    await quality.remediation.assign(systemActor, divisionTask.id, 'li');
    await sql`update ${sql.table(managedTableName(slug))} set "division" = '440524' where "division" = '999999'`.execute(fixture.node.store.db);
    await quality.remediation.markFixed(systemActor, divisionTask.id, 'corrected');
    const statesBefore = await taskStates(quality);
    const runsBefore = await quality.runs(id);
    assert.deepEqual(runsBefore.map((run) => run.id), [first.id]);

    const phases: EvaluationProgress['phase'][] = ['scan', 'scanned', 'rules'];
    for (const phase of phases) {
      const controller = new AbortController();
      const error = await quality
        .run(systemActor, id, {
          rules,
          openTasks: true,
          signal: controller.signal,
          onProgress: (progress) => {
            if (progress.phase === phase) controller.abort();
          },
        })
        .then(
          () => assert.fail(`a run aborted at ${phase} finished`),
          (failure: unknown) => failure,
        );
      assert.ok(error instanceof TongbanError && error.code === 'quality_run_interrupted', String(error));
      assert.deepEqual((await quality.runs(id)).map((run) => run.id), [first.id], `no run record after aborting at ${phase}`);
      assert.deepEqual(await taskStates(quality), statesBefore, `no task change after aborting at ${phase}`);
    }
    const interruptions = await fixture.node.events.list({ type: 'quality.run_interrupted' });
    assert.equal(interruptions.length, phases.length);
    assert.equal(interruptions[0]!.details.dataset, id);
    assert.equal((await fixture.node.events.list({ type: 'quality.run_finished' })).length, 1);

    const next = await quality.run(systemActor, id, { rules, openTasks: true });
    assert.deepEqual(next.results.map((result) => result.failed), [1, 1, 0]);
    assert.equal((await quality.runs(id)).length, 2);
    assert.deepEqual(await taskStates(quality), ['division shape:verified', 'id valid:open', 'sex coded:open']);
  });
});

function cli(args: readonly string[]): { child: ReturnType<typeof spawn>; stderr: () => string; exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> } {
  const child = spawn(process.execPath, ['bin/tongban.mjs', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  child.stdout!.resume();
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, stderr: () => err, exit };
}

/** Resolves once the child's stderr shows `pattern` (the run has started its scan). */
async function waitFor(read: () => string, pattern: RegExp, exit: Promise<unknown>): Promise<void> {
  let exited = false;
  void exit.then(() => (exited = true));
  while (!pattern.test(read())) {
    if (exited) assert.fail(`the child exited before printing ${pattern}: ${read()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('a `tongban quality run` child stopped by Ctrl-C or killed during a large run leaves no record; the next run works', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'tongban-quality-interrupt-')), 'node');
  await initNode({ dir, code: '330000', name: '浙江省', level: 'province', port: 0, env: {}, extraConfig: { auth: { passwordCostLog2: 10 }, log: { level: 'silent' } } });
  const node = await openNode(loadConfig({ dir, env: {} }), { migrate: true });
  try {
    await createRegister(node, 'sqlite', 1_500_000);
    const ruleFile = join(dir, 'rules.yaml');
    writeFileSync(ruleFile, JSON.stringify(rules));
    const args = ['quality', 'run', id, '--rules', ruleFile, '--open-tasks', '--progress', '--dir', dir];

    const interrupted = cli(args);
    await waitFor(interrupted.stderr, /scanning the table once/, interrupted.exit);
    interrupted.child.kill('SIGINT');
    const stopped = await interrupted.exit;
    assert.notEqual(stopped.code, 0, interrupted.stderr());
    assert.match(interrupted.stderr(), /interrupted before it finished; nothing was stored/);

    const killed = cli(args);
    await waitFor(killed.stderr, /scanning the table once/, killed.exit);
    killed.child.kill('SIGKILL');
    assert.equal((await killed.exit).signal, 'SIGKILL');

    assert.deepEqual(await node.quality.runs(id), []);
    assert.deepEqual(await node.quality.remediation.list({ dataset: id }), []);
    assert.equal((await node.events.list({ type: 'quality.run_interrupted' })).length, 1);

    const run = await node.quality.run(systemActor, id, { rules: { rules: rules.rules.slice(1, 2) } });
    assert.equal(run.rowCount, 1_500_003);
    assert.equal(run.results[0]!.failed, 750_001);
  } finally {
    await node.close();
    rmSync(dirname(dir), { recursive: true, force: true });
  }
});
