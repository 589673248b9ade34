/**
 * Compiles a dataset's rules into ONE aggregate SQL query pushed down to the table where the rows
 * live (SQLite or PostgreSQL), then fetches a few masked failing samples for the rules that failed.
 * Identifiers are quoted by Kysely (`sql.id`) and every value is bound; field names are also
 * checked against the dataset's items before they get here.
 */
import { sql, type RawBuilder } from 'kysely';
import { InputError } from '../../core/errors.ts';
import { asText, type DialectName } from '../../store/dialect.ts';
import type { Db } from '../../store/open-store.ts';
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
import { dimensionOf, fieldsOf, type Rule } from '../domain/rules.ts';
import { looksLikeIdNumber, maskIdNumber, ruleResult, type RuleResult, type Sample } from '../domain/results.ts';

/** The type of a dataset column, as the catalogue's items declare it. */
export type ColumnKind = 'string' | 'integer' | 'number' | 'boolean' | 'date' | 'datetime';

/** Where a dataset's rows are and what columns they have. */
export interface RuleTarget {
  readonly db: Db;
  readonly dialect: DialectName;
  readonly table: string;
  readonly columns: ReadonlyMap<string, ColumnKind>;
}

/** Options of one evaluation. */
export interface EvaluateOptions {
  /** Failing samples per rule (default 5, at most 100). */
  readonly samples?: number;
  /** Code lists by name beyond the built-in `gb-t-2260` and `gb-t-2261.1`. */
  readonly codeLists?: ReadonlyMap<string, ReadonlySet<string>>;
  /** "Now" for freshness rules, as an ISO timestamp. */
  readonly now: string;
  /** Called as the evaluation passes its stages, for a progress display. */
  readonly onProgress?: (stage: 'aggregate' | 'samples', done: number, total: number) => void;
}

type Condition = RawBuilder<unknown>;

function column(target: RuleTarget, field: string): RawBuilder<unknown> {
  return sql`${sql.id(target.table, field)}`;
}

function codeList(name: string, options: EvaluateOptions): ReadonlySet<string> {
  if (name === 'gb-t-2260') return builtInDivisionCodes();
  if (name === 'gb-t-2261.1') return new Set(Object.keys(sexCodes));
  const list = options.codeLists?.get(name);
  if (!list) throw new InputError(`Unknown code list ${JSON.stringify(name)}; known: gb-t-2260, gb-t-2261.1${[...(options.codeLists?.keys() ?? [])].map((key) => `, ${key}`).join('')}.`, { codeList: name });
  return list;
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
      return mismatches.length === 0 ? sql`false` : sql`(${id} is not null and ${citizenIdSql(dialect, id)} and (${sql.join(mismatches, sql` or `)}))`;
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
  options.onProgress?.('aggregate', 0, 1);
  const row = (await sql<Record<string, unknown>>`select ${sql.join(selections)} from ${table}`.execute(target.db)).rows[0] ?? {};
  options.onProgress?.('aggregate', 1, 1);
  const total = Number(row.tb_total ?? 0);

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

  const results: RuleResult[] = [];
  const failingRules = rules.filter((rule, index) => Number(row[`tb_r${index}`] ?? 0) > 0 || rule.check === 'unique').length;
  let sampled = 0;
  for (const [index, rule] of rules.entries()) {
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
      const missing = rule.columns.filter((name) => !target.columns.has(name));
      results.push(ruleResult(rule, { dimension, fields: rule.columns, evaluated: 1, failed: missing.length > 0 ? 1 : 0, samples: [], status: missing.length > 0 ? 'fail' : 'pass', ...(missing.length > 0 ? { detail: `missing columns: ${missing.join(', ')}` } : {}) }));
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
      const picked = sql.join(fields.map((field) => column(target, field)));
      const query = condition
        ? sql<Record<string, unknown>>`select ${picked} from ${table} where ${condition} limit ${sql.lit(sampleLimit)}`
        : (() => {
            const key = uniqueKey(target, fields);
            return sql<Record<string, unknown>>`select ${key.columns}, count(*) as copies from ${table} where ${key.notNull} group by ${key.columns} having count(*) > 1 limit ${sql.lit(sampleLimit)}`;
          })();
      samples = (await query.execute(target.db)).rows.map(mask);
      sampled++;
      options.onProgress?.('samples', sampled, failingRules);
    }
    results.push(ruleResult(rule, { dimension, fields, evaluated: total, failed, samples }));
  }
  return { total, results };
}
