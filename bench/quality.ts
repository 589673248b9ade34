/**
 * Quality benchmark: a seeded person register (QUALITY_BENCH_ROWS rows, default 1 000 000) with
 * known faults in a SQLite file; the standard rule set (completeness on 5 fields, GB 11643
 * validity, uniqueness of the ID, division in GB/T 2260, sex in GB/T 2261.1, ID/birth-date
 * consistency, date range) run through the rule engine, beside a hand-written single SQL query
 * doing the same checks (the baseline). Prints rows/s of both and the ratio, and checks that both
 * report the same counts. DuckDB over Parquet is not part of this version.
 *
 * Run: `npm run bench -- quality` or `node --import tsx bench/quality.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { evaluateRules } from '../src/quality/store/rule-query.ts';
import { generateRegister, registerColumns, registeredRange, standardRules } from '../src/quality/sample-data.ts';
import { builtInDivisionCodes } from '../src/standards/code-tables.ts';
import { openStore } from '../src/store/open-store.ts';

const ROWS = Number(process.env.QUALITY_BENCH_ROWS ?? 1_000_000);
const ROUNDS = 3;

/** The baseline: the same checks written by hand as one query with inline constants. */
function baselineQuery(): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = weights.map((weight, index) => `cast(substr(idNumber, ${index + 1}, 1) as integer) * ${weight}`).join(' + ');
  const y = 'cast(substr(idNumber, 7, 4) as integer)';
  const m = 'cast(substr(idNumber, 11, 2) as integer)';
  const d = 'cast(substr(idNumber, 13, 2) as integer)';
  const realDay = (yy: string, mm: string, dd: string) =>
    `(${mm} between 1 and 12 and ${dd} between 1 and (case when ${mm} = 2 then (case when (${yy} % 4 = 0 and ${yy} % 100 <> 0) or ${yy} % 400 = 0 then 29 else 28 end) when ${mm} in (4, 6, 9, 11) then 30 else 31 end))`;
  const idValid = `(case when idNumber glob '${'[0-9]'.repeat(17)}[0-9X]' then (${realDay(y, m, d)} and substr('10X98765432', ((${sum}) % 11) + 1, 1) = substr(idNumber, 18, 1)) else 0 end)`;
  const divisions = [...builtInDivisionCodes()].map((code) => `'${code}'`).join(', ');
  const ry = 'cast(substr(registeredOn, 1, 4) as integer)';
  const rm = 'cast(substr(registeredOn, 6, 2) as integer)';
  const rd = 'cast(substr(registeredOn, 9, 2) as integer)';
  const dateOk = `(case when registeredOn glob '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' then (${realDay(ry, rm, rd)} and registeredOn between '${registeredRange.min}' and '${registeredRange.max}') else 0 end)`;
  return `select count(*) as total,
    sum(idNumber is null or idNumber = '') as id_missing, sum(name is null or name = '') as name_missing,
    sum(sex is null or sex = '') as sex_missing, sum(birthDate is null or birthDate = '') as birth_missing,
    sum(division is null or division = '') as division_missing,
    sum(idNumber is not null and not ${idValid}) as id_invalid,
    (select coalesce(sum(n), 0) from (select count(*) as n from register where idNumber is not null group by idNumber having count(*) > 1)) as id_duplicates,
    sum(division is not null and division not in (${divisions})) as division_unknown,
    sum(sex is not null and sex not in ('0', '1', '2', '9')) as sex_unknown,
    sum(idNumber is not null and ${idValid} and birthDate is not null and substr(idNumber, 7, 4) || '-' || substr(idNumber, 11, 2) || '-' || substr(idNumber, 13, 2) <> birthDate) as birth_mismatch,
    sum(registeredOn is not null and not ${dateOk}) as registered_out_of_range
    from register`;
}

/** Runs the benchmark and prints its table. */
export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tongban-bench-quality-'));
  const path = join(dir, 'register.sqlite');
  try {
    const raw = new BetterSqlite3(path);
    raw.pragma('journal_mode = WAL');
    raw.exec(`create table register (${registerColumns.map((name) => `"${name}" text`).join(', ')})`);
    const insert = raw.prepare(`insert into register values (${registerColumns.map(() => '?').join(', ')})`);
    const generating = Date.now();
    raw.transaction(() => {
      for (const row of generateRegister(ROWS, 20261129)) insert.run(registerColumns.map((name) => row[name]));
    })();
    console.log(`generated ${ROWS.toLocaleString('en')} rows in ${((Date.now() - generating) / 1000).toFixed(1)} s (seed 20261129)`);

    const store = await openStore({ sqlitePath: path });
    const columns = new Map(registerColumns.map((name) => [name, 'string' as const]));
    const rules = standardRules();
    const baseline = raw.prepare(baselineQuery());
    const engineTimes: number[] = [];
    const baselineTimes: number[] = [];
    let engineCounts: number[] = [];
    let baselineRow: Record<string, number> = {};
    for (let round = 0; round < ROUNDS; round++) {
      let started = performance.now();
      const { results } = await evaluateRules({ db: store.db, dialect: 'sqlite', table: 'register', columns }, rules, { now: new Date().toISOString(), samples: 5 });
      engineTimes.push(performance.now() - started);
      engineCounts = results.map((result) => result.failed);
      started = performance.now();
      baselineRow = baseline.get() as Record<string, number>;
      baselineTimes.push(performance.now() - started);
    }
    const best = (times: number[]) => Math.min(...times);
    const baselineCounts = ['id_missing', 'name_missing', 'sex_missing', 'birth_missing', 'division_missing', 'id_invalid', 'id_duplicates', 'division_unknown', 'sex_unknown', 'birth_mismatch', 'registered_out_of_range'].map((key) => Number(baselineRow[key]));
    const same = engineCounts.every((count, index) => count === baselineCounts[index]);
    console.log('engine   rule                              failed');
    rules.forEach((rule, index) => console.log(`         ${rule.name.padEnd(34)}${String(engineCounts[index]).padStart(8)}`));
    console.log(`counts equal to the baseline's: ${same ? 'yes' : `NO (baseline ${baselineCounts.join(', ')})`}`);
    const engineRate = ROWS / (best(engineTimes) / 1000);
    const baselineRate = ROWS / (best(baselineTimes) / 1000);
    console.log('implementation                 best ms      rows/s');
    console.log(`rule engine (incl. samples)  ${best(engineTimes).toFixed(0).padStart(9)}  ${Math.round(engineRate).toLocaleString('en').padStart(10)}`);
    console.log(`hand-written single query    ${best(baselineTimes).toFixed(0).padStart(9)}  ${Math.round(baselineRate).toLocaleString('en').padStart(10)}`);
    console.log(`ratio (engine time / baseline time): ${(best(engineTimes) / best(baselineTimes)).toFixed(2)}× (target ≤ 1.5×)`);
    await store.db.destroy();
    raw.close();
    if (!same) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
