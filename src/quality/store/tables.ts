/** Tables of the quality context. */

/**
 * One finished quality run: written once, in one transaction, after every rule was evaluated, so
 * an interrupted run leaves nothing behind. Results and scores are kept as JSON (the run record).
 */
export interface QualityRunTable {
  id: string;
  /** `<provider node code>/<slug>`. */
  dataset: string;
  /** Catalogue version of the dataset document the run checked. */
  dataset_version: number;
  /** `fail` if any rule failed, else `warn` if any warned, else `pass`. */
  status: 'pass' | 'warn' | 'fail';
  /** Where the rules came from: `generated`, `file:<name>` or `api`. */
  rules_source: string;
  rule_count: number;
  row_count: number;
  /** Overall score 0–100, null when no rule scored. */
  overall: number | null;
  /** JSON: per-dimension scores. */
  dimensions: string;
  /** JSON: the rule results (masked samples included). */
  results: string;
  actor: string;
  started_at: string;
  finished_at: string;
}

/** The quality context's tables, composed into src/store/tables.ts. */
export interface QualityTables {
  quality_runs: QualityRunTable;
}
