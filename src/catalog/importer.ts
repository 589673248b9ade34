/**
 * Streaming import of CSV and JSON Lines: decodes (strict UTF-8, or GBK on request), parses,
 * checks every row against the dataset's items and hands accepted rows on in batches, so a file
 * of millions of rows passes through bounded memory. Bad rows are reported, never stored.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse as parseCsv, CsvError } from 'csv-parse';
import { TongbanError } from '../core/errors.ts';
import type { InformationItem } from './domain/dataset.ts';
import { checkRow, type RecordValue, type RowProblem } from './domain/record-values.ts';

/** File formats an import accepts. */
export type ImportFormat = 'csv' | 'jsonl';
/** `replace` swaps the whole table at the end; `append` adds the rows to what is there. */
export type ImportMode = 'replace' | 'append';
/** Text encodings an import accepts; GBK is decoded strictly like UTF-8. */
export type ImportEncoding = 'utf-8' | 'gbk';

/** Every import format. */
export const importFormats = ['csv', 'jsonl'] as const satisfies readonly ImportFormat[];
/** Every import mode. */
export const importModes = ['replace', 'append'] as const satisfies readonly ImportMode[];
/** Every accepted encoding. */
export const importEncodings = ['utf-8', 'gbk'] as const satisfies readonly ImportEncoding[];

/** One problem of one rejected row: never the value itself, which may identify a person. */
export interface RowError {
  /** 1-based line of the file where the row starts. */
  readonly line: number;
  readonly field: string | null;
  readonly problem: string;
}

/** How far an import has got. */
export interface ImportProgress {
  readonly bytes: number;
  readonly rowsRead: number;
  readonly rowsRejected: number;
}

/** What a caller may ask of an import. */
export interface ScanOptions {
  readonly format: ImportFormat;
  readonly encoding?: ImportEncoding;
  /** Stop, writing nothing, once more rows than this are rejected. */
  readonly maxErrors?: number;
  /** Largest accepted input in bytes. */
  readonly maxBytes?: number;
  /** How many row errors the result carries in full (the rest are counted). */
  readonly reportLimit?: number;
  /** Every row error, as found (the CLI writes them to the --report file). */
  readonly onRowError?: (error: RowError) => void;
  readonly onProgress?: (progress: ImportProgress) => void;
}

/** What a scan found. */
export interface ScanResult {
  readonly bytes: number;
  readonly rowsRead: number;
  readonly rowsAccepted: number;
  readonly rowsRejected: number;
  /** The first `reportLimit` row errors. */
  readonly errors: readonly RowError[];
  /** How many row errors there were in all (a row can have several). */
  readonly errorCount: number;
}

/** Receives accepted rows in batches; absent in a dry run. */
export type RowSink = (rows: readonly Readonly<Record<string, RecordValue>>[]) => Promise<void>;

const defaultBatchRows = 5000;
const maxLineCharacters = 1024 * 1024;

function importInvalid(message: string, details?: Record<string, unknown>): TongbanError {
  return new TongbanError('import_invalid', message, details);
}

interface Counter {
  bytes: number;
}

/** Decodes the input strictly; a byte sequence that is not valid in the encoding stops the import. */
async function* decode(source: AsyncIterable<Uint8Array | string>, encoding: ImportEncoding, maxBytes: number, counter: Counter): AsyncGenerator<string> {
  // fatal: refuse bad bytes instead of replacing them; the UTF-8 BOM is dropped (ignoreBOM false).
  const decoder = new TextDecoder(encoding, { fatal: true });
  const refuse = () =>
    importInvalid(
      encoding === 'utf-8'
        ? `The file is not valid UTF-8 (near byte ${counter.bytes}). Save it as UTF-8; a GBK file can be converted with 'iconv -f GBK -t UTF-8' or imported with --encoding gbk.`
        : `The file is not valid ${encoding.toUpperCase()} (near byte ${counter.bytes}).`,
      { encoding, nearByte: counter.bytes },
    );
  for await (const chunk of source) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    counter.bytes += bytes.length;
    if (counter.bytes > maxBytes) {
      throw new TongbanError('body_too_large', `The import exceeds the limit of ${maxBytes} bytes.`, { maxBytes });
    }
    let text: string;
    try {
      text = decoder.decode(bytes, { stream: true });
    } catch {
      throw refuse();
    }
    if (text.length > 0) yield text;
  }
  let rest: string;
  try {
    rest = decoder.decode();
  } catch {
    throw refuse();
  }
  if (rest.length > 0) yield rest;
}

/** Splits decoded text into numbered lines without holding more than one partial line. */
async function* numberedLines(texts: AsyncIterable<string>): AsyncGenerator<{ line: number; text: string }> {
  let pending = '';
  let line = 0;
  for await (const text of texts) {
    const buffer = pending + text;
    let start = 0;
    for (let end = buffer.indexOf('\n'); end >= 0; end = buffer.indexOf('\n', start)) {
      line += 1;
      const content = buffer.slice(start, end);
      yield { line, text: content.endsWith('\r') ? content.slice(0, -1) : content };
      start = end + 1;
    }
    pending = buffer.slice(start);
    if (pending.length > maxLineCharacters) {
      throw importInvalid(`Line ${line + 1} is longer than ${maxLineCharacters} characters; is this really JSON Lines?`, { line: line + 1 });
    }
  }
  if (pending.length > 0) yield { line: line + 1, text: pending.endsWith('\r') ? pending.slice(0, -1) : pending };
}

/** One parsed row before checking: its line and its cells by column name (or a problem). */
type RawRow = { readonly line: number; readonly cells: Record<string, unknown>; readonly problem?: undefined } | { readonly line: number; readonly problem: RowProblem };

/** Parses CSV rows; the first record is the header, which must name exactly the items. */
async function* csvRows(texts: AsyncIterable<string>, items: readonly InformationItem[]): AsyncGenerator<RawRow> {
  const parser = parseCsv({ relax_column_count: true, info: true, skip_empty_lines: true });
  let pumpError: unknown;
  const pumping = pipeline(Readable.from(texts), parser).catch((error: unknown) => {
    pumpError = error;
  });
  let header: string[] | undefined;
  let previousEnd = 0;
  let previousEmpty = 0;
  try {
    for await (const entry of parser as AsyncIterable<{ record: string[]; info: { lines: number; empty_lines: number } }>) {
      const { record, info } = entry;
      const line = previousEnd + 1 + (info.empty_lines - previousEmpty);
      previousEnd = info.lines;
      previousEmpty = info.empty_lines;
      if (!header) {
        header = checkHeader(record, items);
        continue;
      }
      if (record.length !== header.length) {
        yield { line, problem: { field: null, problem: `has ${record.length} fields; the header has ${header.length}` } };
        continue;
      }
      const cells: Record<string, unknown> = {};
      header.forEach((name, index) => {
        cells[name] = record[index];
      });
      yield { line, cells };
    }
  } catch (error) {
    await pumping;
    // Leaving the loop (say, on a bad header) destroys the parser, which aborts the pump: that abort
    // is a consequence, never the cause worth reporting.
    const pumped = pumpError instanceof Error && pumpError.name === 'AbortError' ? undefined : pumpError;
    const cause = [pumped, error].find((candidate) => candidate instanceof TongbanError) ?? pumped ?? error;
    if (cause instanceof TongbanError) throw cause;
    if (cause instanceof CsvError) throw importInvalid(`The CSV cannot be parsed: ${cause.message}.`, { csvCode: cause.code });
    throw cause;
  }
  await pumping;
  if (pumpError instanceof TongbanError) throw pumpError;
  if (pumpError instanceof CsvError) throw importInvalid(`The CSV cannot be parsed: ${pumpError.message}.`, { csvCode: pumpError.code });
  if (pumpError) throw pumpError;
  if (!header) throw importInvalid('The file is empty: a CSV import starts with a header line naming the columns.');
}

/** Checks a CSV header against the items: every item once, nothing else. */
function checkHeader(record: readonly string[], items: readonly InformationItem[]): string[] {
  const names = record.map((name) => name.trim());
  const known = new Set(items.map((item) => item.name));
  const shown = (name: string) => (name.length > 64 ? `${name.slice(0, 64)}…` : name);
  const unknown = names.filter((name) => !known.has(name)).map(shown);
  const missing = items.map((item) => item.name).filter((name) => !names.includes(name));
  const repeated = names.filter((name, index) => names.indexOf(name) !== index).map(shown);
  if (unknown.length > 0 || missing.length > 0 || repeated.length > 0) {
    const parts = [
      unknown.length > 0 ? `unknown columns: ${unknown.join(', ')}` : '',
      missing.length > 0 ? `missing columns: ${missing.join(', ')}` : '',
      repeated.length > 0 ? `repeated columns: ${repeated.join(', ')}` : '',
    ].filter((part) => part !== '');
    throw importInvalid(`The CSV header does not match the dataset's items (${parts.join('; ')}).`, { unknown, missing, repeated });
  }
  return names;
}

/** Parses JSON Lines rows: one object per line; blank lines are skipped. */
async function* jsonlRows(texts: AsyncIterable<string>): AsyncGenerator<RawRow> {
  for await (const { line, text } of numberedLines(texts)) {
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      yield { line, problem: { field: null, problem: 'is not valid JSON' } };
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      yield { line, problem: { field: null, problem: 'is not a JSON object' } };
      continue;
    }
    yield { line, cells: value as Record<string, unknown> };
  }
}

/**
 * Reads the whole input, checks every row and passes accepted rows to `sink` in batches. Throws
 * `import_invalid` for a file that cannot be read as a whole (encoding, header, syntax) and when
 * more than `maxErrors` rows are rejected; the caller then discards whatever the sink received.
 */
export async function scanImport(
  source: AsyncIterable<Uint8Array | string>,
  dataset: { readonly items: readonly InformationItem[]; readonly keyFields: readonly string[] },
  options: ScanOptions,
  sink?: RowSink,
  batchRows: number = defaultBatchRows,
): Promise<ScanResult> {
  const counter: Counter = { bytes: 0 };
  const texts = decode(source, options.encoding ?? 'utf-8', options.maxBytes ?? Number.MAX_SAFE_INTEGER, counter);
  const rows = options.format === 'csv' ? csvRows(texts, dataset.items) : jsonlRows(texts);
  const reportLimit = options.reportLimit ?? 100;
  const errors: RowError[] = [];
  let errorCount = 0;
  let rowsRead = 0;
  let rowsRejected = 0;
  let rowsAccepted = 0;
  let batch: Readonly<Record<string, RecordValue>>[] = [];
  const cellKind = options.format === 'csv' ? 'text' : 'json';
  const progress = () => options.onProgress?.({ bytes: counter.bytes, rowsRead, rowsRejected });

  const reject = (line: number, problems: readonly RowProblem[]) => {
    rowsRejected += 1;
    for (const problem of problems) {
      const error: RowError = { line, field: problem.field, problem: problem.problem };
      errorCount += 1;
      if (errors.length < reportLimit) errors.push(error);
      options.onRowError?.(error);
    }
    if (options.maxErrors !== undefined && rowsRejected > options.maxErrors) {
      throw importInvalid(
        `More than ${options.maxErrors} rows were rejected (the last at line ${line}); the import stopped and nothing was written.`,
        { maxErrors: options.maxErrors, rowsRead, rowsRejected, errors: errors.slice(0, 20) },
      );
    }
  };

  for await (const row of rows) {
    rowsRead += 1;
    if (row.problem) {
      reject(row.line, [row.problem]);
    } else {
      const checked = checkRow(dataset.items, dataset.keyFields, row.cells, cellKind);
      if (checked.ok) {
        rowsAccepted += 1;
        if (sink) {
          batch.push(checked.values);
          if (batch.length >= batchRows) {
            await sink(batch);
            batch = [];
          }
        }
      } else {
        reject(row.line, checked.problems);
      }
    }
    if (rowsRead % 1000 === 0) progress();
  }
  if (sink && batch.length > 0) await sink(batch);
  progress();
  return { bytes: counter.bytes, rowsRead, rowsAccepted, rowsRejected, errors, errorCount };
}
