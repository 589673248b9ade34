/**
 * Compiles a dataset's rules into ONE aggregate SQL query pushed down to where the rows live
 * (SQLite or PostgreSQL for node tables, embedded DuckDB for CSV/Parquet files), then fetches a
 * few masked failing samples for the rules that failed, and runs the few checks that need a query
 * of their own (distribution drift, custom SQL). Identifiers are quoted by Kysely (`sql.id`) and
 * every value is bound; field names are also checked against the dataset's columns before they
 * get here.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, sql, type RawBuilder } from 'kysely';
import { InputError, toTongbanError } from '../../core/errors.ts';
import type { DialectName } from '../../store/dialect.ts';
import type { Db } from '../../store/open-store.ts';
import { flavourAsText as asText, flavourRegexMatches } from '../../standards/store/sql-flavour.ts';
import { builtInDivisionCodes } from '../../standards/code-tables.ts';
import { sexCodes } from '../../standards/domain/validators.ts';
import {
  citizenIdBirthDateSql,
  citizenIdLegacySql,
  citizenIdSexSql,
  citizenIdSql,
  creditCodeSql,
  dateInRangeSql,
  dateSql,
  inValuesSql,
  licenseIdSql,
  sexCodeSql,
} from '../../standards/store/sql-validators.ts';
import { checkCustomSql } from '../domain/custom-sql.ts';
import { distributionDrift } from '../domain/drift.ts';
import { dimensionOf, fieldsOf, type columnKinds, type Rule } from '../domain/rules.ts';
import { looksLikeIdNumber, maskIdNumber, ruleResult, type RuleResult, type Sample } from '../domain/results.ts';

/** The type of a dataset column, as the catalogue's items declare it. */
export type ColumnKind = (typeof columnKinds)[number];

/** A node table (managed or linked) in the node's SQLite or PostgreSQL store. */
export interface StoreRuleTarget {
  readonly db: Db;
  readonly dialect: DialectName;
  readonly table: string;
  readonly columns: ReadonlyMap<string, ColumnKind>;
}

/** A CSV or Parquet file behind a view in an embedded DuckDB (see duckdb-target.ts). */
export interface DuckDbRuleTarget {
  readonly duckdb: DuckDBConnection;
  readonly dialect: 'duckdb';
  readonly table: string;
  readonly columns: ReadonlyMap<string, ColumnKind>;
}

/** Where a dataset's rows are and what columns they have. */
export type RuleTarget = StoreRuleTarget | DuckDbRuleTarget;

/** Kysely compiles DuckDB's SQL with the PostgreSQL compiler: double-quoted identifiers and `$n` parameters, which DuckDB reads alike. */
const duckDbCompiler = new Kysely<Record<string, never>>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

/** DuckDB answers BIGINT/HUGEINT as bigint; the results here are counts far below 2^53. */
function plainValue(value: unknown): unknown {
  return typeof value === 'bigint' ? Number(value) : value;
}

/** Runs one query on the target and returns its rows. */
export async function queryTarget(target: RuleTarget, query: RawBuilder<unknown>): Promise<Record<string, unknown>[]> {
  if ('duckdb' in target) {
    const compiled = query.compile(duckDbCompiler);
    const reader = await target.duckdb.runAndReadAll(compiled.sql, compiled.parameters as never[]);
    return reader.getRowObjectsJS().map((row) => Object.fromEntries(Object.entries(row).map(([key, value]) => [key, plainValue(value)])));
  }
  return (await query.execute(target.db)).rows as Record<string, unknown>[];
}

/**
 * Runs a query that must not write, in a read-only transaction: PostgreSQL `SET TRANSACTION READ
 * ONLY`; DuckDB `BEGIN TRANSACTION READ ONLY`; SQLite has no read-only transactions, so the one
 * connection is switched to `PRAGMA query_only` for the query and back after it.
 */
export async function queryReadOnly(target: RuleTarget, query: RawBuilder<unknown>): Promise<Record<string, unknown>[]> {
  if ('duckdb' in target) {
    await target.duckdb.run('begin transaction read only');
    try {
      return await queryTarget(target, query);
    } finally {
      await target.duckdb.run('rollback');
    }
  }
  if (target.dialect === 'postgres') {
    return target.db.transaction().execute(async (trx) => {
      await sql`set transaction read only`.execute(trx);
      return (await query.execute(trx)).rows as Record<string, unknown>[];
    });
  }
  return target.db.connection().execute(async (connection) => {
    await sql`pragma query_only = 1`.execute(connection);
    try {
      return (await query.execute(connection)).rows as Record<string, unknown>[];
    } finally {
      await sql`pragma query_only = 0`.execute(connection);
    }
  });
}

/**
 * Where an evaluation is: `scan` before the one pushed-down query that counts the failures of every
 * row-level rule (`rules` of them) and `scanned` after it, with the rows it read; `custom` after
 * each custom SQL rule's count; `rules` after each rule's result is complete (its samples or
 * table-level queries done), `done` of `total`.
 */
export type EvaluationProgress =
  | { readonly phase: 'scan'; readonly rules: number }
  | { readonly phase: 'scanned'; readonly rows: number }
  | { readonly phase: 'custom' | 'rules'; readonly done: number; readonly total: number };

/** Options of one evaluation. */
export interface EvaluateOptions {
  /** Failing samples per rule (default 5, at most 100). */
  readonly samples?: number;
  /** Code lists by name beyond the built-in `gb-t-2260` and `gb-t-2261.1`. */
  readonly codeLists?: ReadonlyMap<string, ReadonlySet<string>>;
  /** "Now" for freshness rules, as an ISO timestamp. */
  readonly now: string;
  /** Called as the evaluation passes its stages, for a progress display. */
  readonly onProgress?: (progress: EvaluationProgress) => void;
  /** Stops the evaluation between its queries; it then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Tables (in the target's engine) of the datasets `reference` rules name, by the name the rule uses. */
  readonly referenceTables?: ReadonlyMap<string, string>;
  /** The previous run of the dataset, for row-count change and distribution drift. */
  readonly previous?: { readonly rowCount: number; readonly results: readonly RuleResult[] };
  /** Tables of the node a custom SQL rule must not read (everything but the dataset). */
  readonly protectedTables?: Iterable<string>;
}

type Condition = RawBuilder<unknown>;

/** Distribution buckets kept per drift rule: the most frequent values, the rest pooled as `(other)`. */
const driftBuckets = 50;

function column(target: RuleTarget, field: string): RawBuilder<unknown> {
  return sql`${sql.id(target.table, field)}`;
}

function codeList(name: string, options: EvaluateOptions): ReadonlySet<string> {
  // An imported table (e.g. the full GB/T 2260 a steward loaded) wins over the built-in subset.
  const list = options.codeLists?.get(name);
  if (list) return list;
  if (name === 'gb-t-2260') return builtInDivisionCodes();
  if (name === 'gb-t-2261.1') return new Set(Object.keys(sexCodes));
  throw new InputError(`Unknown code list ${JSON.stringify(name)}; known: gb-t-2260, gb-t-2261.1${[...(options.codeLists?.keys() ?? [])].map((key) => `, ${key}`).join('')}; import others with \`tongban standards import --kind code-lists\`.`, { codeList: name });
}

function requireKind(target: RuleTarget, rule: Rule, field: string, kinds: readonly ColumnKind[]): void {
  const kind = target.columns.get(field);
  if (kind && !kinds.includes(kind)) {
    throw new InputError(`Rule ${JSON.stringify(rule.name)}: field ${JSON.stringify(field)} is of type ${kind}; a ${rule.check} check needs ${kinds.join(' or ')}.`, { rule: rule.name, field });
  }
}

/** The condition that makes a row fail a row-level rule; undefined for table-level and uniqueness rules. */
function failingRow(target: RuleTarget, rule: Rule, options: EvaluateOptions): Condition | undefined {
  const { dialect } = target;
  switch (rule.check) {
    case 'missing': {
      const value = column(target, rule.field);
      return target.columns.get(rule.field) === 'string' ? sql`(${value} is null or ${value} = '')` : sql`(${value} is null)`;
    }
    case 'validator': {
      const value = column(target, rule.field);
      const valid: Condition = {
        citizenId: () => citizenIdSql(dialect, value),
        citizenIdOrLegacy: () => sql`(${citizenIdSql(dialect, value)} or ${citizenIdLegacySql(dialect, value)})`,
        creditCode: () => creditCodeSql(dialect, value),
        licenseId: () => licenseIdSql(dialect, value),
        date: () => dateSql(dialect, value),
        sexCode: () => sexCodeSql(dialect, value),
        divisionCode: () => inValuesSql(dialect, value, [...builtInDivisionCodes()]),
      }[rule.validator]();
      return sql`(${value} is not null and not ${valid})`;
    }
    case 'allowedValues': {
      const value = column(target, rule.field);
      return sql`(${value} is not null and not ${inValuesSql(dialect, value, rule.values)})`;
    }
    case 'codeList': {
      const value = column(target, rule.field);
      return sql`(${value} is not null and not ${inValuesSql(dialect, value, [...codeList(rule.codeList, options)])})`;
    }
    case 'range': {
      requireKind(target, rule, rule.field, ['integer', 'number']);
      const value = column(target, rule.field);
      const outside = [...(rule.min === undefined ? [] : [sql`${value} < ${rule.min}`]), ...(rule.max === undefined ? [] : [sql`${value} > ${rule.max}`])];
      return outside.length === 0 ? sql`false` : sql`(${value} is not null and (${sql.join(outside, sql` or `)}))`;
    }
    case 'dateRange': {
      requireKind(target, rule, rule.field, ['string', 'date']);
      const value = column(target, rule.field);
      return sql`(${value} is not null and not ${dateInRangeSql(dialect, value, { ...(rule.min ? { min: rule.min } : {}), ...(rule.max ? { max: rule.max } : {}) })})`;
    }
    case 'length': {
      const value = column(target, rule.field);
      const text = asText(dialect, value);
      const outside = [...(rule.min === undefined ? [] : [sql`length(${text}) < ${rule.min}`]), ...(rule.max === undefined ? [] : [sql`length(${text}) > ${rule.max}`])];
      return outside.length === 0 ? sql`false` : sql`(${value} is not null and (${sql.join(outside, sql` or `)}))`;
    }
    case 'regex': {
      const value = column(target, rule.field);
      return sql`(${value} is not null and not ${flavourRegexMatches(dialect, asText(dialect, value), rule.pattern)})`;
    }
    case 'reference': {
      const table = options.referenceTables?.get(rule.dataset);
      if (!table) throw new InputError(`Rule ${JSON.stringify(rule.name)}: the referenced dataset ${JSON.stringify(rule.dataset)} cannot be found.`, { rule: rule.name, dataset: rule.dataset });
      const value = column(target, rule.field);
      const other = sql`${sql.id(table, rule.datasetField)}`;
      // NOT IN over a subquery lets every engine build one hash set instead of probing per row.
      return sql`(${value} is not null and ${asText(dialect, value)} not in (select ${asText(dialect, other)} from ${sql.table(table)} where ${other} is not null))`;
    }
    case 'idConsistency': {
      const id = column(target, rule.idField);
      const mismatches: Condition[] = [];
      if (rule.birthDateField) {
        const birth = column(target, rule.birthDateField);
        mismatches.push(sql`(${birth} is not null and ${citizenIdBirthDateSql(dialect, id)} <> ${asText(dialect, birth)})`);
      }
      if (rule.sexField) {
        const sex = column(target, rule.sexField);
        mismatches.push(sql`(${sex} is not null and ${citizenIdSexSql(dialect, id)} <> ${asText(dialect, sex)})`);
      }
      // Only numbers that are themselves valid can be compared; invalid ones fail their validity rule.
      // The cheap, selective mismatch test comes first: vectorised engines (DuckDB) then run the
      // full validity check only on the few rows that mismatch.
      return mismatches.length === 0 ? sql`false` : sql`((${sql.join(mismatches, sql` or `)}) and ${id} is not null and ${citizenIdSql(dialect, id)})`;
    }
    default:
      return undefined;
  }
}

function uniqueKey(target: RuleTarget, fields: readonly string[]): { readonly columns: RawBuilder<unknown>; readonly notNull: RawBuilder<unknown> } {
  return {
    columns: sql.join(fields.map((field) => column(target, field))),
    notNull: sql.join(fields.map((field) => sql`${column(target, field)} is not null`), sql` and `),
  };
}

/** What an evaluation found: the rows in the table and one result per rule, in rule order. */
export interface Evaluation {
  readonly total: number;
  readonly results: RuleResult[];
}

/** Evaluates every rule against the target in one aggregate query (plus sample queries for failures). */
export async function evaluateRules(target: RuleTarget, rules: readonly Rule[], options: EvaluateOptions): Promise<Evaluation> {
  const sampleLimit = Math.min(100, Math.max(0, options.samples ?? 5));
  const table = sql.table(target.table);
  const selections: RawBuilder<unknown>[] = [sql`count(*) as tb_total`];
  const failing = rules.map((rule) => failingRow(target, rule, options));
  rules.forEach((rule, index) => {
    const alias = sql.id(`tb_r${index}`);
    const condition = failing[index];
    if (condition) {
      selections.push(sql`coalesce(sum(case when ${condition} then 1 else 0 end), 0) as ${alias}`);
    } else if (rule.check === 'unique') {
      const key = uniqueKey(target, rule.fields);
      selections.push(sql`(select coalesce(sum(tb_dup.tb_n), 0) from (select count(*) as tb_n from ${table} where ${key.notNull} group by ${key.columns} having count(*) > 1) tb_dup) as ${alias}`);
    } else if (rule.check === 'freshness') {
      selections.push(sql`max(${column(target, rule.field)}) as ${alias}`);
    }
  });
  const customQueries = new Map<number, RawBuilder<unknown>>();
  rules.forEach((rule, index) => {
    if (rule.check !== 'sql') return;
    const query = checkCustomSql(rule.query, [...(options.protectedTables ?? [])].filter((name) => name !== target.table), rule.name);
    customQueries.set(index, sql`with dataset as (select * from ${table}) select * from (${sql.raw(query)}) as tb_custom`);
  });
  const { signal } = options;
  // Between queries: a synchronous driver (better-sqlite3) never yields to the event loop on its
  // own, so a Ctrl-C handler or timer that aborts would only run after the whole run was stored.
  const checkpoint = async () => {
    if (!signal) return;
    await new Promise((resolve) => setImmediate(resolve));
    signal.throwIfAborted();
  };
  await checkpoint();
  options.onProgress?.({ phase: 'scan', rules: selections.length - 1 });
  const row = (await queryTarget(target, sql`select ${sql.join(selections)} from ${table}`))[0] ?? {};
  const total = Number(row.tb_total ?? 0);
  options.onProgress?.({ phase: 'scanned', rows: total });
  await checkpoint();
  let customDone = 0;
  for (const [index, query] of customQueries) {
    await checkpoint();
    try {
      const counted = await queryReadOnly(target, sql`select count(*) as tb_n from (${query}) as tb_counted`);
      row[`tb_r${index}`] = Number(counted[0]?.tb_n ?? 0);
    } catch (error) {
      const failure = toTongbanError(error);
      if (failure.kind !== 'internal') throw failure;
      throw new InputError(`Custom SQL of rule ${JSON.stringify(rules[index]!.name)} failed: ${String((error as Error).message).split('\n')[0]}`, { rule: rules[index]!.name }, 'quality_sql_refused');
    }
    options.onProgress?.({ phase: 'custom', done: ++customDone, total: customQueries.size });
  }

  const idFields = new Set<string>();
  for (const rule of rules) {
    if (rule.check === 'validator' && rule.validator.startsWith('citizenId')) idFields.add(rule.field);
    if (rule.check === 'idConsistency') idFields.add(rule.idField);
  }
  const mask = (sampleRow: Record<string, unknown>): Sample => {
    const sample: Record<string, string | number | boolean | null> = {};
    for (const [key, value] of Object.entries(sampleRow)) {
      const plain = value instanceof Date ? value.toISOString() : typeof value === 'bigint' ? Number(value) : (value as string | number | boolean | null);
      sample[key] = typeof plain === 'string' && (idFields.has(key) || looksLikeIdNumber(plain)) ? maskIdNumber(plain) : plain;
    }
    return sample;
  };

  const done: RuleResult[] = [];
  const results = {
    push(result: RuleResult): void {
      done.push(result);
      options.onProgress?.({ phase: 'rules', done: done.length, total: rules.length });
    },
  };
  const previousResult = (name: string) => options.previous?.results.find((result) => result.name === name);
  for (const [index, rule] of rules.entries()) {
    await checkpoint();
    const dimension = dimensionOf(rule);
    const fields = fieldsOf(rule);
    const value = row[`tb_r${index}`];
    if (rule.check === 'rowCount') {
      const tooFew = rule.min !== undefined && total < rule.min;
      const tooMany = rule.max !== undefined && total > rule.max;
      results.push(ruleResult(rule, { dimension, fields, evaluated: 1, failed: tooFew || tooMany ? 1 : 0, samples: [], status: tooFew || tooMany ? 'fail' : 'pass', detail: `${total} rows` }));
      continue;
    }
    if (rule.check === 'schema') {
      const expected = rule.columns.map((entry) => (typeof entry === 'string' ? { name: entry } : entry));
      const problems = expected.flatMap((entry) => {
        const actual = target.columns.get(entry.name);
        if (actual === undefined) return [`missing column ${entry.name}`];
        return 'type' in entry && entry.type !== actual ? [`${entry.name} is ${actual}, expected ${entry.type}`] : [];
      });
      const names = expected.map((entry) => entry.name);
      results.push(ruleResult(rule, { dimension, fields: names, evaluated: 1, failed: problems.length > 0 ? 1 : 0, samples: [], status: problems.length > 0 ? 'fail' : 'pass', ...(problems.length > 0 ? { detail: problems.join('; ') } : {}) }));
      continue;
    }
    if (rule.check === 'rowCountChange') {
      if (!options.previous) {
        results.push(ruleResult(rule, { dimension, fields, evaluated: 1, failed: 0, samples: [], status: 'pass', detail: `${total} rows; no earlier run to compare with` }));
        continue;
      }
      const before = options.previous.rowCount;
      const changePercent = before === 0 ? (total === 0 ? 0 : 100) : (100 * Math.abs(total - before)) / before;
      const status = changePercent > rule.maxChangePercent ? 'fail' : rule.warnAbove !== undefined && changePercent > rule.warnAbove ? 'warn' : 'pass';
      results.push(ruleResult(rule, { dimension, fields, evaluated: 1, failed: status === 'fail' ? 1 : 0, samples: [], status, detail: `${before} → ${total} rows (${changePercent.toFixed(2)} % change)` }));
      continue;
    }
    if (rule.check === 'drift') {
      const value = column(target, rule.field);
      const rows = await queryTarget(target, sql`select ${asText(target.dialect, value)} as tb_value, count(*) as tb_n from ${table} group by 1 order by 2 desc, 1 limit ${sql.lit(driftBuckets)}`);
      const distribution: Record<string, number> = {};
      let counted = 0;
      for (const bucket of rows) {
        const count = Number(bucket.tb_n);
        counted += count;
        distribution[bucket.tb_value === null ? '(null)' : String(bucket.tb_value)] = total === 0 ? 0 : count / total;
      }
      if (total > counted) distribution['(other)'] = (total - counted) / total;
      const earlier = previousResult(rule.name)?.distribution;
      if (!earlier) {
        results.push(ruleResult(rule, { dimension, fields, evaluated: 1, failed: 0, samples: [], status: 'pass', detail: 'no earlier distribution to compare with', distribution }));
        continue;
      }
      const driftPercent = distributionDrift(earlier, distribution);
      const status = driftPercent > rule.maxDriftPercent ? 'fail' : rule.warnAbove !== undefined && driftPercent > rule.warnAbove ? 'warn' : 'pass';
      results.push(ruleResult(rule, { dimension, fields, evaluated: 1, failed: status === 'fail' ? 1 : 0, samples: [], status, detail: `distribution moved ${driftPercent.toFixed(2)} % since the previous run`, distribution }));
      continue;
    }
    if (rule.check === 'freshness') {
      const newest = value instanceof Date ? value.toISOString() : value === null || value === undefined ? null : String(value);
      const cutoff = new Date(Date.parse(options.now) - rule.maxAgeDays * 86_400_000).toISOString();
      const stale = newest === null || newest < cutoff.slice(0, newest.length);
      results.push(ruleResult(rule, { dimension, fields, evaluated: 1, failed: stale ? 1 : 0, samples: [], status: stale ? 'fail' : 'pass', detail: newest === null ? 'no dated rows' : `newest ${newest}` }));
      continue;
    }
    const failed = Number(value ?? 0);
    let samples: Sample[] = [];
    if (failed > 0 && sampleLimit > 0) {
      const condition = failing[index];
      const custom = customQueries.get(index);
      const picked = sql.join(fields.map((field) => column(target, field)));
      const query = custom
        ? sql<Record<string, unknown>>`select * from (${custom}) as tb_sampled limit ${sql.lit(sampleLimit)}`
        : condition
          ? sql<Record<string, unknown>>`select ${picked} from ${table} where ${condition} limit ${sql.lit(sampleLimit)}`
          : (() => {
              const key = uniqueKey(target, fields);
              return sql<Record<string, unknown>>`select ${key.columns}, count(*) as copies from ${table} where ${key.notNull} group by ${key.columns} having count(*) > 1 limit ${sql.lit(sampleLimit)}`;
            })();
      samples = (custom ? await queryReadOnly(target, query) : await queryTarget(target, query)).map(mask);
    }
    results.push(ruleResult(rule, { dimension, fields, evaluated: total, failed, samples }));
  }
  await checkpoint();
  return { total, results: done };
}
