/**
 * Statements that run on every exchange are built with the query builder once and re-run with
 * fresh parameters: building one costs about as much as SQLite running it. Each parameter to
 * fill in is compiled as a sentinel value and found by it, so the order stays Kysely's.
 */
import type { CompiledQuery } from 'kysely';

/** A parameter value no caller passes, standing for `label` until bound. */
export function sentinel(label: string): string {
  return `\u0000tongban-parameter:${label}`;
}

/**
 * `compiled` with each sentinel in `values` replaced by its value. Other parameters (literals the
 * builder made parameters, e.g. `id = 1`) stay, unless `strict`, when any of them is a bug.
 */
export function bindSentinels(compiled: CompiledQuery, values: ReadonlyMap<unknown, unknown>, strict = false): CompiledQuery {
  return {
    ...compiled,
    parameters: compiled.parameters.map((parameter) => {
      if (values.has(parameter)) return values.get(parameter);
      if (strict) throw new Error(`unbound parameter in ${compiled.sql}`);
      return parameter;
    }),
  };
}
