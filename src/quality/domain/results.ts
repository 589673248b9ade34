/**
 * Rule results, statuses, masking of samples, and the quality score formula. Pure.
 *
 * Score formula (also in docs/quality-scores.md):
 * - a row-level rule's score is 100 × (1 − failed / evaluated), evaluated = rows in the dataset
 *   (a rule on an empty dataset scores 100); a table-level rule (row count and its change,
 *   freshness, schema, distribution drift)
 *   scores 100 when it passes, 50 when it warns, 0 when it fails;
 * - a dimension's score is the mean of its rules' scores, or null when no rule scores into it;
 * - the overall score is the mean of the dimension scores that are not null, each dimension
 *   weighing the same (so a dimension with many rules does not drown the others).
 * Scores are rounded to two decimals.
 */
import type { Distribution } from './drift.ts';
import { dimensions, type CheckKind, type Dimension, type Rule } from './rules.ts';

/** The outcome of one rule. */
export type RuleStatus = 'pass' | 'warn' | 'fail';

/** A failing row's fields (masked), as JSON values. */
export type Sample = Readonly<Record<string, string | number | boolean | null>>;

/** What one rule found. */
export interface RuleResult {
  readonly name: string;
  readonly check: CheckKind;
  readonly dimension: Dimension;
  readonly fields: string[];
  readonly status: RuleStatus;
  /** Rows (or, for table-level rules, 1) the rule looked at. */
  readonly evaluated: number;
  /** Failing rows (uniqueness: rows sharing their key with another row; table-level rules: 0 or 1). */
  readonly failed: number;
  readonly failedPercent: number;
  readonly score: number;
  /** Up to N failing rows, masked. */
  readonly samples: Sample[];
  /** A short explanation for table-level rules (e.g. the newest date found). */
  readonly detail?: string;
  /** Drift rules: the value shares found, compared by the next run. */
  readonly distribution?: Distribution;
  /** The versioned standards the rule used: `element:<id>@<version>`, `codeList:<name>@<version>`. */
  readonly standards?: string[];
}

/** Table-level checks: scored by status, not by failing rows. */
export const tableLevelChecks: ReadonlySet<CheckKind> = new Set<CheckKind>(['rowCount', 'rowCountChange', 'freshness', 'schema', 'drift']);

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

/** The status of a row-level rule from its counts and thresholds (percent of evaluated rows). */
export function statusOf(rule: Pick<Rule, 'warnAbove' | 'failAbove'>, failed: number, evaluated: number): RuleStatus {
  if (failed === 0) return 'pass';
  const failedPercent = evaluated === 0 ? 0 : (100 * failed) / evaluated;
  if (failedPercent > (rule.failAbove ?? 0)) return 'fail';
  return rule.warnAbove !== undefined && failedPercent > rule.warnAbove ? 'warn' : 'pass';
}

/** Builds a rule result, computing its percent and score. */
export function ruleResult(rule: Rule, input: { dimension: Dimension; fields: readonly string[]; evaluated: number; failed: number; samples: Sample[]; status?: RuleStatus; detail?: string; distribution?: Distribution }): RuleResult {
  const status = input.status ?? statusOf(rule, input.failed, input.evaluated);
  const failedPercent = input.evaluated === 0 ? 0 : round((100 * input.failed) / input.evaluated);
  const score = tableLevelChecks.has(rule.check)
    ? { pass: 100, warn: 50, fail: 0 }[status]
    : input.evaluated === 0
      ? 100
      : round(100 * (1 - input.failed / input.evaluated));
  return {
    name: rule.name,
    check: rule.check,
    dimension: input.dimension,
    fields: [...input.fields],
    status,
    evaluated: input.evaluated,
    failed: input.failed,
    failedPercent,
    score,
    samples: input.samples,
    ...(input.detail === undefined ? {} : { detail: input.detail }),
    ...(input.distribution === undefined ? {} : { distribution: input.distribution }),
  };
}

/** Per-dimension scores (null where no rule applies) and the overall score. */
export interface Scores {
  readonly overall: number | null;
  readonly dimensions: Readonly<Record<Dimension, number | null>>;
}

/** The scores of a run, by the formula at the top of this file. */
export function scoresOf(results: readonly RuleResult[]): Scores {
  const byDimension = {} as Record<Dimension, number | null>;
  for (const dimension of dimensions) {
    const scores = results.filter((result) => result.dimension === dimension).map((result) => result.score);
    byDimension[dimension] = scores.length === 0 ? null : round(scores.reduce((sum, score) => sum + score, 0) / scores.length);
  }
  const present = Object.values(byDimension).filter((score): score is number => score !== null);
  return { overall: present.length === 0 ? null : round(present.reduce((sum, score) => sum + score, 0) / present.length), dimensions: byDimension };
}

/**
 * Masks a citizen ID number (or anything in its place) for samples: the six-digit division prefix
 * stays, every other character becomes `*`, so a steward sees where the number comes from but
 * not whose it is.
 */
export function maskIdNumber(value: string): string {
  return value.slice(0, 6) + '*'.repeat(Math.max(0, value.length - 6));
}

/** Whether a value looks like a citizen ID number (so it is masked wherever it appears in a sample). */
export function looksLikeIdNumber(value: string): boolean {
  return /^[0-9]{6}[0-9A-Za-z]{9,12}$/.test(value);
}
