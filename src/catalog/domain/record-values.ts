/**
 * Values of dataset records: checking imported rows against the information items, and turning
 * what a database hands back into the same JSON values on every engine. Pure.
 */
import { isCalendarDate, type InformationItem, type ItemType } from './dataset.ts';

/** A value as it is checked and stored: JSON scalars or null. */
export type RecordValue = string | number | boolean | null;

/** One problem with one field of one row. */
export interface RowProblem {
  /** The item (or unknown column) concerned; null for the row as a whole. */
  readonly field: string | null;
  readonly problem: string;
}

/** A row that passed, with its typed values, or why it did not. */
export type CheckedRow =
  | { readonly ok: true; readonly values: Readonly<Record<string, RecordValue>> }
  | { readonly ok: false; readonly problems: readonly RowProblem[] };

const integerText = /^[+-]?\d{1,16}$/;
const numberText = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const dateTimeText = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

type Parsed = { readonly value: RecordValue } | { readonly problem: string };

/** Parses text (a CSV cell, a lookup key) as a value of `type`; the empty string is null. */
export function parseText(type: ItemType, text: string): Parsed {
  if (text === '') return { value: null };
  switch (type) {
    case 'string':
      return { value: text };
    case 'integer': {
      const trimmed = text.trim();
      const number = Number(trimmed);
      if (!integerText.test(trimmed) || !Number.isSafeInteger(number)) return { problem: 'is not an integer (or is too large)' };
      return { value: number };
    }
    case 'number': {
      const trimmed = text.trim();
      const number = Number(trimmed);
      if (!numberText.test(trimmed) || !Number.isFinite(number)) return { problem: 'is not a number' };
      return { value: number };
    }
    case 'boolean': {
      const lowered = text.trim().toLowerCase();
      if (lowered === 'true' || lowered === '1') return { value: true };
      if (lowered === 'false' || lowered === '0') return { value: false };
      return { problem: 'is not a boolean (true, false, 1 or 0)' };
    }
    case 'date':
      return isCalendarDate(text.trim()) ? { value: text.trim() } : { problem: 'is not a date as YYYY-MM-DD' };
    case 'datetime': {
      const trimmed = text.trim();
      const time = Date.parse(trimmed);
      if (!dateTimeText.test(trimmed) || Number.isNaN(time) || !isCalendarDate(trimmed.slice(0, 10))) {
        return { problem: 'is not a date-time with a time zone, e.g. 2026-03-01T08:30:00+08:00' };
      }
      // One form (UTC, milliseconds) so that text comparison orders times correctly on SQLite.
      return { value: new Date(time).toISOString() };
    }
  }
}

/** Parses a JSON value as a value of `type`: the type itself, or its text form. */
export function parseJsonValue(type: ItemType, value: unknown): Parsed {
  if (value === null || value === undefined) return { value: null };
  if (typeof value === 'string') return parseText(type, value);
  if (typeof value === 'number') {
    if (type === 'string') return { value: String(value) };
    if (type === 'integer') return Number.isSafeInteger(value) ? { value } : { problem: 'is not an integer (or is too large)' };
    if (type === 'number') return Number.isFinite(value) ? { value } : { problem: 'is not a number' };
    if (type === 'boolean' && (value === 0 || value === 1)) return { value: value === 1 };
    return { problem: `is a number, not a ${type}` };
  }
  if (typeof value === 'boolean') {
    return type === 'boolean' ? { value } : type === 'string' ? { value: String(value) } : { problem: `is a boolean, not a ${type}` };
  }
  return { problem: 'must be a single value, not an object or a list' };
}

/**
 * Checks one row against the items: types, key fields present, no unknown fields.
 * `source` says whether cells are text (CSV) or JSON values (JSON Lines).
 */
export function checkRow(
  items: readonly InformationItem[],
  keyFields: readonly string[],
  row: Readonly<Record<string, unknown>>,
  source: 'text' | 'json',
): CheckedRow {
  const problems: RowProblem[] = [];
  const values: Record<string, RecordValue> = {};
  for (const item of items) {
    const raw = Object.hasOwn(row, item.name) ? row[item.name] : undefined;
    const parsed = source === 'text' ? parseText(item.type, typeof raw === 'string' ? raw : '') : parseJsonValue(item.type, raw);
    if ('problem' in parsed) problems.push({ field: item.name, problem: parsed.problem });
    else values[item.name] = parsed.value;
  }
  for (const field of keyFields) {
    if (values[field] === null) problems.push({ field, problem: 'is a key field and must have a value' });
  }
  if (source === 'json') {
    const known = new Set(items.map((item) => item.name));
    for (const name of Object.keys(row)) {
      if (!known.has(name)) problems.push({ field: name.slice(0, 100), problem: 'is not an item of the dataset' });
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, values };
}

function twoDigits(value: number): string {
  return String(value).padStart(2, '0');
}

/**
 * Turns what a driver returns into the item's JSON value: SQLite's 0/1 booleans, PostgreSQL's
 * `date` (pg makes it local midnight) and `timestamptz` (an instant) Dates, numeric strings.
 */
export function fromStored(type: ItemType, value: unknown): RecordValue {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'boolean':
      return typeof value === 'boolean' ? value : Number(value) !== 0;
    case 'integer':
    case 'number':
      return typeof value === 'number' ? value : Number(value);
    case 'date':
      if (value instanceof Date) return `${value.getFullYear()}-${twoDigits(value.getMonth() + 1)}-${twoDigits(value.getDate())}`;
      return String(value);
    case 'datetime':
      if (value instanceof Date) return value.toISOString();
      return String(value);
    case 'string':
      return typeof value === 'string' ? value : String(value);
  }
}
