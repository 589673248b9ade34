/**
 * Checks a steward's custom SQL before it reaches any engine. A custom rule is one read-only
 * SELECT over the dataset, which it names `dataset`; the rows it returns are the failing rows.
 * This screen is the first of three guards: the engine also runs the query in a read-only
 * transaction (or connection), and DuckDB file targets are sandboxed to their files. Pure.
 */
import { InputError } from '../../core/errors.ts';

/** Words that write, change configuration or reach outside the query; refused anywhere in the text. */
const forbiddenWords = new Set([
  'insert', 'update', 'delete', 'merge', 'upsert', 'drop', 'alter', 'create', 'truncate', 'attach', 'detach', 'pragma', 'copy', 'install',
  'load', 'vacuum', 'grant', 'revoke', 'call', 'export', 'import', 'set', 'reset', 'checkpoint', 'begin', 'commit', 'rollback', 'savepoint',
  'release', 'analyze', 'reindex', 'into', 'lock', 'listen', 'notify', 'prepare', 'execute', 'do', 'use', 'returning', 'dblink',
]);

/** Name prefixes of system catalogues and file or server access functions, in any engine. */
const forbiddenPrefixes = ['sqlite_', 'pg_', 'information_schema', 'duckdb_', 'read_', 'lo_', 'current_setting', 'set_config', 'glob', 'getenv', 'query'];

/** Words of a query: string literals removed, quoted identifiers unquoted, lower-cased. */
function wordsOf(query: string): string[] {
  const withoutLiterals = query.replace(/'(?:[^']|'')*'/g, "''");
  const unquoted = withoutLiterals.replace(/"((?:[^"]|"")*)"/g, (_, inner: string) => ` ${inner.replace(/""/g, '"')} `).replace(/`([^`]*)`/g, ' $1 ');
  return unquoted.toLowerCase().match(/[\p{L}_][\p{L}\p{N}_$]*/gu) ?? [];
}

/**
 * Refuses custom SQL that is not one plain SELECT (or WITH … SELECT) over `dataset`: several
 * statements, comments (which could hide text from this screen), writes, configuration, system
 * catalogues, file access, and any table of the node other than the dataset (`otherTables`).
 * Returns the query without a trailing semicolon.
 */
export function checkCustomSql(query: string, otherTables: Iterable<string>, ruleName: string): string {
  const refuse = (why: string): never => {
    throw new InputError(`Custom SQL of rule ${JSON.stringify(ruleName)} is refused: ${why}. Write one SELECT over \`dataset\` returning the failing rows.`, { rule: ruleName }, 'quality_sql_refused');
  };
  const trimmed = query.trim().replace(/;\s*$/, '');
  if (trimmed.includes('\u0000')) refuse('it contains a NUL character');
  const outsideLiterals = trimmed.replace(/'(?:[^']|'')*'/g, "''");
  if (/'/.test(outsideLiterals.replace(/''/g, ''))) refuse('a string literal is not closed');
  if (outsideLiterals.includes(';')) refuse('it holds more than one statement');
  if (outsideLiterals.includes('--') || outsideLiterals.includes('/*')) refuse('comments are not allowed');
  if (!/^(select|with)\b/i.test(trimmed)) refuse('it does not start with SELECT or WITH');
  const words = wordsOf(trimmed);
  if (!words.includes('dataset')) refuse('it does not read `dataset`');
  const tables = new Set([...otherTables].map((name) => name.toLowerCase()));
  for (const word of words) {
    // SQLite's REGEXP runs a backtracking engine on patterns no screen has seen; regex rules check theirs.
    if (word === 'regexp') refuse('it uses REGEXP, whose pattern is not checked here; write a `regex` rule instead');
    if (forbiddenWords.has(word)) refuse(`it uses ${word.toUpperCase()}, which is not read-only`);
    if (forbiddenPrefixes.some((prefix) => word.startsWith(prefix))) refuse(`it refers to ${word}, a system catalogue or file access`);
    if (tables.has(word)) refuse(`it refers to the node table ${word}; only \`dataset\` may be read`);
  }
  return trimmed;
}
