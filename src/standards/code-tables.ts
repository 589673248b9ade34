/**
 * Code tables (代码集) read from CSV: the built-in GB/T 2260 divisions shipped in
 * reference/gb-t-2260-divisions.csv, and full code tables a user supplies.
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../core/errors.ts';

/** A code table: its codes (in file order) and their names. */
export interface CodeTable {
  readonly codes: ReadonlySet<string>;
  readonly names: ReadonlyMap<string, string>;
}

/** Most code tables are small; a file beyond this is refused rather than parsed. */
export const maxCodeTableBytes = 16 * 1024 * 1024;

/**
 * Parses a code table CSV: a header whose first column is `code`, then one code per line (the
 * second column, if any, is its name). Codes are letters and digits only; duplicates, empty codes
 * and a missing header are refused with the line number.
 */
export function parseCodeTable(text: string, options: { readonly codePattern?: RegExp } = {}): CodeTable {
  if (text.length > maxCodeTableBytes) throw new InputError(`The code table is larger than ${maxCodeTableBytes} bytes.`, {}, 'import_invalid');
  const pattern = options.codePattern ?? /^[0-9A-Za-z]{1,32}$/;
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((cell) => cell.trim().toLowerCase());
  if (header[0] !== 'code') throw new InputError('The code table\'s header must have `code` as its first column (e.g. `code,name`).', { line: 1 }, 'import_invalid');
  const codes = new Set<string>();
  const names = new Map<string, string>();
  lines.slice(1).forEach((line, index) => {
    const lineNumber = index + 2;
    if (line.trim() === '') return;
    const [code = '', name = ''] = line.split(',').map((cell) => cell.trim());
    if (!pattern.test(code)) throw new InputError(`Line ${lineNumber} of the code table has an invalid code ${JSON.stringify(code.slice(0, 40))}.`, { line: lineNumber }, 'import_invalid');
    if (codes.has(code)) throw new InputError(`Line ${lineNumber} of the code table lists code ${code} twice.`, { line: lineNumber }, 'import_invalid');
    codes.add(code);
    names.set(code, name);
  });
  return { codes, names };
}

/** Loads a user-supplied GB/T 2260 table (six-digit codes) from a UTF-8 CSV file. */
export function loadDivisionTable(path: string): CodeTable {
  return parseCodeTable(readFileSync(path, 'utf8'), { codePattern: /^[0-9]{6}$/ });
}

let builtIn: CodeTable | undefined;

/** The verified GB/T 2260 codes shipped with Tongban (the 31 provinces and the demo's places). */
export function builtInDivisions(): CodeTable {
  builtIn ??= parseCodeTable(readFileSync(new URL('../../reference/gb-t-2260-divisions.csv', import.meta.url), 'utf8'), { codePattern: /^[0-9]{6}$/ });
  return builtIn;
}

/** The built-in GB/T 2260 codes as a set. */
export function builtInDivisionCodes(): ReadonlySet<string> {
  return builtInDivisions().codes;
}
