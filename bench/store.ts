/**
 * Store benchmark: event appends per second through our EventLog, beside a raw driver loop that
 * writes the same rows in the same transaction shape, on SQLite (a WAL file, as a node runs it)
 * and on PostgreSQL (a throwaway database) when reachable.
 *
 * Modes: `single` is one event per transaction (`EventLog.record`); `batched` is BATCH events per
 * transaction (`EventLog.append` inside `db.transaction()`).
 *
 * The raw baseline does what any correct append must: advance the head row (which is what keeps
 * sequence numbers dense across processes) and insert rows built exactly as the log builds them
 * (UUIDv7, canonical JSON leaf, SHA-256 leaf hash), between BEGIN and COMMIT. So the ratio measures
 * what Kysely and the EventLog layer cost, not the hashing and serialising every append needs.
 *
 * Run: `npm run bench -- store` or `node --import tsx bench/store.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { leafHashInput, leafObject, type EventInput, type LoggedEvent } from '../src/audit/domain/event.ts';
import { createEventLog, type EventLog } from '../src/audit/store/event-log.ts';
import { systemClock } from '../src/core/clock.ts';
import { newId } from '../src/core/ids.ts';
import { canonicalJson, cryptoSuite } from '../src/crypto/index.ts';
import type { DialectName } from '../src/store/dialect.ts';
import { migrateToLatest } from '../src/store/migrate.ts';
import { openStore, type Store } from '../src/store/open-store.ts';
import { engines, freshPostgresUrl, type FreshPostgresDatabase } from '../test/support/databases.ts';

const MEASURE_MS = 2000; // per implementation and mode
const ROUNDS = 4; // ours and raw alternate in slices, so background load hits both alike
const BATCH = 100;

type Mode = 'single' | 'batched';

interface Row {
  readonly engine: DialectName;
  readonly mode: Mode;
  readonly ours: number;
  readonly raw: number;
}

/** Appends one transaction's worth of events and says how many. */
type Step = () => Promise<number>;

interface Contender {
  readonly single: Step;
  readonly batched: Step;
  /** Checks the rows written are what the log promises (dense, hashed), then releases everything. */
  finish(): Promise<void>;
}

const hasher = cryptoSuite('intl');

/** A realistic audit event: an answered exchange query, about 300 bytes of canonical JSON. */
const sampleEvent: EventInput = {
  type: 'exchange.query_answered',
  actor: 'node:520400',
  outcome: 'success',
  subjectHash: 'hs:5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8',
  details: {
    agreement: 'agr-520400-331083-social-insurance@3',
    item: '就医结算备案',
    requestId: '01890f4e-9b1c-7cc2-8e5a-3f4b2a1c0d9e',
    fields: 5,
    bytes: 1184,
  },
};
const batch: readonly EventInput[] = Array.from({ length: BATCH }, () => sampleEvent);

type EventRow = [seq: number, id: string, ts: string, type: string, actor: string | null, outcome: string, subject: string | null, payload: string, leafHash: Buffer];

const insertColumns = '(seq, id, ts, type, actor, outcome, subject_hash, payload, leaf_hash)';

/** The row the EventLog would write for `input` at `seq`, built the same way. */
function buildRow(seq: number, ts: string, input: EventInput): EventRow {
  const event: Omit<LoggedEvent, 'seq'> = { ...input, id: newId(), ts, subjectHash: input.subjectHash ?? null };
  const payload = canonicalJson(leafObject(event));
  const leafHash = Buffer.from(hasher.hash(leafHashInput(Buffer.from(payload, 'utf8'))));
  return [seq, event.id, ts, input.type, input.actor, input.outcome, event.subjectHash ?? null, payload, leafHash];
}

async function oursOn(store: Store, release: () => Promise<void>): Promise<Contender> {
  await migrateToLatest(store);
  const log: EventLog = createEventLog({ db: store.db, hasher, clock: systemClock });
  return {
    single: async () => {
      await log.record(sampleEvent);
      return 1;
    },
    batched: async () => {
      await store.db.transaction().execute((trx) => log.append(trx, batch));
      return BATCH;
    },
    finish: async () => {
      await assertDense(store);
      await store.close();
      await release();
    },
  };
}

/** Rows dense from 0, as many as the head says, each with a 32-byte leaf hash. */
async function assertDense(store: Store): Promise<void> {
  const stats = await store.db
    .selectFrom('events')
    .select((eb) => [eb.fn.countAll<number>().as('count'), eb.fn.min('seq').as('first'), eb.fn.max('seq').as('last')])
    .executeTakeFirstOrThrow();
  const head = await store.db.selectFrom('event_log_head').select('size').executeTakeFirstOrThrow();
  const count = Number(stats.count);
  if (Number(stats.first) !== 0 || Number(stats.last) !== count - 1 || Number(head.size) !== count) {
    throw new Error(`${store.location}: events are not dense (count ${count}, seq ${stats.first}..${stats.last}, head ${head.size})`);
  }
}

/** better-sqlite3 prepared statements, reused; one INSERT per row, as a hand-written loop would. */
async function rawSqlite(path: string): Promise<Contender> {
  const migrated = await openStore({ sqlitePath: path });
  await migrateToLatest(migrated);
  await migrated.close();
  const database = new BetterSqlite3(path);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  const advance = database.prepare('update event_log_head set size = size + ? where id = 1 returning size').pluck();
  const insert = database.prepare(`insert into events ${insertColumns} values (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const append = database.transaction((events: readonly EventInput[]) => {
    const first = (advance.get(events.length) as number) - events.length;
    const ts = new Date().toISOString();
    events.forEach((event, index) => insert.run(buildRow(first + index, ts, event)));
  });
  return {
    single: async () => {
      append([sampleEvent]);
      return 1;
    },
    batched: async () => {
      append(batch);
      return BATCH;
    },
    finish: async () => {
      database.close();
      const check = await openStore({ sqlitePath: path });
      await assertDense(check);
      await check.close();
    },
  };
}

/** One pg client, plain parameterised queries; one multi-row INSERT per transaction, like the log. */
async function rawPostgres(database: FreshPostgresDatabase): Promise<Contender> {
  const migrated = await openStore({ url: database.url, poolSize: 1 });
  await migrateToLatest(migrated);
  await migrated.close();
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  async function append(events: readonly EventInput[]): Promise<number> {
    await client.query('begin');
    try {
      const head = await client.query<{ size: string }>('update event_log_head set size = size + $1 where id = 1 returning size', [
        events.length,
      ]);
      const first = Number(head.rows[0]!.size) - events.length;
      const ts = new Date().toISOString();
      const rows = events.map((event, index) => buildRow(first + index, ts, event));
      const placeholders = rows.map((_, row) => `(${Array.from({ length: 9 }, (_, column) => `$${row * 9 + column + 1}`).join(', ')})`);
      await client.query(`insert into events ${insertColumns} values ${placeholders.join(', ')}`, rows.flat());
      await client.query('commit');
      return events.length;
    } catch (error) {
      await client.query('rollback');
      throw error;
    }
  }
  return {
    single: () => append([sampleEvent]),
    batched: () => append(batch),
    finish: async () => {
      await client.end();
      const check = await openStore({ url: database.url, poolSize: 1 });
      await assertDense(check);
      await check.close();
      await database.drop();
    },
  };
}

/** Events/s of two contenders, each given MEASURE_MS in total, interleaved in ROUNDS slices. */
async function compare(ours: Step, raw: Step): Promise<[number, number]> {
  const contenders = [ours, raw];
  const totals = contenders.map(() => ({ events: 0, ms: 0 }));
  for (const step of contenders) for (let i = 0; i < 20; i++) await step(); // warm up
  for (let round = 0; round < ROUNDS; round++) {
    for (const [index, step] of contenders.entries()) {
      const total = totals[index]!;
      const start = performance.now();
      let now = start;
      while (now - start < MEASURE_MS / ROUNDS) {
        total.events += await step();
        now = performance.now();
      }
      total.ms += now - start;
    }
  }
  return totals.map((total) => (total.events * 1000) / total.ms) as [number, number];
}

async function benchEngine(engine: DialectName, ours: Contender, raw: Contender, rows: Row[]): Promise<void> {
  let failure: unknown;
  try {
    for (const mode of ['single', 'batched'] as const) {
      const [oursRate, rawRate] = await compare(ours[mode], raw[mode]);
      rows.push({ engine, mode, ours: oursRate, raw: rawRate });
    }
  } catch (error) {
    failure = error;
  }
  // Finish both even after a failure, so no file or database is left behind.
  const finished = await Promise.allSettled([ours.finish(), raw.finish()]);
  const finishFailure = finished.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure !== undefined) throw failure;
  if (finishFailure) throw finishFailure.reason;
}

/** Microseconds to build one row (id, canonical JSON, leaf hash): the floor under both columns. */
function rowBuildMicros(): number {
  const ts = new Date().toISOString();
  for (let i = 0; i < 1000; i++) buildRow(i, ts, sampleEvent);
  const count = 20_000;
  const start = performance.now();
  for (let i = 0; i < count; i++) buildRow(i, ts, sampleEvent);
  return ((performance.now() - start) * 1000) / count;
}

/** Runs the benchmark and prints one table. */
export async function run(): Promise<void> {
  const rows: Row[] = [];
  const directory = mkdtempSync(join(tmpdir(), 'tongban-bench-'));
  try {
    const oursPath = join(directory, 'ours.sqlite');
    await benchEngine(
      'sqlite',
      await oursOn(await openStore({ sqlitePath: oursPath }), async () => undefined),
      await rawSqlite(join(directory, 'raw.sqlite')),
      rows,
    );
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }

  const postgres = engines.find((engine) => engine.dialect === 'postgres');
  let postgresNote: string | undefined;
  if (postgres?.unavailable !== undefined) {
    postgresNote = `${postgres.unavailable}: benchmarked SQLite only (set TEST_POSTGRES_URL to include PostgreSQL).`;
  } else {
    const [oursDatabase, rawDatabase] = await Promise.all([freshPostgresUrl(), freshPostgresUrl()]);
    try {
      await benchEngine(
        'postgres',
        await oursOn(await openStore({ url: oursDatabase.url }), () => oursDatabase.drop()),
        await rawPostgres(rawDatabase),
        rows,
      );
    } finally {
      await Promise.allSettled([oursDatabase.drop(), rawDatabase.drop()]);
    }
  }
  printTable(rows, rowBuildMicros(), postgresNote);
}

function printTable(rows: readonly Row[], buildMicros: number, postgresNote: string | undefined): void {
  const rate = (value: number): string => Math.round(value).toLocaleString('en-US').padStart(10);
  console.log(`store: event appends, ${MEASURE_MS / 1000} s per measurement; batched = ${BATCH} events per transaction`);
  console.log('engine     mode      ours events/s   raw events/s   ours/raw (target >= 0.80)');
  for (const row of rows) {
    const ratio = row.ours / row.raw;
    console.log(
      `${row.engine.padEnd(10)} ${row.mode.padEnd(8)} ${rate(row.ours)}      ${rate(row.raw)}       ${ratio.toFixed(2)}${ratio < 0.8 ? '  below target' : ''}`,
    );
  }
  if (postgresNote) console.log(postgresNote);
  console.log('ours: EventLog.record (single) or EventLog.append in db.transaction() (batched), through Kysely.');
  console.log('raw:  the same rows, built the same way (UUIDv7, canonical JSON leaf, SHA-256 leaf hash), in the same');
  console.log('      transaction shape: BEGIN; UPDATE event_log_head ... RETURNING size; INSERT; COMMIT.');
  console.log('      sqlite = better-sqlite3, statements prepared once, one INSERT per row, same pragmas (WAL, synchronous=NORMAL);');
  console.log('      postgres = one pg.Client, plain parameterised queries, one multi-row INSERT per transaction.');
  console.log(`building one row alone takes ${buildMicros.toFixed(1)} µs (${rate(1e6 / buildMicros).trim()} rows/s), in both columns.`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run();
}
