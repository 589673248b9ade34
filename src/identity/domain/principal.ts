/**
 * Who is acting: a logged-in staff member, a system holding an API token, or the node itself.
 */
import type { Role } from './roles.ts';

/** A staff member authenticated by an access token tied to a live session. */
export interface StaffPrincipal {
  readonly kind: 'staff';
  readonly accountId: string;
  readonly username: string;
  /** Read from the account (remembered for at most a few seconds), so a role change takes effect at once. */
  readonly roles: readonly Role[];
  readonly sessionId: string;
}

/** A system authenticated by an API token. */
export interface TokenPrincipal {
  readonly kind: 'token';
  readonly tokenId: string;
  readonly name: string;
  readonly roles: readonly Role[];
}

/** Anyone who presented valid credentials. */
export type Principal = StaffPrincipal | TokenPrincipal;

/** The node itself, acting for a local operator (`tongban init`, the CLI on the node's own machine). */
export interface SystemActor {
  readonly kind: 'system';
}

/** Whoever asks for a change: a principal, or the node for local operations. */
export type Actor = Principal | SystemActor;

/** The node acting for a local operator. */
export const systemActor: SystemActor = Object.freeze({ kind: 'system' });

/** The actor as the event log names it: `staff:<id>`, `token:<id>` or `system`. */
export function actorName(actor: Actor): string {
  switch (actor.kind) {
    case 'staff':
      return `staff:${actor.accountId}`;
    case 'token':
      return `token:${actor.tokenId}`;
    case 'system':
      return 'system';
  }
}

/** Whether the actor is the staff member who holds this account. */
export function isSelf(actor: Actor, accountId: string): boolean {
  return actor.kind === 'staff' && actor.accountId === accountId;
}
