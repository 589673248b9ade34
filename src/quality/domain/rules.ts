/**
 * Quality rules: what a steward writes (YAML or JSON through the API), validated against the
 * dataset's fields before anything reaches a database. Pure: no I/O.
 */
import { LineCounter, isNode, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { InputError } from '../../core/errors.ts';

/** The quality dimensions a rule scores into. */
export const dimensions = ['completeness', 'validity', 'uniqueness', 'consistency', 'timeliness', 'accuracy'] as const;
/** A quality dimension. */
export type Dimension = (typeof dimensions)[number];

/** Algorithmic validators a validity rule may name. */
export const validatorNames = ['citizenId', 'citizenIdOrLegacy', 'creditCode', 'licenseId', 'date', 'sexCode', 'divisionCode'] as const;
/** The name of a built-in validator. */
export type ValidatorName = (typeof validatorNames)[number];

/** The value types a column may have (the catalogue's item types). */
export const columnKinds = ['string', 'integer', 'number', 'boolean', 'date', 'datetime'] as const;

function compilesAsRegex(pattern: string): boolean {
  try {
    new RegExp(pattern, 'u');
    return true;
  } catch {
    return false;
  }
}

/**
 * Where a pattern repeats a group that itself holds an unbounded quantifier, such as `(a+)+` or
 * `(\d*,)*`: the shape that makes a backtracking engine (SQLite's `REGEXP` runs JavaScript's)
 * take exponential time on a non-matching value. Returns the offset of the outer quantifier, or
 * undefined for a safe pattern. Character classes and escapes are skipped; lookarounds count as groups.
 */
export function nestedQuantifierAt(pattern: string): number | undefined {
  const groups: boolean[] = [false];
  /** The quantifier at `at`: undefined, or whether it repeats without bound, and its length. */
  const quantifier = (at: number): { unbounded: boolean; repeats: boolean; length: number } | undefined => {
    const char = pattern[at];
    if (char === '*' || char === '+') return { unbounded: true, repeats: true, length: pattern[at + 1] === '?' ? 2 : 1 };
    if (char === '?') return { unbounded: false, repeats: false, length: 1 };
    const braces = /^\{(\d+)(,(\d*))?\}\??/.exec(pattern.slice(at));
    if (char === '{' && braces) {
      const unbounded = braces[2] !== undefined && braces[3] === '';
      const max = braces[2] === undefined ? Number(braces[1]) : unbounded ? Infinity : Number(braces[3]);
      return { unbounded, repeats: max > 1, length: braces[0].length };
    }
    return undefined;
  };
  for (let at = 0; at < pattern.length; ) {
    const char = pattern[at]!;
    let atomEnd = at + 1;
    let innerUnbounded = false;
    if (char === '\\') {
      atomEnd = /^\\[pPu]\{/.test(pattern.slice(at)) ? pattern.indexOf('}', at) + 1 || pattern.length : at + 2;
    } else if (char === '[') {
      let end = at + 1;
      if (pattern[end] === '^') end++;
      if (pattern[end] === ']') end++;
      while (end < pattern.length && pattern[end] !== ']') end += pattern[end] === '\\' ? 2 : 1;
      atomEnd = end + 1;
    } else if (char === '(') {
      groups.push(false);
      at++;
      continue;
    } else if (char === ')') {
      innerUnbounded = groups.pop() ?? false;
      if (groups.length === 0) groups.push(false);
    }
    const after = quantifier(atomEnd);
    if (after?.repeats && innerUnbounded) return atomEnd;
    const top = groups.length - 1;
    groups[top] = groups[top]! || innerUnbounded || after?.unbounded === true;
    at = atomEnd + (after?.length ?? 0);
  }
  return undefined;
}

function refuseNestedQuantifiers(pattern: string, context: z.RefinementCtx): void {
  const at = nestedQuantifierAt(pattern);
  if (at === undefined) return;
  context.addIssue({
    code: 'custom',
    message: `a regular expression without a repeated group that itself repeats without bound (at character ${at + 1}: ${JSON.stringify(pattern.slice(0, at + 1))}); such patterns, like (a+)+, can take exponential time — repeat the inner part only once`,
  });
}

const fieldName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,62}$/, 'a field name: a letter, then letters, digits or _');
const percent = z.number().min(0).max(100);
const common = {
  /** Stable name of the rule within its file. */
  name: z.string().min(1).max(120),
  /** Failing rows above this percent make the rule warn (default: never warn, go straight to fail). */
  warnAbove: percent.optional(),
  /** Failing rows above this percent make the rule fail (default 0: any failing row fails). */
  failAbove: percent.optional(),
};

const ruleSchema = z.discriminatedUnion('check', [
  z.object({ check: z.literal('missing'), field: fieldName, ...common }).strict(),
  z.object({ check: z.literal('validator'), field: fieldName, validator: z.enum(validatorNames), ...common }).strict(),
  z.object({ check: z.literal('allowedValues'), field: fieldName, values: z.array(z.string().max(200)).min(1).max(10_000), ...common }).strict(),
  z.object({ check: z.literal('codeList'), field: fieldName, codeList: z.string().min(1).max(64), ...common }).strict(),
  z.object({ check: z.literal('range'), field: fieldName, min: z.number().optional(), max: z.number().optional(), ...common }).strict(),
  z.object({ check: z.literal('dateRange'), field: fieldName, min: z.iso.date().optional(), max: z.iso.date().optional(), ...common }).strict(),
  z.object({ check: z.literal('length'), field: fieldName, min: z.number().int().min(0).optional(), max: z.number().int().min(0).optional(), ...common }).strict(),
  z.object({ check: z.literal('unique'), fields: z.array(fieldName).min(1).max(8), ...common }).strict(),
  z
    .object({ check: z.literal('idConsistency'), idField: fieldName, birthDateField: fieldName.optional(), sexField: fieldName.optional(), ...common })
    .strict(),
  z.object({ check: z.literal('freshness'), field: fieldName, maxAgeDays: z.number().positive(), ...common }).strict(),
  z.object({ check: z.literal('rowCount'), min: z.number().int().min(0).optional(), max: z.number().int().min(0).optional(), ...common }).strict(),
  z
    .object({ check: z.literal('schema'), columns: z.array(z.union([fieldName, z.object({ name: fieldName, type: z.enum(columnKinds) }).strict()])).min(1).max(500), ...common })
    .strict(),
  z.object({ check: z.literal('regex'), field: fieldName, pattern: z.string().min(1).max(500).refine(compilesAsRegex, 'a regular expression that compiles').superRefine(refuseNestedQuantifiers), ...common }).strict(),
  z.object({ check: z.literal('reference'), field: fieldName, dataset: z.string().min(1).max(300), datasetField: fieldName, ...common }).strict(),
  z.object({ check: z.literal('rowCountChange'), maxChangePercent: z.number().min(0).max(1_000_000), ...common }).strict(),
  z.object({ check: z.literal('drift'), field: fieldName, maxDriftPercent: percent, ...common }).strict(),
  z.object({ check: z.literal('sql'), query: z.string().min(1).max(10_000), dimension: z.enum(dimensions).optional(), ...common }).strict(),
]);

/** One quality rule. */
export type Rule = z.infer<typeof ruleSchema>;
/** The kinds of check. */
export type CheckKind = Rule['check'];

const ruleFileSchema = z.object({ rules: z.array(ruleSchema).min(1).max(500) }).strict();

/** The dimension each check scores into. */
export function dimensionOf(rule: Rule): Dimension {
  switch (rule.check) {
    case 'missing':
    case 'rowCount':
    case 'rowCountChange':
    case 'schema':
      return 'completeness';
    case 'reference':
      return 'consistency';
    case 'drift':
      return 'accuracy';
    case 'sql':
      return rule.dimension ?? 'validity';
    case 'unique':
      return 'uniqueness';
    case 'idConsistency':
      return 'consistency';
    case 'freshness':
      return 'timeliness';
    case 'codeList':
      return 'accuracy';
    default:
      return 'validity';
  }
}

/** The fields a rule reads. */
export function fieldsOf(rule: Rule): string[] {
  switch (rule.check) {
    case 'unique':
      return [...rule.fields];
    case 'idConsistency':
      return [rule.idField, ...(rule.birthDateField ? [rule.birthDateField] : []), ...(rule.sexField ? [rule.sexField] : [])];
    case 'rowCount':
    case 'rowCountChange':
    case 'schema':
    case 'sql':
      return [];
    default:
      return [rule.field];
  }
}

/** Where in the source a rule was written (1-based line), when it came from a file. */
export interface RuleSource {
  readonly line?: number;
}

/** Rules with the line each starts on. */
export interface ParsedRules {
  readonly rules: readonly Rule[];
  readonly lines: readonly (number | undefined)[];
}

function lineOf(document: Document, counter: LineCounter, path: readonly (string | number)[]): number | undefined {
  for (let length = path.length; length >= 0; length--) {
    const node = document.getIn(path.slice(0, length), true);
    if (isNode(node) && node.range) return counter.linePos(node.range[0]).line;
  }
  return undefined;
}

/** Parses and validates a YAML (or JSON) rule file; errors name the line and, for fields, the field. */
export function parseRuleFile(text: string, fileName = 'rules'): ParsedRules {
  if (text.includes('\u0000')) throw new InputError(`${fileName} is a binary file, not a YAML rule file.`, {}, 'import_invalid');
  if (text.length > 1_000_000) throw new InputError(`${fileName} is larger than 1 MB; a rule file should be far smaller.`, {}, 'import_invalid');
  const counter = new LineCounter();
  const document = parseDocument(text, { lineCounter: counter, uniqueKeys: true, prettyErrors: true });
  const yamlError = document.errors[0];
  if (yamlError) {
    const line = yamlError.linePos?.[0].line;
    throw new InputError(`${fileName}${line ? ` line ${line}` : ''}: ${yamlError.message.split('\n')[0]}`, { line }, 'invalid_input');
  }
  const parsed = ruleFileSchema.safeParse(document.toJS());
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.filter((part): part is string | number => typeof part !== 'symbol');
    const line = lineOf(document, counter, path);
    throw new InputError(`${fileName}${line ? ` line ${line}` : ''}: ${path.join('.') || '(top level)'}: ${issue.message}`, { line, path }, 'invalid_input');
  }
  const lines = parsed.data.rules.map((_, index) => lineOf(document, counter, ['rules', index]));
  return { rules: parsed.data.rules, lines };
}

/** Validates rules given through the API (no lines to point at). */
export function parseRules(input: unknown): ParsedRules {
  const parsed = ruleFileSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.filter((part): part is string | number => typeof part !== 'symbol');
    throw new InputError(`${path.join('.') || '(top level)'}: ${issue.message}`, { path }, 'invalid_input');
  }
  return { rules: parsed.data.rules, lines: parsed.data.rules.map(() => undefined) };
}

/**
 * Checks that every field a rule reads exists in the dataset (schema rules may name missing
 * columns: that is what they check) and that rule names are unique.
 */
export function assertRulesFit(parsed: ParsedRules, fields: ReadonlySet<string>, fileName = 'rules'): void {
  const names = new Set<string>();
  parsed.rules.forEach((rule, index) => {
    const line = parsed.lines[index];
    const where = line ? `${fileName} line ${line}` : `${fileName} rule ${index + 1}`;
    if (names.has(rule.name)) throw new InputError(`${where}: rule name ${JSON.stringify(rule.name)} is used twice.`, { line, rule: rule.name }, 'invalid_input');
    names.add(rule.name);
    for (const field of fieldsOf(rule)) {
      if (!fields.has(field)) {
        throw new InputError(`${where}: rule ${JSON.stringify(rule.name)} refers to unknown field ${JSON.stringify(field)}; the dataset has ${[...fields].join(', ')}.`, { line, rule: rule.name, field }, 'invalid_input');
      }
    }
  });
}
