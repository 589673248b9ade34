/** Distribution drift between two runs of a rule. Pure. */

/** Shares of a field's most frequent values (0–1), the rest pooled as `(other)`, NULL as `(null)`. */
export type Distribution = Readonly<Record<string, number>>;

/**
 * How far a distribution moved, in percent: the total variation distance, half the sum of the
 * absolute share differences over every value seen in either run. 0 means the same shares, 100
 * means no value in common. Values that fell out of one run's top buckets count against its
 * `(other)` bucket, so the measure never exceeds 100.
 */
export function distributionDrift(before: Distribution, after: Distribution): number {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  let sum = 0;
  for (const key of keys) sum += Math.abs((before[key] ?? 0) - (after[key] ?? 0));
  return Math.round(Math.min(100, 50 * sum) * 100) / 100;
}
