/**
 * Witnessing: this node fetches each new checkpoint of the nodes it watches (the other parties of
 * its active agreements; on the hub, every member), checks the signature against the member's
 * directory keys and the consistency with the last checkpoint it holds, co-signs it, stores it and
 * posts the cosignature back. A checkpoint that cannot be reconciled with a witnessed one (fork,
 * truncation, bad signature, unknown key) raises an integrity alert: logged here, sent to the hub.
 *
 * Witnessing and accepted cosignatures are not logged as events: each event would make a new
 * checkpoint that partners witness again, so two partners would keep each other's logs growing
 * forever. The stored checkpoints and cosignatures are themselves signed evidence. Alerts and
 * refusals are logged.
 */
import { createHash } from 'node:crypto';
import { InputError, NotFoundError, SignatureInvalidError, TongbanError, toTongbanError, markRecorded, type ErrorBody } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { canonicalJson, cryptoSuite, fromBase64Url, signJws } from '../crypto/index.ts';
import type { AgreementService } from '../agreements/index.ts';
import type { DirectoryMember, DirectoryService } from '../directory/index.ts';
import { integrityAlertType, type IntegrityAlertKind, type IntegrityAlertPayload } from '../directory/index.ts';
import type { NodeCore } from '../node/node-core.ts';
import { checkpointOrigin, verifyCheckpointNote, type NoteKey } from './domain/checkpoint.ts';
import { addSignatureLines, cosignatureLine, findCosignature } from './domain/cosignature.ts';
import { sameHash, verifyConsistency, type MerkleHasher } from './domain/merkle.ts';
import { listCheckpoints } from './store/checkpoint-store.ts';
import {
  alertByEvidence,
  insertAlert,
  insertCosignature,
  insertWitnessed,
  latestWitnessed,
  listAlerts,
  markAlertReported,
  type RaisedAlert,
  type StoredCosignature,
} from './store/witness-store.ts';

/** What one round did for one watched node. */
export interface WitnessResult {
  readonly node: string;
  /** witnessed: a new checkpoint co-signed; current: nothing new; alert: an inconsistency was flagged; failed: could not check now. */
  readonly status: 'witnessed' | 'current' | 'alert' | 'failed';
  readonly size?: number;
  /** Whether the cosignature reached the node (witnessed only). */
  readonly posted?: boolean;
  readonly alert?: { readonly id: string; readonly kind: IntegrityAlertKind; readonly message: string };
  readonly error?: ErrorBody;
}

/** The witness side and the cosignature-receiving side of a node. */
export interface Witness {
  /** The nodes this node watches now. */
  targets(): Promise<string[]>;
  /** One round over every target, then re-sends alerts the hub does not have yet. */
  witnessAll(): Promise<WitnessResult[]>;
  witness(code: string): Promise<WitnessResult>;
  /** Checks and stores a witness's cosignature on one of this node's checkpoints. */
  receiveCosignature(input: { witness: string; note: string }): Promise<StoredCosignature>;
  /** Alerts this node raised as a witness. */
  alerts(node?: string): Promise<RaisedAlert[]>;
}

export interface WitnessDeps {
  readonly core: NodeCore;
  readonly directory: DirectoryService;
  readonly agreements: Pick<AgreementService, 'list'>;
  /** This node's own checkpoint keys (active and retired). */
  readonly ownKeys: () => Promise<NoteKey[]>;
}

const hashers: Record<'intl' | 'sm', MerkleHasher> = {
  intl: { hash: (data) => createHash('sha256').update(data).digest() },
  sm: { hash: (data) => createHash('sm3').update(data).digest() },
};

/** A member's signing keys as note keys under its checkpoint origin. */
export function memberNoteKeys(member: DirectoryMember): NoteKey[] {
  return member.keys
    .filter((key) => key.use === 'sign')
    .map((key) => ({ name: checkpointOrigin(member.code), suite: cryptoSuite(key.suite), publicKey: fromBase64Url(key.publicKey, 'publicKey') }));
}

class Flagged extends Error {
  constructor(
    readonly kind: IntegrityAlertKind,
    message: string,
    readonly evidence: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** Creates the witness of a node. */
export function createWitness(deps: WitnessDeps): Witness {
  const { core, directory, agreements } = deps;
  const { clock, info, config } = core;
  const db = core.store.db;
  const timeoutMs = config.exchange.requestTimeoutMs;
  /** Per watched node: a checkpoint under an unknown key, and since when it has been seen. */
  const unknownSince = new Map<string, { note: string; since: number }>();

  async function call(url: string, init: RequestInit = {}): Promise<Response> {
    try {
      return await core.fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      throw new TongbanError('partner_unreachable', `${url} could not be reached: ${error instanceof Error ? error.message : String(error)}.`, { url }, { cause: error });
    }
  }

  async function targets(): Promise<string[]> {
    if (info.role === 'hub') return directory.members().filter((member) => member.code !== info.code && member.status === 'active').map((member) => member.code);
    const partners = new Set<string>();
    for (const agreement of await agreements.list()) {
      if (agreement.state !== 'active') continue;
      for (const party of agreement.parties) if (party.node !== info.code) partners.add(party.node);
    }
    return [...partners].sort();
  }

  async function fetchConsistency(member: DirectoryMember, from: number, to: number): Promise<{ proof: Uint8Array[] } | { refused: string }> {
    const response = await call(`${member.endpoint}/api/v1/audit/proofs/consistency?from=${from}&to=${to}`, { headers: { accept: 'application/json' } });
    const text = await response.text();
    if (response.status >= 500) throw new TongbanError('partner_unreachable', `${member.code} answered HTTP ${response.status} to a consistency proof request.`, { node: member.code });
    if (!response.ok) return { refused: `HTTP ${response.status}: ${text.slice(0, 300)}` };
    const body = JSON.parse(text) as { proof?: unknown };
    if (!Array.isArray(body.proof) || !body.proof.every((hash) => typeof hash === 'string')) return { refused: 'the answer holds no proof' };
    return { proof: (body.proof as string[]).map((hash) => Buffer.from(hash, 'base64')) };
  }

  /** Checks the fetched note against the keys and the last witnessed checkpoint; throws Flagged on an inconsistency. */
  async function check(member: DirectoryMember, note: string) {
    const keys = memberNoteKeys(member);
    const checked = verifyCheckpointNote(note, keys);
    if (!checked.ok && checked.problem === 'unknown_key') {
      // A key rotation reaches the witness's directory copy a sync or two later: wait before flagging.
      const first = unknownSince.get(member.code);
      const since = first?.note === note ? first.since : clock.now().getTime();
      unknownSince.set(member.code, { note, since });
      if (clock.now().getTime() - since < config.audit.unknownKeyGraceSeconds * 1000) {
        throw new TongbanError('key_unknown', `${member.code}: ${checked.message} Waiting for the directory to catch up before flagging it.`, { node: member.code });
      }
    }
    if (!checked.ok) throw new Flagged(checked.problem, `${member.code}: ${checked.message}`, { received: note });
    unknownSince.delete(member.code);
    const body = checked.checkpoint;
    const origin = checkpointOrigin(member.code);
    if (body.origin !== origin) throw new Flagged('wrong_origin', `${member.code} serves a checkpoint of ${body.origin}, not ${origin}.`, { received: note });
    const held = await latestWitnessed(db, member.code);
    if (!held) return { checked, held, fresh: true };
    const evidence = { held: held.note, received: note };
    if (body.size === held.size) {
      if (!sameHash(body.root, held.root)) {
        throw new Flagged('fork', `${member.code} signed two different roots for size ${body.size}: its history was forked.`, evidence);
      }
      return { checked, held, fresh: false };
    }
    if (body.size < held.size) {
      throw new Flagged('truncated', `${member.code} now serves a checkpoint of ${body.size} entries, but it signed ${held.size} before: its log was truncated or rolled back.`, evidence);
    }
    const suite = keys[0]?.suite.name ?? 'intl';
    const answer = await fetchConsistency(member, held.size, body.size);
    if ('refused' in answer) {
      throw new Flagged('inconsistent', `${member.code} cannot prove that its checkpoint of ${body.size} extends the one of ${held.size} it signed before (${answer.refused}).`, evidence);
    }
    if (!verifyConsistency(hashers[suite], held.size, body.size, held.root, body.root, answer.proof)) {
      throw new Flagged('inconsistent', `${member.code}'s checkpoint of ${body.size} does not extend the one of ${held.size} it signed before: its history was rewritten.`, {
        ...evidence,
        proof: answer.proof.map((hash) => Buffer.from(hash).toString('base64')),
      });
    }
    return { checked, held, fresh: true };
  }

  async function raise(member: DirectoryMember, flagged: Flagged): Promise<RaisedAlert> {
    const evidenceHash = createHash('sha256').update(canonicalJson(flagged.evidence)).digest('base64url');
    const existing = await alertByEvidence(db, member.code, evidenceHash);
    if (existing) return existing;
    const alert = { id: newId(), node: member.code, kind: flagged.kind, message: flagged.message, evidence: flagged.evidence, createdAt: clock.now().toISOString() };
    await db.transaction().execute(async (trx) => {
      await insertAlert(trx, alert, evidenceHash);
      await core.events.append(trx, [
        { type: 'audit.integrity_alert', actor: 'system', outcome: 'failure', details: { id: alert.id, node: member.code, kind: flagged.kind, message: flagged.message } },
      ]);
    });
    return { ...alert, reportedAt: null };
  }

  /** Sends alerts the hub does not have yet; failures wait for the next round. */
  async function reportPending(): Promise<void> {
    const pending = await listAlerts(db, { unreported: true });
    if (pending.length === 0) return;
    const signer = await core.keyring.signer();
    const hub = directory.hub();
    for (const alert of pending) {
      const payload: IntegrityAlertPayload = {
        type: integrityAlertType,
        id: alert.id,
        node: alert.node,
        witness: info.code,
        kind: alert.kind as IntegrityAlertKind,
        message: alert.message,
        evidence: { ...alert.evidence },
        detectedAt: alert.createdAt,
      };
      const jws = signJws(payload, signer);
      try {
        if (info.role === 'hub') await directory.registry.receiveIntegrityAlert(jws);
        else {
          if (!hub) return;
          const response = await call(`${hub.endpoint}/api/v1/directory/integrity-alerts`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', accept: 'application/json' },
            body: JSON.stringify(jws),
          });
          await response.arrayBuffer();
          if (!response.ok) continue;
        }
        await markAlertReported(db, alert.id, clock.now().toISOString());
      } catch {
        // The hub is unreachable or refused for now; the next round tries again.
      }
    }
  }

  async function witness(code: string): Promise<WitnessResult> {
    const member = directory.member(code);
    if (!member || member.status !== 'active') {
      return { node: code, status: 'failed', error: { code: 'member_unknown', message: `Node ${code} is not an active member of the federation.` } };
    }
    try {
      const response = await call(`${member.endpoint}/.well-known/tongban/checkpoint`, { headers: { accept: 'text/plain' } });
      const note = await response.text();
      if (response.status === 404) return { node: code, status: 'current' };
      if (!response.ok) throw new TongbanError('partner_unreachable', `${code} answered HTTP ${response.status} for its checkpoint.`, { node: code });
      const { checked, fresh } = await check(member, note);
      if (!fresh) return { node: code, status: 'current', size: checked.checkpoint.size };
      const signer = await core.keyring.signer();
      const key: NoteKey = { name: checkpointOrigin(info.code), suite: signer.suite, publicKey: signer.suite.signingPublicKey(signer.privateKey) };
      const now = clock.now();
      const line = cosignatureLine(checked.body, key, signer.privateKey, Math.floor(now.getTime() / 1000));
      await insertWitnessed(db, { node: code, size: checked.checkpoint.size, root: checked.checkpoint.root, note, cosignature: line, witnessedAt: now.toISOString() });
      let posted = false;
      try {
        const back = await call(`${member.endpoint}/api/v1/audit/cosignatures`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({ witness: info.code, note: addSignatureLines(note, [line]) }),
        });
        await back.arrayBuffer();
        posted = back.ok;
      } catch {
        posted = false;
      }
      return { node: code, status: 'witnessed', size: checked.checkpoint.size, posted };
    } catch (error) {
      if (error instanceof Flagged) {
        const alert = await raise(member, error);
        return { node: code, status: 'alert', alert: { id: alert.id, kind: alert.kind as IntegrityAlertKind, message: alert.message } };
      }
      return { node: code, status: 'failed', error: toTongbanError(error).toBody() };
    }
  }

  async function refuseCosignature(witness: string, error: TongbanError): Promise<never> {
    await core.events.record({ type: 'audit.cosignature_refused', actor: `node:${witness}`, outcome: 'denied', details: { witness, code: error.code, reason: error.message } });
    throw markRecorded(error);
  }

  return {
    targets,
    async witnessAll() {
      const results: WitnessResult[] = [];
      for (const code of await targets()) results.push(await witness(code));
      await reportPending();
      return results;
    },
    witness,
    async receiveCosignature(input) {
      const member = directory.member(input.witness);
      if (!member || member.status !== 'active') {
        return refuseCosignature(input.witness, new TongbanError('sender_unknown', `Node ${input.witness} is not an active member of the federation.`, { witness: input.witness }));
      }
      const own = verifyCheckpointNote(input.note, await deps.ownKeys());
      if (!own.ok) return refuseCosignature(input.witness, new InputError(`The note is not a checkpoint this node signed: ${own.message}`, { path: 'note' }, 'checkpoint_invalid'));
      const body = own.checkpoint;
      const mine = (await listCheckpoints(db, { beforeSize: body.size + 1, limit: 50 })).find((candidate) => candidate.size === body.size && sameHash(candidate.root, body.root));
      if (!mine) return refuseCosignature(input.witness, new NotFoundError(`This node holds no checkpoint of size ${body.size} with that root.`, { size: body.size }));
      let found: ReturnType<typeof findCosignature>;
      for (const key of memberNoteKeys(member)) {
        found = findCosignature(input.note, key);
        if (found) break;
      }
      if (found === false) return refuseCosignature(input.witness, new SignatureInvalidError(`The cosignature of ${input.witness} does not verify.`, { witness: input.witness }));
      if (!found) {
        return refuseCosignature(input.witness, new InputError(`The note carries no cosignature by a key of ${input.witness}.`, { path: 'note' }, 'checkpoint_invalid'));
      }
      const stored: StoredCosignature = {
        size: body.size,
        root: body.root,
        witness: input.witness,
        cosignature: found.line,
        signedAt: new Date(found.time * 1000).toISOString(),
        receivedAt: clock.now().toISOString(),
      };
      await insertCosignature(db, stored);
      return stored;
    },
    alerts: (node) => listAlerts(db, node ? { node } : {}),
  };
}
