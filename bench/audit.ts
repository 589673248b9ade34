/**
 * Audit benchmark.
 *
 * 1. Append throughput with Merkle-tree maintenance (EventLog.append: leaf hash, subtree nodes,
 *    right edge) beside a raw driver loop writing the same rows — head advance and event insert
 *    in the same transaction shape — with no hashing and no tree, on SQLite (WAL file) and
 *    PostgreSQL (throwaway database) when reachable. Target: ratio ≥ 0.5.
 * 2. Full verification (`verifyLog`) of a large log beside computing 2N SHA-256 hashes of the same
 *    sizes with node:crypto (N leaf inputs plus N 65-byte node inputs). Target: ratio ≤ 2.
 * 3. Inclusion proofs generated from the stored tree and verified, per second.
 *
 * Run: `npm run bench -- audit` (AUDIT_BENCH_SIZE sets the verification log size; default 200 000).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { leafHashInput, type EventInput } from '../src/audit/domain/event.ts';
import { verifyInclusion } from '../src/audit/domain/merkle.ts';
import { createEventLog } from '../src/audit/store/event-log.ts';
import { createTreeStore } from '../src/audit/store/tree-store.ts';
import { verifyLog } from '../src/audit/verify-log.ts';
import { systemClock } from '../src/core/clock.ts';
import { newId } from '../src/core/ids.ts';
import { canonicalJson } from '../src/crypto/index.ts';
import { migrateToLatest } from '../src/store/migrate.ts';
import { openStore, type Store } from '../src/store/open-store.ts';
import { engines, freshPostgresUrl } from '../test/support/databases.ts';

const MEASURE_MS = 2000;
const BATCH = 100;
const sha256 = { hash: (data: Uint8Array) => createHash('sha256').update(data).digest() };

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

async function oursRate(store: Store, batch: number): Promise<number> {
  const log = createEventLog({ db: store.db, hasher: sha256, clock: systemClock });
  let n = 0;
  return timed(async () => {
    const events = Array.from({ length: batch }, () => sampleEvent(n++));
    await store.db.transaction().execute((trx) => log.append(trx, events));
    return batch;
  });
}

async function rawSqliteRate(path: string, batch: number): Promise<number> {
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
  try {
    return await timed(async () => {
      append(batch);
      return batch;
    });
  } finally {
    database.close();
  }
}

async function rawPostgresRate(url: string, batch: number): Promise<number> {
  const migrated = await openStore({ url, poolSize: 1 });
  await migrateToLatest(migrated);
  await migrated.close();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await timed(async () => {
      await client.query('begin');
      const { rows } = await client.query<{ size: string }>('update event_log_head set size = size + $1 where id = 1 returning size', [batch]);
      const values = rawRows(Number(rows[0]!.size) - batch, batch);
      const placeholders = values.map((_, r) => `(${Array.from({ length: 9 }, (_, c) => `$${r * 9 + c + 1}`).join(', ')})`).join(', ');
      await client.query(`insert into events (seq, id, ts, type, actor, outcome, subject_hash, payload, leaf_hash) values ${placeholders}`, values.flat());
      await client.query('commit');
      return batch;
    });
  } finally {
    await client.end();
  }
}

function line(label: string, ours: number, raw: number): string {
  return `${label.padEnd(26)} ${ours.toFixed(0).padStart(9)} ev/s   raw ${raw.toFixed(0).padStart(9)} ev/s   ratio ${(ours / raw).toFixed(2)}`;
}

/** Runs the audit benchmark and prints its figures. */
export async function run(): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'tongban-audit-bench-'));
  try {
    console.log('append throughput with tree maintenance (target ratio ≥ 0.5)');
    for (const batch of [1, BATCH]) {
      const ours = await openStore({ sqlitePath: join(directory, `ours-${batch}.sqlite`) });
      await migrateToLatest(ours);
      const oursSqlite = await oursRate(ours, batch);
      await ours.close();
      const rawSqlite = await rawSqliteRate(join(directory, `raw-${batch}.sqlite`), batch);
      console.log(line(`sqlite, ${batch}/transaction`, oursSqlite, rawSqlite));
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
          const oursPg = await oursRate(ours, batch);
          await ours.close();
          console.log(line(`postgres, ${batch}/transaction`, oursPg, await rawPostgresRate(rawDb.url, batch)));
        } finally {
          await Promise.all([oursDb.drop(), rawDb.drop()]);
        }
      }
    }

    const size = Number(process.env.AUDIT_BENCH_SIZE ?? 200_000);
    console.log('');
    console.log(`full verification of a ${size}-entry log (SQLite; target ratio ≤ 2)`);
    const store = await openStore({ sqlitePath: join(directory, 'big.sqlite') });
    await migrateToLatest(store);
    const log = createEventLog({ db: store.db, hasher: sha256, clock: systemClock });
    for (let at = 0; at < size; at += 1000) {
      const count = Math.min(1000, size - at);
      await store.db.transaction().execute((trx) => log.append(trx, Array.from({ length: count }, (_, i) => sampleEvent(at + i))));
    }
    const started = performance.now();
    const report = await verifyLog({ db: store.db, hasher: sha256, origin: 'tongban.example/bench', keys: [] });
    const verifySeconds = (performance.now() - started) / 1000;
    if (!report.ok || report.entries !== size) throw new Error(`verification failed: ${JSON.stringify(report.problems.slice(0, 3))}`);
    const payloads = await store.db.selectFrom('events').select('payload').orderBy('seq').execute();
    const inputs = payloads.map((row) => leafHashInput(Buffer.from(row.payload, 'utf8')));
    const node = Buffer.alloc(65, 1);
    const hashStarted = performance.now();
    for (const input of inputs) createHash('sha256').update(input).digest();
    for (let i = 0; i < inputs.length; i += 1) createHash('sha256').update(node).digest();
    const hashSeconds = (performance.now() - hashStarted) / 1000;
    console.log(`verify ${verifySeconds.toFixed(2)} s   2N SHA-256 ${hashSeconds.toFixed(2)} s   ratio ${(verifySeconds / hashSeconds).toFixed(2)}`);

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
