/**
 * How fresh a node's copy of the directory is, as a pure function of the copy, the clock and the
 * grace period: `fresh` until it expires, `stale` (still usable, with a warning) for the grace
 * period after, `expired` (refused) beyond it, and `none` while there is no copy at all.
 */

/** The states a directory copy moves through as time passes without a sync. */
export type DirectoryState = 'none' | 'fresh' | 'stale' | 'expired';

/** How fresh this node's copy of the directory is. */
export interface DirectoryStatus {
  readonly state: DirectoryState;
  readonly version: number | null;
  readonly fetchedAt: string | null;
  readonly expiresAt: string | null;
  readonly hub: string | null;
  readonly warning?: string;
}

/** The facts of a held copy that its status depends on. */
export interface CopyFacts {
  readonly version: number;
  readonly fetchedAt: string;
  readonly expiresAt: string;
}

/** The state of a copy that expires at `expiresAt`, seen at `now`. */
export function directoryState(expiresAt: string | null, now: Date, graceSeconds: number): DirectoryState {
  if (expiresAt === null) return 'none';
  const expiry = Date.parse(expiresAt);
  const time = now.getTime();
  if (time < expiry) return 'fresh';
  if (time < expiry + graceSeconds * 1000) return 'stale';
  return 'expired';
}

/** When the grace period after `expiresAt` ends. */
export function graceEnds(expiresAt: string, graceSeconds: number): string {
  return new Date(Date.parse(expiresAt) + graceSeconds * 1000).toISOString();
}

/** The full status, with a warning a person can act on whenever the copy is not plainly fresh. */
export function directoryStatus(input: {
  readonly copy: CopyFacts | undefined;
  /** The hub's code, once joined (or this node's own code on the hub). */
  readonly hub: string | null;
  readonly joined: boolean;
  readonly now: Date;
  readonly graceSeconds: number;
  /** Why the last attempt to reach the hub failed, when it did. */
  readonly lastSyncError?: string | null;
}): DirectoryStatus {
  const { copy, hub, now, graceSeconds } = input;
  const state = directoryState(copy?.expiresAt ?? null, now, graceSeconds);
  const base = {
    state,
    version: copy?.version ?? null,
    fetchedAt: copy?.fetchedAt ?? null,
    expiresAt: copy?.expiresAt ?? null,
    hub,
  };
  const failure = input.lastSyncError ? ` Last attempt to reach the hub: ${input.lastSyncError}` : '';
  switch (state) {
    case 'none':
      return {
        ...base,
        warning: input.joined
          ? `This node has applied to hub ${hub ?? '?'} but holds no verified directory yet; run 'tongban directory sync'.${failure}`
          : "This node has not joined a federation; run 'tongban join --hub URL'.",
      };
    case 'fresh':
      return failure ? { ...base, warning: `The directory (version ${copy!.version}) is valid until ${copy!.expiresAt}.${failure}` } : base;
    case 'stale':
      return {
        ...base,
        warning:
          `The directory (version ${copy!.version}) expired at ${copy!.expiresAt} and the hub has not provided a newer one. ` +
          `It is still used until the grace period ends at ${graceEnds(copy!.expiresAt, graceSeconds)}; after that, exchanges are refused.${failure}`,
      };
    case 'expired':
      return {
        ...base,
        warning:
          `The directory (version ${copy!.version}) expired at ${copy!.expiresAt} and its grace period ended at ` +
          `${graceEnds(copy!.expiresAt, graceSeconds)}: exchanges are refused until the hub is reached ('tongban directory sync').${failure}`,
      };
  }
}
