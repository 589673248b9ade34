/**
 * Reading and writing data elements and code lists as CSV or JSON files, for `tongban standards
 * import|export`. Errors name the line (CSV) or the path (JSON). Pure: text in, values out.
 */
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { InputError } from '../../core/errors.ts';
import { elementDataTypes, elementValidators, type DataElement } from './elements.ts';

/** A code list (代码集): named, versioned codes with their names. */
export interface CodeList {
  readonly name: string;
  readonly version: number;
  readonly sourceStandard: string;
  readonly codes: readonly { readonly code: string; readonly name: string }[];
}

/** File formats of standards files. */
export type StandardsFormat = 'csv' | 'json';

const identifier = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, . _ - (at most 64)');
const elementSchema = z
  .object({
    id: identifier,
    version: z.number().int().min(1).max(1_000_000).optional(),
    nameZh: z.string().min(1).max(200),
    nameEn: z.string().min(1).max(200),
    definition: z.string().max(2000),
    dataType: z.enum(elementDataTypes),
    format: z.string().min(1).max(500).optional(),
    validator: z.enum(elementValidators).optional(),
    codeList: identifier.optional(),
    allowedValues: z.array(z.string().max(200)).min(1).max(10_000).optional(),
    sourceStandard: z.string().min(1).max(200),
  })
  .strict();
const codeSchema = z.object({ code: z.string().regex(/^[0-9A-Za-z._-]{1,32}$/, 'letters, digits, . _ - (at most 32)'), name: z.string().max(200) }).strict();
const codeListSchema = z.object({ name: identifier, version: z.number().int().min(1).max(1_000_000).optional(), sourceStandard: z.string().min(1).max(200), codes: z.array(codeSchema).min(1).max(200_000) }).strict();

/** Standards files beyond this size are refused before parsing. */
export const maxStandardsFileBytes = 32 * 1024 * 1024;

/**
 * Decodes a standards file: UTF-8 (a BOM is dropped) unless `encoding` says GBK. Bytes that are not
 * valid in the encoding are refused, never replaced, with a hint when the file looks like GBK.
 */
export function decodeStandardsFile(bytes: Uint8Array, encoding: 'utf-8' | 'gbk' = 'utf-8'): string {
  if (bytes.byteLength > maxStandardsFileBytes) throw new InputError(`The file is larger than ${maxStandardsFileBytes / 1024 / 1024} MB.`, {}, 'import_invalid');
  if (bytes.includes(0)) throw new InputError('The file holds binary data (NUL bytes), not CSV or JSON text.', {}, 'import_invalid');
  try {
    return new TextDecoder(encoding, { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    let hint = '';
    if (encoding === 'utf-8') {
      try {
        new TextDecoder('gbk', { fatal: true }).decode(bytes);
        hint = ' It reads as GBK: import it with --encoding gbk.';
      } catch {
        // Neither encoding: no hint.
      }
    }
    throw new InputError(`The file is not valid ${encoding === 'gbk' ? 'GBK' : 'UTF-8'} text.${hint}`, { encoding }, 'import_invalid');
  }
}

function issueMessage(error: z.ZodError, where: (path: (string | number)[]) => string): never {
  const issue = error.issues[0]!;
  const path = issue.path.filter((part): part is string | number => typeof part !== 'symbol');
  throw new InputError(`${where(path)}: ${path.join('.') || '(top level)'}: ${issue.message}`, { path }, 'import_invalid');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InputError(`The file is not valid JSON: ${(error as Error).message}`, {}, 'import_invalid');
  }
}

function csvRecords(text: string): { header: string[]; rows: { line: number; cells: Record<string, string> }[] } {
  let records: string[][];
  try {
    records = parse(text, { relax_column_count: false, skip_empty_lines: true, trim: true }) as string[][];
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    throw new InputError(`The CSV cannot be read${line ? ` (line ${line})` : ''}: ${(error as Error).message}`, { line }, 'import_invalid');
  }
  const [header = [], ...body] = records;
  // skip_empty_lines shifts numbering only for blank lines, which the format does not use between records.
  return { header, rows: body.map((cells, index) => ({ line: index + 2, cells: Object.fromEntries(header.map((name, column) => [name, cells[column] ?? ''])) })) };
}

/**
 * A data element or code list as a file gives it: without a version, importing it makes the next
 * version when its content changed (and leaves the current one when it did not).
 */
export type Unversioned<T extends { readonly version: number }> = Omit<T, 'version'> & { readonly version?: number };

/** Data elements from a JSON file (`{ "elements": [...] }`) or a CSV with one element per line (the version column may be blank or absent). */
export function parseElements(text: string, format: StandardsFormat): Unversioned<DataElement>[] {
  if (format === 'json') {
    const parsed = z.object({ elements: z.array(elementSchema).min(1).max(100_000) }).strict().safeParse(parseJson(text));
    if (!parsed.success) issueMessage(parsed.error, () => 'elements file');
    return parsed.data.elements as Unversioned<DataElement>[];
  }
  const { header, rows } = csvRecords(text);
  const required = ['id', 'nameZh', 'nameEn', 'definition', 'dataType', 'sourceStandard'];
  const missing = required.filter((name) => !header.includes(name));
  if (missing.length > 0) throw new InputError(`Line 1 of the elements CSV lacks the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}; the columns are ${[...required, 'version', 'format', 'validator', 'codeList', 'allowedValues'].join(',')}.`, { line: 1 }, 'import_invalid');
  return rows.map(({ line, cells }) => {
    const optional = (name: string) => (cells[name] ? { [name]: cells[name] } : {});
    const candidate = {
      id: cells.id,
      ...(cells.version ? { version: Number(cells.version) } : {}),
      nameZh: cells.nameZh,
      nameEn: cells.nameEn,
      definition: cells.definition,
      dataType: cells.dataType,
      sourceStandard: cells.sourceStandard,
      ...optional('format'),
      ...optional('validator'),
      ...optional('codeList'),
      ...(cells.allowedValues ? { allowedValues: cells.allowedValues.split('|') } : {}),
    };
    const parsed = elementSchema.safeParse(candidate);
    if (!parsed.success) issueMessage(parsed.error, () => `Line ${line} of the elements CSV`);
    return parsed.data as Unversioned<DataElement>;
  });
}

/** Code lists from a JSON file (`{ "codeLists": [...] }`) or one code list as CSV (`code,name`; its name and version given). */
export function parseCodeLists(text: string, format: StandardsFormat, csvList?: { readonly name: string; readonly version?: number; readonly sourceStandard: string }): Unversioned<CodeList>[] {
  let lists: Unversioned<CodeList>[];
  if (format === 'json') {
    const parsed = z.object({ codeLists: z.array(codeListSchema).min(1).max(1000) }).strict().safeParse(parseJson(text));
    if (!parsed.success) issueMessage(parsed.error, () => 'code list file');
    lists = parsed.data.codeLists;
  } else {
    if (!csvList) throw new InputError('A code list CSV needs its name (--name); its version (--list-version) is optional.', {}, 'import_invalid');
    const { header, rows } = csvRecords(text);
    if (header[0] !== 'code') throw new InputError("Line 1 of the code list CSV must start with the column `code` (e.g. `code,name`).", { line: 1 }, 'import_invalid');
    const codes = rows.map(({ line, cells }) => {
      const parsed = codeSchema.safeParse({ code: cells.code, name: cells.name ?? '' });
      if (!parsed.success) issueMessage(parsed.error, () => `Line ${line} of the code list CSV`);
      return parsed.data;
    });
    const parsed = codeListSchema.safeParse({ ...csvList, codes });
    if (!parsed.success) issueMessage(parsed.error, () => 'code list');
    lists = [parsed.data];
  }
  for (const list of lists) {
    const seen = new Set<string>();
    list.codes.forEach((entry, index) => {
      if (seen.has(entry.code)) throw new InputError(`Code list ${list.name} lists code ${entry.code} twice (${format === 'csv' ? `line ${index + 2}` : `codes.${index}`}).`, { code: entry.code }, 'import_invalid');
      seen.add(entry.code);
    });
  }
  return lists;
}

function csvCell(value: string | number | undefined): string {
  const text = value === undefined ? '' : String(value);
  return /[",\r\n]/.test(text) || /^[=+\-@]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Data elements as a JSON or CSV file (the format `parseElements` reads back). */
export function formatElements(elements: readonly DataElement[], format: StandardsFormat): string {
  if (format === 'json') return `${JSON.stringify({ elements }, null, 2)}\n`;
  const columns = ['id', 'version', 'nameZh', 'nameEn', 'definition', 'dataType', 'format', 'validator', 'codeList', 'allowedValues', 'sourceStandard'] as const;
  const lines = elements.map((element) => columns.map((column) => csvCell(column === 'allowedValues' ? element.allowedValues?.join('|') : element[column])).join(','));
  return `${[columns.join(','), ...lines].join('\n')}\n`;
}

/** Code lists as JSON, or one code list as CSV (`code,name`). */
export function formatCodeLists(lists: readonly CodeList[], format: StandardsFormat): string {
  if (format === 'json') return `${JSON.stringify({ codeLists: lists }, null, 2)}\n`;
  if (lists.length !== 1) throw new InputError('CSV holds one code list; name it, or export JSON.', {}, 'invalid_input');
  return `${['code,name', ...lists[0]!.codes.map((entry) => `${csvCell(entry.code)},${csvCell(entry.name)}`)].join('\n')}\n`;
}
