/**
 * A CSV or Parquet file as a rule target: an embedded, in-memory DuckDB with a view over the file
 * (and over the files `reference` rules name), so rules are pushed down to DuckDB instead of
 * loading rows into the node. The DuckDB instance is sandboxed: it may read only those files,
 * and its configuration is locked, so custom SQL cannot reach anything else.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { InputError } from '../../core/errors.ts';
import type { ColumnKind, DuckDbRuleTarget } from './rule-query.ts';

/** An opened file target; close it when the run is done. */
export interface FileTarget {
  readonly target: DuckDbRuleTarget;
  /** Views of the referenced files, by the name the rules use. */
  readonly referenceTables: ReadonlyMap<string, string>;
  /** The absolute path of the checked file. */
  readonly path: string;
  close(): void;
}

/** The file formats a target may have. */
export type FileFormat = 'csv' | 'parquet';

/** The format of a file, by its extension; anything else is refused. */
export function fileFormatOf(path: string): FileFormat {
  const extension = extname(path).toLowerCase();
  if (extension === '.csv' || extension === '.tsv' || extension === '.txt') return 'csv';
  if (extension === '.parquet' || extension === '.pq') return 'parquet';
  throw new InputError(`${path} is neither a CSV (.csv, .tsv) nor a Parquet (.parquet) file.`, { path }, 'quality_file_unreadable');
}

function readHead(path: string, bytes: number): Buffer {
  const handle = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const read = readSync(handle, buffer, 0, bytes, 0);
    return buffer.subarray(0, read);
  } finally {
    closeSync(handle);
  }
}

/**
 * Refuses what DuckDB would misread rather than report: missing or special files, binary data in
 * a CSV, text that is not UTF-8 (a GBK export, say: convert it first), a Parquet file without its
 * magic number. Only the first megabyte is examined, so huge files cost nothing here.
 */
function screenFile(path: string, format: FileFormat): void {
  let size: number;
  try {
    const stats = statSync(path);
    if (!stats.isFile()) throw new Error('not a regular file');
    size = stats.size;
  } catch (error) {
    throw new InputError(`Cannot read ${path}: ${(error as Error).message}.`, { path }, 'quality_file_unreadable');
  }
  const head = readHead(path, Math.min(size, 1024 * 1024));
  if (format === 'parquet') {
    if (head.subarray(0, 4).toString('latin1') !== 'PAR1') throw new InputError(`${path} is not a Parquet file (no PAR1 magic number).`, { path }, 'quality_file_unreadable');
    return;
  }
  if (head.includes(0)) throw new InputError(`${path} holds binary data (NUL bytes), not CSV text.`, { path }, 'quality_file_unreadable');
  // A cut-off multi-byte character at the end of the sample is not an error.
  const sample = size > head.length ? head.subarray(0, Math.max(0, head.length - 4)) : head;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(sample);
  } catch {
    throw new InputError(`${path} is not UTF-8 text (a GBK export?); convert it first, e.g. \`iconv -f GBK -t UTF-8\`.`, { path }, 'quality_file_unreadable');
  }
}

function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

function sourceOf(path: string, format: FileFormat): string {
  // CSV is untyped text: every column is read as text, exactly as written (no lost leading zeros).
  return format === 'csv' ? `read_csv(${literal(path)}, header = true, all_varchar = true)` : `read_parquet(${literal(path)})`;
}

/** DuckDB's column types as the catalogue's value kinds. */
export function columnKindOf(duckDbType: string): ColumnKind {
  const type = duckDbType.toUpperCase();
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/.test(type)) return 'integer';
  if (/^(FLOAT|REAL|DOUBLE|DECIMAL)/.test(type)) return 'number';
  if (type === 'BOOLEAN') return 'boolean';
  if (type === 'DATE') return 'date';
  if (type.startsWith('TIMESTAMP')) return 'datetime';
  return 'string';
}

async function describe(connection: DuckDBConnection, view: string): Promise<Map<string, ColumnKind>> {
  const rows = (await connection.runAndReadAll(`describe select * from "${view}"`)).getRowObjectsJS();
  return new Map(rows.map((row) => [String(row.column_name), columnKindOf(String(row.column_type))]));
}

/**
 * Opens a CSV or Parquet file (and the files reference rules name, `name → path`) in a fresh
 * sandboxed DuckDB. Unreadable files are refused with `quality_file_unreadable`.
 */
export async function openFileTarget(path: string, references: ReadonlyMap<string, string> = new Map()): Promise<FileTarget> {
  const main = resolve(path);
  const format = fileFormatOf(main);
  screenFile(main, format);
  const others = [...references].map(([name, file], index) => ({ name, path: resolve(file), view: `tb_ref_${index + 1}` }));
  for (const other of others) screenFile(other.path, fileFormatOf(other.path));
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const close = () => {
    connection.closeSync();
    instance.closeSync();
  };
  try {
    const paths = [main, ...others.map((other) => other.path)];
    await connection.run(`set allowed_paths = [${paths.map(literal).join(', ')}]`);
    await connection.run('set enable_external_access = false');
    await connection.run('set lock_configuration = true');
    await connection.run(`create view tb_file as select * from ${sourceOf(main, format)}`);
    for (const other of others) await connection.run(`create view ${other.view} as select * from ${sourceOf(other.path, fileFormatOf(other.path))}`);
    const columns = await describe(connection, 'tb_file');
    return {
      target: { duckdb: connection, dialect: 'duckdb', table: 'tb_file', columns },
      referenceTables: new Map(others.map((other) => [other.name, other.view])),
      path: main,
      close,
    };
  } catch (error) {
    close();
    if (error instanceof InputError) throw error;
    throw new InputError(`Cannot read ${path} as ${format === 'csv' ? 'CSV' : 'Parquet'}: ${String((error as Error).message).split('\n')[0]}`, { path }, 'quality_file_unreadable');
  }
}
