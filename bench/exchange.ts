/**
 * Exchange benchmark: a real federation on loopback — hub, provider and requester each served by
 * its own `tongban serve` process — and the load generator as a further process. Measures the
 * caseworker's bridge `query` (signing, verification on both sides, replay and idempotency,
 * policy, the data read, masking and events recorded on both nodes) beside a baseline in the same
 * run: a plain Node HTTP forwarder in front of a plain HTTP data server reading the provider's
 * own SQLite table, with no signatures, no policy and no records. Also radial (body sealed,
 * relayed by the hub) and the `sm` suite (SM2/SM3/SM4) on a second federation. Figures only:
 * nothing here fails on a timing.
 *
 * Run: `npm run bench -- exchange` or `node --import tsx bench/exchange.ts`.
 * Environment: BENCH_CONNECTIONS (default 32), BENCH_SECONDS (default 10), BENCH_PEOPLE (default
 * 10000), BENCH_CPU_PROF=<dir> to write a V8 CPU profile of every node process into <dir>.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { joinFederation, logIn, setUpBridge, type Bridge, type StaffSession } from '../src/demo/federation-setup.ts';
import { initNode } from '../src/node/init-node.ts';

const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = 2;
const PEOPLE = Number(process.env.BENCH_PEOPLE ?? 10_000);
const CPU_PROFILE_DIR = process.env.BENCH_CPU_PROF ? resolve(process.env.BENCH_CPU_PROF) : undefined;
/** The whole run stops by itself after this long, whatever happens. */
const WATCHDOG_MS = 180_000;
const TARGET_RATIO = 0.25;

const HUB = { code: '100000', name: '国家枢纽', level: 'hub' } as const;
const PROVIDER = { code: '520400', name: '贵州省安顺市', level: 'prefecture' } as const;
const REQUESTER = { code: '331083', name: '浙江省玉环市', level: 'county' } as const;
const DATASET = `${PROVIDER.code}/social-insurance-enrolment`;
const FIELDS = ['name', 'insuredStatus', 'insuredSince'];

/** Every child process and temp directory this run made, so any exit path can clean up. */
const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();

interface ServedNode {
  readonly label: string;
  readonly dir: string;
  readonly url: string;
  readonly process: ChildProcess;
  readonly admin: StaffSession;
}

interface Federation {
  readonly suite: 'intl' | 'sm';
  readonly hub: ServedNode;
  readonly provider: ServedNode;
  readonly requester: ServedNode;
  readonly bridge: Bridge;
}

interface LoadResult {
  readonly requestsPerSecond: number;
  readonly total: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
}

interface Row extends LoadResult {
  readonly scenario: string;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as import('node:net').AddressInfo;
      server.close(() => resolvePort(port));
    });
  });
}

/** Keeps the last lines a child wrote to stderr, to explain a failed start. */
function tail(stream: NodeJS.ReadableStream | null, lines: string[]): void {
  if (!stream) return;
  createInterface({ input: stream }).on('line', (line) => {
    lines.push(line);
    if (lines.length > 20) lines.shift();
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveExit) => child.once('exit', () => resolveExit()));
}

/** SIGTERM, a grace period for the node to close its database (and write a CPU profile), then SIGKILL. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const killed = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited(child);
    clearTimeout(killed);
  }
  children.delete(child);
}

async function waitUntilReady(url: string, child: ChildProcess, errors: string[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`node at ${url} exited with ${child.exitCode}:\n${errors.join('\n')}`);
    try {
      const response = await fetch(`${url}/readyz`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
  throw new Error(`node at ${url} was not ready within 30 s:\n${errors.join('\n')}`);
}

/** Initialises a node in this process, then serves it from its own `tongban serve` process. */
async function startNode(root: string, suite: 'intl' | 'sm', node: { code: string; name: string; level: 'hub' | 'prefecture' | 'county' }): Promise<ServedNode> {
  const dir = join(root, node.code);
  const port = await freePort();
  const init = await initNode({
    dir,
    code: node.code,
    name: node.name,
    level: node.level,
    suite,
    port,
    env: {},
    extraConfig: { auth: { passwordCostLog2: 10 }, log: { level: 'warn' } },
  });
  const nodeFlags = CPU_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROFILE_DIR}`, `--cpu-prof-name=${suite}-${node.code}-${process.pid}.cpuprofile`] : [];
  const child = spawn(process.execPath, [...nodeFlags, join(repoRoot, 'bin/tongban.mjs'), 'serve', '--dir', dir, '--port', String(port)], {
    cwd: repoRoot,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.add(child);
  const errors: string[] = [];
  tail(child.stderr, errors);
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(url, child, errors);
  const admin = await logIn(url, { username: init.admin.username, password: init.admin.password, totpSecret: init.admin.secondFactor.secret });
  return { label: node.code, dir, url, process: child, admin };
}

/** Hub, provider and requester as processes; members join; the bridge agreement is signed and active. */
async function buildFederation(work: string, suite: 'intl' | 'sm'): Promise<Federation> {
  const root = join(work, suite);
  const [hub, provider, requester] = await Promise.all([startNode(root, suite, HUB), startNode(root, suite, PROVIDER), startNode(root, suite, REQUESTER)]);
  await joinFederation(hub.admin, [provider.admin, requester.admin]);
  const bridge = await setUpBridge(provider.admin, requester.admin, { people: PEOPLE });
  return { suite, hub, provider, requester, bridge };
}

async function stopFederation(federation: Federation): Promise<void> {
  await Promise.all([federation.requester, federation.provider, federation.hub].map((node) => stop(node.process)));
}

/** The caseworker's request bodies, one per generated person, so no two consecutive requests read the same row. */
function requestBodies(federation: Federation, route: 'bridge' | 'radial'): string[] {
  return federation.bridge.people.map((person) =>
    JSON.stringify({
      to: PROVIDER.code,
      op: 'query',
      agreement: federation.bridge.agreement,
      item: '就医结算备案',
      purpose: 'medical-filing',
      dataset: DATASET,
      key: { idNumber: person.idNumber },
      fields: FIELDS,
      ...(route === 'radial' ? { route } : {}),
    }),
  );
}

/** One request before the load, so a broken set-up fails loudly instead of measuring refusals. */
async function checkOnce(url: string, body: string, headers: Record<string, string>, what: string): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${what}: HTTP ${response.status}: ${text}`);
  const parsed = JSON.parse(text) as { records?: unknown[] };
  if (!Array.isArray(parsed.records) || parsed.records.length !== 1) throw new Error(`${what}: expected one record, got ${text}`);
}

/** Runs the load generator as its own process: warm-up, then the measured run. */
async function load(work: string, scenario: string, url: string, bodies: readonly string[], headers: Record<string, string> = {}): Promise<Row> {
  await checkOnce(url, bodies[0]!, headers, scenario);
  const optionsFile = join(work, `load-${scenario.replace(/[^a-z0-9]+/gi, '-')}.json`);
  writeFileSync(optionsFile, JSON.stringify({ url, bodies, headers, connections: CONNECTIONS, durationSeconds: SECONDS, warmupSeconds: WARMUP_SECONDS }));
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'bench/support/load.ts'), `@${optionsFile}`], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const errors: string[] = [];
  tail(child.stderr, errors);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const killed = setTimeout(() => child.kill('SIGKILL'), (WARMUP_SECONDS + SECONDS + 30) * 1000);
  await exited(child);
  clearTimeout(killed);
  children.delete(child);
  if (child.exitCode !== 0) throw new Error(`load generator for ${scenario} failed (${child.exitCode ?? child.signalCode}):\n${errors.join('\n')}`);
  return { scenario, ...(JSON.parse(output.trim().split('\n').pop()!) as LoadResult) };
}

/** The provider's dataset table and key column, read from its own catalogue. */
function datasetTable(provider: ServedNode): { sqlitePath: string; table: string; keyColumn: string } {
  const sqlitePath = join(provider.dir, 'node.db');
  const database = new BetterSqlite3(sqlitePath, { readonly: true, fileMustExist: true });
  try {
    const row = database.prepare('select table_name, document from catalog_datasets where id = ?').get(DATASET) as { table_name: string; document: string } | undefined;
    if (!row) throw new Error(`the provider has no dataset ${DATASET}`);
    const keyColumn = (JSON.parse(row.document) as { keyFields: string[] }).keyFields[0]!;
    return { sqlitePath, table: row.table_name, keyColumn };
  } finally {
    database.close();
  }
}

/** Starts the baseline's forwarder and data server (one process) and returns the forwarder's URL. */
async function startBaseline(provider: ServedNode): Promise<{ url: string; process: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'bench/support/baseline-servers.ts'), JSON.stringify(datasetTable(provider))], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const errors: string[] = [];
  tail(child.stderr, errors);
  const line = await new Promise<string>((resolveLine, reject) => {
    const timer = setTimeout(() => reject(new Error(`baseline servers did not start:\n${errors.join('\n')}`)), 30_000);
    createInterface({ input: child.stdout! }).once('line', (first) => {
      clearTimeout(timer);
      resolveLine(first);
    });
    child.once('exit', (code) => reject(new Error(`baseline servers exited with ${code}:\n${errors.join('\n')}`)));
  });
  return { url: (JSON.parse(line) as { forwarder: string }).forwarder, process: child };
}

/** Events recorded on a node, by type: proof that every exchange left its records. */
function eventCounts(node: ServedNode): { total: number; byType: Record<string, number> } {
  const database = new BetterSqlite3(join(node.dir, 'node.db'), { readonly: true, fileMustExist: true });
  try {
    const rows = database.prepare("select type, count(*) as n from events where type like 'exchange.%' group by type order by type").all() as { type: string; n: number }[];
    const { total } = database.prepare('select count(*) as total from events').get() as { total: number };
    return { total, byType: Object.fromEntries(rows.map((row) => [row.type, row.n])) };
  } finally {
    database.close();
  }
}

function describeEvents(federation: Federation): string[] {
  return [federation.requester, federation.provider, federation.hub].map((node) => {
    const { total, byType } = eventCounts(node);
    const role = node === federation.requester ? 'requester' : node === federation.provider ? 'provider ' : 'hub      ';
    const types = Object.entries(byType).map(([type, count]) => `${type} ${count.toLocaleString('en')}`).join(', ');
    return `  ${federation.suite.padEnd(4)} ${role} ${node.label}: ${total.toLocaleString('en').padStart(9)} events (${types || 'no exchange events'})`;
  });
}

function printTable(rows: readonly Row[]): void {
  const baseline = rows.find((row) => row.scenario === 'baseline')!;
  const header = ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx/errors', 'vs baseline'];
  const lines = rows.map((row) => [
    row.scenario,
    Math.round(row.requestsPerSecond).toLocaleString('en'),
    String(row.p50Ms),
    String(row.p99Ms),
    `${row.non2xx}/${row.errors + row.timeouts}`,
    (row.requestsPerSecond / baseline.requestsPerSecond).toFixed(2),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column]!.length)));
  const format = (cells: readonly string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  console.log(format(header));
  for (const line of lines) console.log(format(line));
}

function cleanUpNow(): void {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
}

/** Runs the benchmark and prints the table, the core count and the event-log sizes. */
export async function run(): Promise<void> {
  const watchdog = setTimeout(() => {
    console.error(`exchange bench: still running after ${WATCHDOG_MS / 1000} s; stopping.`);
    cleanUpNow();
    process.exit(1);
  }, WATCHDOG_MS);
  watchdog.unref();
  process.once('exit', cleanUpNow);
  if (CPU_PROFILE_DIR) mkdirSync(CPU_PROFILE_DIR, { recursive: true });

  const started = Date.now();
  const work = mkdtempSync(join(tmpdir(), 'tongban-bench-exchange-'));
  tempDirs.add(work);
  const rows: Row[] = [];
  const events: string[] = [];
  let intl: Federation | undefined;
  let sm: Federation | undefined;
  try {
    console.log(
      `exchange: ${cpus().length} CPU cores (${availableParallelism()} available to Node); ${PEOPLE.toLocaleString('en')} people; ` +
        `${CONNECTIONS} connections; ${WARMUP_SECONDS} s warm-up + ${SECONDS} s per scenario; every process on 127.0.0.1`,
    );
    intl = await buildFederation(work, 'intl');
    console.log(`intl federation ready in ${((Date.now() - started) / 1000).toFixed(1)} s (hub ${intl.hub.url}, provider ${intl.provider.url}, requester ${intl.requester.url})`);
    const auth = { authorization: `Bearer ${intl.bridge.requester.caseworker.token}` };
    const exchangeUrl = `${intl.requester.url}/api/v1/exchange/requests`;
    const bridgeBodies = requestBodies(intl, 'bridge');

    const baseline = await startBaseline(intl.provider);
    try {
      rows.push({ ...(await load(work, 'baseline', baseline.url, bridgeBodies)), scenario: 'baseline' });
    } finally {
      await stop(baseline.process);
    }
    rows.push(await load(work, 'ours, bridge', exchangeUrl, bridgeBodies, auth));
    rows.push(await load(work, 'ours, radial', exchangeUrl, requestBodies(intl, 'radial'), auth));
    await stopFederation(intl);
    events.push(...describeEvents(intl));

    const smStarted = Date.now();
    sm = await buildFederation(work, 'sm');
    console.log(`sm federation ready in ${((Date.now() - smStarted) / 1000).toFixed(1)} s`);
    rows.push(
      await load(work, 'ours, sm suite, bridge', `${sm.requester.url}/api/v1/exchange/requests`, requestBodies(sm, 'bridge'), {
        authorization: `Bearer ${sm.bridge.requester.caseworker.token}`,
      }),
    );
    await stopFederation(sm);
    events.push(...describeEvents(sm));

    console.log('');
    printTable(rows);
    const bridgeRatio = rows.find((row) => row.scenario === 'ours, bridge')!.requestsPerSecond / rows[0]!.requestsPerSecond;
    console.log(`bridge/baseline = ${bridgeRatio.toFixed(2)}: target >= ${TARGET_RATIO} ${bridgeRatio >= TARGET_RATIO ? 'met' : 'NOT met'}`);
    console.log('event log after the run (all types; exchange types listed):');
    for (const line of events) console.log(line);
    console.log('ours:     POST /api/v1/exchange/requests on the requester with a caseworker token: envelope signed by the requester, verified,');
    console.log('          replay-checked, decided, read, masked and signed by the provider, answer verified by the requester, events on both.');
    console.log('baseline: the same JSON body through a plain Node HTTP forwarder to a plain HTTP server doing one prepared SELECT on the');
    console.log("          provider's own dataset table: no signatures, no policy, no records.");
    if (CPU_PROFILE_DIR) console.log(`CPU profiles of the node processes: ${CPU_PROFILE_DIR}`);
    console.log(`total ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    for (const federation of [intl, sm]) if (federation) await stopFederation(federation);
    for (const child of [...children]) await stop(child);
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
    tempDirs.clear();
    process.off('exit', cleanUpNow);
    clearTimeout(watchdog);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
