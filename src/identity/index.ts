/**
 * The staff identity and access context: what other contexts, the HTTP routes and the CLI may use.
 */
export {
  createIdentityService,
  staffTokenAudience,
  type AccessToken,
  type AccountWithEnrolment,
  type ApiToken,
  type ChangePasswordInput,
  type CreateAccountInput,
  type CreateApiTokenInput,
  type CreatedApiToken,
  type IdentityService,
  type IdentityServiceDeps,
  type LoginFailureReason,
  type LoginInput,
  type LoginResult,
} from './identity-service.ts';
export type { AccountStatus, SecondFactorEnrolment, StaffAccount } from './domain/account.ts';
export { isValidUsername } from './domain/account.ts';
export { passwordProblems, type PasswordProblem } from './domain/password-policy.ts';
export {
  actorName,
  systemActor,
  type Actor,
  type Principal,
  type StaffPrincipal,
  type SystemActor,
  type TokenPrincipal,
} from './domain/principal.ts';
export {
  can,
  dutySeparationConflict,
  isPermission,
  isRole,
  permissions,
  rolePermissions,
  roles,
  rolesGranting,
  rolesRequiringSecondFactor,
  type Permission,
  type Role,
} from './domain/roles.ts';
export type { SecretBox } from './domain/second-factor.ts';
