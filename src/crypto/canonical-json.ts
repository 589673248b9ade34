/**
 * RFC 8785 JSON Canonicalization Scheme (JCS).
 *
 * Signed payloads and hashed documents are serialised this way so that every node derives the
 * same bytes from the same value. RFC 8785 is `JSON.stringify` (ES number formatting, its string
 * escaping) with object members sorted by UTF-16 code units and lone surrogates refused, so:
 *
 * - the fast path copies the value with every object's keys inserted in sorted order and lets
 *   the native `JSON.stringify` write it: about twice as fast as serialising in JavaScript,
 *   which matters because every envelope is canonicalised once to sign and once to verify;
 * - the `canonicalize` package handles what the fast path cannot: objects with array-index keys
 *   ("0", "12": JavaScript enumerates those first whatever the insertion order), a
 *   `__proto__` key, and strings that may hold lone surrogates. Tests check that both paths agree.
 *
 * Before either, values JSON cannot carry faithfully are refused with InputError rather than
 * silently dropped or rewritten: undefined, functions, symbols, bigints, NaN and ±Infinity,
 * non-plain objects without `toJSON`, and cycles.
 */
import canonicalize from 'canonicalize';
import { InputError } from '../core/errors.ts';

/** Serialises a JSON value in RFC 8785 canonical form; throws InputError for what JSON cannot hold. */
export function canonicalJson(value: unknown): string {
  const walk: Walk = { path: [], needsGeneralPath: false };
  const copy = sortedCopy(value, walk, 0);
  if (walk.needsGeneralPath) return generalPath(value);
  const text = JSON.stringify(copy);
  // JSON.stringify writes a lone surrogate as \udxxx; any "\ud" in the output may be one.
  return text.includes('\\ud') ? generalPath(value) : text;
}

/** The UTF-8 bytes of `canonicalJson(value)`. */
export function canonicalBytes(value: unknown): Uint8Array {
  return Buffer.from(canonicalJson(value), 'utf8');
}

interface Walk {
  /** Where the walk is, as a stack; turned into text only when something is refused. */
  readonly path: (string | number)[];
  /** Set when the copy cannot be handed to JSON.stringify; the walk still checks everything. */
  needsGeneralPath: boolean;
}

// Keys that JavaScript enumerates before all others, or that assignment would not create.
const arrayIndexKey = /^(?:0|[1-9][0-9]*)$/;
// Deeper than any real message; also how a cycle shows up without a Set of ancestors.
const MAX_DEPTH = 256;

/**
 * `value` with every object's keys in UTF-16 order, refusing what JSON cannot hold. Objects and
 * arrays are copied only when something inside them changes (unsorted keys, a `toJSON`), so
 * data that is already in order costs a walk and no allocation.
 */
function sortedCopy(value: unknown, walk: Walk, depth: number): unknown {
  const path = walk.path;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) refuse(path, 'is not a finite number');
      return value;
    case 'object':
      break;
    default:
      refuse(path, `is ${typeof value}, which JSON cannot represent`);
  }
  if (value === null) return null;
  if (depth >= MAX_DEPTH) refuse(path, `is nested more than ${MAX_DEPTH} levels deep (or refers back to itself)`);
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return sortedCopy((value as { toJSON(): unknown }).toJSON(), walk, depth + 1);
  }
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      const element: unknown = value[i];
      const sorted = sortedCopy(element, walk, depth + 1);
      path.pop();
      if (copy === undefined && sorted !== element) copy = value.slice(0, i);
      copy?.push(sorted);
    }
    return copy ?? value;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) refuse(path, 'is not a plain object');
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  let copy: Record<string, unknown> | undefined;
  if (!isSorted(keys)) {
    keys.sort(); // default sort compares UTF-16 code units, as RFC 8785 §3.2.3 asks
    copy = {};
  }
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    path.push(key);
    const member = record[key];
    const sorted = sortedCopy(member, walk, depth + 1);
    path.pop();
    const first = key.charCodeAt(0);
    if ((first >= 0x30 && first <= 0x39 && arrayIndexKey.test(key)) || key === '__proto__') {
      // JavaScript lists array-index keys first whatever the insertion order, and assigning
      // "__proto__" sets the prototype: only the general path writes these right.
      walk.needsGeneralPath = true;
      continue;
    }
    if (copy === undefined && sorted !== member) {
      copy = {};
      for (let j = 0; j < i; j++) copy[keys[j] as string] = record[keys[j] as string];
    }
    if (copy !== undefined) copy[key] = sorted;
  }
  return copy ?? value;
}

function isSorted(keys: readonly string[]): boolean {
  for (let i = 1; i < keys.length; i++) if ((keys[i - 1] as string) > (keys[i] as string)) return false;
  return true;
}

/** The `canonicalize` package, for the cases the fast path hands over (value already checked). */
function generalPath(value: unknown): string {
  let text: string | undefined;
  try {
    text = canonicalize(value);
  } catch (error) {
    // What is left for the package to refuse: lone surrogates (RFC 8785 §3.2.2.2).
    throw new InputError(`value cannot be canonicalised: ${(error as Error).message}`, { path: '$' });
  }
  if (text === undefined) throw new InputError('value has no JSON form', { path: '$' });
  return text;
}

function refuse(path: readonly (string | number)[], problem: string): never {
  const where = `$${path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${part}`)).join('')}`;
  throw new InputError(`${where} ${problem}`, { path: where });
}
