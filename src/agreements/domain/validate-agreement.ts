/**
 * Reads and validates an agreement document: YAML or JSON text → schema → cross-field rules.
 *
 * Every problem names the JSON Pointer of the offending member and, when the document came as
 * text, the line it is on, so the author can go straight to it. Pure: no I/O.
 */
import { Compile } from 'typebox/compile';
import { LineCounter, parseDocument } from 'yaml';
import { InputError } from '../../core/errors.ts';
import {
  AgreementSchema,
  agreementSharingTypes,
  datasetIdPattern,
  fieldNamePattern,
  nodeCodePattern,
  agreementIdPattern,
  type Agreement,
  type PartyRole,
} from './agreement-schema.ts';
import { pointerOf, pointerSegments, yamlSourceLocator, type SourceLocator } from './source-locator.ts';

/** One problem in an agreement document. */
export interface AgreementIssue {
  /** JSON Pointer of the offending member, e.g. `/datasets/0/grants/1/to`. */
  readonly path: string;
  readonly message: string;
  /** 1-based line in the source text, when the document came as text. */
  readonly line?: number;
  readonly column?: number;
}

/** The formats an agreement can be authored in. */
export type AgreementFormat = 'yaml' | 'json';

/** The largest agreement text accepted: far above any real agreement, far below a memory problem. */
export const maxAgreementTextBytes = 1024 * 1024;

const validator = Compile(AgreementSchema);

/** Parses YAML or JSON text into a validated agreement; throws `agreement_invalid` naming path and line. */
export function parseAgreementText(text: string, options: { readonly format?: AgreementFormat; readonly source?: string } = {}): Agreement {
  const source = options.source ?? 'The agreement';
  if (Buffer.byteLength(text, 'utf8') > maxAgreementTextBytes) {
    throw new InputError(`${source} is larger than ${maxAgreementTextBytes} bytes.`, { path: '' }, 'agreement_invalid');
  }
  const lineCounter = new LineCounter();
  // JSON is parsed as YAML too (it is a subset), so both get line numbers and duplicate-key errors.
  const document = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: true, strict: true });
  const syntax = document.errors[0];
  if (syntax) {
    const position = syntax.linePos?.[0];
    const where = position ? ` at line ${position.line}, column ${position.col}` : '';
    throw new InputError(
      `${source} is not valid ${options.format === 'json' ? 'JSON' : 'YAML'}${where}: ${syntax.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
      { path: '', ...(position ? { line: position.line, column: position.col } : {}) },
      'agreement_invalid',
    );
  }
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new InputError(`${source} cannot be read: ${(error as Error).message}`, { path: '' }, 'agreement_invalid');
  }
  return assertValidAgreement(value, { locate: yamlSourceLocator(document, lineCounter), source });
}

/** Validates a parsed value; throws `agreement_invalid` with every issue in `details.issues`. */
export function assertValidAgreement(value: unknown, options: { readonly locate?: SourceLocator; readonly source?: string } = {}): Agreement {
  const issues = validateAgreement(value, options.locate);
  if (issues.length === 0) return value as Agreement;
  const first = issues[0]!;
  const where = first.line !== undefined ? ` (line ${first.line})` : '';
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
  throw new InputError(
    `${options.source ?? 'The agreement'} is invalid at ${first.path || '/'}${where}: ${first.message}${more}`,
    {
      path: first.path,
      ...(first.line !== undefined ? { line: first.line, column: first.column } : {}),
      issues,
    },
    'agreement_invalid',
  );
}

/** Every problem of a value as an agreement document: schema first, then the rules between members. */
export function validateAgreement(value: unknown, locate?: SourceLocator): AgreementIssue[] {
  const schemaIssues = validator.Check(value) ? [] : schemaProblems(value);
  const issues = schemaIssues.length > 0 ? schemaIssues : crossFieldProblems(value as Agreement);
  const located = issues.map((issue): AgreementIssue => {
    const position = locate?.(issue.path);
    return position ? { ...issue, line: position.line, column: position.column } : issue;
  });
  // In the order a reader meets them: by line when known, else by position in the document.
  return located.sort((a, b) =>
    a.line !== undefined && b.line !== undefined && a.line !== b.line ? a.line - b.line : comparePaths(a.path, b.path),
  );
}

// ---- schema errors, in words ----

interface RawError {
  readonly keyword: string;
  readonly instancePath: string;
  readonly schemaPath: string;
  readonly params: Record<string, unknown>;
  readonly message: string;
}

const patternWords: Readonly<Record<string, string>> = {
  [nodeCodePattern]: 'must be a node code: 6 digits (GB/T 2260) or 2–32 letters and digits; quote it in YAML',
  [agreementIdPattern]: 'must be "agr-" followed by lower-case letters, digits and single hyphens',
  [datasetIdPattern]: 'must be a dataset id "<provider node code>/<slug>"',
  [fieldNamePattern]: 'must be a field name: a letter or _ followed by letters, digits or _',
  '^\\S(?:.*\\S)?$': 'must not be empty or start or end with white space',
};

function schemaProblems(value: unknown): AgreementIssue[] {
  const raw = validator.Errors(value) as unknown as RawError[];
  const issues: AgreementIssue[] = [];
  const seen = new Set<string>();
  for (const error of raw) {
    const issue = describe(error, value);
    if (!issue) continue;
    const key = `${issue.path}\u0000${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  return issues;
}

function describe(error: RawError, root: unknown): AgreementIssue | undefined {
  const path = error.instancePath;
  const actual = valueAt(root, path);
  switch (error.keyword) {
    case 'boolean':
      // `additionalProperties: false` reports the unknown member itself here; the summary error is skipped below.
      return { path, message: `"${lastSegment(path)}" is not allowed here${allowedMembers(error.schemaPath)}` };
    case 'additionalProperties':
      return undefined;
    case 'required': {
      const missing = (error.params.requiredProperties as string[] | undefined) ?? [];
      const name = missing[0] ?? '?';
      return { path: `${path}/${name}`, message: `"${name}" is required` };
    }
    case 'type': {
      const expected = error.params.type as string | string[];
      const hint = expected === 'string' && typeof actual === 'number' ? ` (write it in quotes: "${actual}")` : '';
      return { path, message: `must be ${article(String(expected))} but is ${kindOf(actual)}${hint}` };
    }
    case 'enum': {
      const allowed = (error.params.allowedValues as unknown[]).map((v) => String(v));
      if (path.endsWith('/sharing') && actual === 'none') {
        return { path, message: `a dataset shared "none" (不予共享) cannot be in an agreement; allowed: ${agreementSharingTypes.join(', ')}` };
      }
      return { path, message: `is "${String(actual)}"; allowed: ${allowed.join(', ')}` };
    }
    case 'pattern':
      return { path, message: `${patternWords[String(error.params.pattern)] ?? `must match ${String(error.params.pattern)}`}, not "${String(actual)}"` };
    case 'format':
      return { path, message: error.params.format === 'date' ? `must be a real date YYYY-MM-DD, not "${String(actual)}"` : error.message };
    case 'uniqueItems': {
      const items = Array.isArray(actual) ? actual : [];
      const duplicates = ((error.params.duplicateItems as number[] | undefined) ?? []).map((index) => JSON.stringify(items[index]));
      return { path, message: `lists ${duplicates.join(', ') || 'an entry'} more than once` };
    }
    case 'minItems':
      return { path, message: `needs at least ${String(error.params.limit)} entr${error.params.limit === 1 ? 'y' : 'ies'}` };
    case 'maxItems':
      return { path, message: `may have at most ${String(error.params.limit)} entries` };
    case 'minLength':
      return { path, message: 'must not be empty' };
    case 'maxLength':
      return { path, message: `may be at most ${String(error.params.limit)} characters long` };
    case 'minimum':
    case 'maximum':
      return { path, message: `must be ${error.keyword === 'minimum' ? 'at least' : 'at most'} ${String(error.params.limit)}, not ${String(actual)}` };
    default:
      return { path, message: error.message };
  }
}

function allowedMembers(schemaPath: string): string {
  // "#/properties/validity/additionalProperties" → the object schema at "#/properties/validity".
  const objectPath = schemaPath.replace(/^#/, '').replace(/\/additionalProperties$/, '');
  const schema = valueAt(AgreementSchema, objectPath) as { properties?: Record<string, unknown>; patternProperties?: Record<string, unknown> } | undefined;
  if (schema?.properties) return `; allowed: ${Object.keys(schema.properties).join(', ')}`;
  const pattern = schema?.patternProperties ? Object.keys(schema.patternProperties)[0] : undefined;
  return pattern && patternWords[pattern] ? `: a key ${patternWords[pattern]}` : '';
}

// ---- rules between members ----

const requesterRoles: readonly PartyRole[] = ['requester', 'both'];
const providerRoles: readonly PartyRole[] = ['provider', 'both'];

/** The provider node of a dataset id `<node>/<slug>`. */
export function datasetProvider(datasetId: string): string {
  return datasetId.slice(0, datasetId.indexOf('/'));
}

function crossFieldProblems(agreement: Agreement): AgreementIssue[] {
  const issues: AgreementIssue[] = [];
  const problem = (message: string, ...segments: (string | number)[]) => issues.push({ path: pointerOf(...segments), message });

  const roles = new Map<string, PartyRole>();
  agreement.parties.forEach((party, index) => {
    if (roles.has(party.node)) problem(`party ${party.node} is listed more than once`, 'parties', index, 'node');
    else roles.set(party.node, party.role);
  });
  const isParty = (node: string) => roles.has(node);
  const partyList = [...roles.keys()].join(', ');
  if (![...roles.values()].some((role) => providerRoles.includes(role))) problem('no party has the role provider or both', 'parties');
  if (![...roles.values()].some((role) => requesterRoles.includes(role))) problem('no party has the role requester or both', 'parties');

  if (agreement.validity.from > agreement.validity.to) {
    problem(`ends (${agreement.validity.to}) before it starts (${agreement.validity.from})`, 'validity', 'to');
  }

  const itemCodes = new Set<string>();
  agreement.items.forEach((item, index) => {
    if (itemCodes.has(item.code)) problem(`item "${item.code}" is listed more than once`, 'items', index, 'code');
    itemCodes.add(item.code);
    item.steps.forEach((step, stepIndex) => {
      if (!isParty(step.by)) problem(`${step.by} is not a party (parties: ${partyList})`, 'items', index, 'steps', stepIndex, 'by');
    });
  });

  const datasetIds = new Set<string>();
  agreement.datasets.forEach((clause, index) => {
    if (datasetIds.has(clause.dataset)) problem(`dataset ${clause.dataset} is listed more than once`, 'datasets', index, 'dataset');
    datasetIds.add(clause.dataset);
    const provider = datasetProvider(clause.dataset);
    const providerRole = roles.get(provider);
    if (providerRole === undefined) {
      problem(`the dataset's provider ${provider} is not a party (parties: ${partyList})`, 'datasets', index, 'dataset');
    } else if (!providerRoles.includes(providerRole)) {
      problem(`the dataset's provider ${provider} is a party with the role ${providerRole}, not provider or both`, 'datasets', index, 'dataset');
    }
    if (clause.sharing === 'conditional' && !clause.approval) {
      problem('a conditional (有条件共享) dataset needs an approval route { by, deadlineWorkingDays }', 'datasets', index, 'approval');
    }
    if (clause.sharing === 'unconditional' && clause.approval) {
      problem('an approval route applies only to conditional datasets', 'datasets', index, 'approval');
    }
    if (clause.approval && !isParty(clause.approval.by)) {
      problem(`${clause.approval.by} is not a party (parties: ${partyList})`, 'datasets', index, 'approval', 'by');
    }
    clause.grants.forEach((grant, grantIndex) => {
      const at = ['datasets', index, 'grants', grantIndex] as const;
      const role = roles.get(grant.to);
      if (role === undefined) problem(`${grant.to} is not a party (parties: ${partyList})`, ...at, 'to');
      else if (!requesterRoles.includes(role)) problem(`${grant.to} is a party with the role ${role}, not requester or both`, ...at, 'to');
      else if (grant.to === provider) problem(`${grant.to} provides this dataset; a grant is for another party`, ...at, 'to');
      grant.items.forEach((code, itemIndex) => {
        if (!itemCodes.has(code)) problem(`item "${code}" is not in the agreement's item list`, ...at, 'items', itemIndex);
      });
      const query = grant.query ?? [];
      const verify = grant.verify ?? [];
      if (query.length === 0 && verify.length === 0) problem('grants no field: list fields under query or verify', ...at);
      const granted = new Set([...query, ...verify]);
      for (const field of Object.keys(grant.mask ?? {})) {
        if (!granted.has(field)) problem(`masks "${field}", which the grant does not grant by query or verify`, ...at, 'mask', field);
      }
    });
  });

  for (const [dataset, controller] of Object.entries(agreement.security.controller)) {
    if (!datasetIds.has(dataset)) problem(`${dataset} is not one of the agreement's datasets`, 'security', 'controller', dataset);
    else if (!isParty(controller)) problem(`${controller} is not a party (parties: ${partyList})`, 'security', 'controller', dataset);
  }
  for (const dataset of datasetIds) {
    if (!Object.hasOwn(agreement.security.controller, dataset)) problem(`names no controller for dataset ${dataset}`, 'security', 'controller');
  }
  for (const dataset of Object.keys(agreement.service?.qualityFloor ?? {})) {
    if (!datasetIds.has(dataset)) problem(`${dataset} is not one of the agreement's datasets`, 'service', 'qualityFloor', dataset);
  }
  return issues;
}

// ---- helpers ----

function valueAt(root: unknown, pointer: string): unknown {
  let node: unknown = root;
  for (const segment of pointerSegments(pointer)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

function lastSegment(pointer: string): string {
  const segments = pointerSegments(pointer);
  return segments[segments.length - 1] ?? '';
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the text "${value}"`;
  return `${typeof value} ${String(value)}`;
}

function article(type: string): string {
  switch (type) {
    case 'object':
      return 'a mapping';
    case 'array':
      return 'a list';
    case 'integer':
      return 'a whole number';
    default:
      return `a ${type}`;
  }
}

/** Orders pointers as they appear in a document: numerically within lists. */
function comparePaths(a: string, b: string): number {
  const left = pointerSegments(a);
  const right = pointerSegments(b);
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const x = left[i]!;
    const y = right[i]!;
    if (x === y) continue;
    const nx = Number(x);
    const ny = Number(y);
    if (Number.isInteger(nx) && Number.isInteger(ny)) return nx - ny;
    return x < y ? -1 : 1;
  }
  return left.length - right.length;
}
