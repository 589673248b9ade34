/**
 * Agreements (合作协议) and the policy decisions the gateway enforces: what other contexts may use.
 */
export {
  createAgreementService,
  type ActionOptions,
  type ActionResult,
  type AgreementDetail,
  type AgreementMessageKind,
  type AgreementService,
  type AgreementServiceDeps,
  type AgreementSummary,
  type ApprovalInput,
  type ApprovalView,
  type Explanation,
  type ImportInput,
  type ImportResult,
  type ReceiptResult,
} from './agreement-service.ts';
export {
  AgreementDeniedError,
  compilePolicy,
  decidePolicy,
  type CompiledPolicy,
  type ExchangeOperation,
  type PolicyDecision,
  type PolicyRequest,
  type PolicySource,
  type StandingApproval,
} from './domain/policy.ts';
export { applyMask, maskRecord, type MaskRule } from './domain/masks.ts';
export { AgreementSchema, agreementJsonSchema, maskRules, type Agreement } from './domain/agreement-schema.ts';
export { parseAgreementText, validateAgreement, type AgreementIssue } from './domain/validate-agreement.ts';
export { agreementHash, agreementHashWith, type AgreementHash } from './domain/signed-messages.ts';
export { agreementStates, canTransition, type AgreementState } from './domain/lifecycle.ts';
export { retryDelayMs, type DeliveryResult } from './federation-deliveries.ts';
export { registerAgreementRoutes } from './http/routes.ts';
export { registerAgreementCommands } from './cli.ts';
