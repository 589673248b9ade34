/**
 * Keeps identities and secrets out of logs: citizen ID numbers are masked wherever they appear
 * in a logged string, and known secret-bearing fields are removed by path.
 */

// 18-digit GB 11643 numbers (last char may be X) and legacy 15-digit ones, not inside longer digit runs.
const idNumberPattern = /(?<![0-9])(\d{6})(\d{8}\d{3}[\dXx]|\d{9})(?![0-9A-Za-z])/g;

/** Replaces every citizen ID number in `text` with its 6-digit division prefix and asterisks. */
export function maskIdNumbers(text: string): string {
  return text.replace(idNumberPattern, (_match, prefix: string, rest: string) => `${prefix}${'*'.repeat(rest.length)}`);
}

/** Masks ID numbers in every string inside a log record, however deep. */
export function maskDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskIdNumbers(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => maskDeep(item, depth + 1));
  // Only plain records are rewritten; requests, errors and the like go through their serializers.
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) out[key] = maskDeep(inner, depth + 1);
  return out;
}

/** pino redaction paths for fields that carry secrets. */
export const redactPaths: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.totp',
  '*.secret',
  '*.token',
  '*.accessToken',
  '*.keySecret',
];
