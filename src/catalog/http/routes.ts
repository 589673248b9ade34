/**
 * HTTP routes of the resource catalogue: datasets, streamed imports, publication status,
 * federation search, and (on the hub) the federation catalogue members publish to.
 */
import type { IncomingMessage } from 'node:http';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { parse as parseYaml } from 'yaml';
import { AuthenticationError, InputError, TongbanError } from '../../core/errors.ts';
import { actorName } from '../../identity/index.ts';
import type { Server } from '../../node/http/build-server.ts';
import { errorResponses } from '../../node/http/schemas.ts';
import type { NodeContext } from '../../node/open-node.ts';
import { DatasetDocumentSchema, slugPattern } from '../domain/dataset.ts';
import { CatalogQuerySchema, PublishedDatasetSchema } from '../domain/publication.ts';
import { federationPath, searchSignatureHeader } from '../federation.ts';
import { importEncodings, importModes, type ImportEncoding, type ImportFormat } from '../importer.ts';

/** Largest import body accepted over HTTP. */
export const importBodyLimitBytes = 512 * 1024 * 1024;
/** Largest catalogue publication the hub accepts. */
const publicationBodyLimitBytes = 16 * 1024 * 1024;

const bearer = [{ bearer: [] }];
const nodeCode = '^[A-Za-z0-9]{2,32}$';

const DatasetParams = Type.Object({
  provider: Type.String({ pattern: nodeCode, description: 'the providing node code' }),
  slug: Type.String({ pattern: slugPattern.source }),
});

const { id: _id, provider: _provider, providerName: _providerName, ...documentFields } = DatasetDocumentSchema.properties;

const DatasetViewSchema = Type.Object(
  {
    ...documentFields,
    id: Type.String(),
    provider: Type.String(),
    providerName: Type.String(),
    version: Type.Integer(),
    backing: Type.Union([Type.Literal('managed'), Type.Literal('linked')]),
    data: Type.Object({
      rows: Type.Union([Type.Integer(), Type.Null()]),
      importedAt: Type.Union([Type.String(), Type.Null()]),
      linkedTable: Type.Optional(Type.String()),
    }),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { $id: 'CatalogDataset' },
);

const PageFields = { total: Type.Integer(), limit: Type.Integer(), offset: Type.Integer() };

const FederationPageSchema = Type.Object({ ...PageFields, datasets: Type.Array(PublishedDatasetSchema) });

const RowErrorSchema = Type.Object({ line: Type.Integer(), field: Type.Union([Type.String(), Type.Null()]), problem: Type.String() });

const ImportResultSchema = Type.Object({
  dataset: Type.String(),
  format: Type.Union([Type.Literal('csv'), Type.Literal('jsonl')]),
  mode: Type.Enum(importModes),
  dryRun: Type.Boolean(),
  bytes: Type.Integer(),
  rowsRead: Type.Integer(),
  rowsImported: Type.Integer(),
  rowsRejected: Type.Integer(),
  errorCount: Type.Integer(),
  errors: Type.Array(RowErrorSchema),
  errorsTruncated: Type.Boolean(),
  rowCount: Type.Union([Type.Integer(), Type.Null()]),
  durationMs: Type.Integer(),
  rowsPerSecond: Type.Integer(),
});

const PublicationStatusSchema = Type.Object({
  version: Type.Integer(),
  publishedVersion: Type.Integer(),
  publishedAt: Type.Union([Type.String(), Type.Null()]),
  state: Type.Union([Type.Literal('published'), Type.Literal('pending'), Type.Literal('waiting_for_hub'), Type.Literal('failing')]),
  hub: Type.Union([Type.String(), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
});

const DocumentBody = Type.Unknown({
  description: 'A dataset document (see the catalogue docs), as application/json or application/yaml.',
});

const { provider: _queryProvider, ...localQueryFields } = CatalogQuerySchema.properties;
const LocalQuerySchema = Type.Object(localQueryFields, { additionalProperties: false });

/** Which import format a content type names. */
function importFormatOf(contentType: string | undefined): ImportFormat | undefined {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'text/csv') return 'csv';
  if (type === 'application/x-ndjson' || type === 'application/jsonl' || type === 'application/x-jsonlines') return 'jsonl';
  return undefined;
}

function charsetOf(contentType: string | undefined): string | undefined {
  const match = /;\s*charset="?([A-Za-z0-9_-]+)"?/i.exec(contentType ?? '');
  return match?.[1]?.toLowerCase();
}

function isStream(body: unknown): body is IncomingMessage {
  return typeof body === 'object' && body !== null && Symbol.asyncIterator in body && typeof (body as IncomingMessage).pipe === 'function';
}

/** Registers the catalogue's routes, in a scope of their own (its streaming and YAML body parsers stay inside). */
export async function registerCatalogRoutes(app: Server, node: NodeContext): Promise<void> {
  const catalog = node.catalog;
  // Scoped so the streaming and YAML parsers apply to these routes only.
  await app.register(async (plugin) => {
    const scope = plugin.withTypeProvider<TypeBoxTypeProvider>();
    scope.addSchema(DatasetViewSchema);
    // Imports stream: the handler reads the request itself and counts bytes against the limit.
    scope.addContentTypeParser(['text/csv', 'application/x-ndjson', 'application/jsonl', 'application/x-jsonlines'], (_request, payload, done) => {
      done(null, payload);
    });
    scope.addContentTypeParser(['application/yaml', 'application/x-yaml', 'text/yaml'], { parseAs: 'string' }, (_request, body, done) => {
      try {
        done(null, parseYaml(body as string));
      } catch (error) {
        done(new InputError(`The body is not valid YAML: ${(error as Error).message.split('\n')[0]}`, { path: 'body' }), undefined);
      }
    });

    scope.get(
      '/api/v1/catalog/datasets',
      {
        config: { access: { auth: 'authenticated' } },
        schema: {
          tags: ['catalog'],
          summary: "List and search this node's datasets",
          security: bearer,
          querystring: LocalQuerySchema,
          response: { 200: Type.Object({ ...PageFields, datasets: Type.Array(Type.Ref('CatalogDataset')) }), ...errorResponses(400, 401) },
        },
      },
      async (request) => catalog.list(request.query),
    );

    scope.post(
      '/api/v1/catalog/datasets',
      {
        config: { access: { permission: 'catalog.manage' } },
        schema: {
          tags: ['catalog'],
          summary: 'Add a dataset to the catalogue from its document (JSON or YAML)',
          security: bearer,
          body: DocumentBody,
          response: { 201: Type.Ref('CatalogDataset'), ...errorResponses(400, 401, 403, 409) },
        },
      },
      async (request, reply) => reply.status(201).send(await catalog.create(request.principal!, request.body)),
    );

    scope.get(
      '/api/v1/catalog/datasets/:provider/:slug',
      {
        config: { access: { auth: 'authenticated' } },
        schema: {
          tags: ['catalog'],
          summary: 'One dataset with its version and data status',
          security: bearer,
          params: DatasetParams,
          response: { 200: Type.Ref('CatalogDataset'), ...errorResponses(401, 404) },
        },
      },
      async (request) => catalog.get(`${request.params.provider}/${request.params.slug}`),
    );

    scope.put(
      '/api/v1/catalog/datasets/:provider/:slug',
      {
        config: { access: { permission: 'catalog.manage' } },
        schema: {
          tags: ['catalog'],
          summary: "Replace a dataset's document; the version goes up when anything changed",
          security: bearer,
          params: DatasetParams,
          body: DocumentBody,
          response: { 200: Type.Ref('CatalogDataset'), ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => catalog.update(request.principal!, `${request.params.provider}/${request.params.slug}`, request.body),
    );

    scope.delete(
      '/api/v1/catalog/datasets/:provider/:slug/data',
      {
        config: { access: { permission: 'catalog.manage' } },
        schema: {
          tags: ['catalog'],
          summary: 'Drop the imported rows of a node-managed dataset',
          security: bearer,
          params: DatasetParams,
          response: { 200: Type.Ref('CatalogDataset'), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => catalog.clearData(request.principal!, `${request.params.provider}/${request.params.slug}`),
    );

    scope.post(
      '/api/v1/catalog/datasets/:provider/:slug/import',
      {
        config: { access: { permission: 'catalog.manage' } },
        bodyLimit: importBodyLimitBytes,
        schema: {
          tags: ['catalog'],
          summary: 'Import rows from a streamed text/csv or application/x-ndjson body',
          description:
            'The body is read as it arrives. `replace` swaps the whole table at the end; `append` adds the rows. Bad rows are skipped and reported; a file that cannot be read (encoding, header) is refused with import_invalid and changes nothing.',
          security: bearer,
          params: DatasetParams,
          querystring: Type.Object(
            {
              dryRun: Type.Optional(Type.Boolean({ default: false, description: 'check every row and write nothing' })),
              mode: Type.Optional(Type.Enum(importModes, { default: 'replace' })),
              maxErrors: Type.Optional(Type.Integer({ minimum: 0, description: 'stop, writing nothing, when more rows are rejected' })),
              encoding: Type.Optional(Type.Enum(importEncodings)),
              reportLimit: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000, default: 100, description: 'row errors returned in full' })),
            },
            { additionalProperties: false },
          ),
          response: { 200: ImportResultSchema, ...errorResponses(400, 401, 403, 404, 413) },
        },
      },
      async (request) => {
        const contentType = request.headers['content-type'];
        const format = importFormatOf(contentType);
        if (!format || !isStream(request.body)) {
          throw new TongbanError('unsupported_media_type', 'Send the rows as text/csv or application/x-ndjson (JSON Lines).');
        }
        const declared = Number(request.headers['content-length']);
        if (Number.isFinite(declared) && declared > importBodyLimitBytes) {
          throw new TongbanError('body_too_large', `An import body may be at most ${importBodyLimitBytes} bytes; import larger files with 'tongban catalog import'.`);
        }
        const charset = charsetOf(contentType);
        let encoding: ImportEncoding | undefined = request.query.encoding;
        if (!encoding && charset) {
          if (charset === 'utf-8' || charset === 'utf8') encoding = 'utf-8';
          else if (charset === 'gbk' || charset === 'gb2312' || charset === 'gb18030') encoding = 'gbk';
          else throw new TongbanError('import_invalid', `The charset ${charset} is not supported; send UTF-8 or GBK.`);
        }
        return catalog.importRecords(request.principal!, `${request.params.provider}/${request.params.slug}`, request.body, {
          format,
          mode: request.query.mode ?? 'replace',
          dryRun: request.query.dryRun ?? false,
          maxBytes: importBodyLimitBytes,
          reportLimit: request.query.reportLimit ?? 100,
          ...(encoding ? { encoding } : {}),
          ...(request.query.maxErrors !== undefined ? { maxErrors: request.query.maxErrors } : {}),
        });
      },
    );

    scope.get(
      '/api/v1/catalog/publication',
      {
        config: { access: { auth: 'authenticated' } },
        schema: {
          tags: ['catalog'],
          summary: 'Whether the hub holds the current catalogue',
          security: bearer,
          response: { 200: PublicationStatusSchema, ...errorResponses(401) },
        },
      },
      async () => catalog.publicationStatus(),
    );

    scope.post(
      '/api/v1/catalog/publication',
      {
        config: { access: { permission: 'catalog.manage' } },
        schema: {
          tags: ['catalog'],
          summary: 'Publish the catalogue metadata to the hub now (it is also retried in the background)',
          security: bearer,
          response: { 200: PublicationStatusSchema, ...errorResponses(401, 403) },
        },
      },
      async () => catalog.publish(),
    );

    scope.get(
      '/api/v1/catalog/search',
      {
        config: { access: { auth: 'authenticated' } },
        schema: {
          tags: ['catalog'],
          summary: "Search every member's published catalogue (asked of the hub on the caller's behalf)",
          security: bearer,
          querystring: CatalogQuerySchema,
          response: { 200: FederationPageSchema, ...errorResponses(400, 401, 503) },
        },
      },
      async (request) => catalog.searchFederation(request.principal!, request.query),
    );

    scope.post(
      federationPath,
      {
        config: { access: { auth: 'public' } },
        bodyLimit: publicationBodyLimitBytes,
        schema: {
          tags: ['catalog'],
          summary: "(hub) Take a member's signed catalogue publication",
          description: 'The body is a flattened JWS over { type: "tongban.catalog", node, version, datasets, ts }, signed by a key of an active member.',
          body: Type.Object(
            { payload: Type.String(), protected: Type.String(), signature: Type.String() },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({ node: Type.String(), version: Type.Integer(), datasets: Type.Integer(), stored: Type.Boolean() }),
            ...errorResponses(400, 401, 403, 404, 409),
          },
        },
      },
      async (request) => catalog.receivePublication(request.body),
    );

    scope.get(
      federationPath,
      {
        config: { access: { auth: 'public' } },
        schema: {
          tags: ['catalog'],
          summary: "(hub) Search every member's published catalogue",
          description: `Callers are the hub's own staff (Bearer token) or members, who sign the request target in the ${searchSignatureHeader} header.`,
          querystring: CatalogQuerySchema,
          response: { 200: FederationPageSchema, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const authorization = request.headers.authorization;
        const signature = request.headers[searchSignatureHeader];
        if (authorization?.startsWith('Bearer ')) {
          request.principal = await node.identity.authenticate(authorization.slice('Bearer '.length).trim());
        } else if (typeof signature === 'string') {
          catalog.authenticateSearch(signature, request.url);
        } else {
          throw new AuthenticationError(`Log in first, or (for a member node) sign the request in ${searchSignatureHeader}.`);
        }
        request.log.debug({ caller: request.principal ? actorName(request.principal) : 'member' }, 'federation search');
        return catalog.federationSearch(request.query);
      },
    );
  });
}
