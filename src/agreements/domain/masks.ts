/**
 * Masking rules an agreement can put on a granted field, applied by the provider before a value
 * leaves it. Each rule keeps what the partner needs to recognise the record and hides the rest.
 */
import type { maskRules } from './agreement-schema.ts';

/** How a granted field is masked before it leaves the provider. */
export type MaskRule = (typeof maskRules)[number];

const star = '*';

/**
 * Applies a rule to one value. Strings are masked character by character (so 张三丰 → 张**);
 * numbers are masked as their decimal text; null and undefined pass through; `redact` always
 * yields null, so a withheld value is never mistaken for a real one.
 */
export function applyMask(rule: MaskRule, value: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (rule === 'redact') return null;
  const text = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'bigint' ? String(value) : undefined;
  if (text === undefined) return null;
  const chars = [...text];
  switch (rule) {
    case 'keep-first-char':
      return chars.length <= 1 ? text : chars[0] + star.repeat(chars.length - 1);
    case 'keep-last-4':
      return chars.length <= 4 ? star.repeat(chars.length) : star.repeat(chars.length - 4) + chars.slice(-4).join('');
    case 'id-number':
      // GB 11643: the 6-digit address code and the last 4 (sequence and check) stay; the birth date goes.
      return chars.length >= 10 ? chars.slice(0, 6).join('') + star.repeat(chars.length - 10) + chars.slice(-4).join('') : star.repeat(chars.length);
    case 'year-only': {
      const year = /^(\d{4})(?:-|$|\d{4})/.exec(text);
      return year ? year[1] : null;
    }
  }
}

/** Masks the fields of one record that have a rule, leaving the others as they are. */
export function maskRecord(record: Readonly<Record<string, unknown>>, masks: Readonly<Record<string, MaskRule>>): Record<string, unknown> {
  const masked: Record<string, unknown> = { ...record };
  for (const [field, rule] of Object.entries(masks)) {
    if (Object.hasOwn(masked, field)) masked[field] = applyMask(rule, masked[field]);
  }
  return masked;
}
