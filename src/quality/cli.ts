/** `tongban quality …`: run quality rules on a dataset, list its runs, show its score. */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../core/errors.ts';
import { systemActor } from '../identity/index.ts';
import { configOption, dirOption, jsonOption, type NodeDirOptions } from '../cli/main.ts';
import { withNode } from '../cli/node-commands.ts';
import { table, type Output } from '../cli/output.ts';
import type { QualityRun, QualityService } from './quality-service.ts';

async function withQuality<T>(options: NodeDirOptions, work: (quality: QualityService) => Promise<T>): Promise<T> {
  return withNode(options, (node) => work(node.quality));
}

function score(value: number | null): string {
  return value === null ? '—' : value.toFixed(2);
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
    .description('run quality rules on a dataset (rules generated from its data elements unless --rules is given)')
    .argument('<dataset>', 'dataset id: <provider>/<slug>')
    .option('--rules <file>', 'a YAML rule file')
    .option('--samples <n>', 'failing samples per rule (0–100)', '5')
    .addOption(dirOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (dataset: string, options: NodeDirOptions & { rules?: string; samples: string }) => {
      const samples = Number(options.samples);
      if (!Number.isInteger(samples) || samples < 0 || samples > 100) throw new InputError('--samples must be an integer from 0 to 100.', { samples: options.samples });
      const ruleFile = options.rules ? { name: basename(options.rules), text: readFileSync(options.rules, 'utf8') } : undefined;
      const started = Date.now();
      const run = await withQuality(options, (service) =>
        service.run(systemActor, dataset, {
          samples,
          ...(ruleFile ? { ruleFile } : {}),
          onProgress: (stage, done, total) => output.err(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${stage === 'aggregate' ? (done === 0 ? 'evaluating all rules in one query…' : 'rules evaluated') : `samples ${done}/${total}`}`),
        }),
      );
      output.result(options, run, () => runReport(run));
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
