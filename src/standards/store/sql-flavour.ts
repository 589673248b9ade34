/**
 * The SQL flavours quality rules compile to: the node's two storage dialects (SQLite, PostgreSQL),
 * whose differences live in src/store/dialect.ts, plus DuckDB, which runs embedded over CSV and
 * Parquet files and never stores node state (so it is not a storage dialect). Each function names
 * one difference and explains every path; the SQLite/PostgreSQL paths delegate to dialect.ts.
 */
import { sql, type Expression, type RawBuilder } from 'kysely';
import { asText, matchesSlots, onlyCharsIn, textPosition, type CharSlot, type DialectName } from '../../store/dialect.ts';

/** Where compiled rule SQL runs: a storage dialect, or embedded DuckDB over a file. */
export type SqlFlavour = DialectName | 'duckdb';

/** The flavours, for contract tests that run on each. */
export const sqlFlavours: readonly SqlFlavour[] = ['sqlite', 'postgres', 'duckdb'];

/**
 * A regular expression of character slots as RE2/POSIX text. Only letters, digits and `-` ranges
 * appear in classes, which mean the same everywhere; literals are escaped.
 */
function slotRegex(slots: readonly CharSlot[]): string {
  const parts = slots.map((slot) => ('anyOf' in slot ? `[${slot.anyOf}]` : slot.literal.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&')));
  // Runs of the same slot collapse to `x{n}`: a shorter pattern for the regex compiler.
  const runs: string[] = [];
  for (let index = 0; index < parts.length; ) {
    let end = index + 1;
    while (end < parts.length && parts[end] === parts[index]) end++;
    runs.push(end - index > 1 ? `${parts[index]!.length > 1 && !parts[index]!.startsWith('[') ? `(?:${parts[index]})` : parts[index]}{${end - index}}` : parts[index]!);
    index = end;
  }
  return runs.join('');
}

/**
 * Whether `text` is exactly the sequence of slots. DuckDB: `regexp_full_match` with the pattern
 * as a literal (a constant pattern is compiled once per query, not per row; it is built from
 * trusted slot definitions, never from user input); other flavours: see `matchesSlots`.
 */
export function flavourMatchesSlots(flavour: SqlFlavour, text: Expression<unknown>, slots: readonly CharSlot[]): RawBuilder<boolean> {
  if (flavour === 'duckdb') return sql<boolean>`regexp_full_match(${text}, ${sql.lit(slotRegex(slots))})`;
  return matchesSlots(flavour, text, slots);
}

/** Whether every character of `text` is in the class: DuckDB `NOT regexp_matches(text, '[^..]')`; others see `onlyCharsIn`. */
export function flavourOnlyCharsIn(flavour: SqlFlavour, text: Expression<unknown>, anyOf: string): RawBuilder<boolean> {
  if (flavour === 'duckdb') return sql<boolean>`(not regexp_matches(${text}, ${sql.lit(`[^${anyOf}]`)}))`;
  return onlyCharsIn(flavour, text, anyOf);
}

/** The 1-based position of `needle` in `haystack`, 0 when absent: DuckDB has PostgreSQL's `strpos`. */
export function flavourTextPosition(flavour: SqlFlavour, haystack: Expression<unknown>, needle: Expression<unknown>): RawBuilder<number> {
  return textPosition(flavour === 'duckdb' ? 'postgres' : flavour, haystack, needle);
}

/** A value as text: DuckDB `cast(… as varchar)` (a no-op on VARCHAR columns; dates print as ISO); others see `asText`. */
export function flavourAsText(flavour: SqlFlavour, value: Expression<unknown>): RawBuilder<string> {
  if (flavour === 'duckdb') return sql<string>`cast(${value} as varchar)`;
  return asText(flavour, value);
}

/**
 * Whether `text` contains a match of a user-supplied regular expression, the pattern bound as a
 * value (never spliced into the SQL). PostgreSQL: `~` (POSIX); DuckDB: `regexp_matches` (RE2);
 * SQLite: `REGEXP`, which calls the JavaScript function the store registers on every connection
 * (src/store/open-store.ts; values longer than its input cap never match).
 */
export function flavourRegexMatches(flavour: SqlFlavour, text: Expression<unknown>, pattern: string): RawBuilder<boolean> {
  if (flavour === 'duckdb') return sql<boolean>`regexp_matches(${text}, ${pattern})`;
  if (flavour === 'postgres') return sql<boolean>`(${text} ~ ${pattern})`;
  return sql<boolean>`(${text} regexp ${pattern})`;
}
