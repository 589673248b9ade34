/**
 * Publication of catalogue metadata to the hub, and federation search: the signed document a
 * node sends, the hub's checks of it, and the query both sides understand. Pure.
 */
import { Type, type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import { InputError } from '../../core/errors.ts';
import { dataGrades, DatasetDocumentSchema, datasetIdPattern, readablePath, sharingTypes, type DataGrade, type DatasetDocument, type SharingType } from './dataset.ts';

/** The JSON type of a catalogue publication. */
export const publicationType = 'tongban.catalog';
/** The JSON type of a node's signed federation-search request. */
export const searchRequestType = 'tongban.catalog.search';

const { id: _id, provider: _provider, providerName: _providerName, ...documentFields } = DatasetDocumentSchema.properties;

const publishedScore = Type.Union([Type.Number({ minimum: 0, maximum: 100 }), Type.Null()]);

/**
 * A dataset's latest quality score as published: part of the publication the node signs with its
 * key, so partners can trust it as much as the metadata it sits beside.
 */
export const PublishedQualityScoreSchema = Type.Object(
  {
    overall: publishedScore,
    dimensions: Type.Record(Type.String({ maxLength: 32 }), publishedScore),
    status: Type.Union([Type.Literal('pass'), Type.Literal('warn'), Type.Literal('fail')]),
    runId: Type.String({ maxLength: 64 }),
    datasetVersion: Type.Integer({ minimum: 0 }),
    finishedAt: Type.String({ maxLength: 40 }),
  },
  { additionalProperties: false },
);

/** A published quality score. */
export type PublishedQualityScore = Static<typeof PublishedQualityScoreSchema>;

/** One dataset as published: its document plus its version and last change, and its latest quality score. Never rows. */
export const PublishedDatasetSchema = Type.Object(
  {
    ...documentFields,
    id: Type.String({ pattern: datasetIdPattern.source }),
    provider: Type.String({ minLength: 2, maxLength: 32 }),
    providerName: Type.String({ minLength: 1, maxLength: 200 }),
    version: Type.Integer({ minimum: 1 }),
    updatedAt: Type.String({ maxLength: 40 }),
    quality: Type.Optional(PublishedQualityScoreSchema),
  },
  { additionalProperties: false },
);

/** A published dataset's metadata. */
export type PublishedDataset = Static<typeof PublishedDatasetSchema>;

/** Schema of a catalogue publication's payload. */
export const PublicationSchema = Type.Object(
  {
    type: Type.Literal(publicationType),
    node: Type.String({ minLength: 2, maxLength: 32 }),
    version: Type.Integer({ minimum: 1 }),
    datasets: Type.Array(PublishedDatasetSchema, { maxItems: 10_000 }),
    ts: Type.String({ maxLength: 40 }),
  },
  { additionalProperties: false },
);

/** What a node signs and sends to the hub. */
export type CatalogPublication = Static<typeof PublicationSchema>;

const publicationValidator = Compile(PublicationSchema);

/** A published dataset from a document and its bookkeeping. */
export function publishedDatasetOf(document: DatasetDocument, version: number, updatedAt: string): PublishedDataset {
  return { ...(document as unknown as PublishedDataset), version, updatedAt };
}

/** The publication a node signs. */
export function publicationOf(node: string, version: number, datasets: readonly PublishedDataset[], ts: Date): CatalogPublication {
  return { type: publicationType, node, version, datasets: [...datasets], ts: ts.toISOString() };
}

/**
 * Checks a verified publication's payload: its shape, that it comes from the node that signed it,
 * and that every dataset belongs to that node. Throws `invalid_input` naming the path.
 */
export function parsePublication(payload: unknown, signer: string): CatalogPublication {
  if (!publicationValidator.Check(payload)) {
    const [first] = publicationValidator.Errors(payload);
    const path = readablePath(first?.instancePath ?? '') || '(publication)';
    throw new InputError(`Invalid catalogue publication: ${path} ${first?.message ?? 'does not match the schema'}.`, { path });
  }
  const publication = payload as CatalogPublication;
  if (publication.node !== signer) {
    throw new InputError(`The publication names node ${publication.node} but is signed by ${signer}.`, { path: 'node' });
  }
  if (Number.isNaN(Date.parse(publication.ts))) throw new InputError('Invalid catalogue publication: ts is not a time.', { path: 'ts' });
  publication.datasets.forEach((dataset, index) => {
    if (dataset.provider !== signer || !dataset.id.startsWith(`${signer}/`)) {
      throw new InputError(`Invalid catalogue publication: datasets[${index}] is not provided by ${signer}.`, { path: `datasets[${index}].id` });
    }
  });
  return publication;
}

/** Lower-cased text that `q` searches: code, name, abstract, provider name, item names and titles. */
export function searchTextOf(dataset: Pick<DatasetDocument, 'code' | 'name' | 'abstract' | 'providerName' | 'items'>): string {
  const parts = [dataset.code, dataset.name, dataset.abstract, dataset.providerName];
  for (const item of dataset.items) parts.push(item.name, item.title ?? '');
  return parts.join('\n').toLowerCase();
}

/** The words of a search, lower-cased: a dataset matches when its text contains every one. */
export function searchTerms(q: string | undefined): string[] {
  if (!q) return [];
  return q
    .toLowerCase()
    .split(/\s+/)
    .filter((term) => term.length > 0)
    .slice(0, 8);
}

/** How a catalogue page is ordered: by id, name, code or last update; a leading `-` reverses it. Ties go by id. */
export const catalogSorts = ['id', '-id', 'name', '-name', 'code', '-code', 'updated', '-updated'] as const;
export type CatalogSort = (typeof catalogSorts)[number];

export type SortKey = 'id' | 'name' | 'code' | 'updated';

/** What a sort names: the key and its direction. */
export function sortOrder(sort: CatalogSort = 'id'): { readonly key: SortKey; readonly direction: 'asc' | 'desc' } {
  return sort.startsWith('-') ? { key: sort.slice(1) as SortKey, direction: 'desc' } : { key: sort as SortKey, direction: 'asc' };
}

/** A search over catalogue metadata, local or federation-wide. */
export interface CatalogQuery {
  readonly q?: string;
  readonly provider?: string;
  readonly sharing?: SharingType;
  readonly grade?: DataGrade;
  readonly sort?: CatalogSort;
  readonly limit?: number;
  readonly offset?: number;
}

/** The query-string schema shared by the node's and the hub's search routes. */
export const CatalogQuerySchema = Type.Object(
  {
    q: Type.Optional(Type.String({ maxLength: 200, description: 'words that name, abstract or items must all contain' })),
    provider: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9]{2,32}$', description: 'only datasets of this node' })),
    sharing: Type.Optional(Type.Enum(sharingTypes)),
    grade: Type.Optional(Type.Enum(dataGrades)),
    sort: Type.Optional(
      Type.Enum(catalogSorts, {
        default: 'id',
        description: 'order of the page: id, name, code or updated (when the dataset last changed); a leading - reverses it; ties go by id',
      }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000, default: 0 })),
  },
  { additionalProperties: false },
);

/** The query string of a catalogue query, in a fixed order so that a signed request target is reproducible. */
export function queryString(query: CatalogQuery): string {
  const params = new URLSearchParams();
  for (const key of ['q', 'provider', 'sharing', 'grade', 'sort', 'limit', 'offset'] as const) {
    const value = query[key];
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** What a node signs to ask the hub for a federation search on behalf of a local caller. */
export interface SearchRequest {
  readonly type: typeof searchRequestType;
  readonly node: string;
  /** The exact path and query string of the request, so the signature cannot be moved to another query. */
  readonly target: string;
  readonly operator: string;
  readonly ts: string;
}
