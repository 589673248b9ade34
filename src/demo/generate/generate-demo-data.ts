/**
 * Writes the demo datasets as CSV or JSON Lines files, streaming (bounded memory for millions of
 * people), with a manifest next to them that states the seed, the row counts, each file's
 * SHA-256, and the exact number of each defect injected into the marriage register.
 * The same options always write the same bytes. Files appear only when the whole run succeeds.
 */
import { createHash, type Hash } from 'node:crypto';
import { createWriteStream, mkdirSync, renameSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { InputError } from '../../core/errors.ts';
import { referenceCounties } from './person-source.ts';
import { demoDatasetColumns, demoDatasetSlugs, defectKinds, demoRecords, resolveDefectRates, type DefectKind, type DefectRates, type DemoDatasetSlug, type DemoRecord, type DemoRecordsOptions } from './demo-records.ts';

/** File formats the generator writes (the formats the catalogue imports). */
export const demoDataFormats = ['csv', 'jsonl'] as const;
/** A file format. */
export type DemoDataFormat = (typeof demoDataFormats)[number];

/** What `generateDemoData` needs. */
export interface GenerateDemoDataOptions extends DemoRecordsOptions {
  /** The directory the files go to (created when missing; the generator's own files are replaced). */
  readonly out: string;
  readonly format?: DemoDataFormat;
  /** Called now and then with how many people are done. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** One written file. */
export interface DemoDataFile {
  readonly file: string;
  readonly rows: number;
  readonly bytes: number;
  readonly sha256: string;
}

/** The manifest written next to the files as `manifest.json`. */
export interface DemoDataManifest {
  readonly generator: 'tongban-demo-data/1';
  readonly seed: number;
  readonly people: number;
  readonly format: DemoDataFormat;
  readonly counties: readonly string[];
  readonly asOf: string;
  readonly datasets: Readonly<Record<DemoDatasetSlug, DemoDataFile>>;
  /** Exactly what was injected into the marriage register: rates asked for, rows affected. */
  readonly defects: {
    readonly dataset: 'marriage-register';
    readonly rates: DefectRates;
    readonly counts: Readonly<Record<DefectKind, number>>;
    readonly cleanRows: number;
  };
}

/** The manifest's file name. */
export const manifestFileName = 'manifest.json';

/** The file name of a dataset in a format. */
export function demoDataFileName(slug: DemoDatasetSlug, format: DemoDataFormat): string {
  return `${slug}.${format}`;
}

function csvCell(value: DemoRecord[string]): string {
  if (value === null) return '';
  const text = typeof value === 'boolean' ? String(value) : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One dataset's output: buffered, hashed, and written with back-pressure. */
class DatasetFile {
  rows = 0;
  bytes = 0;
  private buffer = '';
  private readonly hash: Hash = createHash('sha256');
  private readonly stream: WriteStream;

  constructor(readonly path: string) {
    this.stream = createWriteStream(path);
    // Errors surface through write/close; this keeps a failed open from going unhandled.
    this.stream.on('error', () => {});
  }

  async write(line: string): Promise<void> {
    this.buffer += line;
    if (this.buffer.length >= 256 * 1024) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const chunk = Buffer.from(this.buffer, 'utf8');
    this.buffer = '';
    this.hash.update(chunk);
    this.bytes += chunk.length;
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
  }

  async close(): Promise<string> {
    await this.flush();
    this.stream.end();
    await once(this.stream, 'close');
    return this.hash.digest('hex');
  }

  async discard(): Promise<void> {
    if (!this.stream.closed) {
      const closed = once(this.stream, 'close').catch(() => undefined);
      this.stream.destroy();
      await closed;
    }
    rmSync(this.path, { force: true });
  }
}

/** Generates the demo datasets into `out` and returns (and writes) the manifest. */
export async function generateDemoData(options: GenerateDemoDataOptions): Promise<DemoDataManifest> {
  const format = options.format ?? 'csv';
  if (!(demoDataFormats as readonly string[]).includes(format)) throw new InputError(`The format must be csv or jsonl, not ${JSON.stringify(format)}.`);
  const rates = resolveDefectRates(options.defectRates);
  const records = demoRecords({ ...options, defectRates: rates });
  const out = resolve(options.out);
  mkdirSync(out, { recursive: true });
  const files = new Map<DemoDatasetSlug, DatasetFile>();
  const columns = new Map<DemoDatasetSlug, string[]>();
  const counts = Object.fromEntries(defectKinds.map((kind) => [kind, 0])) as Record<DefectKind, number>;
  let cleanRows = 0;
  const counties = [...(options.counties ?? referenceCounties())];
  try {
    for (const slug of demoDatasetSlugs) {
      const file = new DatasetFile(join(out, `${demoDataFileName(slug, format)}.partial`));
      files.set(slug, file);
      columns.set(slug, demoDatasetColumns(slug));
      if (format === 'csv') await file.write(`${columns.get(slug)!.join(',')}\n`);
    }
    let done = 0;
    for (const { records: personRecords } of records) {
      for (const { dataset, record, defect } of personRecords) {
        const file = files.get(dataset)!;
        const line = format === 'csv' ? `${columns.get(dataset)!.map((name) => csvCell(record[name] ?? null)).join(',')}\n` : `${JSON.stringify(record)}\n`;
        await file.write(line);
        file.rows += 1;
        if (dataset === 'marriage-register') {
          if (defect) counts[defect] += 1;
          else cleanRows += 1;
        }
      }
      done += 1;
      if (options.onProgress && (done % 10_000 === 0 || done === options.people)) options.onProgress(done, options.people);
    }
    const datasets = {} as Record<DemoDatasetSlug, DemoDataFile>;
    for (const slug of demoDatasetSlugs) {
      const file = files.get(slug)!;
      const sha256 = await file.close();
      datasets[slug] = { file: demoDataFileName(slug, format), rows: file.rows, bytes: file.bytes, sha256 };
    }
    for (const slug of demoDatasetSlugs) renameSync(files.get(slug)!.path, join(out, demoDataFileName(slug, format)));
    const manifest: DemoDataManifest = {
      generator: 'tongban-demo-data/1',
      seed: options.seed,
      people: options.people,
      format,
      counties,
      asOf: options.asOf ?? '2026-01-01',
      datasets,
      defects: { dataset: 'marriage-register', rates, counts, cleanRows },
    };
    writeFileSync(join(out, manifestFileName), `${JSON.stringify(manifest, null, 2)}\n`);
    return manifest;
  } catch (error) {
    for (const file of files.values()) await file.discard();
    throw error;
  }
}
