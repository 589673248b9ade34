/** The foundation services every bounded context is built on; wired once by `openNode`. */
import type { EventLog } from '../audit/store/event-log.ts';
import type { Clock } from '../core/clock.ts';
import type { Config } from '../config/schema.ts';
import type { IdentityService } from '../identity/index.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { Store } from '../store/open-store.ts';

/** Who this node is, as recorded in its database at init. */
export interface NodeInfo {
  readonly code: string;
  readonly name: string;
  readonly level: string;
  readonly role: 'node' | 'hub';
  readonly suite: 'intl' | 'sm';
  readonly createdAt: string;
}

/** Outbound HTTP, injectable so tests can point it anywhere on loopback. */
export type Fetch = typeof fetch;

export interface NodeCore {
  readonly config: Config;
  readonly dir: string;
  readonly info: NodeInfo;
  readonly store: Store;
  readonly clock: Clock;
  readonly events: EventLog;
  readonly keyring: Keyring;
  readonly identity: IdentityService;
  readonly fetch: Fetch;
}

/** A service with background work (sync loops, outbox workers) that the node starts and stops. */
export interface BackgroundService {
  start(): void;
  stop(): Promise<void>;
}
