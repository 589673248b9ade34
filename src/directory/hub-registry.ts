/**
 * The hub's side of the directory: the member registry, applications and decisions, signed key
 * updates, and the signed, versioned publications that carry it all to the members.
 *
 * Every change and the publication it causes commit in one transaction with their events. Row
 * locks are always taken in the same order — member rows, then the publication head, then the
 * event-log head — so concurrent hub processes on one PostgreSQL database cannot deadlock.
 */
import type { EventInput } from '../audit/domain/event.ts';
import { ConflictError, InputError, NotFoundError, TongbanError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { cryptoSuite, signJws, type FlattenedJws } from '../crypto/index.ts';
import { actorName, type Actor } from '../identity/index.ts';
import type { Signer } from '../keys/keyring.ts';
import type { NodeCore } from '../node/node-core.ts';
import { isUniqueViolation } from '../store/dialect.ts';
import type { Db } from '../store/open-store.ts';
import { anchorOf, type DirectoryAnchor } from './domain/anchor.ts';
import { buildDirectoryDocument, buildHubKeyTransition, type DirectoryDocument } from './domain/directory-document.ts';
import { currentKeys, parseWith, type DirectoryKey, type DirectoryMember } from './domain/directory-member.ts';
import { flattenedJwsSchema, peekPayload, verifyApplication, verifySignedUpdate } from './domain/membership-application.ts';
import { keyringAhead, keyringDirectoryKeys, memberKeysUpdateSchema, mergeKeys } from './domain/member-keys.ts';
import type { HeldSigners } from './held-signers.ts';
import type { DirectoryLogger } from './logger.ts';
import {
  applyKeyMerge,
  decideApplication,
  findMember,
  insertApplication,
  insertMember,
  insertPublication,
  insertTransition,
  latestPublication,
  listApplications,
  listMembers,
  listTransitions,
  nextVersion,
  pendingApplication,
  publicMember,
  setMemberEndpoint,
  setMemberStatus,
  type ApplicationRecord,
  type RegisteredMember,
  type StoredPublication,
} from './store/hub-store.ts';

import type { HubIntegrityAlerts, IntegrityAlertRecord } from './integrity-alerts.ts';

/** What the registry stores and answers. */
export type { ApplicationRecord, RegisteredMember, StoredPublication } from './store/hub-store.ts';

/** What a hub administrator (and the public application endpoints) may do with the registry. */
export interface HubRegistry {
  /** The hub's code, name and current signing keys with their fingerprints. */
  anchor(): Promise<DirectoryAnchor>;
  /** Checks and stores a signed membership application (public endpoint). */
  receiveApplication(jws: unknown, source?: string): Promise<ApplicationRecord>;
  /** Applications, newest first; all of them unless a status is given. */
  applications(status?: ApplicationRecord['status']): Promise<ApplicationRecord[]>;
  /** Admits the node whose application is pending, and publishes. */
  approve(actor: Actor, code: string): Promise<DirectoryMember>;
  /** Turns a pending application down with a reason the applicant's operators can read. */
  reject(actor: Actor, code: string, reason: string): Promise<ApplicationRecord>;
  /** Suspends a member (its signatures stop verifying everywhere after the next sync), and publishes. */
  suspend(actor: Actor, code: string, reason: string): Promise<DirectoryMember>;
  /** Lifts a suspension, and publishes. */
  reinstate(actor: Actor, code: string): Promise<DirectoryMember>;
  /** Checks and applies a member's signed key update (public endpoint), and publishes if anything changed. */
  receiveKeyUpdate(jws: unknown): Promise<DirectoryMember>;
  /** The registry with suspension reasons and integrity alert counts, for administrators. */
  members(): Promise<RegisteredMember[]>;
  /** Checks and stores a witness's signed integrity alert about a member (public endpoint). */
  receiveIntegrityAlert(jws: unknown): Promise<IntegrityAlertRecord>;
  /** Integrity alerts, newest first, all or about one member; `open` keeps the unacknowledged ones. */
  integrityAlerts(node?: string, options?: { readonly open?: boolean }): Promise<IntegrityAlertRecord[]>;
  /**
   * Acknowledges open integrity alerts with a reason — one alert by id, or every open alert about
   * a member — and publishes, so the members see the flag cleared at their next sync.
   */
  acknowledgeIntegrityAlerts(actor: Actor, target: { readonly id: string } | { readonly node: string }, reason: string): Promise<IntegrityAlertRecord[]>;
}

/** A publication this process made or loaded, ready to serve and to index. */
export interface Publication {
  readonly version: number;
  readonly jws: FlattenedJws;
  readonly document: DirectoryDocument;
  readonly signedBy: string;
}

/** The hub registry plus the upkeep the directory service drives. */
export interface HubEngine extends HubRegistry {
  /**
   * Makes sure the hub is member no. 1 with its current keys and endpoint, and that a publication
   * exists that is not past half its lifetime; publishes when anything changed.
   */
  maintain(): Promise<'published' | 'current'>;
  /** Records the URL the hub listens on, when no `http.publicUrl` is configured. */
  setListeningUrl(url: string): Promise<void>;
  /** The newest stored publication. */
  latest(): Promise<StoredPublication | undefined>;
}

/** What the hub side needs from the node and the directory service. */
export interface HubEngineDeps {
  readonly core: NodeCore;
  readonly signers: HeldSigners;
  readonly logger: () => DirectoryLogger;
  /** Called after every publication this process commits. */
  readonly published: (publication: Publication) => void;
  /** Integrity alerts witnesses report about members. */
  readonly alerts: HubIntegrityAlerts;
}

const maxReasonLength = 500;

function requireReason(reason: string): string {
  const trimmed = reason.trim();
  if (trimmed.length === 0 || trimmed.length > maxReasonLength) {
    throw new InputError(`Give a reason of 1–${maxReasonLength} characters; the member's operators will read it.`, { path: 'reason' });
  }
  return trimmed;
}

/** The hub side of the directory for a node whose role is `hub`. */
export function createHubEngine(deps: HubEngineDeps): HubEngine {
  const { core, signers } = deps;
  const { store, events, keyring, clock, info, config } = core;
  const db = store.db;
  const ttlSeconds = config.federation.directoryTtlSeconds;
  let listeningUrl: string | undefined;

  /** Where members reach the hub: the configured public URL, else where it listens, else host:port. */
  function ownEndpoint(): { readonly url: string; readonly authoritative: boolean } {
    if (config.http.publicUrl) return { url: config.http.publicUrl.replace(/\/+$/, ''), authoritative: true };
    if (listeningUrl) return { url: listeningUrl, authoritative: true };
    const host = config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host;
    // With port 0 the real port is only known once the server listens (setListeningUrl).
    return { url: `http://${host}:${config.http.port}`, authoritative: config.http.port !== 0 };
  }

  /** Reads the keyring before any transaction (SQLite has one connection, and the keyring reads outside the transaction). */
  async function prepareOwnKeys(): Promise<{ signer: Signer; keys: DirectoryKey[]; transition?: { jws: FlattenedJws; previous: string; next: string } }> {
    const signer = await signers.refresh();
    const keys = keyringDirectoryKeys(await keyring.list());
    const registered = await findMember(db, info.code);
    if (!registered || registered.keys.some((key) => key.kid === signer.kid)) return { signer, keys };
    // The active signing key is new to the directory: the previous one must vouch for it, or
    // members that only know the previous key could not verify the next publication.
    const previous = await signers.first(currentKeys(registered, 'sign').map((key) => key.kid));
    const next = keys.find((key) => key.kid === signer.kid)!;
    if (!previous) {
      deps.logger().error(
        { kid: signer.kid },
        'The hub signing key changed but the previous key is not in the keyring, so no transition can be signed. ' +
          'Members that pinned the previous key will refuse the next directory until they join again.',
      );
      return { signer, keys };
    }
    const transition = buildHubKeyTransition(info.code, previous.kid, { kid: next.kid, suite: next.suite, publicKey: next.publicKey, validFrom: next.validFrom }, clock.now());
    return { signer, keys, transition: { jws: signJws(transition, previous), previous: previous.kid, next: next.kid } };
  }

  /** Brings the hub's own registry entry in line with its keyring, inside the change's transaction. */
  async function applyOwnKeys(trx: Db, prepared: Awaited<ReturnType<typeof prepareOwnKeys>>, now: string): Promise<EventInput[]> {
    const registered = await findMember(trx, info.code, store.dialect);
    if (!registered || !keyringAhead(prepared.keys, registered.keys)) return [];
    const merge = mergeKeys(registered.keys, prepared.keys);
    await applyKeyMerge(trx, info.code, merge, now);
    if (prepared.transition) {
      await insertTransition(trx, { id: newId(), previousKid: prepared.transition.previous, nextKid: prepared.transition.next, jws: prepared.transition.jws, createdAt: now });
    }
    return [
      {
        type: 'directory.keys_updated',
        actor: 'system',
        outcome: 'success',
        details: { code: info.code, added: merge.added, retired: merge.retired, transition: prepared.transition ? { from: prepared.transition.previous, to: prepared.transition.next } : null },
      },
    ];
  }

  /** Signs and stores the next publication from the registry as this transaction sees it. */
  async function publishIn(trx: Db, signer: Signer, reason: string): Promise<{ publication: Publication; event: EventInput }> {
    const version = await nextVersion(trx);
    const [members, transitions, integrity] = await Promise.all([listMembers(trx), listTransitions(trx), deps.alerts.summaries(trx)]);
    const document = buildDirectoryDocument({
      hub: info.code,
      version,
      issuedAt: clock.now(),
      ttlSeconds,
      members: members.map((member) => {
        const summary = integrity.get(member.code);
        return summary ? { ...publicMember(member), integrity: summary } : publicMember(member);
      }),
      hubKeyTransitions: transitions,
    });
    const jws = signJws(document, signer);
    await insertPublication(trx, { version, document: JSON.stringify(jws), issued_at: document.issuedAt, expires_at: document.expiresAt, signed_by: signer.kid });
    return {
      publication: { version, jws, document, signedBy: signer.kid },
      event: {
        type: 'directory.published',
        actor: 'system',
        outcome: 'success',
        details: { version, members: members.length, reason, issuedAt: document.issuedAt, expiresAt: document.expiresAt, signedBy: signer.kid },
      },
    };
  }

  /**
   * Runs one registry change: the hub's own keys first, then `mutate`, then (when anything
   * changed) a publication, with all their events, in one transaction.
   */
  async function change<T>(
    reason: string,
    mutate: (trx: Db, now: string, ownKeys: readonly DirectoryKey[]) => Promise<{ result: T; events: EventInput[]; publish: boolean }>,
  ): Promise<{ result: T; publication: Publication | undefined }> {
    const prepared = await prepareOwnKeys();
    let publication: Publication | undefined;
    const result = await db.transaction().execute(async (trx) => {
      const now = clock.now().toISOString();
      const ownEvents = await applyOwnKeys(trx, prepared, now);
      const outcome = await mutate(trx, now, prepared.keys);
      const all = [...ownEvents, ...outcome.events];
      if (outcome.publish || ownEvents.length > 0) {
        const published = await publishIn(trx, prepared.signer, ownEvents.length > 0 && !outcome.publish ? 'hub keys changed' : reason);
        publication = published.publication;
        all.push(published.event);
      }
      await events.append(trx, all);
      return outcome.result;
    });
    if (publication) deps.published(publication);
    return { result, publication };
  }

  /** A change whose caller only wants its result. */
  async function changed<T>(
    reason: string,
    mutate: (trx: Db, now: string, ownKeys: readonly DirectoryKey[]) => Promise<{ result: T; events: EventInput[]; publish: boolean }>,
  ): Promise<T> {
    return (await change(reason, mutate)).result;
  }

  async function memberOrThrow(trx: Db, code: string): Promise<RegisteredMember> {
    const member = await findMember(trx, code, store.dialect);
    if (!member) throw new NotFoundError(`${code} is not a member of the federation.`, { code }, 'member_unknown');
    return member;
  }

  const engine: HubEngine = {
    async anchor() {
      const keys = keyringDirectoryKeys(await keyring.list());
      return anchorOf(info.code, info.name, keys);
    },

    async receiveApplication(jws, source) {
      const now = clock.now();
      const { application, kid } = verifyApplication(jws, { now, skewSeconds: config.exchange.clockSkewSeconds });
      if (application.code === info.code) {
        throw new ConflictError(`${application.code} is the hub's own code; the hub is already member no. 1.`, { code: application.code });
      }
      try {
        return await db.transaction().execute(async (trx) => {
          const member = await findMember(trx, application.code);
          if (member) {
            throw new ConflictError(`${application.code} is already a member of the federation (status ${member.status}).`, {
              code: application.code,
              status: member.status,
            });
          }
          const pending = await pendingApplication(trx, application.code);
          if (pending) throw pendingError(pending);
          const record = await insertApplication(trx, {
            id: newId(),
            code: application.code,
            name: application.name,
            level: application.level,
            parent: application.parent,
            endpoint: application.endpoint,
            keys: JSON.stringify(application.keys.map((key) => ({ ...key, validUntil: null }))),
            document: JSON.stringify(jws),
            status: 'pending',
            received_at: now.toISOString(),
            decided_at: null,
            decided_by: null,
            reason: null,
          });
          await events.append(trx, [
            {
              type: 'directory.application_received',
              actor: `node:${application.code}`,
              outcome: 'success',
              details: {
                applicationId: record.id,
                code: record.code,
                name: record.name,
                level: record.level,
                parent: record.parent,
                endpoint: record.endpoint,
                keys: record.keys.map((key) => key.kid),
                signedBy: kid,
                source: source ?? null,
              },
            },
          ]);
          return record;
        });
      } catch (error) {
        // Two hub processes received the same application at once: the partial unique index kept one.
        if (isUniqueViolation(error)) {
          const pending = await pendingApplication(db, application.code);
          throw pending ? pendingError(pending) : new ConflictError(`An application from ${application.code} is already pending.`, { code: application.code }, 'application_pending');
        }
        throw error;
      }
    },

    applications: (status) => listApplications(db, status),

    approve(actor, code) {
      return changed(`approved ${code}`, async (trx, now) => {
        const application = await pendingApplication(trx, code, store.dialect);
        if (!application) throw new NotFoundError(`No application from ${code} is waiting for a decision.`, { code });
        if (await findMember(trx, code)) throw new ConflictError(`${code} is already a member of the federation.`, { code });
        if (!(await decideApplication(trx, application.id, { status: 'approved', by: actorName(actor), reason: null, at: now }))) {
          throw new ConflictError(`The application from ${code} was decided meanwhile.`, { code });
        }
        const member: DirectoryMember = {
          code,
          name: application.name,
          level: application.level,
          parent: application.parent,
          role: 'node',
          endpoint: application.endpoint,
          status: 'active',
          keys: application.keys,
        };
        await insertMember(trx, member, now);
        return {
          result: member,
          publish: true,
          events: [
            {
              type: 'directory.application_approved',
              actor: actorName(actor),
              outcome: 'success',
              details: { applicationId: application.id, code, name: member.name, endpoint: member.endpoint, keys: member.keys.map((key) => key.kid) },
            },
          ],
        };
      });
    },

    async reject(actor, code, reason) {
      const why = requireReason(reason);
      return db.transaction().execute(async (trx) => {
        const now = clock.now().toISOString();
        const application = await pendingApplication(trx, code, store.dialect);
        if (!application) throw new NotFoundError(`No application from ${code} is waiting for a decision.`, { code });
        if (!(await decideApplication(trx, application.id, { status: 'rejected', by: actorName(actor), reason: why, at: now }))) {
          throw new ConflictError(`The application from ${code} was decided meanwhile.`, { code });
        }
        await events.append(trx, [
          { type: 'directory.application_rejected', actor: actorName(actor), outcome: 'success', details: { applicationId: application.id, code, reason: why } },
        ]);
        return { ...application, status: 'rejected' as const, decidedAt: now, decidedBy: actorName(actor), reason: why };
      });
    },

    suspend(actor, code, reason) {
      const why = requireReason(reason);
      return changed(`suspended ${code}`, async (trx, now) => {
        const member = await memberOrThrow(trx, code);
        if (member.role === 'hub') throw new InputError('The hub cannot suspend itself.', { path: 'code' });
        if (member.status === 'suspended') {
          throw new TongbanError('member_suspended', `${code} is already suspended (reason: ${member.statusReason ?? 'none given'}).`, { code });
        }
        await setMemberStatus(trx, code, 'suspended', why, now);
        return {
          result: { ...publicMember(member), status: 'suspended' as const },
          publish: true,
          events: [{ type: 'directory.member_suspended', actor: actorName(actor), outcome: 'success', details: { code, reason: why } }],
        };
      });
    },

    reinstate(actor, code) {
      return changed(`reinstated ${code}`, async (trx, now) => {
        const member = await memberOrThrow(trx, code);
        if (member.status !== 'suspended') throw new InputError(`${code} is not suspended.`, { path: 'code' });
        await setMemberStatus(trx, code, 'active', null, now);
        return {
          result: { ...publicMember(member), status: 'active' as const },
          publish: true,
          events: [
            { type: 'directory.member_reinstated', actor: actorName(actor), outcome: 'success', details: { code, previousReason: member.statusReason } },
          ],
        };
      });
    },

    async receiveKeyUpdate(jws) {
      const flattened = parseWith(flattenedJwsSchema, jws, 'keyUpdate');
      const claimed = peekPayload(flattened, 'key update') as { code?: unknown };
      const code = typeof claimed.code === 'string' ? claimed.code : '';
      const member = await findMember(db, code);
      if (!member) throw new NotFoundError(`${code || 'The sender'} is not a member of the federation.`, { code }, 'member_unknown');
      if (member.status === 'suspended') {
        throw new TongbanError('member_suspended', `${code} is suspended; its keys cannot change until it is reinstated.`, { code });
      }
      const registered = new Map(member.keys.filter((key) => key.use === 'sign').map((key) => [key.kid, key]));
      const { update, kid } = verifySignedUpdate(
        flattened,
        memberKeysUpdateSchema,
        'keyUpdate',
        (_code, candidate) => {
          const key = registered.get(candidate);
          return key ? { suite: cryptoSuite(key.suite), publicKey: new Uint8Array(Buffer.from(key.publicKey, 'base64url')) } : undefined;
        },
        { now: clock.now(), skewSeconds: config.exchange.clockSkewSeconds },
      );
      return changed(`keys of ${code}`, async (trx, now) => {
        const current = await memberOrThrow(trx, code);
        const merge = mergeKeys(current.keys, update.keys);
        const signerKey = current.keys.find((key) => key.kid === kid)!;
        if (merge.added.length === 0 && merge.retired.length === 0) {
          // Already applied (a retry after a lost answer): nothing changes, so the retired signer may ask.
          return { result: publicMember(current), publish: false, events: [] };
        }
        if (signerKey.validUntil !== null) {
          throw new TongbanError('key_not_valid', `The key update is signed by ${kid}, which ${code} has already retired.`, { kid });
        }
        await applyKeyMerge(trx, code, merge, now);
        const updated = await memberOrThrow(trx, code);
        return {
          result: publicMember(updated),
          publish: true,
          events: [{ type: 'directory.keys_updated', actor: `node:${code}`, outcome: 'success', details: { code, added: merge.added, retired: merge.retired, signedBy: kid } }],
        };
      });
    },

    async members() {
      const [members, alerts] = await Promise.all([listMembers(db), deps.alerts.counts()]);
      return members.map((member) => ({ ...member, integrityAlerts: alerts.get(member.code) ?? 0 }));
    },

    async receiveIntegrityAlert(jws) {
      const alert = await deps.alerts.verify(jws);
      return changed(`integrity alert about ${alert.node}`, async (trx, now) => {
        const { record, created } = await deps.alerts.store(trx, alert, now);
        // A retried report changes nothing; an alert about a code the registry does not list is kept but has no entry to flag.
        if (!created) return { result: record, publish: false, events: [] };
        const listed = (await findMember(trx, alert.node)) !== undefined;
        return {
          result: record,
          publish: listed,
          events: [
            {
              type: 'directory.integrity_alert_received',
              actor: `node:${alert.witness}`,
              outcome: 'success',
              details: { id: record.id, node: alert.node, witness: alert.witness, kind: alert.kind, detectedAt: alert.detectedAt, published: listed },
            },
          ],
        };
      });
    },

    integrityAlerts: (node, options) => deps.alerts.list(node, options),

    acknowledgeIntegrityAlerts(actor, target, reason) {
      const why = requireReason(reason);
      const what = 'id' in target ? `integrity alert ${target.id}` : `integrity alerts about ${target.node}`;
      return changed(`acknowledged ${what}`, async (trx, now) => {
        let alerts: IntegrityAlertRecord[];
        if ('id' in target) {
          const alert = await deps.alerts.find(trx, target.id);
          if (!alert) throw new NotFoundError(`No integrity alert has the id ${target.id}; list them with GET /api/v1/directory/integrity-alerts.`, { id: target.id }, 'integrity_alert_unknown');
          if (alert.acknowledgedAt !== null) {
            throw new ConflictError(
              `Integrity alert ${alert.id} was already acknowledged by ${alert.acknowledgedBy ?? 'someone'} at ${alert.acknowledgedAt} (reason: ${alert.acknowledgementReason ?? 'none'}).`,
              { id: alert.id, acknowledgedAt: alert.acknowledgedAt, acknowledgedBy: alert.acknowledgedBy },
              'integrity_alert_acknowledged',
            );
          }
          alerts = [alert];
        } else {
          await memberOrThrow(trx, target.node);
          alerts = await deps.alerts.open(trx, target.node);
          if (alerts.length === 0) {
            throw new NotFoundError(`${target.node} has no open integrity alert to acknowledge.`, { node: target.node }, 'integrity_alert_unknown');
          }
        }
        const by = actorName(actor);
        await deps.alerts.acknowledge(
          trx,
          alerts.map((alert) => alert.id),
          by,
          why,
          now,
        );
        const acknowledged = alerts.map((alert) => ({ ...alert, acknowledgedAt: now, acknowledgedBy: by, acknowledgementReason: why }));
        return {
          result: acknowledged,
          publish: true,
          events: acknowledged.map((alert) => ({
            type: 'directory.integrity_alert_acknowledged',
            actor: by,
            outcome: 'success' as const,
            details: { id: alert.id, node: alert.node, witness: alert.reportedBy, kind: alert.kind, detectedAt: alert.detectedAt, reason: why },
          })),
        };
      });
    },

    async maintain() {
      const latest = await latestPublication(db);
      // Re-publish once half the lifetime is gone, so members always find a fresh copy.
      const due = !latest || Date.parse(latest.expiresAt) - clock.now().getTime() < (ttlSeconds * 1000) / 2;
      const { publication } = await change(latest ? (due ? 'refresh before expiry' : 'maintenance') : 'first publication', async (trx, at, ownKeys) => {
        const endpoint = ownEndpoint();
        const self = await findMember(trx, info.code, store.dialect);
        if (!self) {
          await insertMember(trx, hubSelf(endpoint.url, ownKeys), at);
          return {
            result: undefined,
            publish: true,
            events: [{ type: 'directory.member_added', actor: 'system', outcome: 'success', details: { code: info.code, role: 'hub', endpoint: endpoint.url } }],
          };
        }
        if (endpoint.authoritative && self.endpoint !== endpoint.url) {
          await setMemberEndpoint(trx, info.code, endpoint.url, at);
          return {
            result: undefined,
            publish: true,
            events: [{ type: 'directory.endpoint_changed', actor: 'system', outcome: 'success', details: { code: info.code, from: self.endpoint, to: endpoint.url } }],
          };
        }
        return { result: undefined, publish: due, events: [] };
      });
      return publication ? 'published' : 'current';
    },

    async setListeningUrl(url) {
      listeningUrl = url.replace(/\/+$/, '');
      if (config.http.publicUrl) return;
      await engine.maintain();
    },

    latest: () => latestPublication(db),
  };
  return engine;

  function hubSelf(endpoint: string, keys: readonly DirectoryKey[]): DirectoryMember {
    return { code: info.code, name: info.name, level: info.level, parent: null, role: 'hub', endpoint, status: 'active', keys };
  }
}

function pendingError(pending: ApplicationRecord): TongbanError {
  return new ConflictError(
    `An application from ${pending.code} (received ${pending.receivedAt}) is already waiting for the hub's decision.`,
    { code: pending.code, applicationId: pending.id, receivedAt: pending.receivedAt },
    'application_pending',
  );
}
