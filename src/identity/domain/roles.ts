/**
 * Staff roles, what each may do, and which roles must never meet on one account.
 *
 * MLPS 2.0 level 3 asks for least privilege and separate system, security and audit
 * administrators; the rules below are that requirement written as data and pure checks.
 */
import { InputError, NotAllowedError } from '../../core/errors.ts';

/** Every staff role, in display order. */
export const roles = ['admin', 'steward', 'agreements', 'caseworker', 'auditor'] as const;
export type Role = (typeof roles)[number];

/** Every permission a role can grant. */
export const permissions = [
  'accounts.manage',
  'tokens.manage',
  'keys.manage',
  'node.configure',
  'events.read',
  'catalog.manage',
  'quality.manage',
  'agreements.manage',
  'agreements.sign',
  'exchange.request',
  'cases.handle',
  'audit.read',
] as const;
export type Permission = (typeof permissions)[number];

/** What each role may do. A permission absent here is refused. */
export const rolePermissions: Readonly<Record<Role, readonly Permission[]>> = {
  // System administration: accounts, keys, configuration. No business data, no audit review.
  admin: ['accounts.manage', 'tokens.manage', 'keys.manage', 'node.configure', 'events.read'],
  steward: ['catalog.manage', 'quality.manage'],
  agreements: ['agreements.manage', 'agreements.sign', 'exchange.request'],
  caseworker: ['cases.handle', 'exchange.request'],
  // The audit administrator reads, and only reads.
  auditor: ['audit.read', 'events.read'],
};

/** Roles whose holders administer the system or its audit, and so must log in with a second factor. */
export const rolesRequiringSecondFactor: readonly Role[] = ['admin', 'auditor'];

/** Business roles: the ones a system administrator must not also hold. */
export const businessRoles: readonly Role[] = ['steward', 'agreements', 'caseworker'];

/** Roles an API token may never hold: they need a person with a second factor. */
export const rolesForbiddenToTokens: readonly Role[] = ['admin', 'auditor'];

/** Anything that carries roles: a principal, an account, a token. */
export interface RoleHolder {
  readonly roles: readonly Role[];
}

/** Whether a string names a role. */
export function isRole(value: string): value is Role {
  return (roles as readonly string[]).includes(value);
}

/** Whether a string names a permission. */
export function isPermission(value: string): value is Permission {
  return (permissions as readonly string[]).includes(value);
}

/** Whether any of the holder's roles grants the permission. */
export function can(holder: RoleHolder, permission: Permission): boolean {
  return holder.roles.some((role) => rolePermissions[role].includes(permission));
}

/** The roles that grant a permission, for messages that tell the reader who could do it. */
export function rolesGranting(permission: Permission): Role[] {
  return roles.filter((role) => rolePermissions[role].includes(permission));
}

/** Whether any of the roles makes a second factor mandatory. */
export function requiresSecondFactor(held: readonly Role[]): boolean {
  return held.some((role) => rolesRequiringSecondFactor.includes(role));
}

/** Parses role names from input: known names only, at least one, duplicates removed, in canonical order. */
export function parseRoles(input: readonly string[], path = 'roles'): Role[] {
  if (!Array.isArray(input) || input.length === 0) throw new InputError('At least one role is required.', { path });
  const unknown = input.filter((name) => typeof name !== 'string' || !isRole(name));
  if (unknown.length > 0) {
    throw new InputError(`Unknown role(s): ${unknown.join(', ')}. Known roles: ${roles.join(', ')}.`, { path, unknown });
  }
  return roles.filter((role) => input.includes(role));
}

/** Why a set of roles may not be held together, or undefined when it may. */
export function dutySeparationConflict(held: readonly Role[]): string | undefined {
  if (held.includes('auditor') && held.length > 1) {
    return 'The auditor role cannot be combined with any other role (the audit administrator must be separate).';
  }
  const business = held.filter((role) => businessRoles.includes(role));
  if (held.includes('admin') && business.length > 0) {
    return `The admin role cannot be combined with business roles (${business.join(', ')}): system administration stays separate from the work it administers.`;
  }
  return undefined;
}

/** Throws `duty_separation` when the roles may not be held by one account. */
export function assertDutySeparation(held: readonly Role[]): void {
  const conflict = dutySeparationConflict(held);
  if (conflict) throw new NotAllowedError(conflict, { roles: [...held] }, 'duty_separation');
}

/** Throws `invalid_input` when an API token would hold a role reserved for people with a second factor. */
export function assertTokenRoles(held: readonly Role[]): void {
  const reserved = held.filter((role) => rolesForbiddenToTokens.includes(role));
  if (reserved.length > 0) {
    throw new InputError(
      `API tokens cannot hold ${reserved.join(', ')}: those roles need a person logging in with a second factor.`,
      { path: 'roles', reserved },
    );
  }
  assertDutySeparation(held);
}
