/** `tongban catalog …`: the resource catalogue, managed by the operator on the node's machine. */
import { createReadStream, createWriteStream, readFileSync, statSync, type WriteStream } from 'node:fs';
import { extname } from 'node:path';
import { Option, type Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { InputError, NotFoundError } from '../core/errors.ts';
import { configOption, dirOption, jsonOption, type NodeDirOptions } from '../cli/main.ts';
import { withNode } from '../cli/node-commands.ts';
import { table, type Output } from '../cli/output.ts';
import { systemActor } from '../identity/index.ts';
import type { CatalogService, DatasetView, ImportResult } from './catalog-service.ts';
import { dataGrades, sharingTypes } from './domain/dataset.ts';
import { catalogSorts, type CatalogSort } from './domain/publication.ts';
import { importEncodings, importFormats, importModes, type ImportEncoding, type ImportFormat, type ImportMode, type ImportProgress } from './importer.ts';

async function withCatalog<T>(options: NodeDirOptions, work: (catalog: CatalogService, nodeCode: string) => Promise<T>): Promise<T> {
  return withNode(options, (node) => work(node.catalog, node.info.code));
}

/** Reads a dataset document from a YAML or JSON file (`-` for standard input). */
function readDocument(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    throw new NotFoundError(`Cannot read ${file}: ${(error as Error).message}`, { file });
  }
  try {
    // YAML is a superset of JSON, so one parser reads both.
    return parseYaml(text);
  } catch (error) {
    throw new InputError(`${file} is not valid YAML or JSON: ${(error as Error).message.split('\n')[0]}`, { file });
  }
}

function datasetSummary(dataset: DatasetView): string {
  const rows = dataset.backing === 'linked' ? `linked to ${dataset.data.linkedTable}` : dataset.data.rows === null ? 'no data yet' : `${dataset.data.rows} rows`;
  return [
    `${dataset.id}  ${dataset.name}  (version ${dataset.version})`,
    `  code:        ${dataset.code}`,
    `  provider:    ${dataset.providerName} (${dataset.provider})`,
    `  sharing:     ${dataset.sharing.type}${dataset.sharing.condition ? ` — ${dataset.sharing.condition}` : ''}`,
    `  grade:       ${dataset.grade}`,
    `  update:      ${dataset.updateCycle}`,
    `  items:       ${dataset.items.map((item) => `${item.name}:${item.type}`).join(', ')}`,
    `  key fields:  ${dataset.keyFields.join(', ')}`,
    `  data:        ${rows}`,
  ].join('\n');
}

function formatOf(file: string, given: ImportFormat | undefined): ImportFormat {
  if (given) return given;
  const extension = extname(file).toLowerCase();
  if (extension === '.csv') return 'csv';
  if (extension === '.jsonl' || extension === '.ndjson') return 'jsonl';
  throw new InputError(`Cannot tell the format of ${file} from its name; pass --format csv or --format jsonl.`, { file });
}

function parseCount(value: string): number {
  const count = Number(value);
  if (!Number.isInteger(count) || count < 0) throw new InputError(`Expected a whole number, not '${value}'.`);
  return count;
}

/** A one-line progress display on a terminal, redrawn at most five times a second. */
function progressLine(total: number): { update(progress: ImportProgress): void; done(): void } {
  const stream = process.stderr;
  let last = 0;
  let shown = false;
  return {
    update(progress) {
      const now = Date.now();
      if (now - last < 200) return;
      last = now;
      shown = true;
      const ratio = total > 0 ? Math.min(1, progress.bytes / total) : 0;
      const width = 30;
      const filled = Math.round(ratio * width);
      const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
      stream.write(`\r  ${bar} ${(ratio * 100).toFixed(0).padStart(3)}%  ${progress.rowsRead.toLocaleString('en')} rows, ${progress.rowsRejected.toLocaleString('en')} rejected`);
    },
    done() {
      if (shown) stream.write('\n');
    },
  };
}

function importSummary(result: ImportResult): string {
  const lines = [
    `${result.dryRun ? 'Dry run of' : 'Imported'} ${result.dataset} (${result.format}, ${result.mode})`,
    `  rows read:      ${result.rowsRead}`,
    `  rows ${result.dryRun ? 'accepted' : 'imported'}:  ${result.rowsImported}`,
    `  rows rejected:  ${result.rowsRejected}`,
    `  rows in table:  ${result.rowCount ?? 0}${result.dryRun ? ' (unchanged)' : ''}`,
    `  time:           ${(result.durationMs / 1000).toFixed(1)} s, ${result.rowsPerSecond.toLocaleString('en')} rows/s`,
  ];
  if (result.errors.length > 0) {
    lines.push('', table(['line', 'field', 'problem'], result.errors.slice(0, 20).map((error) => [String(error.line), error.field ?? '', error.problem])));
    if (result.errorCount > 20) lines.push(`  … ${result.errorCount - 20} more problems; write them all with --report FILE`);
  }
  return lines.join('\n');
}

/** Registers `tongban catalog …`. */
export function registerCatalogCommands(program: Command, output: Output): void {
  const sortOption = () =>
    new Option('--sort <order>', 'order by id, name, code or updated (when it last changed); a leading - reverses it').choices(catalogSorts).default('id');
  const catalog = program.command('catalog').description('the resource catalogue (政务信息资源目录): datasets, imports, publication');

  catalog
    .command('add')
    .description('add a dataset from its document (YAML or JSON; - for standard input)')
    .argument('<file>')
    .addOption(dirOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (file: string, options: NodeDirOptions) => {
      const document = readDocument(file);
      const dataset = await withCatalog(options, (service) => service.create(systemActor, document));
      output.result(options, dataset, () => `Added ${dataset.id}, version ${dataset.version}.`);
    });

  catalog
    .command('update')
    .description("replace a dataset's document from a file; its version goes up when anything changed")
    .argument('<file>')
    .addOption(dirOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (file: string, options: NodeDirOptions) => {
      const document = readDocument(file);
      const id = (document as { id?: unknown } | null)?.id;
      if (typeof id !== 'string') throw new InputError(`${file} has no id naming the dataset to update.`, { path: 'id' });
      const dataset = await withCatalog(options, (service, nodeCode) =>
        service.update(systemActor, id.includes('/') ? id : `${nodeCode}/${id}`, document),
      );
      output.result(options, dataset, () => `Updated ${dataset.id}; now version ${dataset.version}.`);
    });

  catalog
    .command('list')
    .description("list or search this node's datasets")
    .option('-q, --query <words>', 'words that name, abstract or items must contain')
    .addOption(new Option('--sharing <type>', 'only this sharing type').choices(sharingTypes))
    .addOption(new Option('--grade <grade>', 'only this data grade').choices(dataGrades))
    .addOption(sortOption())
    .option('--limit <n>', 'at most this many', parseCount, 50)
    .option('--offset <n>', 'skip this many', parseCount, 0)
    .addOption(dirOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (options: NodeDirOptions & { query?: string; sharing?: (typeof sharingTypes)[number]; grade?: (typeof dataGrades)[number]; sort: CatalogSort; limit: number; offset: number }) => {
      const page = await withCatalog(options, (service) =>
        service.list({
          limit: options.limit,
          offset: options.offset,
          sort: options.sort,
          ...(options.query ? { q: options.query } : {}),
          ...(options.sharing ? { sharing: options.sharing } : {}),
          ...(options.grade ? { grade: options.grade } : {}),
        }),
      );
      output.result(options, page, () =>
        [
          table(
            ['id', 'name', 'version', 'sharing', 'grade', 'rows'],
            page.datasets.map((d) => [d.id, d.name, String(d.version), d.sharing.type, d.grade, d.backing === 'linked' ? 'linked' : String(d.data.rows ?? '-')]),
          ),
          `${page.datasets.length} of ${page.total}`,
        ].join('\n'),
      );
    });

  catalog
    .command('show')
    .description('show one dataset')
    .argument('<id>', '<node code>/<slug>')
    .addOption(dirOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (id: string, options: NodeDirOptions) => {
      const dataset = await withCatalog(options, (service) => service.get(id));
      output.result(options, dataset, () => datasetSummary(dataset));
    });

  catalog
    .command('import')
    .description('import CSV or JSON Lines rows into a dataset (streamed; bad rows are skipped and reported)')
    .argument('<id>', '<node code>/<slug>')
    .argument('<file>', 'a .csv, .jsonl or .ndjson file')
    .addOption(new Option('--format <format>', 'file format (default: from the file name)').choices(importFormats))
    .addOption(new Option('--mode <mode>', 'replace the rows, or append to them').choices(importModes).default('replace'))
    .option('--dry-run', 'check every row and write nothing')
    .option('--max-errors <n>', 'stop, writing nothing, when more rows than this are rejected', parseCount)
    .option('--report <file>', 'write every row error to this file as JSON Lines')
    .addOption(new Option('--encoding <encoding>', 'text encoding of the file').choices(importEncodings).default('utf-8'))
    .addOption(dirOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action(
      async (
        id: string,
        file: string,
        options: NodeDirOptions & { format?: ImportFormat; mode: ImportMode; dryRun?: boolean; maxErrors?: number; report?: string; encoding: ImportEncoding },
      ) => {
        const format = formatOf(file, options.format);
        let size: number;
        try {
          size = statSync(file).size;
        } catch (error) {
          throw new NotFoundError(`Cannot read ${file}: ${(error as Error).message}`, { file });
        }
        const report: WriteStream | undefined = options.report ? createWriteStream(options.report) : undefined;
        const progress = process.stderr.isTTY && !options.json ? progressLine(size) : undefined;
        try {
          const result = await withCatalog(options, (service) =>
            service.importRecords(systemActor, id, createReadStream(file), {
              format,
              mode: options.mode,
              dryRun: options.dryRun ?? false,
              encoding: options.encoding,
              ...(options.maxErrors !== undefined ? { maxErrors: options.maxErrors } : {}),
              ...(report ? { onRowError: (error) => report.write(`${JSON.stringify(error)}\n`) } : {}),
              ...(progress ? { onProgress: (current) => progress.update(current) } : {}),
            }),
          );
          progress?.done();
          output.result(options, result, () => importSummary(result) + (options.report ? `\n  report:         ${options.report}` : ''));
        } finally {
          progress?.done();
          if (report) await new Promise<void>((resolve) => report.end(resolve));
        }
      },
    );

  catalog
    .command('clear')
    .description('drop the imported rows of a dataset (needed before changing its items)')
    .argument('<id>', '<node code>/<slug>')
    .addOption(dirOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (id: string, options: NodeDirOptions) => {
      const dataset = await withCatalog(options, (service) => service.clearData(systemActor, id));
      output.result(options, dataset, () => `Cleared the rows of ${dataset.id}.`);
    });

  catalog
    .command('publish')
    .description('publish the catalogue metadata to the hub now, and show the publication state')
    .addOption(dirOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (options: NodeDirOptions) => {
      const status = await withCatalog(options, (service) => service.publish());
      output.result(options, status, () =>
        [
          `catalogue version ${status.version}, hub holds ${status.publishedVersion}: ${status.state}`,
          status.hub ? `  hub:        ${status.hub}` : '  hub:        not known yet (join the federation first)',
          status.lastError && status.state !== 'published' ? `  last error: ${status.lastError}` : '',
        ]
          .filter((line) => line !== '')
          .join('\n'),
      );
    });

  catalog
    .command('search')
    .description("search every member's published catalogue (through the hub)")
    .argument('[words]', 'words that name, abstract or items must contain')
    .option('--provider <code>', 'only datasets of this node')
    .addOption(new Option('--sharing <type>', 'only this sharing type').choices(sharingTypes))
    .addOption(new Option('--grade <grade>', 'only this data grade').choices(dataGrades))
    .addOption(sortOption())
    .option('--limit <n>', 'at most this many', parseCount, 50)
    .addOption(dirOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (words: string | undefined, options: NodeDirOptions & { provider?: string; sharing?: (typeof sharingTypes)[number]; grade?: (typeof dataGrades)[number]; sort: CatalogSort; limit: number }) => {
      const page = await withCatalog(options, (service) =>
        service.searchFederation(systemActor, {
          limit: options.limit,
          sort: options.sort,
          ...(words ? { q: words } : {}),
          ...(options.provider ? { provider: options.provider } : {}),
          ...(options.sharing ? { sharing: options.sharing } : {}),
          ...(options.grade ? { grade: options.grade } : {}),
        }),
      );
      output.result(options, page, () =>
        [
          table(['id', 'name', 'provider', 'sharing', 'grade'], page.datasets.map((d) => [d.id, d.name, d.providerName, d.sharing.type, d.grade])),
          `${page.datasets.length} of ${page.total}`,
        ].join('\n'),
      );
    });

  catalog
    .command('linked')
    .description('check every catalog.linked table: the dataset exists and the columns cover its items')
    .addOption(dirOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (options: NodeDirOptions) => {
      const results = await withCatalog(options, (service) => service.checkLinked());
      output.result(options, { linked: results }, () =>
        results.length === 0
          ? 'No linked tables are configured (catalog.linked).'
          : table(['dataset', 'table', 'state'], results.map((r) => [r.dataset, r.table, r.ok ? 'ok' : (r.problem ?? 'failed')])),
      );
    });
}
