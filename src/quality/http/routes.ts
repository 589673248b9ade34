/**
 * HTTP routes of data quality: run the rules of a dataset, list its runs, read one run record,
 * and its score with the trend.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Server } from '../../node/http/build-server.ts';
import { errorResponses, IdParams } from '../../node/http/schemas.ts';
import type { QualityService } from '../quality-service.ts';

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
  },
  { additionalProperties: false },
);

/** Registers the quality routes. */
export async function registerQualityRoutes(app: Server, node: { readonly quality: QualityService }): Promise<void> {
  const scope = app.withTypeProvider<TypeBoxTypeProvider>();
  const { quality } = node;
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
      const { ruleFile, rules, samples } = request.body ?? {};
      const run = await quality.run(request.principal!, datasetOf(request.params), {
        ...(ruleFile === undefined ? {} : { ruleFile: { name: 'ruleFile', text: ruleFile } }),
        ...(rules === undefined ? {} : { rules: { rules } }),
        ...(samples === undefined ? {} : { samples }),
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
}
