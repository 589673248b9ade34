/**
 * The dataset document of the resource catalogue (政务信息资源目录), after the core metadata of
 * the cataloguing guide (STANDARDS.md §3): authored as YAML or JSON, checked here, pure.
 */
import { createHash } from 'node:crypto';
import { Type, type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import { InputError } from '../../core/errors.ts';
import { canonicalJson } from '../../crypto/index.ts';

/** Data grades of GB/T 43697-2024: 一般 < 重要 < 核心. */
export type DataGrade = 'general' | 'important' | 'core';
/** 共享类型: 无条件共享, 有条件共享, 不予共享. */
export type SharingType = 'unconditional' | 'conditional' | 'none';
/** The value types an information item may have. */
export type ItemType = 'string' | 'integer' | 'number' | 'boolean' | 'date' | 'datetime';

/** An information item (信息项) of a dataset. */
export interface InformationItem {
  readonly name: string;
  readonly type: ItemType;
  readonly title?: string;
  /** Reference to a data element (数据元), e.g. `GB11643.citizen-id`. */
  readonly dataElement?: string;
}

/** What the gateway and the agreements need to know of a dataset. */
export interface DatasetInfo {
  /** `<provider node code>/<slug>`, e.g. `520400/social-insurance-enrolment`. */
  readonly id: string;
  readonly provider: string;
  readonly name: string;
  readonly grade: DataGrade;
  readonly sharing: SharingType;
  readonly items: readonly InformationItem[];
  /** Fields a record can be looked up by (e.g. `idNumber`). */
  readonly keyFields: readonly string[];
}

/** Grades in rising order, for ceilings. */
export const dataGrades = ['general', 'important', 'core'] as const satisfies readonly DataGrade[];
/** The three sharing behaviours (their labels are configurable elsewhere; the behaviours are fixed). */
export const sharingTypes = ['unconditional', 'conditional', 'none'] as const satisfies readonly SharingType[];
/** Value types of information items. */
export const itemTypes = ['string', 'integer', 'number', 'boolean', 'date', 'datetime'] as const satisfies readonly ItemType[];
/** Update cycles (更新周期). */
export const updateCycles = ['realtime', 'daily', 'weekly', 'monthly', 'quarterly', 'yearly', 'irregular'] as const;

/** A slug: the part of a dataset id after the provider code. */
export const slugPattern = /^[a-z0-9-]{2,64}$/;
/** An item name: also the column name in the node-managed table. */
export const itemNamePattern = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;
const nodeCodeSource = '(\\d{6}|(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{2,32})';
/** `<provider node code>/<slug>`. */
export const datasetIdPattern = new RegExp(`^${nodeCodeSource}/[a-z0-9-]{2,64}$`);

const Text = (maxLength: number, description?: string) =>
  Type.String({ minLength: 1, maxLength, ...(description ? { description } : {}) });
const DateString = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD' });

/** Schema of one information item. */
export const ItemSchema = Type.Object(
  {
    name: Type.String({ pattern: itemNamePattern.source, description: 'column name: a letter, then letters, digits or _ (at most 63)' }),
    type: Type.Enum(itemTypes),
    title: Type.Optional(Text(200, 'the item as people call it, e.g. 公民身份号码')),
    dataElement: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$', description: 'a data element (数据元) reference' })),
  },
  { additionalProperties: false },
);

/** The dataset document as authored (YAML or JSON). */
export const DatasetDocumentSchema = Type.Object(
  {
    id: Type.String({
      pattern: `^(${nodeCodeSource}/)?[a-z0-9-]{2,64}$`,
      description: '<provider node code>/<slug>, or just the slug (the provider is this node)',
    }),
    code: Type.String({ pattern: '^[0-9]+(-[0-9]+)*$', maxLength: 64, description: 'catalogue code: classification (类/项/目) and sequence, digits and dashes' }),
    name: Text(200),
    abstract: Text(4000),
    provider: Type.Optional(Type.String({ pattern: `^${nodeCodeSource}$`, description: "the providing node's code; must be this node" })),
    providerName: Type.Optional(Text(200, 'the providing department, e.g. 浙江省公安厅')),
    format: Type.Optional(Text(50, 'e.g. database, spreadsheet, file')),
    items: Type.Array(ItemSchema, { minItems: 1, maxItems: 500 }),
    keyFields: Type.Array(Type.String({ pattern: itemNamePattern.source }), { minItems: 1, maxItems: 4, uniqueItems: true }),
    sharing: Type.Object(
      {
        type: Type.Enum(sharingTypes),
        condition: Type.Optional(Text(2000, 'for conditional sharing: to whom and on what condition')),
        legalBasis: Type.Optional(Text(2000, 'for conditional and none: the law or policy relied on')),
        method: Type.Optional(Text(200, 'e.g. interface, file')),
      },
      { additionalProperties: false },
    ),
    open: Type.Optional(
      Type.Object(
        {
          type: Type.Enum(sharingTypes),
          condition: Type.Optional(Text(2000)),
        },
        { additionalProperties: false },
      ),
    ),
    updateCycle: Type.Enum(updateCycles),
    publishedOn: Type.Optional(DateString),
    related: Type.Optional(Type.Array(Type.String({ pattern: '^[0-9A-Za-z/_-]{1,100}$' }), { maxItems: 100, uniqueItems: true })),
    grade: Type.Enum(dataGrades),
  },
  { additionalProperties: false },
);

/** A dataset document as authored. */
export type DatasetDocumentInput = Static<typeof DatasetDocumentSchema>;

/** A validated dataset document: full id, provider filled in. */
export interface DatasetDocument extends Omit<DatasetDocumentInput, 'id' | 'provider' | 'providerName' | 'items'> {
  readonly id: string;
  readonly provider: string;
  readonly providerName: string;
  readonly items: readonly InformationItem[];
}

const validator = Compile(DatasetDocumentSchema);

/** What the node that checks a document knows: who it is. */
export interface ProviderContext {
  readonly code: string;
  readonly name: string;
}

function invalid(path: string, problem: string): InputError {
  const shown = path === '' ? '(document)' : path;
  return new InputError(`Invalid dataset document: ${shown} ${problem}.`, { path: shown });
}

/** `/items/2/name` → `items[2].name`, the way people read a path in YAML. */
export function readablePath(pointer: string): string {
  return pointer
    .split('/')
    .filter((part) => part !== '')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path === '' ? part : `${path}.${part}`), '');
}

/** The first schema problem of a value, as `{ path, problem }`. */
function firstSchemaProblem(value: unknown): { path: string; problem: string } {
  const errors = validator.Errors(value);
  const first = errors.find((error) => error.keyword !== 'anyOf') ?? errors[0];
  if (!first) return { path: '', problem: 'does not match the dataset schema' };
  const path = readablePath(first.instancePath);
  const params = first.params as Record<string, unknown>;
  if (first.keyword === 'required' && Array.isArray(params.requiredProperties)) {
    const missing = String(params.requiredProperties[0]);
    return { path: path ? `${path}.${missing}` : missing, problem: 'is required' };
  }
  if (first.keyword === 'boolean' && first.schemaPath.endsWith('/additionalProperties')) {
    return { path, problem: 'is not a known field' };
  }
  if (first.keyword === 'additionalProperties' && Array.isArray(params.additionalProperties)) {
    const extra = String(params.additionalProperties[0]);
    return { path: path ? `${path}.${extra}` : extra, problem: 'is not a known field' };
  }
  if (first.keyword === 'enum' && Array.isArray(params.allowedValues)) {
    return { path, problem: `must be one of: ${params.allowedValues.map(String).join(', ')}` };
  }
  if (first.keyword === 'const') {
    // A union of literals reports each literal it missed: list them all.
    const allowed = errors
      .filter((error) => error.keyword === 'const' && error.instancePath === first.instancePath)
      .map((error) => String((error.params as Record<string, unknown>).allowedValue));
    return { path, problem: `must be one of: ${allowed.join(', ')}` };
  }
  return { path, problem: first.message.replace(/\.$/, '') };
}

/**
 * Validates a dataset document for the node `provider`; throws `invalid_input` whose message and
 * `details.path` name the offending place (e.g. `items[2].type`).
 */
export function parseDatasetDocument(value: unknown, provider: ProviderContext): DatasetDocument {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('', 'must be an object (a mapping)');
  if (!validator.Check(value)) {
    const { path, problem } = firstSchemaProblem(value);
    throw invalid(path, problem);
  }
  const input = value as DatasetDocumentInput;
  const slash = input.id.indexOf('/');
  if (slash >= 0 && input.id.slice(0, slash) !== provider.code) {
    throw invalid('id', `must start with this node's code ${provider.code}/ (a node catalogues only its own datasets)`);
  }
  if (input.provider !== undefined && input.provider !== provider.code) {
    throw invalid('provider', `must be this node's code ${provider.code}`);
  }
  const seen = new Map<string, number>();
  input.items.forEach((item, index) => {
    // SQLite column names ignore case, so `name` and `Name` would be one column there.
    const folded = item.name.toLowerCase();
    const earlier = seen.get(folded);
    if (earlier !== undefined) throw invalid(`items[${index}].name`, `repeats items[${earlier}].name (names must differ ignoring case)`);
    seen.set(folded, index);
  });
  const names = new Set(input.items.map((item) => item.name));
  input.keyFields.forEach((field, index) => {
    if (!names.has(field)) throw invalid(`keyFields[${index}]`, `names '${field}', which is not one of the items`);
  });
  const { type, condition, legalBasis } = input.sharing;
  if (type === 'conditional' && condition === undefined) throw invalid('sharing.condition', 'is required for conditional sharing (有条件共享)');
  if (type === 'unconditional' && condition !== undefined) throw invalid('sharing.condition', 'applies only to conditional sharing');
  if (type !== 'unconditional' && legalBasis === undefined) {
    throw invalid('sharing.legalBasis', `is required when the sharing type is ${type} (cite the law or policy relied on)`);
  }
  if (input.open?.type === 'conditional' && input.open.condition === undefined) throw invalid('open.condition', 'is required for conditional opening');
  if (input.publishedOn !== undefined && !isCalendarDate(input.publishedOn)) throw invalid('publishedOn', 'is not a calendar date');

  const id = slash >= 0 ? input.id : `${provider.code}/${input.id}`;
  const { provider: _provider, providerName, ...rest } = input;
  return {
    ...rest,
    id,
    provider: provider.code,
    providerName: providerName ?? provider.name,
    items: input.items.map((item) => ({ ...item })),
  };
}

/** Whether `YYYY-MM-DD` names a real day. */
export function isCalendarDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** The slug of a dataset id. */
export function slugOf(id: string): string {
  return id.slice(id.indexOf('/') + 1);
}

/** What the gateway and the agreements see of a document. */
export function datasetInfoOf(document: DatasetDocument): DatasetInfo {
  return {
    id: document.id,
    provider: document.provider,
    name: document.name,
    grade: document.grade,
    sharing: document.sharing.type,
    items: document.items,
    keyFields: document.keyFields,
  };
}

/**
 * Fingerprint of what shapes the managed table (item names and types, key fields): an update that
 * changes it cannot keep the imported rows.
 */
export function dataLayoutOf(document: Pick<DatasetDocument, 'items' | 'keyFields'>): string {
  const layout = { items: document.items.map((item) => [item.name, item.type]), keyFields: document.keyFields };
  return createHash('sha256').update(canonicalJson(layout)).digest('base64url').slice(0, 22);
}

/**
 * The node-managed table of a dataset: `ds_<slug with _>`. Long slugs are shortened with a hash
 * so that the staging and index names built on it stay within PostgreSQL's 63-byte identifiers.
 */
export function managedTableName(slug: string): string {
  const base = `ds_${slug.replace(/-/g, '_')}`;
  if (base.length <= 40) return base;
  const hash = createHash('sha256').update(slug).digest('hex').slice(0, 8);
  return `${base.slice(0, 31)}_${hash}`;
}

/** The canonical JSON kept for a document: key order never makes two equal documents differ. */
export function documentJson(document: DatasetDocument): string {
  return canonicalJson(document);
}
