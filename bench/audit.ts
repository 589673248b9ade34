/**
 * Audit benchmark.
 *
 * 1. Append throughput with Merkle-tree maintenance (EventLog.append: leaf hash, subtree nodes,
 *    right edge) beside a raw driver loop writing the same rows — head advance and event insert
 *    in the same transaction shape — with no hashing and no tree, on SQLite (WAL file) and
 *    PostgreSQL (throwaway database) when reachable. Target: ratio ≥ 0.5.
 * 2. Full verification (`verifyLog`) of a 1 M-entry log beside computing 2N SHA-256 hashes of the same
 *    sizes with node:crypto (N leaf inputs plus N 65-byte node inputs). Target: ratio ≤ 2.
 * 3. Inclusion proofs generated from the stored tree of that log and verified, per second.
 *
 * The large log is written by bulk insert (see `buildLog`), then read only through the product's code.
 *
 * Run: `npm run bench -- audit` (AUDIT_BENCH_SIZE sets the verification log size; default 1 000 000).
 */
import { createHash, hash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { leafHashInput, leafObject, type EventInput } from '../src/audit/domain/event.ts';
import { extendFrontier, verifyInclusion } from '../src/audit/domain/merkle.ts';
import { createEventLog } from '../src/audit/store/event-log.ts';
import { createTreeStore } from '../src/audit/store/tree-store.ts';
import { verifyLog } from '../src/audit/verify-log.ts';
import { systemClock } from '../src/core/clock.ts';
import { newId } from '../src/core/ids.ts';
import { canonicalJson } from '../src/crypto/index.ts';
import { migrateToLatest } from '../src/store/migrate.ts';
import { openStore, type Store } from '../src/store/open-store.ts';
import { leafHasherFor } from '../src/node/open-node.ts';
import { engines, freshPostgresUrl } from '../test/support/databases.ts';

const MEASURE_MS = 2000;
const BATCH = 100;
/** The node's own leaf and node hasher (what `openNode` wires), so the product is measured as it runs. */
const sha256 = leafHasherFor('intl');

/** About 300 bytes of canonical JSON, like an answered exchange. */
function sampleEvent(i: number): EventInput {
  return {
    type: 'exchange.answered',
    actor: 'node:520400',
    outcome: 'success',
    subjectHash: 'q7D3bqzR9m3xFQ2b7d5oYb1r0Vq5Zy8h1c2d3e4f5g6',
    details: { id: newId(), from: '520400', to: '330000', op: 'query', agreement: 'AG-2026-0001@1', item: '330000-000-01', purpose: 'benefit eligibility', dataset: '330000/social-insurance', fields: ['name', 'status', 'since'], records: 1, n: i },
  };
}

async function timed(step: () => Promise<number>): Promise<number> {
  const started = performance.now();
  let count = 0;
  while (performance.now() - started < MEASURE_MS) count += await step();
  return count / ((performance.now() - started) / 1000);
}

/** Rows as the raw loop writes them: same columns and payload shape, a constant leaf hash. */
function rawRows(first: number, count: number) {
  const zero = Buffer.alloc(32);
  const ts = new Date().toISOString();
  return Array.from({ length: count }, (_, i) => {
    const event = sampleEvent(first + i);
    const id = newId();
    const payload = canonicalJson({ id, ts, type: event.type, actor: event.actor, outcome: event.outcome, subject: event.subjectHash, details: event.details });
    return [first + i, id, ts, event.type, event.actor, event.outcome, event.subjectHash ?? null, payload, zero] as const;
  });
}

/** A side of the comparison: one step appends and says how many rows it wrote. */
interface Side {
  step(): Promise<number>;
  close(): Promise<void>;
}

/**
 * Rates of two sides measured in alternating rounds, so a machine whose load changes during the
 * run (other jobs, the WAL growing) weighs on both alike. Returns rows per second for each.
 */
async function alternate(a: Side, b: Side, rounds = 6): Promise<[number, number]> {
  const totals = [
    { rows: 0, ms: 0 },
    { rows: 0, ms: 0 },
  ];
  for (let round = 0; round < rounds; round += 1) {
    for (const [index, side] of [a, b].entries()) {
      const started = performance.now();
      let rows = 0;
      while (performance.now() - started < MEASURE_MS / rounds) rows += await side.step();
      totals[index]!.rows += rows;
      totals[index]!.ms += performance.now() - started;
    }
  }
  return [totals[0]!.rows / (totals[0]!.ms / 1000), totals[1]!.rows / (totals[1]!.ms / 1000)];
}

function oursSide(store: Store, batch: number): Side {
  const log = createEventLog({ db: store.db, hasher: sha256, clock: systemClock });
  let n = 0;
  return {
    async step() {
      const events = Array.from({ length: batch }, () => sampleEvent(n++));
      await store.db.transaction().execute((trx) => log.append(trx, events));
      return batch;
    },
    close: () => store.close(),
  };
}

async function rawSqliteSide(path: string, batch: number): Promise<Side> {
  const migrated = await openStore({ sqlitePath: path });
  await migrateToLatest(migrated);
  await migrated.close();
  const database = new BetterSqlite3(path);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  const advance = database.prepare('update event_log_head set size = size + ? where id = 1 returning size').pluck();
  const insert = database.prepare('insert into events (seq, id, ts, type, actor, outcome, subject_hash, payload, leaf_hash) values (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const append = database.transaction((count: number) => {
    const size = Number(advance.get(count));
    for (const row of rawRows(size - count, count)) insert.run(...row);
  });
  return {
    async step() {
      append(batch);
      return batch;
    },
    async close() {
      database.close();
    },
  };
}

async function rawPostgresSide(url: string, batch: number): Promise<Side> {
  const migrated = await openStore({ url, poolSize: 1 });
  await migrateToLatest(migrated);
  await migrated.close();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    async step() {
      await client.query('begin');
      const { rows } = await client.query<{ size: string }>('update event_log_head set size = size + $1 where id = 1 returning size', [batch]);
      const values = rawRows(Number(rows[0]!.size) - batch, batch);
      const placeholders = values.map((_, r) => `(${Array.from({ length: 9 }, (_, c) => `$${r * 9 + c + 1}`).join(', ')})`).join(', ');
      await client.query(`insert into events (seq, id, ts, type, actor, outcome, subject_hash, payload, leaf_hash) values ${placeholders}`, values.flat());
      await client.query('commit');
      return batch;
    },
    close: () => client.end(),
  };
}

/**
 * Writes a log of `size` entries straight through the driver, in large transactions: the same
 * rows, leaf hashes, Merkle nodes and head as `EventLog.append` writes, without its per-append
 * statements, so a million-entry log takes seconds rather than minutes. Returns the payload lengths.
 */
async function buildLog(path: string, size: number): Promise<Uint32Array> {
  const migrated = await openStore({ sqlitePath: path });
  await migrateToLatest(migrated);
  await migrated.close();
  const database = new BetterSqlite3(path);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = OFF');
  const insertEvent = database.prepare('insert into events (seq, id, ts, type, actor, outcome, subject_hash, payload, leaf_hash) values (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const insertNode = database.prepare('insert into merkle_nodes (level, idx, hash) values (?, ?, ?)');
  const setHead = database.prepare('update event_log_head set size = ?, tree_size = ?, frontier = ? where id = 1');
  const lengths = new Uint32Array(size);
  let frontier: Uint8Array[] = [];
  const ts = new Date().toISOString();
  const chunk = database.transaction((first: number, count: number) => {
    const leaves: Uint8Array[] = [];
    for (let seq = first; seq < first + count; seq += 1) {
      const event = sampleEvent(seq);
      const id = newId();
      const payload = canonicalJson(leafObject({ id, ts, ...event }));
      const bytes = Buffer.from(payload, 'utf8');
      lengths[seq] = bytes.length;
      const leaf = sha256.hash(leafHashInput(bytes));
      leaves.push(leaf);
      insertEvent.run(seq, id, ts, event.type, event.actor, event.outcome, event.subjectHash ?? null, payload, leaf);
    }
    const grown = extendFrontier(sha256, first, frontier, leaves);
    for (const node of grown.nodes) insertNode.run(node.level, node.index, Buffer.from(node.hash));
    frontier = grown.frontier;
    setHead.run(first + count, first + count, Buffer.concat(frontier));
  });
  try {
    for (let at = 0; at < size; at += 50_000) chunk(at, Math.min(50_000, size - at));
    database.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    database.close();
  }
  return lengths;
}

function line(label: string, ours: number, raw: number): string {
  return `${label.padEnd(26)} ${ours.toFixed(0).padStart(9)} ev/s   raw ${raw.toFixed(0).padStart(9)} ev/s   ratio ${(ours / raw).toFixed(2)}`;
}

/** Runs the audit benchmark and prints its figures. */
export async function run(): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'tongban-audit-bench-'));
  try {
    console.log('append throughput with tree maintenance (target ratio ≥ 0.5; both sides measured in alternating rounds)');
    for (const batch of [1, BATCH]) {
      const ours = await openStore({ sqlitePath: join(directory, `ours-${batch}.sqlite`) });
      await migrateToLatest(ours);
      const sides = [oursSide(ours, batch), await rawSqliteSide(join(directory, `raw-${batch}.sqlite`), batch)] as const;
      try {
        const [oursSqlite, rawSqlite] = await alternate(...sides);
        console.log(line(`sqlite, ${batch}/transaction`, oursSqlite, rawSqlite));
      } finally {
        await Promise.all(sides.map((side) => side.close()));
      }
    }
    const postgres = engines.find((engine) => engine.dialect === 'postgres');
    if (postgres?.unavailable !== undefined) {
      console.log(`postgres: skipped (${postgres.unavailable})`);
    } else {
      for (const batch of [1, BATCH]) {
        const [oursDb, rawDb] = await Promise.all([freshPostgresUrl(), freshPostgresUrl()]);
        try {
          const ours = await openStore({ url: oursDb.url, poolSize: 2 });
          await migrateToLatest(ours);
          const sides = [oursSide(ours, batch), await rawPostgresSide(rawDb.url, batch)] as const;
          try {
            const [oursPg, rawPg] = await alternate(...sides);
            console.log(line(`postgres, ${batch}/transaction`, oursPg, rawPg));
          } finally {
            await Promise.all(sides.map((side) => side.close()));
          }
        } finally {
          await Promise.all([oursDb.drop(), rawDb.drop()]);
        }
      }
    }

    const size = Number(process.env.AUDIT_BENCH_SIZE ?? 1_000_000);
    console.log('');
    console.log(`full verification of a ${size}-entry log (SQLite; target ratio ≤ 2)`);
    const bigPath = join(directory, 'big.sqlite');
    const building = performance.now();
    const lengths = await buildLog(bigPath, size);
    console.log(`(log built by bulk insert in ${((performance.now() - building) / 1000).toFixed(1)} s)`);
    const store = await openStore({ sqlitePath: bigPath });
    const started = performance.now();
    const report = await verifyLog({ db: store.db, dialect: store.dialect, hasher: sha256, origin: 'tongban.example/bench', keys: [] });
    const verifySeconds = (performance.now() - started) / 1000;
    if (!report.ok || report.entries !== size) throw new Error(`verification failed: ${JSON.stringify(report.problems.slice(0, 3))}`);
    // The baseline: N hashes of 0x00 ‖ payload (same lengths) and N of 65-byte node inputs, nothing else.
    const longest = lengths.reduce((max, length) => Math.max(max, length), 0);
    const filler = Buffer.alloc(longest + 1, 0x61);
    const node = Buffer.alloc(65, 1);
    // Two baselines: createHash().update().digest() per hash (the baseline), and the one-shot
    // hash() the node itself now uses, so the ratio against the fastest plain hashing is shown too.
    const hashStarted = performance.now();
    for (const length of lengths) createHash('sha256').update(filler.subarray(0, length + 1)).digest();
    for (let i = 0; i < lengths.length; i += 1) createHash('sha256').update(node).digest();
    const hashSeconds = (performance.now() - hashStarted) / 1000;
    const oneShotStarted = performance.now();
    for (const length of lengths) hash('sha256', filler.subarray(0, length + 1), 'buffer');
    for (let i = 0; i < lengths.length; i += 1) hash('sha256', node, 'buffer');
    const oneShotSeconds = (performance.now() - oneShotStarted) / 1000;
    console.log(`verify ${verifySeconds.toFixed(2)} s   2N SHA-256 (createHash) ${hashSeconds.toFixed(2)} s   ratio ${(verifySeconds / hashSeconds).toFixed(2)}`);
    console.log(`${' '.repeat(verifySeconds.toFixed(2).length + 9)}2N SHA-256 (one-shot hash) ${oneShotSeconds.toFixed(2)} s   ratio ${(verifySeconds / oneShotSeconds).toFixed(2)}`);

    console.log('');
    console.log(`inclusion proofs on the ${size}-entry log`);
    const trees = createTreeStore({ db: store.db, hasher: sha256 });
    const head = await trees.head();
    const leaves = new Map<number, Uint8Array>();
    const proofs: Array<{ index: number; proof: Uint8Array[] }> = [];
    const generated = await timed(async () => {
      const index = Math.floor(Math.random() * size);
      proofs.push({ index, proof: await trees.inclusionProof(index, size) });
      if (!leaves.has(index)) leaves.set(index, await trees.leafHash(index));
      return 1;
    });
    let k = 0;
    const verifyStarted = performance.now();
    while (performance.now() - verifyStarted < MEASURE_MS) {
      const { index, proof } = proofs[k++ % proofs.length]!;
      if (!verifyInclusion(sha256, index, size, leaves.get(index)!, proof, head.root)) throw new Error('proof failed');
    }
    const verified = k / ((performance.now() - verifyStarted) / 1000);
    console.log(`generate ${generated.toFixed(0)} proofs/s (incl. leaf read)   verify ${verified.toFixed(0)} proofs/s`);
    await store.close();
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
