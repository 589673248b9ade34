/**
 * The directory service every other context uses: a synchronous view of the last verified
 * directory (member, keys, hub, status), kept current by the hub's publications or a member's
 * background sync, plus the hub's registry and the member's join and sync.
 */
import { NotFoundError, TongbanError } from '../core/errors.ts';
import type { CryptoSuite, FlattenedJws } from '../crypto/index.ts';
import { systemActor, type Actor } from '../identity/index.ts';
import type { BackgroundService, NodeCore } from '../node/node-core.ts';
import type { DirectoryDocument } from './domain/directory-document.ts';
import { decodeStoredDocument } from './domain/directory-document.ts';
import type { DirectoryMember } from './domain/directory-member.ts';
import { directoryStatus, type DirectoryState, type DirectoryStatus } from './domain/directory-status.ts';
import { indexDirectory, type DirectoryView } from './domain/directory-view.ts';
import { createHeldSigners } from './held-signers.ts';
import { createHubClient } from './hub-client.ts';
import { createHubIntegrityAlerts } from './integrity-alerts.ts';
import { createHubEngine, type HubEngine, type HubRegistry } from './hub-registry.ts';
import { silentLogger, type DirectoryLogger } from './logger.ts';
import { createMemberSync, type JoinInput, type JoinResult, type MemberSync, type SyncStep } from './member-sync.ts';
import { readCache } from './store/member-store.ts';

/** What a sync did, step by step, and the status after it. */
export interface SyncResult {
  readonly status: DirectoryStatus;
  readonly results: readonly SyncStep[];
}

/** The signed document this node serves at `GET /api/v1/directory`. */
export interface ServedDirectory {
  readonly version: number;
  readonly jws: FlattenedJws;
}

/** The directory as every context of a node sees it. */
export interface DirectoryService extends BackgroundService {
  /** The member with this code in the usable directory copy, or undefined. Suspended members are returned with status `suspended`. */
  member(code: string): DirectoryMember | undefined;
  /**
   * The key that verifies signatures by `kid` made at `at` (valid then, member known and active),
   * or undefined. Fails closed (undefined) once the copy is past its grace period; call
   * `assertUsable()` first to refuse with the right code.
   */
  verificationKey(kid: string, at: Date): { readonly suite: CryptoSuite; readonly publicKey: Uint8Array } | undefined;
  /** A member's current encryption key, for sealing bodies relayed through the hub (active members only; undefined past grace). */
  encryptionKey(code: string): { readonly kid: string; readonly suite: CryptoSuite; readonly publicKey: Uint8Array } | undefined;
  /** The hub member, once known. */
  hub(): DirectoryMember | undefined;
  /** Throws `directory_unavailable` or `directory_stale` when the copy may not be used now. */
  assertUsable(): void;
  status(): DirectoryStatus;
  /** Every member in the copy held now (empty before the first sync). */
  members(): readonly DirectoryMember[];
  /** The hub's registry; on any other node every call refuses with `not_found`. */
  readonly registry: HubRegistry;
  /** Applies to the hub at `input.hub` (member nodes only). */
  join(actor: Actor, input: JoinInput): Promise<JoinResult>;
  /** Member: sends key updates and fetches the directory now. Hub: re-publishes if due. */
  sync(actor: Actor): Promise<SyncResult>;
  /** The hub's newest publication, or a member's verified copy, as signed by the hub. */
  servedDirectory(): Promise<ServedDirectory | undefined>;
  /**
   * Tells the service the URL its HTTP server listens on. Without `http.publicUrl` (e.g. port 0 in
   * tests) the hub lists this URL as its endpoint, and a member applies with it by default.
   */
  setOwnEndpoint(url: string): Promise<void>;
  /** Where warnings about a stale directory or a failing hub go (the HTTP server's logger). */
  attachLogger(logger: DirectoryLogger): void;
}

/** Every registry call on a node that is not the hub. */
function notTheHub(code: string): HubRegistry {
  const refuse = async (): Promise<never> => {
    throw new NotFoundError(`Node ${code} is not the federation hub; membership is administered at the hub.`, { code });
  };
  return {
    anchor: refuse,
    receiveApplication: refuse,
    applications: refuse,
    approve: refuse,
    reject: refuse,
    suspend: refuse,
    reinstate: refuse,
    receiveKeyUpdate: refuse,
    members: refuse,
    receiveIntegrityAlert: refuse,
    integrityAlerts: refuse,
    acknowledgeIntegrityAlerts: refuse,
  };
}

/** Creates the directory service of a node, loading its copy of the directory from the database. */
export async function createDirectoryService(core: NodeCore): Promise<DirectoryService> {
  const { clock, config, info } = core;
  const graceSeconds = config.federation.graceSeconds;
  const signers = createHeldSigners(core.keyring);
  // Held from the start: if this process rotates the key, the old one must still sign the hand-over.
  await signers.refresh();
  let logger: DirectoryLogger = silentLogger;
  let view: DirectoryView | undefined;
  let fetchedAt: string | null = null;
  // When the view stops being usable (expiry + grace), precomputed: the gateway asks on every message.
  let usableUntil = Number.NEGATIVE_INFINITY;
  let listeningUrl: string | undefined;
  let lastLoggedState: DirectoryState | undefined;

  function adopt(document: DirectoryDocument, at: string): void {
    if (view && view.document.version >= document.version) return;
    view = indexDirectory(document);
    fetchedAt = at;
    usableUntil = Date.parse(document.expiresAt) + graceSeconds * 1000;
  }

  // Work that changes state runs one at a time per process; `stop` waits for it.
  let queue: Promise<unknown> = Promise.resolve();
  function exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = queue.then(work, work);
    queue = run.catch(() => undefined);
    return run;
  }

  let hubEngine: HubEngine | undefined;
  let memberSync: MemberSync | undefined;
  if (info.role === 'hub') {
    hubEngine = createHubEngine({
      core,
      signers,
      logger: () => logger,
      published: (publication) => adopt(publication.document, publication.document.issuedAt),
      alerts: createHubIntegrityAlerts(core, () => ({ assertUsable: () => undefined, member: (code) => view?.member(code), verificationKey: (kid, at) => view?.verificationKey(kid, at) })),
    });
    await hubEngine.maintain();
    await loadLatestPublication(hubEngine);
  } else {
    memberSync = createMemberSync({
      core,
      client: createHubClient(core.fetch, config.exchange.requestTimeoutMs),
      signers,
      logger: () => logger,
      listeningUrl: () => listeningUrl,
      adopt: (copy) => adopt(copy.document, copy.fetchedAt),
      held: () => view?.document,
    });
    await memberSync.reload();
  }

  async function loadLatestPublication(engine: HubEngine): Promise<void> {
    const latest = await engine.latest();
    if (latest && (!view || latest.version > view.document.version)) adopt(decodeStoredDocument(latest.jws), latest.issuedAt);
  }

  function currentStatus(): DirectoryStatus {
    const document = view?.document;
    const membership = memberSync?.membership();
    return directoryStatus({
      copy: document && fetchedAt ? { version: document.version, fetchedAt, expiresAt: document.expiresAt } : undefined,
      hub: hubEngine ? info.code : (membership?.hubCode ?? null),
      joined: hubEngine !== undefined || membership !== undefined,
      now: clock.now(),
      graceSeconds,
      lastSyncError: membership?.lastSyncError ?? null,
    });
  }

  /** A view that may be used for security decisions now: none once the grace period is over. */
  function usableView(): DirectoryView | undefined {
    return view && clock.now().getTime() < usableUntil ? view : undefined;
  }

  /** Logs each move into `stale` or `expired` once, so operators see it without a flood. */
  function logStateChange(): void {
    const status = currentStatus();
    if (status.state === lastLoggedState) return;
    lastLoggedState = status.state;
    if (status.state === 'stale') logger.warn({ directory: status }, status.warning ?? 'The federation directory is stale.');
    if (status.state === 'expired') logger.error({ directory: status }, status.warning ?? 'The federation directory has expired.');
  }

  async function syncOnce(actor: Actor): Promise<SyncResult> {
    let results: readonly SyncStep[];
    if (hubEngine) {
      const engine = hubEngine;
      const outcome = await engine.maintain();
      await loadLatestPublication(engine);
      results = [{ id: 'publication', status: outcome, ...(view ? { version: view.document.version } : {}) }];
    } else {
      results = await memberSync!.sync(actor);
    }
    logStateChange();
    return { status: currentStatus(), results };
  }

  // The hub checks more often than the TTL allows a copy to age, so it re-publishes in time.
  const intervalMs = hubEngine
    ? Math.min(config.federation.syncIntervalSeconds, Math.floor(config.federation.directoryTtlSeconds / 4)) * 1000
    : config.federation.syncIntervalSeconds * 1000;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  async function tick(): Promise<void> {
    try {
      if (memberSync) {
        await memberSync.reload();
        if (!memberSync.membership()) return;
      }
      await syncOnce(systemActor);
    } catch (error) {
      logger.error({ err: error }, 'The directory background sync failed.');
    }
  }

  /** Brings the directory entry in step with a rotated keyring (both sides), without network. */
  async function reconcileKeysOnStop(): Promise<void> {
    try {
      if (hubEngine) await hubEngine.maintain();
      else if (memberSync) await memberSync.queueKeyUpdate();
    } catch (error) {
      logger.error({ err: error }, 'Could not record the key change for the directory while stopping.');
    }
  }

  return {
    member: (code) => view?.member(code),
    verificationKey: (kid, at) => usableView()?.verificationKey(kid, at),
    encryptionKey: (code) => usableView()?.encryptionKey(code),
    hub: () => view?.hub(),
    assertUsable() {
      if (view && clock.now().getTime() < usableUntil) return;
      const status = currentStatus();
      if (status.state === 'none') {
        throw new TongbanError('directory_unavailable', status.warning ?? 'This node holds no copy of the federation directory.', { hub: status.hub });
      }
      if (status.state === 'expired') {
        throw new TongbanError('directory_stale', status.warning ?? 'The cached federation directory is past its grace period.', {
          version: status.version,
          expiresAt: status.expiresAt,
        });
      }
    },
    status: currentStatus,
    members: () => view?.members() ?? [],
    registry: hubEngine ?? notTheHub(info.code),
    join(actor, input) {
      if (!memberSync) return Promise.reject(new NotFoundError('The hub does not join a federation: it is the federation, member no. 1.', { code: info.code }));
      const sync = memberSync;
      return exclusive(() => sync.join(actor, input));
    },
    sync: (actor) => exclusive(() => syncOnce(actor)),
    async servedDirectory() {
      if (hubEngine) {
        const latest = await hubEngine.latest();
        return latest ? { version: latest.version, jws: latest.jws } : undefined;
      }
      const cache = await readCache(core.store.db);
      return cache ? { version: cache.version, jws: cache.jws } : undefined;
    },
    async setOwnEndpoint(url) {
      listeningUrl = url.replace(/\/+$/, '');
      const engine = hubEngine;
      if (engine) await exclusive(() => engine.setListeningUrl(url));
    },
    attachLogger(next) {
      logger = next;
    },
    start() {
      if (timer || stopped) return;
      // A slow hub must not pile ticks up behind each other: one waits at most.
      let waiting = false;
      const schedule = () => {
        if (waiting) return;
        waiting = true;
        void exclusive(async () => {
          waiting = false;
          await tick();
        });
      };
      timer = setInterval(schedule, Math.max(1000, intervalMs));
      timer.unref();
      schedule();
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      timer = undefined;
      await exclusive(reconcileKeysOnStop);
    },
  };
}
