/** Prints docs/errors.md from the error-code table: `node --import tsx scripts/error-reference.ts > docs/errors.md`. */
import { errorCodes, httpStatusOf, type ErrorCode } from '../src/core/errors.ts';

/** The error reference as Markdown. */
export function errorReference(): string {
  const rows = (Object.keys(errorCodes) as ErrorCode[]).map((code) => {
    const info = errorCodes[code];
    return `| \`${code}\` | ${httpStatusOf(code)} | ${info.retryable ? 'yes' : 'no'} | ${info.description} |`;
  });
  return [
    '# Error codes',
    '',
    'Every Tongban API error has the shape `{ "code": "…", "message": "…", "details": { … } }`.',
    'Codes are stable: they are never renamed or reused. `message` is for people and may change;',
    '`details` carries machine-readable context (the offending `path`, a `retryAfterSeconds`, …).',
    'The CLI prints the same codes as `error [code]: message`.',
    'Generated from `src/core/errors.ts` by `scripts/error-reference.ts`.',
    '',
    '| code | HTTP | retry can help | meaning |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(errorReference());
