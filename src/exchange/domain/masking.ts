/** Masking of granted fields before they leave the provider (最小必要). */
import type { MaskRule } from '../../agreements/index.ts';

/** Applies one mask rule to a value; values that are not strings or dates are redacted when masked. */
export function maskValue(rule: MaskRule, value: unknown): unknown {
  if (value === null || value === undefined) return value;
  const text = String(value);
  const chars = [...text];
  switch (rule) {
    case 'keep-first-char':
      return chars.length <= 1 ? text : chars[0] + '*'.repeat(chars.length - 1);
    case 'keep-last-4':
      return chars.length <= 4 ? '*'.repeat(chars.length) : '*'.repeat(chars.length - 4) + chars.slice(-4).join('');
    case 'id-number':
      // The division prefix and the last four stay, as on printed receipts; birth date and sequence do not.
      return chars.length < 10 ? '*'.repeat(chars.length) : chars.slice(0, 6).join('') + '*'.repeat(chars.length - 10) + chars.slice(-4).join('');
    case 'year-only':
      return /^\d{4}/.test(text) ? text.slice(0, 4) : null;
    case 'redact':
      return null;
  }
}

/** Keeps only `fields` of a record and masks those that have a rule. */
export function shapeRecord(
  record: Readonly<Record<string, unknown>>,
  fields: readonly string[],
  masks: Readonly<Record<string, MaskRule>>,
): Record<string, unknown> {
  const shaped: Record<string, unknown> = {};
  for (const field of fields) {
    const rule = masks[field];
    shaped[field] = rule ? maskValue(rule, record[field]) : record[field] ?? null;
  }
  return shaped;
}
