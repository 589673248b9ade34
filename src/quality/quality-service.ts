/**
 * The quality service: runs rules against a dataset's node-managed table, stores the run record
 * with its scores in one transaction (an interrupted run writes nothing), records an event for
 * every run and every refusal, and answers history and score trends.
 */
import { resolve } from 'node:path';
import { InputError, markRecorded, NotFoundError, TongbanError, toTongbanError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { managedTableName, type CatalogService, type PublishedQualityScore } from '../catalog/index.ts';
import { actorName, type Actor } from '../identity/index.ts';
import type { NodeCore } from '../node/node-core.ts';
import type { LatestScore } from './domain/floor.ts';
import { generateRules } from './domain/generate.ts';
import { scoresOf, type RuleResult, type Scores } from './domain/results.ts';
import { assertRulesFit, parseRuleFile, parseRules, type ParsedRules, type Rule } from './domain/rules.ts';
import type { FileTarget } from './store/duckdb-target.ts';
import { createRemediationService, type RemediationService } from './remediation-service.ts';
import type { DataElement, StandardsService } from '../standards/index.ts';
import { builtInElements } from '../standards/index.ts';
import { openFileTarget } from './store/duckdb-target.ts';
import { evaluateRules, type ColumnKind, type EvaluateOptions, type EvaluationProgress, type RuleTarget } from './store/rule-query.ts';

/** How a run is asked for. */
export interface RunRequest {
  /** A YAML/JSON rule file's text; when absent (and no `rules`), rules are generated from the dataset. */
  readonly ruleFile?: { readonly name: string; readonly text: string };
  /** Rules as JSON (`{ rules: [...] }`), e.g. from the API. */
  readonly rules?: unknown;
  /** Failing samples per rule (default 5, at most 100). */
  readonly samples?: number;
  /** Progress of the evaluation, for a progress bar. */
  readonly onProgress?: (progress: EvaluationProgress) => void;
  /**
   * Interrupts the run between its queries: nothing is stored (no run record, no remediation
   * change), a `quality.run_interrupted` event is recorded, and the run rejects with
   * `quality_run_interrupted`.
   */
  readonly signal?: AbortSignal;
  /** Open a remediation task for every failed rule that has none open (default false). */
  readonly openTasks?: boolean;
}

/** How a run over a CSV or Parquet file is asked for; its rules must be given. */
export interface FileRunRequest extends RunRequest {
  /** Files `reference` rules name, name → path. */
  readonly references?: Readonly<Record<string, string>>;
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
  /** Runs rules on a CSV or Parquet file through embedded DuckDB; the run is stored under `file:<absolute path>`. */
  runFile(actor: Actor, path: string, request: FileRunRequest): Promise<QualityRun>;
  /** The latest run of a dataset (or file key) with its results, if any. */
  latestRun(dataset: string): Promise<QualityRun | null>;
  /** Past runs of a dataset, newest first. */
  runs(dataset: string, options?: { readonly limit?: number }): Promise<QualityRunSummary[]>;
  /** One stored run with its results. */
  getRun(id: string): Promise<QualityRun>;
  /** The latest score and the trend. */
  score(dataset: string, options?: { readonly limit?: number }): Promise<ScoreView>;
  /** Remediation tasks opened from failed rules. */
  readonly remediation: RemediationService;
  /** Maps dataset fields to data elements (`null` removes a mapping); the catalogue entry gets a new version. */
  mapFields(actor: Actor, dataset: string, mappings: Readonly<Record<string, string | null>>): Promise<ConformanceReport>;
  /** Unmapped fields, type mismatches and values outside each element's code list, validator or allowed values. */
  conformance(dataset: string): Promise<ConformanceReport>;
  /** The latest overall score of a dataset, or null when it was never checked (for agreement floors). */
  latestScore(dataset: string): Promise<LatestScore | null>;
  /** The latest score of every checked catalogue dataset, as published with the catalogue entry. */
  publishedScores(): Promise<Map<string, PublishedQualityScore>>;
}

/** What the quality service needs besides the node core. */
export interface QualityServiceDeps {
  readonly catalog: CatalogService;
  /** Imported data elements and code lists; without it only the built-in ones are known. */
  readonly standards?: StandardsService;
}

/** How one field of a dataset conforms to the data element it maps to. */
export interface FieldConformance {
  readonly field: string;
  readonly type: ColumnKind;
  readonly element: string | null;
  /** `unmapped`: no element; `unknown_element`: the element is not known here; `type_mismatch`: the item type differs from the element's; else `ok` or `values_outside` when rows break the element's validator, code list or allowed values. */
  readonly status: 'ok' | 'unmapped' | 'unknown_element' | 'type_mismatch' | 'values_outside';
  readonly detail?: string;
  /** Rows whose value the element's checks refuse (null when not counted). */
  readonly outside: number | null;
}

/** The conformance report of a dataset: each field against its data element. */
export interface ConformanceReport {
  readonly dataset: string;
  readonly datasetVersion: number;
  readonly rowCount: number | null;
  readonly fields: FieldConformance[];
  readonly summary: { readonly fields: number; readonly mapped: number; readonly unmapped: number; readonly typeMismatches: number; readonly fieldsWithValuesOutside: number };
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

  /** An interrupted run stores nothing but the event saying so. */
  async function interrupted(actor: Actor, dataset: string, startedAt: string): Promise<never> {
    const failure = new TongbanError('quality_run_interrupted', `The quality run of ${dataset} was interrupted before it finished; nothing was stored. Run it again.`, { dataset });
    await events.record({
      type: 'quality.run_interrupted',
      actor: actorName(actor),
      outcome: 'failure',
      details: { dataset, startedAt },
    });
    markRecorded(failure);
    throw failure;
  }

  const remediation = createRemediationService(core, (id) => service.getRun(id));
  const tableOf = (id: string) => managedTableName(id.slice(id.indexOf('/') + 1));

  async function knownElements(): Promise<Map<string, DataElement>> {
    const elements = deps.standards ? await deps.standards.elements() : [...builtInElements];
    return new Map(elements.map((element) => [element.id, element]));
  }

  /** The imported code lists the rules name (built-in names fall back to the built-in tables). */
  async function codeListsFor(rules: readonly Rule[]): Promise<Map<string, ReadonlySet<string>>> {
    const lists = new Map<string, ReadonlySet<string>>();
    if (!deps.standards) return lists;
    const known = new Map((await deps.standards.codeLists()).map((list) => [list.name, list]));
    for (const rule of rules) {
      if (rule.check !== 'codeList' || lists.has(rule.codeList)) continue;
      const list = known.get(rule.codeList);
      if (list) lists.set(rule.codeList, new Set(list.codes.map((entry) => entry.code)));
    }
    return lists;
  }

  /**
   * The versioned standards each rule uses, as `element:<id>@<version>` and `codeList:<name>@<version>`,
   * recorded in the run's results so a run keeps pointing at the versions it used after new ones
   * are imported. `elementOfField` names the element a generated rule on a field came from.
   */
  async function standardsUsed(rules: readonly Rule[], elementOfField: ReadonlyMap<string, DataElement> = new Map()): Promise<(rule: Rule) => string[]> {
    const needsLists = rules.some((rule) => rule.check === 'codeList');
    const listVersions = new Map((needsLists && deps.standards ? await deps.standards.codeLists() : []).map((list) => [list.name, list.version]));
    return (rule) => {
      const used: string[] = [];
      const element = 'field' in rule && (rule.check === 'validator' || rule.check === 'codeList' || rule.check === 'allowedValues') ? elementOfField.get(rule.field) : undefined;
      if (element) used.push(`element:${element.id}@${element.version}`);
      // Built-in code lists are version 1 until a steward imports another.
      if (rule.check === 'codeList') used.push(`codeList:${rule.codeList}@${listVersions.get(rule.codeList) ?? 1}`);
      return used;
    };
  }

  /** The rules of a request: a file, JSON, or generated (`generate`, which may refuse). */
  function rulesOf(request: RunRequest, generate: () => Rule[]): { parsed: ParsedRules; rulesSource: string } {
    if (request.ruleFile) return { parsed: parseRuleFile(request.ruleFile.text, request.ruleFile.name), rulesSource: `file:${request.ruleFile.name}` };
    if (request.rules !== undefined) return { parsed: parseRules(request.rules), rulesSource: 'api' };
    const rules = generate();
    return { parsed: { rules, lines: rules.map(() => undefined) }, rulesSource: 'generated' };
  }

  interface Evaluation {
    readonly dataset: string;
    readonly datasetVersion: number;
    readonly rulesSource: string;
    readonly parsed: ParsedRules;
    readonly startedAt: string;
    readonly target: RuleTarget;
    readonly request: RunRequest;
    readonly extra: Pick<EvaluateOptions, 'referenceTables' | 'protectedTables' | 'codeLists'>;
    /** The versioned standards a rule uses, recorded with its result. */
    readonly standardsOf: (rule: Rule) => string[];
  }

  /** Evaluates the rules, then stores the run record and its event in one transaction. */
  async function evaluateAndStore(actor: Actor, input: Evaluation): Promise<QualityRun> {
    const { request } = input;
    const previous = await service.latestRun(input.dataset);
    let evaluation: Awaited<ReturnType<typeof evaluateRules>>;
    try {
      evaluation = await evaluateRules(input.target, input.parsed.rules, {
        now: input.startedAt,
        ...input.extra,
        ...(previous ? { previous: { rowCount: previous.rowCount, results: previous.results } } : {}),
        ...(request.samples === undefined ? {} : { samples: request.samples }),
        ...(request.onProgress ? { onProgress: request.onProgress } : {}),
        ...(request.signal ? { signal: request.signal } : {}),
      });
    } catch (error) {
      if (request.signal?.aborted) return interrupted(actor, input.dataset, input.startedAt);
      // Bad rules (an unknown code list, a refused custom query) are refusals; anything else propagates as it is.
      if (toTongbanError(error).kind === 'internal') throw error;
      return refuse(actor, input.dataset, error);
    }
    if (request.signal?.aborted) return interrupted(actor, input.dataset, input.startedAt);
    const { total } = evaluation;
    const results = evaluation.results.map((result, index) => {
      const used = input.standardsOf(input.parsed.rules[index]!);
      return used.length === 0 ? result : { ...result, standards: used };
    });
    const scores = scoresOf(results);
    const status = results.some((result) => result.status === 'fail') ? 'fail' : results.some((result) => result.status === 'warn') ? 'warn' : 'pass';
    const run: QualityRun = {
      id: newId(),
      dataset: input.dataset,
      datasetVersion: input.datasetVersion,
      status,
      rulesSource: input.rulesSource,
      ruleCount: results.length,
      rowCount: total,
      scores,
      results,
      actor: actorName(actor),
      startedAt: input.startedAt,
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
      await remediation.afterRun(trx, run.actor, run, request.openTasks === true);
    });
    latestScores.delete(run.dataset);
    return run;
  }

  /**
   * The gateway asks for a dataset's latest score on every exchange under an agreement with a
   * quality floor, so scores are remembered briefly. A run stored by this process replaces its
   * dataset's entry at once; another process of the node sees a new run within the lifetime.
   */
  const latestScores = new Map<string, { readonly score: LatestScore | null; readonly until: number }>();
  const latestScoreTtlMs = 2_000;

  const summaryColumns = ['id', 'dataset', 'dataset_version', 'status', 'rules_source', 'rule_count', 'row_count', 'overall', 'dimensions', 'actor', 'started_at', 'finished_at'] as const;

  const service: QualityService = {
    remediation,
    async run(actor, datasetId, request = {}) {
      const startedAt = clock.now().toISOString();
      let parsed: ParsedRules;
      let rulesSource: string;
      let view: Awaited<ReturnType<CatalogService['get']>>;
      let elements: Map<string, DataElement>;
      const referenceTables = new Map<string, string>();
      try {
        view = await deps.catalog.get(datasetId);
        if (view.backing !== 'managed') throw new InputError(`Dataset ${datasetId} is linked to an external table; quality runs cover node-managed datasets only in this version.`, { dataset: datasetId });
        if (view.data.rows === null) throw new InputError(`Dataset ${datasetId} has no imported rows yet; import data before running a quality check.`, { dataset: datasetId });
        const fields = new Set(view.items.map((item) => item.name));
        elements = await knownElements();
        ({ parsed, rulesSource } = rulesOf(request, () => {
          const rules = generateRules(view, (elementId) => elements.get(elementId));
          if (rules.length === 0) throw new InputError(`Dataset ${datasetId} has no key fields and no items mapped to data elements, so no rules can be generated; give a rule file.`, { dataset: datasetId });
          return rules;
        }));
        assertRulesFit(parsed, fields, request.ruleFile?.name ?? 'rules');
        for (const rule of parsed.rules) {
          if (rule.check !== 'reference' || referenceTables.has(rule.dataset)) continue;
          const other = await deps.catalog.get(rule.dataset);
          if (other.backing !== 'managed' || other.data.rows === null) throw new InputError(`Rule ${JSON.stringify(rule.name)} refers to dataset ${rule.dataset}, which holds no node-managed rows to compare with.`, { rule: rule.name, dataset: rule.dataset });
          if (!other.items.some((item) => item.name === rule.datasetField)) throw new InputError(`Rule ${JSON.stringify(rule.name)} refers to field ${JSON.stringify(rule.datasetField)}, which dataset ${rule.dataset} does not have.`, { rule: rule.name, field: rule.datasetField });
          referenceTables.set(rule.dataset, tableOf(other.id));
        }
      } catch (error) {
        return refuse(actor, datasetId, error);
      }
      const columns = new Map<string, ColumnKind>(view.items.map((item) => [item.name, item.type]));
      const protectedTables = (await db.introspection.getTables({ withInternalKyselyTables: true })).map((table) => table.name);
      const target: RuleTarget = { db, dialect, table: tableOf(view.id), columns };
      const codeLists = await codeListsFor(parsed.rules);
      // Generated rules come from the elements the fields map to; rules a steward wrote do not.
      const elementOfField = new Map<string, DataElement>();
      if (rulesSource === 'generated') {
        for (const item of view.items) {
          const element = item.dataElement ? elements.get(item.dataElement) : undefined;
          if (element) elementOfField.set(item.name, element);
        }
      }
      const standardsOf = await standardsUsed(parsed.rules, elementOfField);
      const run = await evaluateAndStore(actor, { dataset: datasetId, datasetVersion: view.version, rulesSource, parsed, startedAt, target, request, extra: { referenceTables, protectedTables, codeLists }, standardsOf });
      // The new score is published (signed) with the catalogue entry.
      await deps.catalog.qualityScoresChanged();
      return run;
    },

    async runFile(actor, path, request) {
      const startedAt = clock.now().toISOString();
      const key = `file:${resolve(path)}`;
      let parsed: ParsedRules;
      let rulesSource: string;
      let file: FileTarget;
      try {
        ({ parsed, rulesSource } = rulesOf(request, () => {
          throw new InputError(`A file has no data elements to generate rules from; give a rule file for ${path}.`, { path });
        }));
        file = await openFileTarget(path, new Map(Object.entries(request.references ?? {})));
      } catch (error) {
        return refuse(actor, key, error);
      }
      try {
        try {
          assertRulesFit(parsed, new Set(file.target.columns.keys()), request.ruleFile?.name ?? 'rules');
          const unknown = parsed.rules.find((rule) => rule.check === 'reference' && !file.referenceTables.has(rule.dataset));
          if (unknown?.check === 'reference') throw new InputError(`Rule ${JSON.stringify(unknown.name)} refers to ${JSON.stringify(unknown.dataset)}; name its file with --reference ${unknown.dataset}=<path>.`, { rule: unknown.name });
        } catch (error) {
          return await refuse(actor, key, error);
        }
        const codeLists = await codeListsFor(parsed.rules);
        const standardsOf = await standardsUsed(parsed.rules);
        return await evaluateAndStore(actor, { dataset: key, datasetVersion: 0, rulesSource, parsed, startedAt, target: file.target, request, extra: { referenceTables: file.referenceTables, codeLists }, standardsOf });
      } finally {
        file.close();
      }
    },

    async conformance(datasetId) {
      const view = await deps.catalog.get(datasetId);
      const elements = await knownElements();
      const fields: FieldConformance[] = [];
      const checks: { field: string; rules: Rule[] }[] = [];
      for (const item of view.items) {
        const base = { field: item.name, type: item.type, element: item.dataElement ?? null };
        if (!item.dataElement) {
          fields.push({ ...base, status: 'unmapped', outside: null });
          continue;
        }
        const element = elements.get(item.dataElement);
        if (!element) {
          fields.push({ ...base, status: 'unknown_element', detail: `data element ${item.dataElement} is neither built in nor imported`, outside: null });
          continue;
        }
        // A date element may sit in a text column (SQLite stores dates as text); any other difference is a mismatch.
        if (element.dataType !== item.type && !(element.dataType === 'date' && item.type === 'string')) {
          fields.push({ ...base, status: 'type_mismatch', detail: `the item is ${item.type}; ${element.id} is ${element.dataType}`, outside: null });
          continue;
        }
        const rules = generateRules({ items: [item], keyFields: [] }, (id) => elements.get(id));
        checks.push({ field: item.name, rules });
        fields.push({ ...base, status: 'ok', outside: null });
      }
      let rowCount: number | null = view.data.rows;
      if (view.backing === 'managed' && view.data.rows !== null && checks.some((check) => check.rules.length > 0)) {
        const rules = checks.flatMap((check) => check.rules);
        const evaluation = await evaluateRules({ db, dialect, table: tableOf(view.id), columns: new Map(view.items.map((item) => [item.name, item.type])) }, rules, {
          now: clock.now().toISOString(),
          samples: 0,
          codeLists: await codeListsFor(rules),
        });
        rowCount = evaluation.total;
        for (const check of checks) {
          // Rows failing any of the field's checks; the checks of one field rarely overlap, so their sum is an upper bound.
          const outside = evaluation.results.filter((result) => result.fields[0] === check.field).reduce((sum, result) => sum + result.failed, 0);
          const index = fields.findIndex((field) => field.field === check.field);
          fields[index] = { ...fields[index]!, outside, ...(outside > 0 ? { status: 'values_outside' as const, detail: `${outside} values break ${check.rules.map((rule) => rule.name).join('; ')}` } : {}) };
        }
      }
      return {
        dataset: view.id,
        datasetVersion: view.version,
        rowCount,
        fields,
        summary: {
          fields: fields.length,
          mapped: fields.filter((field) => field.element !== null).length,
          unmapped: fields.filter((field) => field.status === 'unmapped').length,
          typeMismatches: fields.filter((field) => field.status === 'type_mismatch').length,
          fieldsWithValuesOutside: fields.filter((field) => field.status === 'values_outside').length,
        },
      };
    },

    async mapFields(actor, datasetId, mappings) {
      try {
        const view = await deps.catalog.get(datasetId);
        const elements = await knownElements();
        const names = new Set(view.items.map((item) => item.name));
        for (const [field, element] of Object.entries(mappings)) {
          if (!names.has(field)) throw new InputError(`Dataset ${datasetId} has no field ${JSON.stringify(field)}; its fields are ${[...names].join(', ')}.`, { field });
          if (element !== null && !elements.has(element)) throw new InputError(`Data element ${JSON.stringify(element)} is not known here; see \`tongban standards elements\`.`, { field, element });
        }
        const { version: _version, backing: _backing, data: _data, createdAt: _createdAt, updatedAt: _updatedAt, id: _id, ...document } = view;
        const items = view.items.map((item) => {
          if (!(item.name in mappings)) return item;
          const { dataElement: _previous, ...rest } = item;
          const element = mappings[item.name];
          return element === null || element === undefined ? rest : { ...rest, dataElement: element };
        });
        await deps.catalog.update(actor, datasetId, { ...document, items });
      } catch (error) {
        return refuse(actor, datasetId, error);
      }
      return service.conformance(datasetId);
    },

    async latestScore(dataset) {
      const now = Date.now();
      const cached = latestScores.get(dataset);
      if (cached && cached.until > now) return cached.score;
      const row = await db.selectFrom('quality_runs').select(['id', 'overall', 'finished_at']).where('dataset', '=', dataset).orderBy('finished_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
      const score = row ? { overall: row.overall === null ? null : Number(row.overall), runId: row.id, finishedAt: row.finished_at } : null;
      if (latestScores.size >= 1_000) latestScores.clear();
      latestScores.set(dataset, { score, until: now + latestScoreTtlMs });
      return score;
    },

    async publishedScores() {
      const rows = await db
        .selectFrom('quality_runs as run')
        .select([...summaryColumns.map((column) => `run.${column}` as const)])
        .where('run.dataset', 'not like', 'file:%')
        .where((eb) => eb('run.finished_at', '=', eb.selectFrom('quality_runs as later').select((inner) => inner.fn.max('later.finished_at').as('newest')).whereRef('later.dataset', '=', 'run.dataset')))
        .orderBy('run.dataset')
        .orderBy('run.id', 'desc')
        .execute();
      const scores = new Map<string, PublishedQualityScore>();
      for (const row of rows) {
        if (scores.has(row.dataset)) continue;
        const summary = summaryOf(row);
        scores.set(summary.dataset, { overall: summary.scores.overall, dimensions: summary.scores.dimensions, status: summary.status, runId: summary.id, datasetVersion: summary.datasetVersion, finishedAt: summary.finishedAt });
      }
      return scores;
    },

    async latestRun(dataset) {
      const row = await db.selectFrom('quality_runs').select('id').where('dataset', '=', dataset).orderBy('finished_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
      return row ? this.getRun(row.id) : null;
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
  return service;
}
