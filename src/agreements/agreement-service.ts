/**
 * The agreements service: drafts, proposals between nodes, signatures, the lifecycle, standing
 * approvals, and the policy decisions the gateway asks for on every request.
 *
 * Authorisation and the event log are part of every operation here, not of its callers: each
 * method checks the actor's permission, records what changed in the transaction of the change,
 * and records every refusal (marking it so the HTTP layer does not record it twice).
 */
import { createHash } from 'node:crypto';
import type { CatalogService, DatasetInfo } from '../catalog/index.ts';
import {
  AuthenticationError,
  ConflictError,
  InputError,
  isRecorded,
  markRecorded,
  NotAllowedError,
  NotFoundError,
  TongbanError,
} from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { canonicalJson, cryptoSuite, signJws, verifyJws, type FlattenedJws, type JwsVerificationKey } from '../crypto/index.ts';
import type { DirectoryService } from '../directory/index.ts';
import { actorName, type Actor, type Permission } from '../identity/index.ts';
import type { BackgroundService, NodeCore } from '../node/node-core.ts';
import { isUniqueViolation } from '../store/dialect.ts';
import type { Db } from '../store/open-store.ts';
import type { Agreement, PartyRole } from './domain/agreement-schema.ts';
import { clauseText, decisionSentence, readExplainRequest } from './domain/explain.ts';
import { assertTransition, isFinal, type AgreementState } from './domain/lifecycle.ts';
import { decidePolicy, startOfDayMs, type PolicyDecision, type PolicyRequest } from './domain/policy.ts';
import {
  agreementHash,
  agreementHashWith,
  checkAgreementSignature,
  kidNode,
  peekJwsPayload,
  readApprovalPayload,
  readNoticePayload,
  readProposalPayload,
  readSignaturePayload,
  type AgreementMessagePayload,
  type AgreementNoticePayload,
  type AgreementProposalPayload,
  type AgreementSignaturePayload,
  type StandingApprovalPayload,
} from './domain/signed-messages.ts';
import { assertValidAgreement, datasetProvider, parseAgreementText, type AgreementFormat } from './domain/validate-agreement.ts';
import { createDeliveryWorker, type DeliveryResult } from './federation-deliveries.ts';
import { loadPolicyIndex, policyKey, signedParties, type PolicyIndex } from './policy-index.ts';
import { agreementStore, type AgreementDeliveryRow, type AgreementSignatureRow, type AgreementVersionRow } from './store/agreement-store.ts';

/** One version as lists show it. */
export interface AgreementSummary {
  readonly id: string;
  readonly version: number;
  readonly title: string;
  readonly state: AgreementState;
  readonly hashAlg: 'sha256' | 'sm3';
  readonly hash: string;
  readonly parties: { readonly node: string; readonly role: PartyRole }[];
  readonly validity: { readonly from: string; readonly to: string };
  /** Parties whose valid signature on this version this node holds. */
  readonly signedBy: string[];
  readonly proposedBy: string | null;
  readonly supersededBy: number | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A stored signature, as shown. */
export interface SignatureView {
  readonly party: string;
  readonly kid: string;
  readonly hashAlg: 'sha256' | 'sm3';
  readonly hash: string;
  readonly signedAt: string;
  readonly receivedAt: string;
}

/** A recorded state change, as shown. */
export interface TransitionView {
  readonly from: AgreementState | null;
  readonly to: AgreementState;
  readonly actor: string;
  readonly reason: string | null;
  readonly at: string;
}

/** A standing approval, as shown. */
export interface ApprovalView {
  readonly id: string;
  readonly dataset: string;
  readonly requester: string;
  readonly provider: string;
  readonly items: string[] | null;
  readonly purposes: string[] | null;
  readonly validFrom: string;
  readonly validTo: string;
  readonly createdAt: string;
}

/** A message for a partner and how far its delivery got. */
export interface DeliveryView {
  readonly id: string;
  readonly to: string;
  readonly kind: AgreementDeliveryRow['kind'];
  readonly status: AgreementDeliveryRow['status'];
  readonly attempts: number;
  readonly nextAttemptAt: string;
  readonly lastError: string | null;
}

/** Everything this node holds about one version. */
export interface AgreementDetail extends AgreementSummary {
  readonly document: Agreement;
  readonly versions: { readonly version: number; readonly state: AgreementState }[];
  readonly signatures: SignatureView[];
  readonly transitions: TransitionView[];
  readonly approvals: ApprovalView[];
  readonly deliveries: DeliveryView[];
}

/** What a lifecycle action returns: the version as it now stands and what was sent to partners. */
export interface ActionResult {
  readonly agreement: AgreementSummary;
  readonly deliveries: DeliveryResult[];
}

/** What an import returns. */
export interface ImportResult {
  readonly agreement: AgreementSummary;
  /** False when an existing draft of the same version was replaced. */
  readonly created: boolean;
  /** Set when the document's version was already taken and the draft got the next free one. */
  readonly renumberedFrom?: number;
}

/** An agreement document to import: text (YAML or JSON) or an already parsed value. */
export type ImportInput =
  | { readonly text: string; readonly format?: AgreementFormat; readonly source?: string }
  | { readonly document: unknown };

/** What a provider grants in a standing approval. */
export interface ApprovalInput {
  readonly version?: number;
  readonly dataset: string;
  readonly requester: string;
  readonly items?: readonly string[];
  readonly purposes?: readonly string[];
  /** ISO timestamp; defaults to now. */
  readonly validFrom?: string;
  /** A date (the approval covers that whole day, Beijing time) or an ISO timestamp. */
  readonly validTo: string;
}

/** A decision on a hypothetical request, explained. */
export interface Explanation {
  readonly request: Omit<PolicyRequest, 'at'> & { readonly at: string };
  readonly decision: PolicyDecision;
  /** The verdict, clause and reason in one line. */
  readonly sentence: string;
  /** The clause that decided, as YAML, when this node holds the agreement. */
  readonly clauseText?: string;
  /** Where the dataset's grade and sharing type came from: this node's catalogue, or (for a partner's dataset) the agreement. */
  readonly datasetSource: 'catalog' | 'agreement' | 'none';
}

/** Kinds of signed messages nodes exchange about agreements. */
export type AgreementMessageKind = AgreementDeliveryRow['kind'];

/** What a node answers when it receives a signed message. */
export interface ReceiptResult {
  readonly status: 'accepted' | 'duplicate';
  readonly agreement: string;
  readonly version: number;
}

/** Options of actions that may carry a reason. */
export interface ActionOptions {
  readonly version?: number;
  readonly reason?: string;
}

export interface AgreementService extends BackgroundService {
  /** Decides a request against the locally held agreement (active, signed by every party, in force). */
  decide(request: PolicyRequest, dataset: DatasetInfo | undefined): Promise<PolicyDecision>;
  /** The same decision without a promise, for the gateway's hot path. */
  decideNow(request: PolicyRequest, dataset: DatasetInfo | undefined): PolicyDecision;
  /** Stores a document as a draft: a new agreement, a new version, or a replaced draft. */
  importDocument(actor: Actor, input: ImportInput): Promise<ImportResult>;
  /** Every version held here, by id then version. */
  list(): Promise<AgreementSummary[]>;
  /** One version with its signatures, history, approvals and deliveries; the newest when `version` is omitted. */
  get(id: string, version?: number): Promise<AgreementDetail>;
  /** Sends a draft to every other party. */
  propose(actor: Actor, id: string, version?: number): Promise<ActionResult>;
  /** Signs a proposed version with this node's key and sends the signature to every other party. */
  sign(actor: Actor, id: string, version?: number): Promise<ActionResult>;
  /** Activates a version every party signed; an older active version becomes superseded. */
  activate(actor: Actor, id: string, version?: number): Promise<ActionResult>;
  suspend(actor: Actor, id: string, options?: ActionOptions): Promise<ActionResult>;
  reinstate(actor: Actor, id: string, options?: ActionOptions): Promise<ActionResult>;
  terminate(actor: Actor, id: string, options?: ActionOptions): Promise<ActionResult>;
  /** Issues a standing approval for a conditional dataset this node provides. */
  approve(actor: Actor, id: string, input: ApprovalInput): Promise<{ approval: ApprovalView; deliveries: DeliveryResult[] }>;
  /** Decides a hypothetical request and explains the decision; records it. */
  explain(actor: Actor, input: unknown): Promise<Explanation>;
  /** Handles a signed message from a partner node. */
  receive(kind: AgreementMessageKind, jws: FlattenedJws): Promise<ReceiptResult>;
  /** Attempts every due delivery once. */
  deliverDue(): Promise<DeliveryResult[]>;
  /** Moves versions whose validity ended to `expired`; returns how many. */
  expireDue(): Promise<number>;
  /** Recompiles the policies from the store. */
  refresh(): Promise<void>;
}

/** What the service needs besides the node's foundation: only these parts of the directory and catalogue. */
export interface AgreementServiceDeps {
  readonly directory: Pick<DirectoryService, 'member' | 'verificationKey' | 'assertUsable'>;
  readonly catalog: Pick<CatalogService, 'dataset'>;
  /** How often the background loop runs (ms); tests make it short. */
  readonly tickMs?: number;
}

const defaultTickMs = 2_000;
const dayMs = 86_400_000;

/** Creates the agreements service and compiles the policies it holds. */
export async function createAgreementService(core: NodeCore, deps: AgreementServiceDeps): Promise<AgreementService> {
  const { store, clock, events, keyring, identity } = core;
  const db = store.db;
  const me = core.info.code;
  const suite = cryptoSuite(core.info.suite);
  const { directory, catalog } = deps;
  let index: PolicyIndex = await loadPolicyIndex(db);

  const now = () => clock.now();
  const nowIso = () => now().toISOString();
  const { deliverNow, deliverDue } = createDeliveryWorker({
    db,
    events,
    clock,
    directory,
    fetch: core.fetch,
    timeoutMs: core.config.exchange.requestTimeoutMs,
  });

  // ---- helpers ----

  function requirePermission(actor: Actor, permission: Permission): void {
    if (actor.kind !== 'system') identity.authorize(actor, permission);
  }

  /** Runs an action, recording its refusal (once) if it is refused. */
  async function guarded<T>(action: string, actor: string | null, details: Record<string, unknown>, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof TongbanError && error.kind !== 'internal' && !isRecorded(error)) {
        await events
          .record({
            type: 'agreement.refused',
            actor,
            outcome: 'denied',
            details: { action, ...details, code: error.code, message: error.message.slice(0, 500) },
          })
          .catch(() => undefined);
        markRecorded(error);
      }
      throw error;
    }
  }

  function parseDocument(row: AgreementVersionRow): Agreement {
    return JSON.parse(row.document) as Agreement;
  }

  async function pick(id: string, version: number | undefined, preferred: readonly AgreementState[]): Promise<AgreementVersionRow> {
    if (version !== undefined) {
      const row = await agreementStore.version(db, id, version);
      if (!row) throw new NotFoundError(`No agreement ${id} version ${version} is held here.`, { agreement: id, version }, 'agreement_unknown');
      return row;
    }
    const rows = await agreementStore.versions(db, id);
    if (rows.length === 0) throw new NotFoundError(`No agreement ${id} is held here.`, { agreement: id }, 'agreement_unknown');
    return rows.find((row) => preferred.includes(row.state)) ?? rows[0]!;
  }

  function summary(row: AgreementVersionRow, signatures: readonly AgreementSignatureRow[]): AgreementSummary {
    const document = parseDocument(row);
    return {
      id: row.id,
      version: row.version,
      title: row.title,
      state: row.state,
      hashAlg: row.hash_alg,
      hash: row.hash,
      parties: document.parties.map((party) => ({ node: party.node, role: party.role })),
      validity: { from: document.validity.from, to: document.validity.to },
      signedBy: signedParties(document, signatures),
      proposedBy: row.proposed_by,
      supersededBy: row.superseded_by,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  async function summaryOf(id: string, version: number): Promise<AgreementSummary> {
    const row = await agreementStore.version(db, id, version);
    if (!row) throw new NotFoundError(`No agreement ${id} version ${version} is held here.`, { agreement: id, version }, 'agreement_unknown');
    return summary(row, await agreementStore.signatures(db, id, version));
  }

  /** Records a state change: the conditional update, its history row and its event, in `trx`. */
  async function transition(
    trx: Db,
    row: Pick<AgreementVersionRow, 'id' | 'version'>,
    from: AgreementState,
    to: AgreementState,
    actor: string,
    reason: string | null,
    extra: Partial<Pick<AgreementVersionRow, 'proposed_by' | 'superseded_by'>> = {},
  ): Promise<void> {
    assertTransition(row.id, row.version, from, to);
    const at = nowIso();
    const changed = await agreementStore.changeState(trx, row.id, row.version, from, to, at, extra);
    if (!changed) {
      throw new ConflictError(
        `${row.id} version ${row.version} changed while this was being done; look at it again and retry.`,
        { agreement: row.id, version: row.version },
        'agreement_transition_invalid',
      );
    }
    await agreementStore.insertTransition(trx, { id: newId(), agreement_id: row.id, version: row.version, from_state: from, to_state: to, actor, reason, at });
    await events.append(trx, [
      { type: 'agreement.state_changed', actor, outcome: 'success', details: { agreement: row.id, version: row.version, from, to, reason } },
    ]);
  }

  async function firstState(trx: Db, row: AgreementVersionRow, actor: string, reason: string): Promise<void> {
    await agreementStore.insertVersion(trx, row);
    await agreementStore.insertTransition(trx, {
      id: newId(),
      agreement_id: row.id,
      version: row.version,
      from_state: null,
      to_state: row.state,
      actor,
      reason,
      at: row.created_at,
    });
    await events.append(trx, [
      { type: 'agreement.state_changed', actor, outcome: 'success', details: { agreement: row.id, version: row.version, from: null, to: row.state, reason } },
    ]);
  }

  /** Moves a proposed (or received-as-draft) version to `signed` once every party's signature is held. */
  async function completeIfAllSigned(trx: Db, row: AgreementVersionRow, actor: string): Promise<void> {
    const current = await agreementStore.version(trx, row.id, row.version);
    if (!current || current.state !== 'proposed') return;
    const document = parseDocument(current);
    const signed = new Set(signedParties(document, await agreementStore.signatures(trx, row.id, row.version)));
    if (document.parties.every((party) => signed.has(party.node))) {
      await transition(trx, current, 'proposed', 'signed', actor, 'every party has signed this version');
    }
  }

  function otherParties(document: Agreement): string[] {
    return document.parties.map((party) => party.node).filter((node) => node !== me);
  }

  /** Partners hear of state changes only for versions they were sent: a local draft concerns no one yet. */
  function noticeTargets(row: AgreementVersionRow): string[] {
    return row.proposed_by === null ? [] : otherParties(parseDocument(row));
  }

  async function queue(trx: Db, kind: AgreementMessageKind, targets: readonly string[], agreement: string, version: number, jws: FlattenedJws): Promise<string[]> {
    const at = nowIso();
    const rows: AgreementDeliveryRow[] = targets.map((target) => ({
      id: newId(),
      target,
      kind,
      agreement_id: agreement,
      version,
      jws: JSON.stringify(jws),
      status: 'pending',
      attempts: 0,
      next_attempt_at: at,
      last_error: null,
      created_at: at,
      updated_at: at,
    }));
    await agreementStore.insertDeliveries(trx, rows);
    return rows.map((row) => row.id);
  }

  async function signNotice(row: AgreementVersionRow, state: AgreementState, reason: string | null): Promise<FlattenedJws> {
    const payload: AgreementNoticePayload = {
      type: 'tongban.agreement-notice',
      agreement: row.id,
      version: row.version,
      from: me,
      state,
      ...(reason ? { reason } : {}),
      at: nowIso(),
    };
    return signJws(payload, await keyring.signer());
  }

  async function changed(): Promise<void> {
    index = await loadPolicyIndex(db);
  }

  // ---- keys and signatures ----

  async function keyFor(kid: string, at: Date): Promise<JwsVerificationKey | undefined> {
    if (kidNode(kid) === me) return keyring.resolve(kid);
    return directory.verificationKey(kid, at);
  }

  function protectedKid(jws: FlattenedJws): string {
    try {
      const header = JSON.parse(Buffer.from(jws.protected, 'base64url').toString('utf8')) as { kid?: unknown };
      if (typeof header.kid === 'string' && header.kid.includes('#')) return header.kid;
    } catch {
      // reported below
    }
    throw new InputError('The JWS protected header names no kid.', { path: 'protected' });
  }

  /** Verifies a JWS with the key its signer held at the time the payload says it was signed. */
  async function verifySigned(jws: FlattenedJws, timeField: string): Promise<{ payload: Record<string, unknown>; kid: string; signer: string }> {
    if (typeof jws !== 'object' || jws === null || typeof jws.protected !== 'string' || typeof jws.payload !== 'string') {
      throw new InputError('The message is not a flattened JWS.', { path: '' });
    }
    const kid = protectedKid(jws);
    const signer = kidNode(kid);
    const claimed = peekJwsPayload(jws)[timeField];
    const at = typeof claimed === 'string' && !Number.isNaN(Date.parse(claimed)) ? new Date(claimed) : now();
    const key = await keyFor(kid, at);
    if (key === undefined) {
      if (signer !== me) {
        // Say why: no usable directory copy (retrying later helps), an unknown or suspended sender, or the wrong key.
        directory.assertUsable();
        const member = directory.member(signer);
        if (member === undefined) {
          throw new AuthenticationError(`${signer} is not a member in this node's copy of the federation directory.`, { kid }, 'sender_unknown');
        }
        if (member.status === 'suspended') {
          throw new NotAllowedError(`${signer} is suspended in the federation directory.`, { kid }, 'member_suspended');
        }
      }
      throw new AuthenticationError(`The key ${kid} is not known or was not valid at ${at.toISOString()}.`, { kid, at: at.toISOString() }, 'key_not_valid');
    }
    const verified = verifyJws(jws, () => key);
    return { payload: verified.payload as Record<string, unknown>, kid, signer };
  }

  /** Re-verifies a stored signature against the document held here; throws `agreement_not_signed` saying why not. */
  async function assertSignatureHolds(row: AgreementSignatureRow, document: Agreement): Promise<void> {
    try {
      const { payload, kid } = await verifySigned(JSON.parse(row.jws) as FlattenedJws, 'signedAt');
      checkAgreementSignature(readSignaturePayload(payload), kid, document);
    } catch (error) {
      const why = error instanceof TongbanError ? error.message : String(error);
      throw new NotAllowedError(`${row.party}'s signature on ${document.id} version ${document.version} does not hold: ${why}`, {
        agreement: document.id,
        version: document.version,
        party: row.party,
      }, 'agreement_not_signed');
    }
  }

  // ---- receiving ----

  async function receiveProposal(payload: AgreementProposalPayload, signer: string): Promise<ReceiptResult> {
    if (payload.from !== signer) throw new InputError(`The proposal says it is from ${payload.from} but ${signer} signed it.`, { from: payload.from }, 'signature_invalid');
    if (payload.to !== me) throw new InputError(`The proposal is addressed to ${payload.to}, not to this node (${me}).`, { to: payload.to }, 'not_for_this_node');
    const document = assertValidAgreement(payload.document, { source: `The proposal from ${signer}` });
    if (agreementHashWith(document, payload.hashAlg).hash !== payload.hash) {
      throw new InputError('The proposal\'s hash is not the hash of the document it carries.', { path: 'hash' }, 'signature_invalid');
    }
    const parties = new Set(document.parties.map((party) => party.node));
    if (!parties.has(signer)) throw new NotAllowedError(`${signer} is not a party to ${document.id}; only parties may propose it.`, { from: signer }, 'not_a_party');
    if (!parties.has(me)) throw new NotAllowedError(`This node (${me}) is not a party to ${document.id}.`, { node: me }, 'not_a_party');
    const mine = agreementHash(document, suite);
    const actor = `node:${signer}`;
    const receipt = db.transaction().execute(async (trx): Promise<ReceiptResult['status']> => {
      const existing = await agreementStore.lockVersion(trx, store.dialect, document.id, document.version);
      if (existing && existing.hash !== mine.hash) {
        throw new ConflictError(
          `This node already holds ${document.id} version ${document.version} with different content (${existing.state}); propose a new version.`,
          { agreement: document.id, version: document.version, state: existing.state },
          'already_exists',
        );
      }
      if (existing && existing.state !== 'draft') return 'duplicate';
      if (existing) {
        await transition(trx, existing, 'draft', 'proposed', actor, `proposed by ${signer}`, { proposed_by: signer });
      } else {
        const at = nowIso();
        await firstState(
          trx,
          {
            id: document.id,
            version: document.version,
            title: document.title,
            document: canonicalJson(document),
            hash_alg: mine.hashAlg,
            hash: mine.hash,
            state: 'proposed',
            proposed_by: signer,
            superseded_by: null,
            created_at: at,
            created_by: actor,
            updated_at: at,
          },
          actor,
          `proposed by ${signer}`,
        );
      }
      await events.append(trx, [
        {
          type: 'agreement.proposal_received',
          actor,
          outcome: 'success',
          details: { agreement: document.id, version: document.version, from: signer, hashAlg: mine.hashAlg, hash: mine.hash },
        },
      ]);
      await agreementStore.bumpRevision(trx);
      return 'accepted';
    });
    // The same proposal delivered twice at once: the second insert loses the race, and it is a duplicate.
    const result = await receipt.catch((error: unknown) => {
      if (isUniqueViolation(error)) return 'duplicate' as const;
      throw error;
    });
    if (result === 'accepted') await changed();
    return { status: result, agreement: document.id, version: document.version };
  }

  async function storeSignature(
    trx: Db,
    row: AgreementVersionRow,
    payload: AgreementSignaturePayload,
    kid: string,
    jws: FlattenedJws,
    actor: string,
    source: 'local' | 'received',
  ): Promise<boolean> {
    const inserted = await agreementStore.insertSignature(trx, {
      agreement_id: row.id,
      version: row.version,
      party: payload.party,
      kid,
      hash_alg: payload.hashAlg,
      hash: payload.hash,
      signed_at: payload.signedAt,
      jws: JSON.stringify(jws),
      received_at: nowIso(),
    });
    if (!inserted) return false;
    await events.append(trx, [
      {
        type: 'agreement.signature_added',
        actor,
        outcome: 'success',
        details: { agreement: row.id, version: row.version, party: payload.party, kid, hashAlg: payload.hashAlg, hash: payload.hash, source },
      },
    ]);
    return true;
  }

  async function receiveSignature(payload: AgreementSignaturePayload, kid: string, signer: string, jws: FlattenedJws): Promise<ReceiptResult> {
    const actor = `node:${signer}`;
    const result = await db.transaction().execute(async (trx): Promise<ReceiptResult['status']> => {
      const row = await agreementStore.lockVersion(trx, store.dialect, payload.agreement, payload.version);
      if (!row) {
        // The proposal may still be on its way; the sender retries.
        throw new NotFoundError(`This node does not hold ${payload.agreement} version ${payload.version} yet.`, { agreement: payload.agreement, version: payload.version }, 'agreement_unknown');
      }
      checkAgreementSignature(payload, kid, parseDocument(row));
      if (!(await storeSignature(trx, row, payload, kid, jws, actor, 'received'))) return 'duplicate';
      if (row.state === 'draft') {
        // A partner signed what this node only drafted: the same document, so it has been proposed.
        await transition(trx, row, 'draft', 'proposed', actor, `signed by ${signer}`, { proposed_by: signer });
      }
      await completeIfAllSigned(trx, row, actor);
      await agreementStore.bumpRevision(trx);
      return 'accepted';
    });
    if (result === 'accepted') await changed();
    return { status: result, agreement: payload.agreement, version: payload.version };
  }

  function approvalId(jws: FlattenedJws): string {
    return `apr-${createHash('sha256').update(`${jws.protected}.${jws.payload}.${jws.signature}`).digest('hex').slice(0, 32)}`;
  }

  async function receiveApproval(payload: StandingApprovalPayload, signer: string, jws: FlattenedJws): Promise<ReceiptResult> {
    if (datasetProvider(payload.dataset) !== signer) {
      throw new NotAllowedError(`${signer} does not provide ${payload.dataset}; only its provider may approve requests for it.`, { dataset: payload.dataset }, 'not_a_party');
    }
    if (payload.requester !== me) throw new InputError(`The approval is for ${payload.requester}, not this node (${me}).`, { requester: payload.requester }, 'not_for_this_node');
    const actor = `node:${signer}`;
    const result = await db.transaction().execute(async (trx): Promise<ReceiptResult['status']> => {
      const row = await agreementStore.version(trx, payload.agreement, payload.version);
      if (!row) throw new NotFoundError(`This node does not hold ${payload.agreement} version ${payload.version}.`, { agreement: payload.agreement, version: payload.version }, 'agreement_unknown');
      const document = parseDocument(row);
      if (!document.datasets.some((clause) => clause.dataset === payload.dataset)) {
        throw new InputError(`${payload.dataset} is not in ${payload.agreement} version ${payload.version}.`, { dataset: payload.dataset }, 'dataset_not_granted');
      }
      const inserted = await agreementStore.insertApproval(trx, {
        id: approvalId(jws),
        agreement_id: payload.agreement,
        version: payload.version,
        dataset: payload.dataset,
        requester: payload.requester,
        provider: signer,
        items: payload.items ? JSON.stringify(payload.items) : null,
        purposes: payload.purposes ? JSON.stringify(payload.purposes) : null,
        valid_from: payload.validFrom,
        valid_to: payload.validTo,
        jws: JSON.stringify(jws),
        created_at: nowIso(),
        created_by: actor,
      });
      if (!inserted) return 'duplicate';
      await events.append(trx, [
        {
          type: 'agreement.approval_received',
          actor,
          outcome: 'success',
          details: { agreement: payload.agreement, version: payload.version, dataset: payload.dataset, requester: payload.requester, validTo: payload.validTo },
        },
      ]);
      await agreementStore.bumpRevision(trx);
      return 'accepted';
    });
    if (result === 'accepted') await changed();
    return { status: result, agreement: payload.agreement, version: payload.version };
  }

  async function receiveNotice(payload: AgreementNoticePayload, signer: string): Promise<ReceiptResult> {
    if (payload.from !== signer) throw new InputError(`The notice says it is from ${payload.from} but ${signer} signed it.`, { from: payload.from }, 'signature_invalid');
    const row = await agreementStore.version(db, payload.agreement, payload.version);
    if (!row) throw new NotFoundError(`This node does not hold ${payload.agreement} version ${payload.version}.`, { agreement: payload.agreement, version: payload.version }, 'agreement_unknown');
    if (!parseDocument(row).parties.some((party) => party.node === signer)) {
      throw new NotAllowedError(`${signer} is not a party to ${payload.agreement}.`, { from: signer }, 'not_a_party');
    }
    // Informational: each node changes its own copy only by its own act.
    await events.record({
      type: 'agreement.notice_received',
      actor: `node:${signer}`,
      outcome: 'success',
      details: { agreement: payload.agreement, version: payload.version, from: signer, state: payload.state, reason: payload.reason ?? null, at: payload.at, localState: row.state },
    });
    return { status: 'accepted', agreement: payload.agreement, version: payload.version };
  }

  // ---- lifecycle actions shared by suspend, reinstate, terminate ----

  async function localTransition(
    actor: Actor,
    id: string,
    options: ActionOptions,
    action: string,
    preferred: readonly AgreementState[],
    to: AgreementState,
  ): Promise<ActionResult> {
    const name = actorName(actor);
    return guarded(action, name, { agreement: id, version: options.version ?? null }, async () => {
      requirePermission(actor, 'agreements.manage');
      const row = await pick(id, options.version, preferred);
      assertTransition(row.id, row.version, row.state, to);
      const reason = options.reason?.trim() ? options.reason.trim().slice(0, 500) : null;
      const notice = await signNotice(row, to, reason);
      const ids = await db.transaction().execute(async (trx) => {
        await transition(trx, row, row.state, to, name, reason);
        await agreementStore.bumpRevision(trx);
        return queue(trx, 'notice', noticeTargets(row), row.id, row.version, notice);
      });
      await changed();
      return { agreement: await summaryOf(row.id, row.version), deliveries: await deliverNow(ids) };
    });
  }

  // ---- the loop ----

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = true;

  async function tick(): Promise<void> {
    const revision = await agreementStore.revision(db);
    if (revision !== index.revision) await changed();
    await service.expireDue();
    await service.deliverDue();
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      running = tick()
        .catch(() => undefined) // the next tick tries again; failures of deliveries are recorded where they happen
        .finally(() => {
          running = undefined;
          schedule();
        });
    }, deps.tickMs ?? defaultTickMs);
    timer.unref();
  }

  const service: AgreementService = {
    async decide(request, dataset) {
      return decidePolicy(index.policies.get(policyKey(request.agreement.id, request.agreement.version)), request, dataset);
    },

    decideNow(request, dataset) {
      return decidePolicy(index.policies.get(policyKey(request.agreement.id, request.agreement.version)), request, dataset);
    },

    async importDocument(actor, input) {
      const name = actorName(actor);
      return guarded('import', name, 'text' in input && input.source ? { source: input.source } : {}, async () => {
        requirePermission(actor, 'agreements.manage');
        const parsed =
          'text' in input
            ? parseAgreementText(input.text, { ...(input.format ? { format: input.format } : {}), ...(input.source ? { source: input.source } : {}) })
            : assertValidAgreement(input.document);
        if (!parsed.parties.some((party) => party.node === me)) {
          throw new NotAllowedError(`This node (${me}) is not a party to ${parsed.id}; a node holds only agreements it is party to.`, { path: '/parties' }, 'not_a_party');
        }
        const outcome = await db.transaction().execute(async (trx) => {
          const latest = (await agreementStore.versions(trx, parsed.id))[0];
          let version = parsed.version;
          let replace = false;
          if (latest && parsed.version <= latest.version) {
            if (latest.state === 'draft') {
              version = latest.version;
              replace = true;
            } else {
              version = latest.version + 1;
            }
          }
          const document: Agreement = version === parsed.version ? parsed : { ...parsed, version };
          const hash = agreementHash(document, suite);
          const at = nowIso();
          if (replace) {
            await agreementStore.replaceDraft(trx, document.id, version, {
              title: document.title,
              document: canonicalJson(document),
              hash_alg: hash.hashAlg,
              hash: hash.hash,
              updated_at: at,
            });
            await events.append(trx, [
              { type: 'agreement.draft_updated', actor: name, outcome: 'success', details: { agreement: document.id, version, hashAlg: hash.hashAlg, hash: hash.hash } },
            ]);
          } else {
            await firstState(
              trx,
              {
                id: document.id,
                version,
                title: document.title,
                document: canonicalJson(document),
                hash_alg: hash.hashAlg,
                hash: hash.hash,
                state: 'draft',
                proposed_by: null,
                superseded_by: null,
                created_at: at,
                created_by: name,
                updated_at: at,
              },
              name,
              'imported',
            );
          }
          await agreementStore.bumpRevision(trx);
          return { id: document.id, version, created: !replace };
        });
        await changed();
        return {
          agreement: await summaryOf(outcome.id, outcome.version),
          created: outcome.created,
          ...(outcome.version !== parsed.version ? { renumberedFrom: parsed.version } : {}),
        };
      });
    },

    async list() {
      const [rows, signatures] = await Promise.all([agreementStore.all(db), agreementStore.allSignatures(db)]);
      return rows.map((row) => summary(row, signatures.filter((s) => s.agreement_id === row.id && s.version === row.version)));
    },

    async get(id, version) {
      const row = await pick(id, version, []);
      const [signatures, transitions, approvals, deliveries, versions] = await Promise.all([
        agreementStore.signatures(db, row.id, row.version),
        agreementStore.transitions(db, row.id, row.version),
        agreementStore.approvals(db, row.id, row.version),
        agreementStore.deliveriesFor(db, row.id, row.version),
        agreementStore.versions(db, row.id),
      ]);
      return {
        ...summary(row, signatures),
        document: parseDocument(row),
        versions: versions.map((v) => ({ version: v.version, state: v.state })),
        signatures: signatures.map((s) => ({ party: s.party, kid: s.kid, hashAlg: s.hash_alg, hash: s.hash, signedAt: s.signed_at, receivedAt: s.received_at })),
        transitions: transitions.map((t) => ({ from: t.from_state, to: t.to_state, actor: t.actor, reason: t.reason, at: t.at })),
        approvals: approvals.map((a) => ({
          id: a.id,
          dataset: a.dataset,
          requester: a.requester,
          provider: a.provider,
          items: a.items === null ? null : (JSON.parse(a.items) as string[]),
          purposes: a.purposes === null ? null : (JSON.parse(a.purposes) as string[]),
          validFrom: a.valid_from,
          validTo: a.valid_to,
          createdAt: a.created_at,
        })),
        deliveries: deliveries.map((d) => ({
          id: d.id,
          to: d.target,
          kind: d.kind,
          status: d.status,
          attempts: d.attempts,
          nextAttemptAt: d.next_attempt_at,
          lastError: d.last_error,
        })),
      };
    },

    async propose(actor, id, version) {
      const name = actorName(actor);
      return guarded('propose', name, { agreement: id, version: version ?? null }, async () => {
        requirePermission(actor, 'agreements.manage');
        const row = await pick(id, version, ['draft']);
        assertTransition(row.id, row.version, row.state, 'proposed');
        const document = parseDocument(row);
        const signer = await keyring.signer();
        const targets = otherParties(document);
        const proposedAt = nowIso();
        const messages = targets.map((to) => {
          const payload: AgreementProposalPayload = {
            type: 'tongban.agreement-proposal',
            document,
            hashAlg: row.hash_alg,
            hash: row.hash,
            from: me,
            to,
            proposedAt,
          };
          return { to, jws: signJws(payload, signer) };
        });
        const ids = await db.transaction().execute(async (trx) => {
          await transition(trx, row, 'draft', 'proposed', name, `proposed to ${targets.join(', ')}`, { proposed_by: me });
          const queued: string[] = [];
          for (const message of messages) queued.push(...(await queue(trx, 'proposal', [message.to], row.id, row.version, message.jws)));
          await agreementStore.bumpRevision(trx);
          return queued;
        });
        await changed();
        return { agreement: await summaryOf(row.id, row.version), deliveries: await deliverNow(ids) };
      });
    },

    async sign(actor, id, version) {
      const name = actorName(actor);
      return guarded('sign', name, { agreement: id, version: version ?? null }, async () => {
        requirePermission(actor, 'agreements.sign');
        const row = await pick(id, version, ['proposed']);
        const document = parseDocument(row);
        if (!document.parties.some((party) => party.node === me)) {
          throw new NotAllowedError(`This node (${me}) is not a party to ${row.id}.`, { agreement: row.id }, 'not_a_party');
        }
        if (row.state !== 'proposed') {
          throw new ConflictError(
            `${row.id} version ${row.version} is ${row.state}; only a proposed version can be signed${row.state === 'draft' ? ' (propose it first)' : ''}.`,
            { agreement: row.id, version: row.version, state: row.state },
            'agreement_transition_invalid',
          );
        }
        const held = await agreementStore.signatures(db, row.id, row.version);
        if (held.some((signature) => signature.party === me)) {
          throw new ConflictError(`This node already signed ${row.id} version ${row.version}.`, { agreement: row.id, version: row.version }, 'already_exists');
        }
        const signer = await keyring.signer();
        const payload: AgreementSignaturePayload = {
          type: 'tongban.agreement-signature',
          agreement: row.id,
          version: row.version,
          hashAlg: row.hash_alg,
          hash: row.hash,
          party: me,
          signedAt: nowIso(),
        };
        const jws = signJws(payload, signer);
        const ids = await db.transaction().execute(async (trx) => {
          const locked = await agreementStore.lockVersion(trx, store.dialect, row.id, row.version);
          if (locked?.state !== 'proposed') {
            throw new ConflictError(`${row.id} version ${row.version} changed while it was being signed; look at it again.`, { agreement: row.id, version: row.version }, 'agreement_transition_invalid');
          }
          if (!(await storeSignature(trx, row, payload, signer.kid, jws, name, 'local'))) {
            throw new ConflictError(`This node already signed ${row.id} version ${row.version}.`, { agreement: row.id, version: row.version }, 'already_exists');
          }
          const queued = await queue(trx, 'signature', otherParties(document), row.id, row.version, jws);
          await completeIfAllSigned(trx, row, name);
          await agreementStore.bumpRevision(trx);
          return queued;
        });
        await changed();
        return { agreement: await summaryOf(row.id, row.version), deliveries: await deliverNow(ids) };
      });
    },

    async activate(actor, id, version) {
      const name = actorName(actor);
      return guarded('activate', name, { agreement: id, version: version ?? null }, async () => {
        requirePermission(actor, 'agreements.manage');
        const row = await pick(id, version, ['signed']);
        if (row.state !== 'signed') {
          if (row.state === 'proposed') {
            const document = parseDocument(row);
            const signed = new Set(signedParties(document, await agreementStore.signatures(db, row.id, row.version)));
            const missing = document.parties.map((party) => party.node).filter((node) => !signed.has(node));
            throw new NotAllowedError(
              `${row.id} version ${row.version} cannot be activated: no signature of ${missing.join(', ')} is held here yet.`,
              { agreement: row.id, version: row.version, missing },
              'agreement_not_signed',
            );
          }
          assertTransition(row.id, row.version, row.state, 'active');
        }
        const document = parseDocument(row);
        if (now().getTime() >= startOfDayMs(document.validity.to) + dayMs) {
          throw new NotAllowedError(`${row.id} version ${row.version} was valid only until ${document.validity.to}; it cannot be activated.`, { agreement: row.id, version: row.version }, 'agreement_expired');
        }
        // Activation re-checks every signature: every party, the same document, keys valid when they signed.
        const signatures = await agreementStore.signatures(db, row.id, row.version);
        for (const party of document.parties) {
          const signature = signatures.find((s) => s.party === party.node);
          if (!signature) {
            throw new NotAllowedError(`${row.id} version ${row.version} has no signature of ${party.node}.`, { agreement: row.id, version: row.version, party: party.node }, 'agreement_not_signed');
          }
          await assertSignatureHolds(signature, document);
        }
        const notice = await signNotice(row, 'active', null);
        const ids = await db.transaction().execute(async (trx) => {
          await transition(trx, row, 'signed', 'active', name, 'every party signed; activated here');
          for (const older of await agreementStore.versions(trx, row.id)) {
            if (older.version >= row.version || isFinal(older.state)) continue;
            await transition(trx, older, older.state, 'superseded', name, `superseded by version ${row.version}`, { superseded_by: row.version });
          }
          await agreementStore.bumpRevision(trx);
          return queue(trx, 'notice', otherParties(document), row.id, row.version, notice);
        });
        await changed();
        return { agreement: await summaryOf(row.id, row.version), deliveries: await deliverNow(ids) };
      });
    },

    suspend: (actor, id, options = {}) => localTransition(actor, id, options, 'suspend', ['active'], 'suspended'),
    reinstate: (actor, id, options = {}) => localTransition(actor, id, options, 'reinstate', ['suspended'], 'active'),
    terminate: (actor, id, options = {}) => localTransition(actor, id, options, 'terminate', ['active', 'suspended', 'signed', 'proposed', 'draft'], 'terminated'),

    async approve(actor, id, input) {
      const name = actorName(actor);
      return guarded('approve', name, { agreement: id, version: input.version ?? null, dataset: input.dataset, requester: input.requester }, async () => {
        requirePermission(actor, 'agreements.sign');
        const row = await pick(id, input.version, ['active', 'suspended', 'signed', 'proposed']);
        if (isFinal(row.state)) {
          throw new ConflictError(`${row.id} version ${row.version} is ${row.state}; approvals are issued for a live version.`, { agreement: row.id, version: row.version, state: row.state }, 'agreement_transition_invalid');
        }
        const document = parseDocument(row);
        const clause = document.datasets.find((candidate) => candidate.dataset === input.dataset);
        if (!clause) throw new InputError(`${input.dataset} is not in ${row.id} version ${row.version}.`, { path: 'dataset' }, 'dataset_not_granted');
        if (datasetProvider(input.dataset) !== me) {
          throw new NotAllowedError(`${input.dataset} is provided by ${datasetProvider(input.dataset)}; only its provider approves requests for it.`, { path: 'dataset' }, 'not_a_party');
        }
        const grants = clause.grants.filter((grant) => grant.to === input.requester);
        if (grants.length === 0) {
          throw new InputError(`${row.id} version ${row.version} grants ${input.requester} nothing on ${input.dataset}.`, { path: 'requester' }, 'dataset_not_granted');
        }
        const grantedItems = new Set(grants.flatMap((grant) => grant.items));
        const grantedPurposes = new Set(grants.flatMap((grant) => grant.purposes));
        const badItem = input.items?.find((item) => !grantedItems.has(item));
        if (badItem !== undefined) throw new InputError(`Item "${badItem}" is not granted to ${input.requester} on ${input.dataset}.`, { path: 'items' }, 'item_not_allowed');
        const badPurpose = input.purposes?.find((purpose) => !grantedPurposes.has(purpose));
        if (badPurpose !== undefined) throw new InputError(`Purpose "${badPurpose}" is not granted to ${input.requester} on ${input.dataset}.`, { path: 'purposes' }, 'purpose_not_allowed');
        const validFrom = input.validFrom ? isoInstant(input.validFrom, 'validFrom', false) : nowIso();
        const validTo = isoInstant(input.validTo, 'validTo', true);
        if (Date.parse(validTo) <= Date.parse(validFrom) || Date.parse(validTo) <= now().getTime()) {
          throw new InputError(`The approval must end after it starts and after now (it ends ${validTo}).`, { path: 'validTo' });
        }
        const payload: StandingApprovalPayload = {
          type: 'tongban.standing-approval',
          agreement: row.id,
          version: row.version,
          dataset: input.dataset,
          requester: input.requester,
          ...(input.items && input.items.length > 0 ? { items: [...input.items] } : {}),
          ...(input.purposes && input.purposes.length > 0 ? { purposes: [...input.purposes] } : {}),
          validFrom,
          validTo,
          issuedAt: nowIso(),
        };
        const jws = signJws(payload, await keyring.signer());
        const issuedId = approvalId(jws);
        const createdAt = nowIso();
        const ids = await db.transaction().execute(async (trx) => {
          await agreementStore.insertApproval(trx, {
            id: issuedId,
            agreement_id: row.id,
            version: row.version,
            dataset: input.dataset,
            requester: input.requester,
            provider: me,
            items: payload.items ? JSON.stringify(payload.items) : null,
            purposes: payload.purposes ? JSON.stringify(payload.purposes) : null,
            valid_from: validFrom,
            valid_to: validTo,
            jws: JSON.stringify(jws),
            created_at: createdAt,
            created_by: name,
          });
          await events.append(trx, [
            {
              type: 'agreement.approval_issued',
              actor: name,
              outcome: 'success',
              details: { agreement: row.id, version: row.version, dataset: input.dataset, requester: input.requester, items: payload.items ?? null, purposes: payload.purposes ?? null, validFrom, validTo },
            },
          ]);
          await agreementStore.bumpRevision(trx);
          return queue(trx, 'approval', [input.requester], row.id, row.version, jws);
        });
        await changed();
        return {
          approval: {
            id: issuedId,
            dataset: input.dataset,
            requester: input.requester,
            provider: me,
            items: payload.items ? [...payload.items] : null,
            purposes: payload.purposes ? [...payload.purposes] : null,
            validFrom,
            validTo,
            createdAt,
          },
          deliveries: await deliverNow(ids),
        };
      });
    },

    async explain(actor, input) {
      const name = actorName(actor);
      return guarded('explain', name, {}, async () => {
        const request = readExplainRequest(input, now());
        const policy = index.policies.get(policyKey(request.agreement.id, request.agreement.version));
        let dataset: DatasetInfo | undefined;
        let datasetSource: Explanation['datasetSource'] = 'none';
        if (request.provider === me) {
          dataset = await catalog.dataset(request.dataset);
          if (dataset) datasetSource = 'catalog';
        } else {
          // A partner's dataset is not in this catalogue: judge it as the agreement declares it.
          const clause = policy?.source.document.datasets.find((candidate) => candidate.dataset === request.dataset);
          if (clause) {
            dataset = { id: clause.dataset, provider: datasetProvider(clause.dataset), name: clause.dataset, grade: clause.grade, sharing: clause.sharing, items: [], keyFields: [] };
            datasetSource = 'agreement';
          }
        }
        const decision = decidePolicy(policy, request, dataset);
        const text = policy && decision.clause ? clauseText(policy.source.document, decision.clause) : undefined;
        const note = datasetSource === 'agreement' ? ' (grade and sharing type as the agreement declares them; the provider\'s catalogue decides for real requests)' : '';
        const explanation: Explanation = {
          request: { ...request, at: request.at.toISOString() },
          decision,
          sentence: `${decisionSentence(decision)}${note}`,
          ...(text !== undefined ? { clauseText: text } : {}),
          datasetSource,
        };
        await events.record({
          type: 'agreement.explained',
          actor: name,
          outcome: 'success',
          details: {
            agreement: request.agreement.id,
            version: request.agreement.version,
            requester: request.requester,
            provider: request.provider,
            dataset: request.dataset,
            item: request.item,
            purpose: request.purpose,
            operation: request.operation,
            fields: request.fields,
            allow: decision.allow,
            code: decision.code ?? null,
            clause: decision.clause,
          },
        });
        return explanation;
      });
    },

    async receive(kind, jws) {
      let from: string | null = null;
      try {
        from = kidNode(protectedKid(jws));
      } catch {
        // recorded with the refusal below
      }
      return guarded(`receive_${kind}`, from ? `node:${from}` : null, { kind, from }, async () => {
        const timeField: Record<AgreementMessageKind, string> = { proposal: 'proposedAt', signature: 'signedAt', approval: 'issuedAt', notice: 'at' };
        const { payload, kid, signer } = await verifySigned(jws, timeField[kind]);
        if (signer === me) throw new InputError('A node does not send agreement messages to itself.', { kid }, 'not_for_this_node');
        const message: AgreementMessagePayload =
          kind === 'proposal'
            ? readProposalPayload(payload)
            : kind === 'signature'
              ? readSignaturePayload(payload)
              : kind === 'approval'
                ? readApprovalPayload(payload)
                : readNoticePayload(payload);
        switch (message.type) {
          case 'tongban.agreement-proposal':
            return receiveProposal(message, signer);
          case 'tongban.agreement-signature':
            return receiveSignature(message, kid, signer, jws);
          case 'tongban.standing-approval':
            return receiveApproval(message, signer, jws);
          case 'tongban.agreement-notice':
            return receiveNotice(message, signer);
        }
      });
    },

    deliverDue,

    async expireDue() {
      const at = now().getTime();
      const due = [...index.policies.values()].filter(
        (policy) => ['signed', 'active', 'suspended'].includes(policy.source.state) && at >= policy.validToMs,
      );
      let count = 0;
      for (const policy of due) {
        const row = await agreementStore.version(db, policy.id, policy.version);
        if (!row || !['signed', 'active', 'suspended'].includes(row.state)) continue;
        try {
          await db.transaction().execute(async (trx) => {
            await transition(trx, row, row.state, 'expired', 'system', `validity ended on ${policy.source.document.validity.to}`);
            await agreementStore.bumpRevision(trx);
          });
          count++;
        } catch (error) {
          // Another process expired it first.
          if (!(error instanceof TongbanError && error.code === 'agreement_transition_invalid')) throw error;
        }
      }
      if (count > 0) await changed();
      return count;
    },

    refresh: changed,

    start() {
      if (!stopped) return;
      stopped = false;
      schedule();
    },

    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
  return service;
}

/** A date means the end of that day in Beijing time (for `validTo`) or its start; a timestamp is taken as it is. */
function isoInstant(value: string, path: string, endOfDay: boolean): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const start = startOfDayMs(value);
    if (Number.isNaN(start)) throw new InputError(`${path} "${value}" is not a date.`, { path });
    return new Date(endOfDay ? start + dayMs : start).toISOString();
  }
  const ms = Date.parse(value);
  if (Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}T/.test(value)) throw new InputError(`${path} "${value}" is not a date (YYYY-MM-DD) or an ISO timestamp.`, { path });
  return new Date(ms).toISOString();
}
