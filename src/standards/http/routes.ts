/**
 * HTTP routes of data standards: list data elements and code lists (built-in and imported),
 * import them as CSV or JSON text (with a dry run), export them.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Server } from '../../node/http/build-server.ts';
import { errorResponses } from '../../node/http/schemas.ts';
import type { StandardsService } from '../standards-service.ts';

const bearer = [{ bearer: [] }];
const Format = Type.Union([Type.Literal('csv'), Type.Literal('json')]);
const Kind = Type.Union([Type.Literal('elements'), Type.Literal('codeLists')]);
const ElementSchema = Type.Object({
  id: Type.String(),
  version: Type.Integer(),
  nameZh: Type.String(),
  nameEn: Type.String(),
  definition: Type.String(),
  dataType: Type.String(),
  format: Type.Optional(Type.String()),
  validator: Type.Optional(Type.String()),
  codeList: Type.Optional(Type.String()),
  allowedValues: Type.Optional(Type.Array(Type.String())),
  sourceStandard: Type.String(),
});
const CodeListSummary = Type.Object({ name: Type.String(), version: Type.Integer(), sourceStandard: Type.String(), codes: Type.Integer() });

/** Registers the standards routes. */
export async function registerStandardsRoutes(app: Server, node: { readonly standards: StandardsService }): Promise<void> {
  const scope = app.withTypeProvider<TypeBoxTypeProvider>();
  const { standards } = node;

  scope.get(
    '/api/v1/standards/elements',
    {
      config: { access: { auth: 'authenticated' } },
      schema: { tags: ['standards'], summary: 'Data elements (数据元): built-in and imported, current versions', security: bearer, response: { 200: Type.Object({ elements: Type.Array(ElementSchema) }), ...errorResponses(401) } },
    },
    async () => ({
      elements: (await standards.elements()).map(({ allowedValues, ...element }) => (allowedValues ? { ...element, allowedValues: [...allowedValues] } : element)),
    }),
  );

  scope.get(
    '/api/v1/standards/code-lists',
    {
      config: { access: { auth: 'authenticated' } },
      schema: { tags: ['standards'], summary: 'Code lists (代码集): built-in and imported, current versions', security: bearer, response: { 200: Type.Object({ codeLists: Type.Array(CodeListSummary) }), ...errorResponses(401) } },
    },
    async () => ({ codeLists: (await standards.codeLists()).map((list) => ({ name: list.name, version: list.version, sourceStandard: list.sourceStandard, codes: list.codes.length })) }),
  );

  scope.post(
    '/api/v1/standards/import',
    {
      config: { access: { permission: 'catalog.manage' } },
      schema: {
        tags: ['standards'],
        summary: 'Import data elements or code lists from CSV or JSON text; dryRun checks everything and stores nothing',
        security: bearer,
        body: Type.Object(
          {
            kind: Kind,
            format: Format,
            content: Type.String({ minLength: 1, maxLength: 32 * 1024 * 1024, description: 'the file text (UTF-8)' }),
            dryRun: Type.Optional(Type.Boolean()),
            codeList: Type.Optional(Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }), version: Type.Optional(Type.Integer({ minimum: 1, description: 'default: the next version when the codes changed' })), sourceStandard: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false, description: 'for a code list CSV' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ dryRun: Type.Boolean(), results: Type.Array(Type.Object({ id: Type.String(), version: Type.Integer(), status: Type.String(), codes: Type.Optional(Type.Integer()) })) }),
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request) => {
      const { kind, format, content, dryRun, codeList } = request.body;
      return standards.importStandards(request.principal!, { kind, format, bytes: new TextEncoder().encode(content), ...(dryRun === undefined ? {} : { dryRun }), ...(codeList ? { codeList } : {}) });
    },
  );

  scope.get(
    '/api/v1/standards/export',
    {
      config: { access: { auth: 'authenticated' } },
      schema: {
        tags: ['standards'],
        summary: 'Export the current data elements or code lists as CSV or JSON text (CSV: one code list, named)',
        security: bearer,
        querystring: Type.Object({ kind: Kind, format: Format, name: Type.Optional(Type.String({ maxLength: 64 })) }),
        response: { 200: Type.String(), ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const { kind, format, name } = request.query;
      const text = await standards.exportStandards(kind, format, name);
      return reply.type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8').send(text);
    },
  );
}
