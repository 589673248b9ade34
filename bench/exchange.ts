/**
 * Exchange benchmark: a real federation on loopback — hub, provider and requester each served by
 * its own `tongban serve` process — and the load generator as a further process. Measures the
 * caseworker's bridge `query` (signing, verification on both sides, replay and idempotency,
 * policy, the data read, masking and events recorded on both nodes) beside a baseline in the same
 * run: a plain Node HTTP forwarder in front of a plain HTTP data server reading the provider's
 * own SQLite table, with no signatures, no policy and no records. Also radial (body sealed,
 * relayed by the hub) and the `sm` suite (SM2/SM3/SM4) on a second federation. Scenarios run in
 * interleaved slices and each reports the CPU time its server processes used per request, because
 * the machine may be shared with other work. Figures only: nothing here fails on a timing.
 *
 * Run: `npm run bench -- exchange` or `node --import tsx bench/exchange.ts`.
 * Throughput is measured at saturation: 128 connections by default. The baseline is saturated
 * by 32 (it serves as many requests at 32 as at 128), but the bridge is not: at 32 each request
 * waits for the batch ahead of it to come back, and the two nodes keep only about 1.3 of the 2
 * cores busy, so the figure would measure the round trip rather than what the nodes can carry.
 *
 * Environment: BENCH_CONNECTIONS (default 128; 32 shows the round-trip-bound case), BENCH_SECONDS (measured
 * seconds per scenario, default 12), BENCH_SLICES (default 4), BENCH_PEOPLE (default 10000),
 * BENCH_CPU_PROF=<dir> to write a V8 CPU profile of every node process into <dir>, with
 * windows.json marking the measured slices; BENCH_ONLY=<regular expression> to measure only the
 * scenarios whose names match it, beside the baseline; BENCH_NODE_FLAGS for further Node/V8 flags
 * of every node process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { joinFederation, logIn, setUpBridge, type Bridge, type StaffSession } from '../src/demo/federation-setup.ts';
import { initNode } from '../src/node/init-node.ts';

const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 128);
/** Measured seconds per scenario, split into slices run in the order A B C D D C B A A B C D …. */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 12);
/**
 * More, shorter slices: the machine's speed drifts by up to a fifth within a run (the baseline's
 * CPU per request has moved from 0.114 to 0.131 ms between its first and last slice), and
 * interleaving finer makes every scenario see the same mix of fast and slow moments.
 */
const SLICES = Number(process.env.BENCH_SLICES ?? 4);
/** Each slice warms up first; the warm-up is not measured. */
const WARMUP_SECONDS = 2;
const PEOPLE = Number(process.env.BENCH_PEOPLE ?? 10_000);
/** BENCH_NODE_FLAGS='--log-deopt --logfile=/tmp/v8.log': further Node/V8 flags for every node process, to look into them. */
const NODE_FLAGS = process.env.BENCH_NODE_FLAGS?.split(/\s+/).filter(Boolean);
const CPU_PROFILE_DIR = process.env.BENCH_CPU_PROF ? resolve(process.env.BENCH_CPU_PROF) : undefined;
/** The whole run stops by itself after this long, whatever happens. */
const WATCHDOG_MS = 300_000;
const TARGET_RATIO = 0.25;
/** BENCH_ONLY='^ours, bridge$': measure only the scenarios whose names match (and the baseline). */
const ONLY = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : undefined;

const HUB = { code: '100000', name: '国家枢纽', level: 'hub' } as const;
const PROVIDER = { code: '520400', name: '贵州省安顺市', level: 'prefecture' } as const;
const REQUESTER = { code: '331083', name: '浙江省玉环市', level: 'county' } as const;
const DATASET = `${PROVIDER.code}/social-insurance-enrolment`;
const FIELDS = ['name', 'insuredStatus', 'insuredSince'];

/** The Node flags on the `#!` line of the `tongban` command, so a node is served here as its users run it. */
const commandNodeFlags = (/^#!.*\bnode\b(.*)$/m.exec(readFileSync(join(repoRoot, 'bin/tongban.mjs'), 'utf8'))?.[1] ?? '').trim().split(/\s+/).filter(Boolean);

/** The measured run of each scenario on the profiles' clock, written beside the CPU profiles. */
const profileWindows: Record<string, { fromUs: number; toUs: number; requests: number }[]> = {};

/** Every child process and temp directory this run made, so any exit path can clean up. */
const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();

/** A server process whose CPU time a scenario counts. */
interface Server {
  readonly name: string;
  readonly process: ChildProcess;
}

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

/** What one slice measured: the load generator's figures and the CPU time around them. */
interface Slice extends LoadResult {
  readonly wallSeconds: number;
  /** User + system CPU seconds of each of the scenario's server processes. */
  readonly serverSeconds: readonly number[];
  readonly loaderSeconds: number;
  /** CPU seconds the machine spent on processes that are not part of this benchmark. */
  readonly otherSeconds: number;
}

/** One line of the table: a scenario's slices put together. */
interface Row {
  readonly scenario: string;
  readonly requestsPerSecond: number;
  readonly total: number;
  /** Request-weighted mean of the slices' medians. */
  readonly p50Ms: number;
  /** The worst slice's 99th percentile. */
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly errors: number;
  /** CPU time (user + system) of the scenario's server processes per measured request. */
  readonly cpuMsPerRequest: number;
  /** The same, by server process. */
  readonly cpuMsByServer: readonly { readonly name: string; readonly ms: number }[];
  /** How many cores the server processes kept busy on average during the measured runs. */
  readonly serverCores: number;
  /** Cores the load generator kept busy. */
  readonly loaderCores: number;
  /** Cores busy with processes that are not part of this benchmark (other work on the machine). */
  readonly otherCores: number;
}

/** One thing to measure: where the load goes, with what, and which processes serve it. */
interface Scenario {
  readonly name: string;
  readonly url: string;
  readonly bodies: readonly string[];
  readonly servers: readonly Server[];
  readonly headers: Record<string, string>;
  /** The federation whose in-flight exchanges must finish before the next slice starts. */
  readonly federation?: Federation;
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
  const deadline = Date.now() + 60_000;
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
  throw new Error(`node at ${url} was not ready within 60 s:\n${errors.join('\n')}`);
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
  const nodeFlags = [
    ...commandNodeFlags,
    ...(NODE_FLAGS ?? []),
    ...(CPU_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROFILE_DIR}`, `--cpu-prof-name=${suite}-${node.code}-${process.pid}.cpuprofile`] : []),
  ];
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

/** The node processes a scenario's requests pass through. */
function nodeServers(federation: Federation, withHub: boolean): Server[] {
  return [
    { name: 'requester', process: federation.requester.process },
    { name: 'provider', process: federation.provider.process },
    ...(withHub ? [{ name: 'hub', process: federation.hub.process }] : []),
  ];
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

/** User + system CPU seconds a process has used so far (Linux /proc; NaN elsewhere). */
function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command name; in clock ticks (100 Hz).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds the whole machine has spent busy (all cores, everything but idle and iowait). */
function machineBusySeconds(): number {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = fields;
    return (user! + nice! + system! + irq! + softirq! + steal!) / 100;
  } catch {
    return Number.NaN;
  }
}

/**
 * Runs the load generator as its own process for one slice: warm-up, then the measured run. The
 * servers' CPU time over the measured run gives CPU per request.
 */
async function loadSlice(work: string, scenario: Scenario, seconds: number): Promise<Slice> {
  const { url, bodies, servers, headers } = scenario;
  const optionsFile = join(work, `load-${scenario.name.replace(/[^a-z0-9]+/gi, '-')}.json`);
  if (!existsSync(optionsFile)) {
    writeFileSync(optionsFile, JSON.stringify({ url, bodies, headers, connections: CONNECTIONS, durationSeconds: seconds, warmupSeconds: WARMUP_SECONDS }));
  }
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'bench/support/load.ts'), `@${optionsFile}`], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const errors: string[] = [];
  tail(child.stderr, errors);
  interface Snapshot {
    readonly servers: readonly number[];
    readonly loader: number;
    readonly machine: number;
    readonly self: number;
    readonly at: number;
    /** CLOCK_MONOTONIC in µs: the clock of V8 CPU profile timestamps, to cut a profile to the measured run. */
    readonly monotonicUs: number;
  }
  const snapshot = (): Snapshot => {
    const self = process.cpuUsage();
    return {
      servers: servers.map((server) => cpuSeconds(server.process.pid)),
      loader: cpuSeconds(child.pid),
      machine: machineBusySeconds(),
      self: (self.user + self.system) / 1e6,
      at: performance.now(),
      monotonicUs: Number(process.hrtime.bigint() / 1000n),
    };
  };
  let from: Snapshot | undefined;
  let to: Snapshot | undefined;
  let result: LoadResult | undefined;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const parsed = JSON.parse(line) as { phase?: string } & LoadResult;
    if (parsed.phase === 'measure') {
      from = snapshot();
    } else {
      to = snapshot();
      result = parsed;
    }
  });
  const killed = setTimeout(() => child.kill('SIGKILL'), (WARMUP_SECONDS + seconds + 30) * 1000);
  await exited(child);
  clearTimeout(killed);
  children.delete(child);
  const [measured, start, end] = [result as LoadResult | undefined, from as Snapshot | undefined, to as Snapshot | undefined];
  if (child.exitCode !== 0 || !measured || !start || !end) {
    throw new Error(`load generator for ${scenario.name} failed (${child.exitCode ?? child.signalCode}):\n${errors.join('\n')}`);
  }
  if (CPU_PROFILE_DIR) (profileWindows[scenario.name] ??= []).push({ fromUs: start.monotonicUs, toUs: end.monotonicUs, requests: measured.total });
  const serverSeconds = servers.map((_, index) => end.servers[index]! - start.servers[index]!);
  const loaderSeconds = end.loader - start.loader;
  const benchmarkSeconds = serverSeconds.reduce((sum, value) => sum + value, 0) + loaderSeconds + (end.self - start.self);
  return {
    ...measured,
    wallSeconds: (end.at - start.at) / 1000,
    serverSeconds,
    loaderSeconds,
    otherSeconds: Math.max(0, end.machine - start.machine - benchmarkSeconds),
  };
}

/** Puts a scenario's slices together. */
function combine(scenario: Scenario, slices: readonly Slice[]): Row {
  const sum = (pick: (slice: Slice) => number) => slices.reduce((total, slice) => total + pick(slice), 0);
  const total = sum((slice) => slice.total);
  const wall = sum((slice) => slice.wallSeconds);
  const perServer = scenario.servers.map((_, index) => sum((slice) => slice.serverSeconds[index]!));
  const serverTotal = perServer.reduce((all, value) => all + value, 0);
  return {
    scenario: scenario.name,
    requestsPerSecond: sum((slice) => slice.requestsPerSecond) / slices.length,
    total,
    p50Ms: sum((slice) => slice.p50Ms * slice.total) / Math.max(1, total),
    p99Ms: Math.max(...slices.map((slice) => slice.p99Ms)),
    non2xx: sum((slice) => slice.non2xx),
    errors: sum((slice) => slice.errors + slice.timeouts),
    cpuMsPerRequest: (serverTotal * 1000) / total,
    cpuMsByServer: scenario.servers.map((server, index) => ({ name: server.name, ms: (perServer[index]! * 1000) / total })),
    serverCores: serverTotal / wall,
    loaderCores: sum((slice) => slice.loaderSeconds) / wall,
    otherCores: sum((slice) => slice.otherSeconds) / wall,
  };
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

/** Starts one baseline process (`role` data or forwarder) and returns the URLs it prints. */
async function startBaselineProcess(options: Record<string, string>): Promise<{ urls: { forwarder?: string; data?: string }; process: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'bench/support/baseline-servers.ts'), JSON.stringify(options)], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const errors: string[] = [];
  tail(child.stderr, errors);
  const line = await new Promise<string>((resolveLine, reject) => {
    const timer = setTimeout(() => reject(new Error(`baseline ${options.role} did not start:\n${errors.join('\n')}`)), 30_000);
    createInterface({ input: child.stdout! }).once('line', (first) => {
      clearTimeout(timer);
      resolveLine(first);
    });
    child.once('exit', (code) => reject(new Error(`baseline ${options.role} exited with ${code}:\n${errors.join('\n')}`)));
  });
  return { urls: JSON.parse(line) as { forwarder?: string; data?: string }, process: child };
}

/** The baseline as two processes, like the two nodes: a data server, and a forwarder in front of it. */
async function startBaseline(provider: ServedNode): Promise<{ url: string; servers: Server[] }> {
  const data = await startBaselineProcess({ role: 'data', ...datasetTable(provider) });
  const forwarder = await startBaselineProcess({ role: 'forwarder', dataUrl: data.urls.data! });
  return {
    url: forwarder.urls.forwarder!,
    servers: [
      { name: 'forwarder', process: forwarder.process },
      { name: 'data server', process: data.process },
    ],
  };
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

/**
 * Waits until the requester has finished the exchanges still in flight when the load generator
 * stopped (it hangs up, the nodes carry on): so that work is not counted in the next slice, and
 * the event counts are complete (a node stopped mid-exchange does not record what it was doing).
 */
async function drain(federation: Federation): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    // Every request in this benchmark is answered, so the requester is done when it has recorded as many as the provider answered.
    const requested = eventCounts(federation.requester).byType['exchange.requested'] ?? 0;
    const answered = eventCounts(federation.provider).byType['exchange.answered'] ?? 0;
    if (requested >= answered) return;
    await new Promise((resolveWait) => setTimeout(resolveWait, 250));
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
  const header = ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx/errors', 'vs baseline', 'CPU ms/req', 'CPU vs baseline', 'cores: servers', 'loader', 'other'];
  const lines = rows.map((row) => [
    row.scenario,
    Math.round(row.requestsPerSecond).toLocaleString('en'),
    row.p50Ms.toFixed(0),
    row.p99Ms.toFixed(0),
    `${row.non2xx}/${row.errors}`,
    (row.requestsPerSecond / baseline.requestsPerSecond).toFixed(2),
    row.cpuMsPerRequest.toFixed(3),
    (baseline.cpuMsPerRequest / row.cpuMsPerRequest).toFixed(2),
    row.serverCores.toFixed(2),
    row.loaderCores.toFixed(2),
    row.otherCores.toFixed(2),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column]!.length)));
  const format = (cells: readonly string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  console.log(format(header));
  for (const line of lines) console.log(format(line));
  console.log('CPU ms/req by process:');
  for (const row of rows) console.log(`  ${row.scenario.padEnd(widths[0]!)}  ${row.cpuMsByServer.map((server) => `${server.name} ${server.ms.toFixed(3)}`).join(', ')}`);
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
  const loadAtStart = loadavg()[0]!;
  const work = mkdtempSync(join(tmpdir(), 'tongban-bench-exchange-'));
  tempDirs.add(work);
  const rows: Row[] = [];
  const events: string[] = [];
  let intl: Federation | undefined;
  let sm: Federation | undefined;
  try {
    console.log(
      `exchange: ${cpus().length} CPU cores (${availableParallelism()} available to Node); ${PEOPLE.toLocaleString('en')} people; ` +
        `${CONNECTIONS} connections; ${SECONDS} s per scenario in ${SLICES} slices (order A B C D D C B A …), each after a ${WARMUP_SECONDS} s warm-up; ` +
        'every process on 127.0.0.1',
    );
    // Both federations are built at once (set-up is mostly waiting); the idle one costs next to nothing while the other is measured.
    [intl, sm] = await Promise.all([buildFederation(work, 'intl'), buildFederation(work, 'sm')]);
    console.log(`federations ready in ${((Date.now() - started) / 1000).toFixed(1)} s (intl: hub ${intl.hub.url}, provider ${intl.provider.url}, requester ${intl.requester.url})`);
    const baseline = await startBaseline(intl.provider);
    const bridgeBodies = requestBodies(intl, 'bridge');
    const caseworker = (federation: Federation) => ({ authorization: `Bearer ${federation.bridge.requester.caseworker.token}` });
    const exchangeUrl = (federation: Federation) => `${federation.requester.url}/api/v1/exchange/requests`;
    const scenarios: Scenario[] = [
      { name: 'baseline', url: baseline.url, bodies: bridgeBodies, servers: baseline.servers, headers: {} },
      { name: 'ours, bridge', url: exchangeUrl(intl), bodies: bridgeBodies, servers: nodeServers(intl, false), headers: caseworker(intl), federation: intl },
      { name: 'ours, radial', url: exchangeUrl(intl), bodies: requestBodies(intl, 'radial'), servers: nodeServers(intl, true), headers: caseworker(intl), federation: intl },
      { name: 'ours, sm suite, bridge', url: exchangeUrl(sm), bodies: requestBodies(sm, 'bridge'), servers: nodeServers(sm, false), headers: caseworker(sm), federation: sm },
      { name: 'ours, sm suite, radial', url: exchangeUrl(sm), bodies: requestBodies(sm, 'radial'), servers: nodeServers(sm, true), headers: caseworker(sm), federation: sm },
    ];
    if (ONLY) scenarios.splice(0, scenarios.length, ...scenarios.filter((scenario) => scenario.name === 'baseline' || ONLY.test(scenario.name)));
    for (const scenario of scenarios) await checkOnce(scenario.url, scenario.bodies[0]!, scenario.headers, scenario.name);
    // A B C D D C B A …: load from outside this benchmark that comes and goes hits every scenario alike.
    const order = Array.from({ length: SLICES }, (_, round) => (round % 2 === 0 ? scenarios : [...scenarios].reverse())).flat();
    const slices = new Map<string, Slice[]>(scenarios.map((scenario) => [scenario.name, []]));
    /** Every slice in the order it ran, for the per-slice lines. */
    const ran: string[] = [];
    for (const scenario of order) {
      const slice = await loadSlice(work, scenario, SECONDS / SLICES);
      slices.get(scenario.name)!.push(slice);
      const cpuMs = (slice.serverSeconds.reduce((sum, value) => sum + value, 0) * 1000) / Math.max(1, slice.total);
      ran.push(`${scenario.name} ${Math.round(slice.requestsPerSecond).toLocaleString('en')} ${cpuMs.toFixed(3)}`);
      // The load generator hangs up on requests still in flight; the nodes finish them, and that work must not fall into the next slice.
      if (scenario.federation) await drain(scenario.federation);
    }
    rows.push(...scenarios.map((scenario) => combine(scenario, slices.get(scenario.name)!)));
    for (const server of baseline.servers) await stop(server.process);
    for (const federation of [intl, sm]) {
      await drain(federation);
      await stopFederation(federation);
      events.push(...describeEvents(federation));
    }

    console.log('');
    printTable(rows);
    const bridge = rows.find((row) => row.scenario === 'ours, bridge');
    if (bridge) {
      const bridgeRatio = bridge.requestsPerSecond / rows[0]!.requestsPerSecond;
      const cpuRatio = rows[0]!.cpuMsPerRequest / bridge.cpuMsPerRequest;
      console.log(`bridge/baseline throughput = ${bridgeRatio.toFixed(2)}: target >= ${TARGET_RATIO} ${bridgeRatio >= TARGET_RATIO ? 'met' : 'NOT met'}`);
      console.log(
        `bridge/baseline by server CPU per request = ${cpuRatio.toFixed(2)} (what the throughput ratio tends to when both are CPU-bound; ` +
          `other load on the machine moves it less)`,
      );
    }
    console.log('slices in the order run (req/s, server CPU ms/req), one round per line:');
    for (let round = 0; round < SLICES; round++) console.log(`  ${ran.slice(round * scenarios.length, (round + 1) * scenarios.length).join(' | ')}`);
    console.log('req/s: mean of the slices; p50: request-weighted mean of the slices\' medians; p99: the worst slice\'s.');
    console.log('CPU ms/req: user + system CPU of the scenario\'s server processes (baseline: forwarder + data server; bridge: requester +');
    console.log('  provider; radial: + hub) per measured request. cores: average cores busy during the measured runs with the servers, the load');
    console.log(`  generator, and processes outside this benchmark (other work on the machine). Load average at start: ${loadAtStart.toFixed(2)}.`);
    console.log('event log after the run (all types; exchange types listed):');
    for (const line of events) console.log(line);
    console.log('ours:     POST /api/v1/exchange/requests on the requester with a caseworker token: envelope signed by the requester, verified,');
    console.log('          replay-checked, decided, read, masked and signed by the provider, answer verified by the requester, events on both.');
    console.log('baseline: the same JSON body through a plain Node HTTP forwarder to a plain HTTP server doing one prepared SELECT on the');
    console.log("          provider's own dataset table: no signatures, no policy, no records.");
    if (CPU_PROFILE_DIR) {
      writeFileSync(join(CPU_PROFILE_DIR, 'windows.json'), `${JSON.stringify(profileWindows, null, 2)}\n`);
      console.log(`CPU profiles of the node processes in ${CPU_PROFILE_DIR}; windows.json gives each measured run on the profiles' clock (µs).`);
    }
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
