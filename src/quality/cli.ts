/** `tongban quality …`: run quality rules on a dataset or a CSV/Parquet file, list runs, show scores, HTML reports, remediation tasks. */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../core/errors.ts';
import { systemActor } from '../identity/index.ts';
import { configOption, dirOption, jsonOption, type NodeDirOptions } from '../cli/main.ts';
import { withNode } from '../cli/node-commands.ts';
import { table, type Output } from '../cli/output.ts';
import { remediationStates, type RemediationState } from './domain/remediation.ts';
import { renderRunHtml } from './http/report-html.ts';
import type { ConformanceReport, QualityRun, QualityService } from './quality-service.ts';
import type { EvaluationProgress } from './store/rule-query.ts';
import type { RemediationTask } from './remediation-service.ts';

async function withQuality<T>(options: NodeDirOptions, work: (quality: QualityService) => Promise<T>): Promise<T> {
  return withNode(options, (node) => work(node.quality));
}

function score(value: number | null): string {
  return value === null ? '—' : value.toFixed(2);
}

/** A text progress bar such as `[#####·····]`. */
function progressBar(done: number, total: number, width = 20): string {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'·'.repeat(width - filled)}]`;
}

/**
 * Progress lines of a run on stderr: shown with `--progress`, or by default when stderr is a
 * terminal and `--json` is not given (`--no-progress` turns them off). Each line says what really
 * happened: the one pushed-down query over the table, the rows it scanned, then rules completed.
 */
export function progressPrinter(options: { json?: boolean; progress?: boolean }, print: (line: string) => void, isTty = process.stderr.isTTY === true): ((progress: EvaluationProgress) => void) | undefined {
  if (!(options.progress ?? (isTty && !options.json))) return undefined;
  const started = Date.now();
  const elapsed = () => `[${((Date.now() - started) / 1000).toFixed(1)}s]`;
  return (progress) => {
    switch (progress.phase) {
      case 'scan':
        return print(`${elapsed()} scanning the table once for ${progress.rules} row-level rule${progress.rules === 1 ? '' : 's'}…`);
      case 'scanned':
        return print(`${elapsed()} scanned ${progress.rows} rows`);
      case 'custom':
        return print(`${elapsed()} custom SQL rules counted ${progress.done}/${progress.total}`);
      case 'rules':
        return print(`${elapsed()} rules evaluated ${progressBar(progress.done, progress.total)} ${progress.done}/${progress.total}`);
    }
  };
}

function taskTable(tasks: readonly RemediationTask[]): string {
  return table(['state', 'dataset', 'rule', 'assignee', 'opened', 'id'], tasks.map((task) => [task.state, task.dataset, task.rule, task.assignee ?? '', task.openedAt, task.id]));
}

/** Registers `tongban quality tasks …`: remediation tasks. */
function registerTaskCommands(quality: Command, output: Output): void {
  const tasks = quality.command('tasks').description('remediation tasks opened from failed rules: open → assigned → fixed → verified (by a passing run) | wont_fix');
  tasks
    .command('list')
    .description('list remediation tasks, newest first')
    .option('--dataset <dataset>', 'only this dataset')
    .option('--state <state...>', `only these states (${remediationStates.join(', ')})`)
    .addOption(dirOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (options: NodeDirOptions & { dataset?: string; state?: string[] }) => {
      const unknown = (options.state ?? []).filter((state) => !(remediationStates as readonly string[]).includes(state));
      if (unknown.length > 0) throw new InputError(`Unknown state ${unknown.join(', ')}; states are ${remediationStates.join(', ')}.`, { state: unknown });
      const list = await withQuality(options, (service) =>
        service.remediation.list({ ...(options.dataset ? { dataset: options.dataset } : {}), ...(options.state ? { states: options.state as RemediationState[] } : {}) }),
      );
      output.result(options, { tasks: list }, () => (list.length === 0 ? 'No remediation tasks.' : taskTable(list)));
    });
  tasks
    .command('open')
    .description('open tasks from the failed rules of a run (all, or those named with --rule)')
    .argument('<run>', 'run id')
    .option('--rule <name...>', 'only these rules')
    .addOption(dirOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (runId: string, options: NodeDirOptions & { rule?: string[] }) => {
      const opened = await withQuality(options, (service) => service.remediation.openFromRun(systemActor, runId, options.rule));
      output.result(options, opened, () => table(['rule', 'result', 'task'], opened.results.map((result) => [result.rule, result.status, result.task?.id ?? ''])));
    });
  const change = (name: string, description: string, act: (service: QualityService, id: string, value: string | undefined) => Promise<RemediationTask>, valueFlag?: { flags: string; description: string; required: boolean }) => {
    const command = tasks.command(name).description(description).argument('<task>', 'task id');
    if (valueFlag) {
      if (valueFlag.required) command.requiredOption(valueFlag.flags, valueFlag.description);
      else command.option(valueFlag.flags, valueFlag.description);
    }
    command
      .addOption(dirOption())
      .addOption(configOption())
      .addOption(jsonOption())
      .action(async (id: string, options: NodeDirOptions & { to?: string; note?: string; reason?: string }) => {
        const task = await withQuality(options, (service) => act(service, id, options.to ?? options.note ?? options.reason));
        output.result(options, task, () => taskTable([task]));
      });
  };
  change('assign', 'assign a task (open or assigned → assigned)', (service, id, to) => service.remediation.assign(systemActor, id, to!), { flags: '--to <assignee>', description: 'who fixes the data', required: true });
  change('fixed', 'mark an assigned task fixed; the next passing run verifies it', (service, id, note) => service.remediation.markFixed(systemActor, id, note), { flags: '--note <text>', description: 'what was done', required: false });
  change('wont-fix', "close a task as won't fix", (service, id, reason) => service.remediation.wontFix(systemActor, id, reason!), { flags: '--reason <text>', description: 'why', required: true });
}

/** The readable report of a run. */
export function runReport(run: QualityRun): string {
  const dims = Object.entries(run.scores.dimensions).map(([name, value]) => `${name} ${score(value)}`).join(', ');
  const lines = [
    `Run ${run.id} of ${run.dataset} (version ${run.datasetVersion}, ${run.rowCount} rows, rules: ${run.rulesSource}): ${run.status.toUpperCase()}`,
    `Overall score ${score(run.scores.overall)} — ${dims}`,
    '',
    table(
      ['status', 'rule', 'dimension', 'failed', '%', 'detail'],
      run.results.map((result) => [result.status, result.name, result.dimension, String(result.failed), result.failedPercent.toFixed(2), result.detail ?? '']),
    ),
  ];
  for (const result of run.results.filter((r) => r.samples.length > 0)) {
    lines.push('', `Samples failing "${result.name}":`, ...result.samples.map((sample) => `  ${JSON.stringify(sample)}`));
  }
  return lines.join('\n');
}

/** Registers `tongban quality`. */
export function registerQualityCommands(program: Command, output: Output): void {
  const quality = program.command('quality').description('data quality: run rules on datasets, see runs and scores');

  quality
    .command('run')
    .description('run quality rules on a dataset (rules generated from its data elements unless --rules is given), or with --file on a CSV/Parquet file through DuckDB')
    .argument('<dataset>', 'dataset id: <provider>/<slug>; with --file, the path of a .csv or .parquet file')
    .option('--file', 'the argument is a CSV or Parquet file, checked in place by embedded DuckDB (needs --rules)')
    .option('--rules <file>', 'a YAML rule file')
    .option('--reference <name=path...>', 'with --file: files that reference rules name, e.g. --reference divisions=gb2260.csv')
    .option('--samples <n>', 'failing samples per rule (0–100)', '5')
    .option('--html <out.html>', 'also write the readable HTML report to this file')
    .option('--open-tasks', 'open a remediation task for every failed rule that has none open')
    .option('--progress', 'show progress on stderr (default: when stderr is a terminal and --json is not given)')
    .option('--no-progress', 'never show progress')
    .addOption(dirOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (dataset: string, options: NodeDirOptions & { file?: boolean; rules?: string; reference?: string[]; samples: string; html?: string; openTasks?: boolean; progress?: boolean }) => {
      const samples = Number(options.samples);
      if (!Number.isInteger(samples) || samples < 0 || samples > 100) throw new InputError('--samples must be an integer from 0 to 100.', { samples: options.samples });
      const ruleFile = options.rules ? { name: basename(options.rules), text: readFileSync(options.rules, 'utf8') } : undefined;
      const references: Record<string, string> = {};
      for (const pair of options.reference ?? []) {
        const at = pair.indexOf('=');
        if (at < 1) throw new InputError(`--reference ${pair}: write it as <name>=<path>.`, { reference: pair });
        references[pair.slice(0, at)] = pair.slice(at + 1);
      }
      if (!options.file && options.reference) throw new InputError('--reference applies to --file runs; node datasets reference each other by dataset id.', {});
      const onProgress = progressPrinter(options, (line) => output.err(line));
      // The first Ctrl-C stops the run after its current query and stores nothing; a second one kills at once.
      const interrupt = new AbortController();
      const onInterrupt = () => {
        output.err('Interrupting the quality run after its current query (Ctrl-C again to kill)…');
        interrupt.abort();
      };
      const request = {
        samples,
        signal: interrupt.signal,
        ...(ruleFile ? { ruleFile } : {}),
        ...(options.openTasks ? { openTasks: true } : {}),
        ...(onProgress ? { onProgress } : {}),
      };
      process.once('SIGINT', onInterrupt);
      const { run, trend } = await withQuality(options, async (service) => {
        const finished = options.file ? await service.runFile(systemActor, dataset, { ...request, references }) : await service.run(systemActor, dataset, request);
        const history = await service.runs(finished.dataset, { limit: 30 });
        return { run: finished, trend: history.reverse().map((summary) => ({ finishedAt: summary.finishedAt, overall: summary.scores.overall })) };
      }).finally(() => process.removeListener('SIGINT', onInterrupt));
      if (options.html) {
        writeFileSync(options.html, renderRunHtml(run, trend));
        output.err(`HTML report written to ${options.html}`);
      }
      output.result(options, run, () => runReport(run));
    });

  quality
    .command('report')
    .description('write the readable HTML report of a stored run')
    .argument('<run>', 'run id')
    .requiredOption('--html <out.html>', 'where to write the page')
    .addOption(dirOption())
    .addOption(configOption())
    .action(async (runId: string, options: NodeDirOptions & { html: string }) => {
      const html = await withQuality(options, async (service) => {
        const run = await service.getRun(runId);
        const history = await service.runs(run.dataset, { limit: 30 });
        return renderRunHtml(run, history.reverse().map((summary) => ({ finishedAt: summary.finishedAt, overall: summary.scores.overall })));
      });
      writeFileSync(options.html, html);
      output.err(`HTML report written to ${options.html}`);
    });

  registerTaskCommands(quality, output);

  const conformanceTable = (report: ConformanceReport) =>
    [
      `${report.dataset} (version ${report.datasetVersion}, ${report.rowCount ?? 'no'} rows): ${report.summary.mapped}/${report.summary.fields} fields mapped, ${report.summary.typeMismatches} type mismatches, ${report.summary.fieldsWithValuesOutside} fields with values outside their element`,
      table(['field', 'type', 'element', 'status', 'outside', 'detail'], report.fields.map((field) => [field.field, field.type, field.element ?? '', field.status, field.outside === null ? '' : String(field.outside), field.detail ?? ''])),
    ].join('\n');

  quality
    .command('map')
    .description('map dataset fields to data elements (field=element; field= removes a mapping), then show conformance')
    .argument('<dataset>', 'dataset id: <provider>/<slug>')
    .argument('<mappings...>', 'field=element pairs, e.g. idNumber=GB11643.citizen-id')
    .addOption(dirOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (dataset: string, pairs: string[], options: NodeDirOptions) => {
      const mappings: Record<string, string | null> = {};
      for (const pair of pairs) {
        const at = pair.indexOf('=');
        if (at < 1) throw new InputError(`${pair}: write field=element (or field= to remove the mapping).`, { mapping: pair });
        mappings[pair.slice(0, at)] = pair.slice(at + 1) || null;
      }
      const report = await withQuality(options, (service) => service.mapFields(systemActor, dataset, mappings));
      output.result(options, report, () => conformanceTable(report));
    });

  quality
    .command('conformance')
    .description('how a dataset conforms to its data elements: unmapped fields, type mismatches, values outside code lists')
    .argument('<dataset>', 'dataset id: <provider>/<slug>')
    .addOption(dirOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (dataset: string, options: NodeDirOptions) => {
      const report = await withQuality(options, (service) => service.conformance(dataset));
      output.result(options, report, () => conformanceTable(report));
    });

  quality
    .command('runs')
    .description('list the past quality runs of a dataset')
    .argument('<dataset>', 'dataset id: <provider>/<slug>')
    .addOption(dirOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (dataset: string, options: NodeDirOptions) => {
      const runs = await withQuality(options, (service) => service.runs(dataset));
      output.result(options, { runs }, () =>
        table(['finished', 'status', 'overall', 'rules', 'rows', 'source', 'id'], runs.map((run) => [run.finishedAt, run.status, score(run.scores.overall), String(run.ruleCount), String(run.rowCount), run.rulesSource, run.id])),
      );
    });

  quality
    .command('score')
    .description('show the latest quality score of a dataset and its trend')
    .argument('<dataset>', 'dataset id: <provider>/<slug>')
    .addOption(dirOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (dataset: string, options: NodeDirOptions) => {
      const view = await withQuality(options, (service) => service.score(dataset));
      output.result(options, view, () =>
        view.latest === null
          ? `No quality run of ${dataset} yet.`
          : [`${dataset}: overall ${score(view.latest.scores.overall)} (${view.latest.status}, ${view.latest.finishedAt})`, `trend: ${view.trend.map((point) => score(point.overall)).join(' → ')}`].join('\n'),
      );
    });
}
