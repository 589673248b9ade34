/**
 * The quality service: runs rules against a dataset's node-managed table, stores the run record
 * with its scores in one transaction (an interrupted run writes nothing), records an event for
 * every run and every refusal, and answers history and score trends.
 */
import { InputError, markRecorded, NotFoundError, toTongbanError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { managedTableName, type CatalogService } from '../catalog/index.ts';
import { actorName, type Actor } from '../identity/index.ts';
import type { NodeCore } from '../node/node-core.ts';
import { generateRules } from './domain/generate.ts';
import { scoresOf, type RuleResult, type Scores } from './domain/results.ts';
import { assertRulesFit, parseRuleFile, parseRules, type ParsedRules } from './domain/rules.ts';
import { evaluateRules, type ColumnKind } from './store/rule-query.ts';

/** How a run is asked for. */
export interface RunRequest {
  /** A YAML/JSON rule file's text; when absent (and no `rules`), rules are generated from the dataset. */
  readonly ruleFile?: { readonly name: string; readonly text: string };
  /** Rules as JSON (`{ rules: [...] }`), e.g. from the API. */
  readonly rules?: unknown;
  /** Failing samples per rule (default 5, at most 100). */
  readonly samples?: number;
  /** Progress of the evaluation, for a progress bar. */
  readonly onProgress?: (stage: 'aggregate' | 'samples', done: number, total: number) => void;
}

/** A stored quality run: the machine-readable run record. */
export interface QualityRun {
  readonly id: string;
  readonly dataset: string;
  readonly datasetVersion: number;
  readonly status: 'pass' | 'warn' | 'fail';
  readonly rulesSource: string;
  readonly ruleCount: number;
  readonly rowCount: number;
  readonly scores: Scores;
  readonly results: RuleResult[];
  readonly actor: string;
  readonly startedAt: string;
  readonly finishedAt: string;
}

/** A run without its rule results, for history lists. */
export type QualityRunSummary = Omit<QualityRun, 'results'>;

/** The latest score of a dataset and its trend over earlier runs (oldest first). */
export interface ScoreView {
  readonly dataset: string;
  readonly latest: QualityRunSummary | null;
  readonly trend: { readonly runId: string; readonly finishedAt: string; readonly overall: number | null; readonly dimensions: Scores['dimensions'] }[];
}

/** What the quality context offers the node. */
export interface QualityService {
  /** Runs rules on a dataset and stores the run. */
  run(actor: Actor, dataset: string, request?: RunRequest): Promise<QualityRun>;
  /** Past runs of a dataset, newest first. */
  runs(dataset: string, options?: { readonly limit?: number }): Promise<QualityRunSummary[]>;
  /** One stored run with its results. */
  getRun(id: string): Promise<QualityRun>;
  /** The latest score and the trend. */
  score(dataset: string, options?: { readonly limit?: number }): Promise<ScoreView>;
}

/** What the quality service needs besides the node core. */
export interface QualityServiceDeps {
  readonly catalog: CatalogService;
}

interface RunRow {
  id: string;
  dataset: string;
  dataset_version: number;
  status: 'pass' | 'warn' | 'fail';
  rules_source: string;
  rule_count: number;
  row_count: number | string;
  overall: number | null;
  dimensions: string;
  actor: string;
  started_at: string;
  finished_at: string;
}

function summaryOf(row: RunRow): QualityRunSummary {
  return {
    id: row.id,
    dataset: row.dataset,
    datasetVersion: row.dataset_version,
    status: row.status,
    rulesSource: row.rules_source,
    ruleCount: row.rule_count,
    rowCount: Number(row.row_count),
    scores: { overall: row.overall === null ? null : Number(row.overall), dimensions: JSON.parse(row.dimensions) as Scores['dimensions'] },
    actor: row.actor,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

/** Creates the quality service. */
export function createQualityService(core: NodeCore, deps: QualityServiceDeps): QualityService {
  const { store, clock, events } = core;
  const { db, dialect } = store;

  async function refuse(actor: Actor, dataset: string, error: unknown): Promise<never> {
    const failure = toTongbanError(error);
    if (failure.kind !== 'internal') {
      await events.record({
        type: 'quality.run_refused',
        actor: actorName(actor),
        outcome: 'denied',
        details: { dataset, code: failure.code, message: failure.message.slice(0, 300) },
      });
      markRecorded(failure);
    }
    throw failure;
  }

  const summaryColumns = ['id', 'dataset', 'dataset_version', 'status', 'rules_source', 'rule_count', 'row_count', 'overall', 'dimensions', 'actor', 'started_at', 'finished_at'] as const;

  return {
    async run(actor, datasetId, request = {}) {
      const startedAt = clock.now().toISOString();
      let parsed: ParsedRules;
      let rulesSource: string;
      let view: Awaited<ReturnType<CatalogService['get']>>;
      try {
        view = await deps.catalog.get(datasetId);
        if (view.backing !== 'managed') throw new InputError(`Dataset ${datasetId} is linked to an external table; quality runs cover node-managed datasets only in this version.`, { dataset: datasetId });
        if (view.data.rows === null) throw new InputError(`Dataset ${datasetId} has no imported rows yet; import data before running a quality check.`, { dataset: datasetId });
        const fields = new Set(view.items.map((item) => item.name));
        if (request.ruleFile) {
          parsed = parseRuleFile(request.ruleFile.text, request.ruleFile.name);
          rulesSource = `file:${request.ruleFile.name}`;
        } else if (request.rules !== undefined) {
          parsed = parseRules(request.rules);
          rulesSource = 'api';
        } else {
          const rules = generateRules(view);
          if (rules.length === 0) throw new InputError(`Dataset ${datasetId} has no key fields and no items mapped to data elements, so no rules can be generated; give a rule file.`, { dataset: datasetId });
          parsed = { rules, lines: rules.map(() => undefined) };
          rulesSource = 'generated';
        }
        assertRulesFit(parsed, fields, request.ruleFile?.name ?? 'rules');
      } catch (error) {
        return refuse(actor, datasetId, error);
      }
      const columns = new Map<string, ColumnKind>(view.items.map((item) => [item.name, item.type]));
      const { total, results } = await evaluateRules({ db, dialect, table: managedTableName(view.id.slice(view.id.indexOf('/') + 1)), columns }, parsed.rules, {
        now: startedAt,
        ...(request.samples === undefined ? {} : { samples: request.samples }),
        ...(request.onProgress ? { onProgress: request.onProgress } : {}),
      });
      const scores = scoresOf(results);
      const status = results.some((result) => result.status === 'fail') ? 'fail' : results.some((result) => result.status === 'warn') ? 'warn' : 'pass';
      const run: QualityRun = {
        id: newId(),
        dataset: datasetId,
        datasetVersion: view.version,
        status,
        rulesSource,
        ruleCount: results.length,
        rowCount: total,
        scores,
        results,
        actor: actorName(actor),
        startedAt,
        finishedAt: clock.now().toISOString(),
      };
      // The run record and its event commit together or not at all.
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('quality_runs')
          .values({
            id: run.id,
            dataset: run.dataset,
            dataset_version: run.datasetVersion,
            status: run.status,
            rules_source: run.rulesSource,
            rule_count: run.ruleCount,
            row_count: run.rowCount,
            overall: scores.overall,
            dimensions: JSON.stringify(scores.dimensions),
            results: JSON.stringify(results),
            actor: run.actor,
            started_at: run.startedAt,
            finished_at: run.finishedAt,
          })
          .execute();
        await events.append(trx, [
          {
            type: 'quality.run_finished',
            actor: run.actor,
            outcome: 'success',
            details: {
              run: run.id,
              dataset: run.dataset,
              status: run.status,
              overall: scores.overall,
              rules: results.length,
              failedRules: results.filter((result) => result.status === 'fail').map((result) => result.name),
            },
          },
        ]);
      });
      return run;
    },

    async runs(dataset, options = {}) {
      const rows = await db
        .selectFrom('quality_runs')
        .select([...summaryColumns])
        .where('dataset', '=', dataset)
        .orderBy('finished_at', 'desc')
        .orderBy('id', 'desc')
        .limit(Math.min(500, Math.max(1, options.limit ?? 50)))
        .execute();
      return rows.map(summaryOf);
    },

    async getRun(id) {
      const row = await db.selectFrom('quality_runs').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) throw new NotFoundError(`No quality run ${id} is stored here.`, { run: id });
      return { ...summaryOf(row), results: JSON.parse(row.results) as RuleResult[] };
    },

    async score(dataset, options = {}) {
      const runs = await this.runs(dataset, { limit: options.limit ?? 30 });
      // No run yet: still refuse a dataset the catalogue does not know (dataset_unknown).
      if (runs.length === 0) await deps.catalog.get(dataset);
      return {
        dataset,
        latest: runs[0] ?? null,
        trend: [...runs].reverse().map((run) => ({ runId: run.id, finishedAt: run.finishedAt, overall: run.scores.overall, dimensions: run.scores.dimensions })),
      };
    },
  };
}
