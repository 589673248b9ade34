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

/** A remediation task opened from a failed rule (see domain/remediation.ts for its states). */
export interface QualityRemediationTaskTable {
  id: string;
  /** The dataset (or `file:<path>`) the rule ran on. */
  dataset: string;
  /** The rule's name within its rule set. */
  rule: string;
  state: 'open' | 'assigned' | 'fixed' | 'verified' | 'wont_fix';
  /** The run whose failure opened the task. */
  opened_run: string;
  /** Failing rows when the task was opened. */
  failed_at_open: number;
  assignee: string | null;
  /** The last note: how it was fixed, or why it will not be. */
  note: string | null;
  /** The passing run that verified the task. */
  verified_run: string | null;
  opened_by: string;
  opened_at: string;
  updated_at: string;
}

/** The quality context's tables, composed into src/store/tables.ts. */
export interface QualityTables {
  quality_runs: QualityRunTable;
  quality_remediation_tasks: QualityRemediationTaskTable;
}
