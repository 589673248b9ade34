/**
 * A short-lived memory of who a bearer token authenticated as. Every API request carries a token,
 * and checking one costs an HMAC verification plus reads of the session and the account — more
 * than the rest of a small request. An entry lives a few seconds at most, never past the token's,
 * session's or idle limit; any change in this process that could end or narrow access (logout,
 * disabling an account, a password or role change, a revoked API token) forgets every entry at
 * once. Another process of the same node sees such a change within the lifetime of an entry.
 */
import type { Principal } from './domain/principal.ts';

interface Entry {
  readonly principal: Principal;
  /** Milliseconds since the epoch (on the node's clock) from which the entry is no longer used. */
  readonly notAfter: number;
}

export interface PrincipalCache {
  /** The cached principal for this bearer at `now`, or undefined. */
  get(bearer: string, now: number): Principal | undefined;
  /** The current generation, read before authenticating, so a change made meanwhile wins. */
  generation(): number;
  /** Remembers a principal authenticated in `generation`, until `notAfter` at the latest. */
  set(bearer: string, principal: Principal, now: number, notAfter: number, generation: number): void;
  /** Forgets everything; called after every committed change to sessions, accounts or tokens. */
  invalidate(): void;
}

export function createPrincipalCache(options: { ttlMs: number; maxEntries?: number }): PrincipalCache {
  const { ttlMs } = options;
  const maxEntries = options.maxEntries ?? 10_000;
  const entries = new Map<string, Entry>();
  let current = 0;

  return {
    get(bearer, now) {
      if (ttlMs <= 0) return undefined;
      const entry = entries.get(bearer);
      if (!entry) return undefined;
      if (now < entry.notAfter) return entry.principal;
      entries.delete(bearer);
      return undefined;
    },
    generation: () => current,
    set(bearer, principal, now, notAfter, generation) {
      if (ttlMs <= 0 || generation !== current) return;
      const until = Math.min(now + ttlMs, notAfter);
      if (until <= now) return;
      // Full: drop the oldest entries (Map keeps insertion order); they are the nearest to expiry.
      while (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
      entries.delete(bearer);
      entries.set(bearer, { principal: Object.freeze({ ...principal, roles: Object.freeze([...principal.roles]) }) as Principal, notAfter: until });
    },
    invalidate() {
      current++;
      entries.clear();
    },
  };
}
