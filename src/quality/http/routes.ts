/**
 * HTTP routes of data quality: run the rules of a dataset, list its runs, read one run record
 * (as JSON or as a readable HTML page), its score with the trend, and remediation tasks.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Server } from '../../node/http/build-server.ts';
import { InputError } from '../../core/errors.ts';
import { errorResponses, IdParams } from '../../node/http/schemas.ts';
import { registerStandardsRoutes, type StandardsService } from '../../standards/index.ts';
import type { QualityService } from '../quality-service.ts';
import { renderRunHtml } from './report-html.ts';

const bearer = [{ bearer: [] }];
const DatasetParams = Type.Object({
  provider: Type.String({ pattern: '^[A-Za-z0-9]{2,32}$', description: 'the providing node code' }),
  slug: Type.String({ pattern: '^[a-z0-9-]{2,64}$' }),
});

const Score = Type.Union([Type.Number(), Type.Null()]);
const DimensionsSchema = Type.Object({
  completeness: Score,
  validity: Score,
  uniqueness: Score,
  consistency: Score,
  timeliness: Score,
  accuracy: Score,
});
const ScoresSchema = Type.Object({ overall: Score, dimensions: DimensionsSchema });
const Status = Type.Union([Type.Literal('pass'), Type.Literal('warn'), Type.Literal('fail')]);

const RuleResultSchema = Type.Object({
  name: Type.String(),
  check: Type.String(),
  dimension: Type.String(),
  fields: Type.Array(Type.String()),
  status: Status,
  evaluated: Type.Integer(),
  failed: Type.Integer(),
  failedPercent: Type.Number(),
  score: Type.Number(),
  samples: Type.Array(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()])), { description: 'failing rows, ID numbers masked to their division prefix' }),
  detail: Type.Optional(Type.String()),
  distribution: Type.Optional(Type.Record(Type.String(), Type.Number(), { description: 'drift rules: value shares found (0–1)' })),
  standards: Type.Optional(Type.Array(Type.String(), { description: 'the versioned standards the rule used: element:<id>@<version>, codeList:<name>@<version>' })),
});

const summaryFields = {
  id: Type.String(),
  dataset: Type.String(),
  datasetVersion: Type.Integer(),
  status: Status,
  rulesSource: Type.String(),
  ruleCount: Type.Integer(),
  rowCount: Type.Integer(),
  scores: ScoresSchema,
  actor: Type.String(),
  startedAt: Type.String(),
  finishedAt: Type.String(),
};
const RunSchema = Type.Object({ ...summaryFields, results: Type.Array(RuleResultSchema) });
const RunSummarySchema = Type.Object(summaryFields);

const RunBody = Type.Object(
  {
    ruleFile: Type.Optional(Type.String({ maxLength: 1_000_000, description: 'a YAML rule file; errors point at its lines' })),
    rules: Type.Optional(Type.Array(Type.Record(Type.String(), Type.Unknown()), { maxItems: 500, description: 'rules as JSON objects' })),
    samples: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
    openTasks: Type.Optional(Type.Boolean({ description: 'open a remediation task for every failed rule that has none open' })),
  },
  { additionalProperties: false },
);

const TaskState = Type.Union([Type.Literal('open'), Type.Literal('assigned'), Type.Literal('fixed'), Type.Literal('verified'), Type.Literal('wont_fix')], { description: 'open → assigned → fixed → verified, or wont_fix' });
const TaskSchema = Type.Object({
  id: Type.String(),
  dataset: Type.String(),
  rule: Type.String(),
  state: TaskState,
  openedRun: Type.String(),
  failedAtOpen: Type.Integer(),
  assignee: Type.Union([Type.String(), Type.Null()]),
  note: Type.Union([Type.String(), Type.Null()]),
  verifiedRun: Type.Union([Type.String(), Type.Null()]),
  openedBy: Type.String(),
  openedAt: Type.String(),
  updatedAt: Type.String(),
});
const OpenTasksResponse = Type.Object({
  results: Type.Array(Type.Object({ rule: Type.String(), status: Type.Union([Type.Literal('opened'), Type.Literal('already_open'), Type.Literal('not_failed')]), task: Type.Optional(TaskSchema) })),
});

const ConformanceSchema = Type.Object({
  dataset: Type.String(),
  datasetVersion: Type.Integer(),
  rowCount: Type.Union([Type.Integer(), Type.Null()]),
  fields: Type.Array(
    Type.Object({
      field: Type.String(),
      type: Type.String(),
      element: Type.Union([Type.String(), Type.Null()]),
      status: Type.Union([Type.Literal('ok'), Type.Literal('unmapped'), Type.Literal('unknown_element'), Type.Literal('type_mismatch'), Type.Literal('values_outside')]),
      detail: Type.Optional(Type.String()),
      outside: Type.Union([Type.Integer(), Type.Null()]),
    }),
  ),
  summary: Type.Object({ fields: Type.Integer(), mapped: Type.Integer(), unmapped: Type.Integer(), typeMismatches: Type.Integer(), fieldsWithValuesOutside: Type.Integer() }),
});

/**
 * Registers the quality routes, and the standards routes beside them (data standards and quality
 * are one feature to the steward; the server registers this one function).
 */
export async function registerQualityRoutes(app: Server, node: { readonly quality: QualityService; readonly standards?: StandardsService }): Promise<void> {
  const scope = app.withTypeProvider<TypeBoxTypeProvider>();
  const { quality } = node;
  if (node.standards) await registerStandardsRoutes(app, { standards: node.standards });

  scope.get(
    '/api/v1/quality/datasets/:provider/:slug/conformance',
    {
      config: { access: { auth: 'authenticated' } },
      schema: {
        tags: ['quality'],
        summary: 'Conformance of a dataset to its data elements: unmapped fields, type mismatches, values outside code lists',
        security: bearer,
        params: DatasetParams,
        response: { 200: ConformanceSchema, ...errorResponses(401, 404) },
      },
    },
    async (request) => quality.conformance(`${request.params.provider}/${request.params.slug}`),
  );

  scope.put(
    '/api/v1/quality/datasets/:provider/:slug/mapping',
    {
      config: { access: { permission: 'catalog.manage' } },
      schema: {
        tags: ['quality'],
        summary: 'Map dataset fields to data elements (null removes a mapping); answers the new conformance report',
        security: bearer,
        params: DatasetParams,
        body: Type.Object({ mappings: Type.Record(Type.String({ maxLength: 63 }), Type.Union([Type.Null(), Type.String({ minLength: 1, maxLength: 64 })], { description: 'null first: request coercion would otherwise turn null into an empty string' }), { maxProperties: 500 }) }, { additionalProperties: false }),
        response: { 200: ConformanceSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => quality.mapFields(request.principal!, `${request.params.provider}/${request.params.slug}`, request.body.mappings),
  );
  const datasetOf = (params: { provider: string; slug: string }) => `${params.provider}/${params.slug}`;

  scope.post(
    '/api/v1/quality/datasets/:provider/:slug/runs',
    {
      config: { access: { permission: 'quality.manage' } },
      schema: {
        tags: ['quality'],
        summary: 'Run quality rules on a dataset (a rule file, JSON rules, or rules generated from its data elements)',
        security: bearer,
        params: DatasetParams,
        body: RunBody,
        response: { 201: RunSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const { ruleFile, rules, samples, openTasks } = request.body ?? {};
      const run = await quality.run(request.principal!, datasetOf(request.params), {
        ...(ruleFile === undefined ? {} : { ruleFile: { name: 'ruleFile', text: ruleFile } }),
        ...(rules === undefined ? {} : { rules: { rules } }),
        ...(samples === undefined ? {} : { samples }),
        ...(openTasks === undefined ? {} : { openTasks }),
      });
      return reply.code(201).send(run);
    },
  );

  scope.get(
    '/api/v1/quality/datasets/:provider/:slug/runs',
    {
      config: { access: { auth: 'authenticated' } },
      schema: {
        tags: ['quality'],
        summary: 'Past quality runs of a dataset, newest first',
        security: bearer,
        params: DatasetParams,
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) }),
        response: { 200: Type.Object({ runs: Type.Array(RunSummarySchema) }), ...errorResponses(401) },
      },
    },
    async (request) => ({ runs: await quality.runs(datasetOf(request.params), request.query.limit === undefined ? {} : { limit: request.query.limit }) }),
  );

  scope.get(
    '/api/v1/quality/datasets/:provider/:slug/score',
    {
      config: { access: { auth: 'authenticated' } },
      schema: {
        tags: ['quality'],
        summary: 'The latest quality score of a dataset and its trend (oldest first)',
        security: bearer,
        params: DatasetParams,
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) }),
        response: {
          200: Type.Object({
            dataset: Type.String(),
            latest: Type.Union([RunSummarySchema, Type.Null()]),
            trend: Type.Array(Type.Object({ runId: Type.String(), finishedAt: Type.String(), overall: Score, dimensions: DimensionsSchema })),
          }),
          ...errorResponses(401, 404),
        },
      },
    },
    async (request) => quality.score(datasetOf(request.params), request.query.limit === undefined ? {} : { limit: request.query.limit }),
  );

  scope.get(
    '/api/v1/quality/runs/:id',
    {
      config: { access: { auth: 'authenticated' } },
      schema: { tags: ['quality'], summary: 'One quality run record with its rule results', security: bearer, params: IdParams, response: { 200: RunSchema, ...errorResponses(401, 404) } },
    },
    async (request) => quality.getRun(request.params.id),
  );

  scope.get(
    '/api/v1/quality/runs/:id/report',
    {
      config: { access: { auth: 'authenticated' } },
      schema: {
        tags: ['quality'],
        summary: 'One quality run as a readable HTML page (scores, rule results, masked samples, trend)',
        security: bearer,
        params: IdParams,
        produces: ['text/html'],
        response: { 200: Type.String({ description: 'text/html' }), ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      const run = await quality.getRun(request.params.id);
      const trend = (await quality.runs(run.dataset, { limit: 30 })).reverse().map((summary) => ({ finishedAt: summary.finishedAt, overall: summary.scores.overall }));
      return reply.type('text/html; charset=utf-8').send(renderRunHtml(run, trend));
    },
  );

  scope.post(
    '/api/v1/quality/runs/:id/tasks',
    {
      config: { access: { permission: 'quality.manage' } },
      schema: {
        tags: ['quality'],
        summary: 'Open remediation tasks from the failed rules of a run (all, or the named ones); rules with an open task are reported, not duplicated',
        security: bearer,
        params: IdParams,
        body: Type.Object({ rules: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 120 }), { maxItems: 500 })) }, { additionalProperties: false }),
        response: { 201: OpenTasksResponse, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => reply.code(201).send(await quality.remediation.openFromRun(request.principal!, request.params.id, request.body?.rules)),
  );

  scope.get(
    '/api/v1/quality/tasks',
    {
      config: { access: { auth: 'authenticated' } },
      schema: {
        tags: ['quality'],
        summary: 'Remediation tasks, newest first',
        security: bearer,
        querystring: Type.Object({
          dataset: Type.Optional(Type.String({ maxLength: 300 })),
          state: Type.Optional(Type.Array(TaskState, { maxItems: 5 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
        }),
        response: { 200: Type.Object({ tasks: Type.Array(TaskSchema) }), ...errorResponses(401) },
      },
    },
    async (request) => ({
      tasks: await quality.remediation.list({
        ...(request.query.dataset === undefined ? {} : { dataset: request.query.dataset }),
        ...(request.query.state === undefined ? {} : { states: request.query.state }),
        ...(request.query.limit === undefined ? {} : { limit: request.query.limit }),
      }),
    }),
  );

  scope.get(
    '/api/v1/quality/tasks/:id',
    {
      config: { access: { auth: 'authenticated' } },
      schema: { tags: ['quality'], summary: 'One remediation task', security: bearer, params: IdParams, response: { 200: TaskSchema, ...errorResponses(401, 404) } },
    },
    async (request) => quality.remediation.get(request.params.id),
  );

  const TaskChange = Type.Object(
    {
      action: Type.Union([Type.Literal('assign'), Type.Literal('fix'), Type.Literal('wont_fix')]),
      assignee: Type.Optional(Type.String({ minLength: 1, maxLength: 120, description: 'assign: who fixes the data' })),
      note: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, description: "fix: what was done; wont_fix: why (required)" })),
    },
    { additionalProperties: false },
  );
  scope.post(
    '/api/v1/quality/tasks/:id/transitions',
    {
      config: { access: { permission: 'quality.manage' } },
      schema: {
        tags: ['quality'],
        summary: "Move a remediation task: assign (open/assigned → assigned), fix (assigned → fixed), wont_fix (→ wont_fix); verification comes from a passing run",
        security: bearer,
        params: IdParams,
        body: TaskChange,
        response: { 200: TaskSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const { action, assignee, note } = request.body;
      const actor = request.principal!;
      if (action === 'assign') {
        if (assignee === undefined) throw new InputError('An assignment needs `assignee`.', { field: 'assignee' });
        return quality.remediation.assign(actor, request.params.id, assignee);
      }
      if (action === 'wont_fix') {
        if (note === undefined) throw new InputError("Closing a task as won't fix needs a `note` saying why.", { field: 'note' });
        return quality.remediation.wontFix(actor, request.params.id, note);
      }
      return quality.remediation.markFixed(actor, request.params.id, note);
    },
  );
}
