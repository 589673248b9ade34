/**
 * Data quality: rules pushed down to the dataset's table, run records, scores and trends. What
 * other contexts (and the node wiring) may use.
 */
export type { CheckKind, Dimension, ParsedRules, Rule, ValidatorName } from './domain/rules.ts';
export { assertRulesFit, dimensions, parseRuleFile, parseRules } from './domain/rules.ts';
export type { RuleResult, RuleStatus, Sample, Scores } from './domain/results.ts';
export { maskIdNumber, scoresOf } from './domain/results.ts';
export { generateRules } from './domain/generate.ts';
export type { ColumnKind, EvaluateOptions, Evaluation, EvaluationProgress, RuleTarget } from './store/rule-query.ts';
export { evaluateRules } from './store/rule-query.ts';
export { checkQualityFloor, type FloorAgreement, type FloorDecision, type LatestScore } from './domain/floor.ts';
export { openFileTarget, type FileTarget } from './store/duckdb-target.ts';
export type { RemediationService, RemediationTask } from './remediation-service.ts';
export { remediationStates, type RemediationState } from './domain/remediation.ts';
export {
  type ConformanceReport,
  type FieldConformance,
  type FileRunRequest,
  createQualityService,
  type QualityRun,
  type QualityRunSummary,
  type QualityService,
  type QualityServiceDeps,
  type RunRequest,
  type ScoreView,
} from './quality-service.ts';
export { registerQualityRoutes } from './http/routes.ts';
export { registerQualityCommands } from './cli.ts';
