/**
 * A member's side of the directory: joining a hub (pinning its anchor, applying with a
 * self-signed application), keeping a verified copy of the hub's directory up to date with
 * conditional requests, and telling the hub about this node's new keys after a rotation.
 */
import { InputError, markRecorded, TongbanError, toTongbanError, ConflictError, type ErrorBody } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { signJws } from '../crypto/index.ts';
import { actorName, type Actor } from '../identity/index.ts';
import type { NodeCore } from '../node/node-core.ts';
import { anchorFingerprint, chooseAnchorKeys, normaliseFingerprint } from './domain/anchor.ts';
import { decodeStoredDocument, succession, trustedHubKeys, verifyDirectoryDocument, type DirectoryDocument } from './domain/directory-document.ts';
import { currentKeys, isHttpUrl, normaliseBaseUrl, nodeCodePattern, parentOf } from './domain/directory-member.ts';
import { keyringAhead, keyringDirectoryKeys, keySetFingerprint, memberKeysType, type MemberKeysUpdate } from './domain/member-keys.ts';
import { applicationType, type MembershipApplication } from './domain/membership-application.ts';
import type { HeldSigners } from './held-signers.ts';
import type { ApplicationReceipt, HubClient } from './hub-client.ts';
import type { DirectoryLogger } from './logger.ts';
import {
  cachedVersion,
  hasKeyUpdateFor,
  insertKeyUpdate,
  markKeyUpdate,
  markSyncFailed,
  markSyncOk,
  pendingKeyUpdates,
  readCache,
  readMembership,
  saveMembership,
  storeCache,
  type CachedDirectory,
  type Membership,
} from './store/member-store.ts';

/** What `tongban join` asks for. */
export interface JoinInput {
  /** The hub's base URL. */
  readonly hub: string;
  /** Where partners reach this node; defaults to `http.publicUrl`, else where it listens. */
  readonly endpoint?: string;
  /** The anchor fingerprint the hub's operator gave out of band; a mismatch refuses the join. */
  readonly anchorFingerprint?: string;
  /** The parent division; defaults to the one the GB/T 2260 code implies. */
  readonly parent?: string | null;
}

/** The outcome of one step of a sync. */
export interface SyncStep {
  /** `directory`, `publication`, or `key-update:<id>`. */
  readonly id: string;
  readonly status: 'updated' | 'not_modified' | 'published' | 'current' | 'accepted' | 'refused' | 'failed';
  readonly version?: number;
  readonly error?: ErrorBody;
}

/** What a join did. */
export interface JoinResult {
  readonly hub: { readonly code: string; readonly name: string; readonly url: string };
  /** The pinned anchor keys with their SHA-256 fingerprints: compare them with the hub operator. */
  readonly anchor: readonly { readonly kid: string; readonly fingerprint: string }[];
  /** Whether the operator gave the fingerprint beforehand (and it matched). */
  readonly fingerprintConfirmed: boolean;
  readonly endpoint: string;
  readonly application: ApplicationReceipt;
  readonly sync: readonly SyncStep[];
}

/** A verified copy adopted into memory. */
export interface AdoptedCopy {
  readonly document: DirectoryDocument;
  readonly fetchedAt: string;
}

/** What the member side needs from the node and the directory service. */
export interface MemberSyncDeps {
  readonly core: NodeCore;
  readonly client: HubClient;
  readonly signers: HeldSigners;
  readonly logger: () => DirectoryLogger;
  /** The URL this node listens on, once known (for the default join endpoint). */
  readonly listeningUrl: () => string | undefined;
  /** Called with every newer verified copy this process sees. */
  readonly adopt: (copy: AdoptedCopy) => void;
  /** The copy in memory now. */
  readonly held: () => DirectoryDocument | undefined;
}

/** The member side of the directory. */
export interface MemberSync {
  /** The membership as last read from the database. */
  membership(): Membership | undefined;
  join(actor: Actor, input: JoinInput): Promise<JoinResult>;
  /** Sends pending key updates, then fetches the directory conditionally and adopts a newer verified copy. */
  sync(actor: Actor): Promise<SyncStep[]>;
  /** Re-reads the membership and the cached copy (another process, e.g. the CLI, may have changed them). */
  reload(): Promise<void>;
  /** Signs and queues a key update when the keyring is ahead of this node's directory entry. */
  queueKeyUpdate(): Promise<void>;
}

/** The member side of the directory for a node whose role is `node`. */
export function createMemberSync(deps: MemberSyncDeps): MemberSync {
  const { core, client, signers } = deps;
  const { store, events, keyring, clock, info, config } = core;
  const db = store.db;
  let membership: Membership | undefined;

  function ownEndpoint(explicit?: string): string {
    const host = config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host;
    const endpoint = explicit ?? config.http.publicUrl ?? deps.listeningUrl() ?? (config.http.port !== 0 ? `http://${host}:${config.http.port}` : undefined);
    if (!endpoint) {
      throw new InputError("This node's public URL is unknown (http.port is 0 and http.publicUrl is not set); give --endpoint URL.", { path: 'endpoint' });
    }
    if (!isHttpUrl(endpoint)) throw new InputError(`The endpoint '${endpoint}' is not an http:// or https:// URL.`, { path: 'endpoint' });
    return normaliseBaseUrl(endpoint);
  }

  async function reload(): Promise<void> {
    membership = await readMembership(db);
    const held = deps.held();
    if ((await cachedVersion(db)) > (held?.version ?? 0)) {
      const cache = await readCache(db);
      if (cache) deps.adopt({ document: decodeStoredDocument(cache.jws), fetchedAt: cache.fetchedAt });
    }
  }

  async function recordJoinRefusal(actor: Actor, error: TongbanError, hubUrl: string): Promise<never> {
    await events.record({
      type: 'directory.joined',
      actor: actorName(actor),
      outcome: 'denied',
      details: { hubUrl, code: error.code, reason: error.message },
    });
    throw markRecorded(error);
  }

  async function join(actor: Actor, input: JoinInput): Promise<JoinResult> {
    if (info.role === 'hub') throw new InputError('The hub does not join a federation: it is the federation, member no. 1.', { path: 'hub' });
    if (!isHttpUrl(input.hub)) throw new InputError(`The hub URL '${input.hub}' is not an http:// or https:// URL.`, { path: 'hub' });
    const hubUrl = normaliseBaseUrl(input.hub);
    const endpoint = ownEndpoint(input.endpoint);
    const expected = input.anchorFingerprint === undefined ? undefined : normaliseFingerprint(input.anchorFingerprint);
    const parent = input.parent === undefined ? parentOf(info.code) : input.parent;
    if (parent !== null && !nodeCodePattern.test(parent)) throw new InputError(`The parent '${parent}' is not a node code.`, { path: 'parent' });

    const anchor = await client.anchor(hubUrl);
    if (anchor.code === info.code) throw new InputError(`${hubUrl} is this node itself.`, { path: 'hub' });
    const existing = await readMembership(db);
    if (existing && existing.hubCode !== anchor.code) {
      return recordJoinRefusal(
        actor,
        new ConflictError(`This node already joined hub ${existing.hubCode} at ${existing.hubUrl}; it cannot join ${anchor.code} as well.`, {
          hub: existing.hubCode,
        }),
        hubUrl,
      );
    }
    const pinned = chooseAnchorKeys(anchor, expected);
    if (!pinned) {
      return recordJoinRefusal(
        actor,
        new TongbanError(
          'anchor_mismatch',
          `The hub at ${hubUrl} offers anchor key(s) with fingerprint ${anchor.keys.map((key) => anchorFingerprint(key.publicKey)).join(', ')}, not ${expected}. Do not join until the hub's operator confirms the fingerprint.`,
          { expected, offered: anchor.keys.map((key) => ({ kid: key.kid, fingerprint: anchorFingerprint(key.publicKey) })) },
        ),
        hubUrl,
      );
    }

    const signer = await signers.refresh();
    const keys = keyringDirectoryKeys(await keyring.list()).filter((key) => key.validUntil === null);
    const application: MembershipApplication = {
      type: applicationType,
      code: info.code,
      name: info.name,
      level: info.level,
      parent,
      endpoint,
      keys: keys.map(({ kid, use, suite, publicKey, validFrom }) => ({ kid, use, suite, publicKey, validFrom })),
      ts: clock.now().toISOString(),
    };
    const receipt = await client.apply(hubUrl, signJws(application, signer));

    const anchorSummary = pinned.map((key) => ({ kid: key.kid, fingerprint: anchorFingerprint(key.publicKey) }));
    await db.transaction().execute(async (trx) => {
      // The cached copy stays (same hub): its version still guards against a rollback.
      await saveMembership(trx, { hubUrl, hubCode: anchor.code, hubName: anchor.name, anchor: pinned, endpoint, joinedAt: clock.now().toISOString() });
      await events.append(trx, [
        {
          type: 'directory.joined',
          actor: actorName(actor),
          outcome: 'success',
          details: { hub: anchor.code, hubUrl, anchor: anchorSummary, fingerprintConfirmed: expected !== undefined, endpoint, applicationId: receipt.id },
        },
      ]);
    });
    membership = await readMembership(db);
    // The directory is public: fetch it now, so the node can see the federation while the hub decides.
    const sync = await syncNow(actor);
    return {
      hub: { code: anchor.code, name: anchor.name, url: hubUrl },
      anchor: anchorSummary,
      fingerprintConfirmed: expected !== undefined,
      endpoint,
      application: receipt,
      sync,
    };
  }

  async function queueKeyUpdate(): Promise<void> {
    const document = deps.held();
    const own = document?.members.find((member) => member.code === info.code);
    if (!membership || !own) return;
    const keys = keyringDirectoryKeys(await keyring.list());
    if (!keyringAhead(keys, own.keys)) return;
    const keySet = keySetFingerprint(keys);
    if (await hasKeyUpdateFor(db, keySet)) return;
    // Signed by a key the hub already holds for this node: the one the directory lists as current.
    const signer = await signers.first(currentKeys(own, 'sign').map((key) => key.kid));
    if (!signer) {
      deps.logger().error(
        { listed: currentKeys(own, 'sign').map((key) => key.kid) },
        "This node's keys changed, but no key the hub knows for it is at hand to sign the update. Partners will refuse its new signatures; ask the hub operator to re-admit it.",
      );
      return;
    }
    const update: MemberKeysUpdate = { type: memberKeysType, code: info.code, keys, ts: clock.now().toISOString() };
    await insertKeyUpdate(db, { id: newId(), jws: signJws(update, signer), keySet, createdAt: clock.now().toISOString() });
  }

  async function deliverKeyUpdates(actor: Actor, hubUrl: string): Promise<SyncStep[]> {
    await queueKeyUpdate();
    const steps: SyncStep[] = [];
    for (const update of await pendingKeyUpdates(db)) {
      try {
        await client.sendKeyUpdate(hubUrl, update.jws);
        await db.transaction().execute(async (trx) => {
          await markKeyUpdate(trx, update.id, { status: 'accepted', error: null, at: clock.now().toISOString() });
          await events.append(trx, [
            { type: 'directory.keys_updated', actor: actorName(actor), outcome: 'success', details: { hub: membership?.hubCode, updateId: update.id, keys: update.keySet } },
          ]);
        });
        steps.push({ id: `key-update:${update.id}`, status: 'accepted' });
      } catch (error) {
        const failure = toTongbanError(error);
        if (failure.retryable) {
          await markKeyUpdate(db, update.id, { status: 'pending', error: failure.message, at: clock.now().toISOString() });
          steps.push({ id: `key-update:${update.id}`, status: 'failed', error: failure.toBody() });
          break; // later updates are signed by keys the hub learns from this one
        }
        await db.transaction().execute(async (trx) => {
          await markKeyUpdate(trx, update.id, { status: 'refused', error: `${failure.code}: ${failure.message}`, at: clock.now().toISOString() });
          await events.append(trx, [
            { type: 'directory.keys_updated', actor: actorName(actor), outcome: 'denied', details: { hub: membership?.hubCode, updateId: update.id, code: failure.code, reason: failure.message } },
          ]);
        });
        deps.logger().error({ code: failure.code }, `The hub refused this node's key update: ${failure.message}`);
        steps.push({ id: `key-update:${update.id}`, status: 'refused', error: failure.toBody() });
      }
    }
    return steps;
  }

  async function recordSyncFailure(actor: Actor, joined: Membership, failure: TongbanError): Promise<void> {
    const reason = `${failure.code}: ${failure.message}`;
    const flipped = await db.transaction().execute(async (trx) => {
      const first = await markSyncFailed(trx, reason, clock.now().toISOString());
      if (first) {
        await events.append(trx, [
          { type: 'directory.sync_failed', actor: actorName(actor), outcome: 'failure', details: { hub: joined.hubCode, hubUrl: joined.hubUrl, code: failure.code, reason: failure.message } },
        ]);
      }
      return first;
    });
    if (flipped) deps.logger().warn({ hub: joined.hubCode, code: failure.code }, `Directory sync with the hub failed: ${failure.message}`);
  }

  async function fetchDirectory(actor: Actor, joined: Membership): Promise<SyncStep> {
    const held = deps.held();
    const cache: CachedDirectory | undefined = await readCache(db);
    try {
      const response = await client.directory(joined.hubUrl, cache ? (cache.etag ?? `"${cache.version}"`) : null);
      if (response.notModified) {
        await markSyncOk(db, clock.now().toISOString());
        return { id: 'directory', status: 'not_modified', ...(cache ? { version: cache.version } : {}) };
      }
      const trusted = trustedHubKeys({ hub: joined.hubCode, anchor: joined.anchor, ...(held ? { previous: held } : {}) });
      const signed = verifyDirectoryDocument(response.jws, { hub: joined.hubCode, trusted });
      const step = succession(cache ? { version: cache.version, payload: cache.jws.payload } : undefined, {
        version: signed.document.version,
        payload: signed.jws.payload,
      });
      if (step === 'same') {
        await markSyncOk(db, clock.now().toISOString());
        return { id: 'directory', status: 'not_modified', version: signed.document.version };
      }
      const fetchedAt = clock.now().toISOString();
      const stored = await db.transaction().execute(async (trx) => {
        const replaced = await storeCache(trx, {
          version: signed.document.version,
          jws: signed.jws,
          etag: response.etag,
          issuedAt: signed.document.issuedAt,
          expiresAt: signed.document.expiresAt,
          fetchedAt,
        });
        await markSyncOk(trx, fetchedAt);
        if (replaced) {
          await events.append(trx, [
            {
              type: 'directory.synced',
              actor: actorName(actor),
              outcome: 'success',
              details: {
                hub: joined.hubCode,
                version: signed.document.version,
                previous: cache?.version ?? null,
                members: signed.document.members.length,
                expiresAt: signed.document.expiresAt,
                signedBy: signed.signedBy,
              },
            },
          ]);
        }
        return replaced;
      });
      if (stored) deps.adopt({ document: signed.document, fetchedAt });
      else await reload(); // another process stored this version or a newer one first
      return { id: 'directory', status: 'updated', version: signed.document.version };
    } catch (error) {
      const failure = toTongbanError(error);
      await recordSyncFailure(actor, joined, failure);
      return { id: 'directory', status: 'failed', error: failure.toBody() };
    }
  }

  async function syncNow(actor: Actor): Promise<SyncStep[]> {
    await reload();
    const joined = membership;
    if (!joined) {
      throw new TongbanError('directory_unavailable', "This node has not joined a federation; run 'tongban join --hub URL' first.");
    }
    const keySteps = await deliverKeyUpdates(actor, joined.hubUrl).catch((error: unknown) => {
      const failure = toTongbanError(error);
      return [{ id: 'key-updates', status: 'failed' as const, error: failure.toBody() }];
    });
    const directoryStep = await fetchDirectory(actor, joined);
    membership = await readMembership(db); // the outcome of this attempt, for status()
    return [...keySteps, directoryStep];
  }

  return {
    membership: () => membership,
    join,
    sync: syncNow,
    reload,
    queueKeyUpdate,
  };
}
