/**
 * The provider side of an exchange: checks an incoming envelope in the order of the protocol,
 * asks the agreements for a decision, reads and shapes the data, and signs the answer — or
 * refuses with a stable code that names the clause. One effect per message id, ever.
 */
import { createHmac, hash as oneShotHash } from 'node:crypto';
import type { AgreementService, PolicyDecision } from '../agreements/index.ts';
import type { EventInput } from '../audit/domain/event.ts';
import type { CatalogService } from '../catalog/index.ts';
import {
  InputError,
  NotAllowedError,
  SignatureInvalidError,
  TongbanError,
  toTongbanError,
  type ErrorCode,
} from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import {
  canonicalJson,
  decodeCanonicalPayload,
  decodeJwsPayload,
  fromBase64Url,
  signCanonicalJws,
  suiteForJwsAlgorithm,
  verifyJws,
  type DecodedJwsPayload,
  type FlattenedJws,
  type JwsHeader,
  type JwsVerificationKey,
  type VerifiedJws,
} from '../crypto/index.ts';
import { BoundedCache } from '../crypto/bounded-cache.ts';
import type { DirectoryService } from '../directory/index.ts';
import type { NodeCore } from '../node/node-core.ts';
import { withoutTimestamp } from './domain/canonical-message.ts';
import { shapeRecord } from './domain/masking.ts';
import {
  isSealed,
  parseAgreementRef,
  parseBody,
  parseMessage,
  type Answer,
  type Message,
  type QueryBody,
  type VerifyBody,
} from './domain/message.ts';
import { batchRoot, isBatchedJws, maxBatchMemberBytes, maxBatchMembers, memberOfBatch, parseBatchDocument, signBatch, wholeBatch, type BatchDocument, type BatchedJws, type Evidence } from './domain/batch.ts';
import { openBody, sealBody } from './sealing.ts';
import { createGroupCommit } from './group-commit.ts';
import type { Claim, InboundKey, InboundStore, StoredAnswer } from './store/inbound-store.ts';

/** What goes back over HTTP: a status and a JSON body (the signed answer, or the error shape). */
export interface InboundResult {
  readonly status: number;
  readonly body: unknown;
}

/** Most records one query may return; a key lookup that matches more is almost certainly a wrong key. */
const maxRecords = 100;
/** How long a second process waits for the first one's answer to the same message id. */
const concurrentWaitMs = 5000;

export interface GatewayDeps {
  readonly core: NodeCore;
  readonly directory: DirectoryService;
  readonly catalog: CatalogService;
  readonly agreements: AgreementService;
  readonly inbound: InboundStore;
  /** Records an event in a transaction of its own (shared by many with group commit). */
  readonly record: (event: EventInput) => Promise<unknown>;
  /**
   * The agreement's quality floor for a dataset (DESIGN §7): refused with its clause when the
   * dataset's latest score is below it. Absent: no floors are enforced.
   */
  readonly qualityFloor?: QualityFloorCheck;
}

/** Whether a dataset meets the quality floor an agreement version sets for it. */
export type QualityFloorCheck = (
  agreement: { readonly id: string; readonly version: number },
  dataset: string,
) => Promise<{ readonly allow: boolean; readonly reason: string; readonly clause: string }>;

/** An answer waiting for the group commit that stores it with its event. */
interface AnswerWrite {
  readonly key: InboundKey & { readonly op: string; readonly agreement: string; readonly received: Date };
  readonly result: StoredAnswer;
  readonly answered: Date;
  readonly event: EventInput;
}

/** Checks that a value has the flattened JWS shape before anything else looks at it. */
export function asFlattenedJws(value: unknown): FlattenedJws {
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof (value as FlattenedJws).payload !== 'string' ||
    typeof (value as FlattenedJws).protected !== 'string' ||
    typeof (value as FlattenedJws).signature !== 'string' ||
    Object.keys(value).length !== 3
  ) {
    throw new InputError('The exchange envelope must be a flattened JWS: { payload, protected, signature }.', { path: '/' }, 'envelope_invalid');
  }
  return value as FlattenedJws;
}

/** Reads the payload of a JWS without trusting it yet. */
export function peekPayload(jws: FlattenedJws): unknown {
  return decodePayload(jws).value;
}

/** Decodes the payload of a JWS without trusting it yet, keeping its text for the verification. */
export function decodePayload(jws: FlattenedJws): DecodedJwsPayload {
  try {
    return decodeJwsPayload(jws);
  } catch {
    throw new InputError('The exchange envelope payload is not base64url JSON.', { path: '/payload' }, 'envelope_invalid');
  }
}

/** The kid in a JWS protected header, without trusting it yet. */
export function peekKid(jws: FlattenedJws): string {
  try {
    const header = JSON.parse(Buffer.from(fromBase64Url(jws.protected, 'protected')).toString('utf8')) as { kid?: unknown };
    if (typeof header.kid === 'string') return header.kid;
  } catch {
    // falls through to the refusal below
  }
  throw new InputError('The exchange envelope header has no kid.', { path: '/protected' }, 'envelope_invalid');
}

/**
 * The key a signed document from a member must verify with: the member must be in the directory
 * and active, and the kid one of its keys valid at `at`.
 */
function memberKey(directory: DirectoryService, jws: FlattenedJws, from: string, at: Date): JwsVerificationKey {
  directory.assertUsable();
  const member = directory.member(from);
  if (!member) throw new TongbanError('sender_unknown', `Node ${from} is not a member of the federation.`, { from });
  if (member.status !== 'active') throw new NotAllowedError(`Node ${from} is suspended in the federation directory.`, { from }, 'member_suspended');
  const kid = peekKid(jws);
  if (!kid.startsWith(`${from}#`)) {
    throw new SignatureInvalidError(`The message claims to be from ${from} but is signed with ${kid}.`, { kid, from });
  }
  const key = directory.verificationKey(kid, at);
  if (!key) {
    throw new TongbanError('key_not_valid', `The key ${kid} is not a valid key of ${from} at ${at.toISOString()}.`, { kid, at: at.toISOString() });
  }
  return key;
}

function verifyWithKey(jws: FlattenedJws, key: JwsVerificationKey, from: string, decoded?: DecodedJwsPayload): VerifiedJws {
  try {
    return verifyJws(jws, () => key, decoded);
  } catch (error) {
    if (error instanceof TongbanError && error.code === 'key_unknown') {
      throw new TongbanError('key_not_valid', `The key ${peekKid(jws)} is not known for ${from}.`, { kid: peekKid(jws) });
    }
    throw error;
  }
}

/**
 * Authenticates a signed document from a member: the member must be in the directory and active,
 * and the signature must verify with a key of that member valid at `at`. `decoded` is the payload
 * as `decodePayload` read it, so it is not parsed twice.
 */
export function verifyFromMember(directory: DirectoryService, jws: FlattenedJws, from: string, at: Date, decoded?: DecodedJwsPayload): VerifiedJws {
  return verifyWithKey(jws, memberKey(directory, jws, from, at), from, decoded);
}

/**
 * Batch signatures this process has verified, with their headers. The members of one batch arrive
 * together and each would verify the same signature again; the directory checks (member active,
 * key valid) still run for every member, only the signature arithmetic is remembered.
 */
const verifiedBatches = new BoundedCache<string, JwsHeader>(512);

/**
 * A batch JWS from a member, verified (or found verified), and its document. `from`, when given,
 * is who the caller expects the batch from; otherwise the document names its sender.
 */
export function verifyBatchFromMember(directory: DirectoryService, batch: FlattenedJws, from?: string): { document: BatchDocument; verified: VerifiedJws } {
  const decoded = decodePayload(batch);
  const document = parseBatchDocument(decoded.value);
  if (from !== undefined && document.from !== from) {
    throw new SignatureInvalidError(`The batch is from ${document.from}, not from ${from}.`, { from, batchFrom: document.from });
  }
  const key = memberKey(directory, batch, document.from, new Date(document.ts));
  const cacheKey = `${Buffer.from(key.publicKey).toString('base64url')}.${batch.protected}.${batch.payload}.${batch.signature}`;
  const header = verifiedBatches.get(cacheKey);
  if (header !== undefined) return { document, verified: { payload: document, payloadText: decoded.text, kid: header.kid, header } };
  const verified = verifyWithKey(batch, key, document.from, decoded);
  verifiedBatches.set(cacheKey, verified.header);
  return { document, verified };
}

/** Checks that a value is evidence: a flattened JWS, or a member of a signed batch. */
export function asEvidence(value: unknown): Evidence {
  return isBatchedJws(value) ? value : asFlattenedJws(value);
}

/**
 * Authenticates a signed document from a member, given as a JWS of its own or as a member of a
 * signed batch. `at` reads from the (not yet trusted) payload the time its key must be valid at;
 * a batch member's key must be valid when the batch was signed.
 */
export function verifyEvidenceFromMember(directory: DirectoryService, evidence: Evidence, from: string, at: (payload: unknown) => Date): VerifiedJws {
  if (!isBatchedJws(evidence)) {
    const decoded = decodePayload(evidence);
    return verifyFromMember(directory, evidence, from, at(decoded.value), decoded);
  }
  const { document, verified } = verifyBatchFromMember(directory, evidence.batch, from);
  const suite = suiteForJwsAlgorithm(verified.header.alg)!;
  if (!memberOfBatch(suite, evidence, document)) {
    throw new SignatureInvalidError(`The document is not member ${evidence.index} of the batch ${document.id} that ${from} signed.`, { kid: verified.kid, batch: document.id });
  }
  let payload: { readonly text: string; readonly value: unknown };
  try {
    payload = decodeCanonicalPayload(evidence.payload, 'payload');
  } catch {
    throw new InputError('The batch member payload is not canonical base64url JSON.', { path: '/payload' }, 'envelope_invalid');
  }
  return { payload: payload.value, payloadText: payload.text, kid: verified.kid, header: verified.header };
}

/**
 * Authenticates every member of one signed batch at once — one signature check, one tree over all
 * the payloads (`wholeBatch`) — for a node holding the whole batch, as a requester holds the
 * answers to a batch it sent. Undefined when `members` are not that whole batch or do not verify
 * as one: the caller then checks each member alone, which names what is wrong with which.
 */
export function verifyWholeBatchFromMember(directory: DirectoryService, members: readonly BatchedJws[], from: string): VerifiedJws[] | undefined {
  const first = members[0]?.batch;
  if (!first || members.some(({ batch }) => batch.protected !== first.protected || batch.payload !== first.payload || batch.signature !== first.signature)) return undefined;
  try {
    const { document, verified } = verifyBatchFromMember(directory, first, from);
    if (!wholeBatch(suiteForJwsAlgorithm(verified.header.alg)!, members, document)) return undefined;
    return members.map((member) => {
      const payload = decodeCanonicalPayload(member.payload, 'payload');
      return { payload: payload.value, payloadText: payload.text, kid: verified.kid, header: verified.header };
    });
  } catch {
    return undefined;
  }
}

/**
 * SHA-256 of the canonical message without its time: what replay protection compares and the log
 * records. The time is left out because an outbox retry re-signs the same message with a fresh
 * `ts` (an old one would fall outside the window), and that retry must get the stored answer.
 */
export function requestHash(message: Message): string {
  const { ts: _ts, ...timeless } = message;
  return requestHashOfTimeless(canonicalJson(timeless));
}

/** `requestHash` from the canonical text of the message without its time. */
export function requestHashOfTimeless(timelessText: string): string {
  return oneShotHash('sha256', timelessText, 'base64url');
}

/** `requestHash` from the message's canonical text as signed, without serialising it again. */
export function requestHashOfCanonical(canonicalText: string, message: Message): string {
  const timeless = withoutTimestamp(canonicalText, message);
  return timeless === undefined ? requestHash(message) : requestHashOfTimeless(timeless);
}

/** The keyed hash under which the log records whose data an exchange touched. */
export function subjectHashOf(subjectKey: Uint8Array, key: Readonly<Record<string, string>>): string {
  const entries = Object.entries(key);
  const text = entries.length === 1 ? entries[0]![1] : entries.map(([field, value]) => `${field}=${value}`).sort().join('&');
  return createHmac('sha256', subjectKey).update(text).digest('base64url');
}

export function createGateway(deps: GatewayDeps) {
  const { core, directory, catalog, agreements, inbound, record } = deps;
  const { clock, config, info } = core;
  /** Stores answers and their events, many per transaction under load; true where this write was the first for its id. */
  const answers = createGroupCommit<AnswerWrite, boolean>(core.store.db, async (trx, writes) => {
    const first: boolean[] = [];
    const events: EventInput[] = [];
    for (const write of writes) {
      const inserted = await inbound.answer(trx, write.key, write.result, write.answered);
      first.push(inserted);
      if (inserted) events.push(write.event);
    }
    await core.events.append(trx, events);
    return first;
  });

  /** Records a refusal that happened before the message could be trusted, and returns the error answer. */
  async function refuse(error: TongbanError, facts: Record<string, unknown>): Promise<InboundResult> {
    await record({
      type: 'exchange.refused',
      actor: typeof facts.from === 'string' ? `node:${facts.from}` : null,
      outcome: 'denied',
      details: { ...facts, code: error.code },
    });
    return refusalOf(error);
  }

  /** Waits for a row an earlier version left in `processing` to be answered (or abandoned). */
  async function waitForAnswer(message: Message, hash: string, received: Date): Promise<InboundResult> {
    const deadline = Date.now() + concurrentWaitMs;
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      const claim = await inbound.lookup({ id: message.id, from: message.from, requestHash: hash }, clock.now());
      if (claim.kind === 'answered') return { status: claim.status, body: claim.body };
      if (claim.kind === 'new') return answerAlone(await decide(message, hash, received));
      if (claim.kind === 'replayed') return refuseReplay(message, hash);
    }
    return refusalOf(new TongbanError('in_progress', 'This message is still being handled; retry shortly for its answer.', { id: message.id }));
  }

  function refuseReplay(message: Message, hash: string): Promise<InboundResult> {
    return refuse(new TongbanError('replayed', `Message id ${message.id} was already used for a different message.`, { id: message.id }), {
      id: message.id,
      from: message.from,
      requestHash: hash,
    });
  }

  /**
   * Stores the answer and its events in one transaction, unless another process answered the same
   * id first: then nothing is written and that process's stored answer is returned.
   */
  async function store(message: Message, hash: string, received: Date, result: InboundResult, answered: Date, event: EventInput): Promise<InboundResult> {
    const key = { id: message.id, from: message.from, requestHash: hash };
    const first = await answers.submit({ key: { ...key, op: message.op, agreement: message.agreement, received }, result, answered, event });
    if (first) return result;
    const stored = await inbound.lookup(key, clock.now());
    if (stored.kind === 'answered') return { status: stored.status, body: stored.body };
    if (stored.kind === 'replayed') return refuseReplay(message, hash);
    return waitForAnswer(message, hash, received);
  }

  /** The checks every message gets once its signature (or its batch's) verified: time window and address. */
  function checkTimeAndAddress(message: Message, received: Date): void {
    checkTime(message.ts, received, config.exchange.clockSkewSeconds);
    if (message.to !== info.code) {
      throw new InputError(`The message is addressed to ${message.to}, not to ${info.code}.`, { to: message.to }, 'not_for_this_node');
    }
  }

  /** Refuses input that failed a check before the message could be trusted; internal errors propagate. */
  function refuseUntrusted(error: unknown, facts: Record<string, unknown>): Promise<InboundResult> {
    const refusal = toTongbanError(error);
    if (refusal.kind === 'internal') throw error;
    return refuse(refusal, facts);
  }

  /** Handles one envelope as received over HTTP (directly, or relayed by the hub). */
  async function receive(raw: unknown): Promise<InboundResult> {
    const received = clock.now();
    let message: Message;
    let hash: string;
    try {
      const jws = asFlattenedJws(raw);
      const decoded = decodePayload(jws);
      message = parseMessage(decoded.value);
      const verified = verifyFromMember(directory, jws, message.from, new Date(message.ts), decoded);
      hash = requestHashOfCanonical(verified.payloadText, message);
      checkTimeAndAddress(message, received);
    } catch (error) {
      return refuseUntrusted(error, typeof raw === 'object' && raw !== null ? safeFacts(raw) : {});
    }
    return answerAlone(await handle(message, hash, received));
  }

  /**
   * Handles a batch of envelopes from one member (POST /api/v1/exchange/batches): one signature
   * covers them all (see domain/batch.ts), each message then goes through the same checks and
   * decision as a single one, and the answers go back under one batch signature of this node.
   * A batch that fails as a whole (shape, sender, signature, time, address) is refused as one;
   * otherwise every message gets its own result, in order.
   */
  async function receiveBatch(raw: unknown): Promise<InboundResult> {
    const received = clock.now();
    let document: BatchDocument;
    let payloads: readonly string[];
    try {
      ({ document, payloads } = checkBatchEnvelope(directory, raw, received, config.exchange.clockSkewSeconds));
      if (document.to !== info.code) {
        throw new InputError(`The batch is addressed to ${document.to}, not to ${info.code}.`, { to: document.to }, 'not_for_this_node');
      }
    } catch (error) {
      return refuseUntrusted(error, batchFacts(raw));
    }
    const sender = document.from;
    // Each message is checked on its own; those that pass are looked up together, one query per batch.
    const checked = payloads.map((encoded): { message: Message; hash: string } | { refused: unknown; encoded: string } => {
      try {
        const { payload, message } = decodeBatchMember(encoded, config.exchange.maxEnvelopeBytes);
        if (message.from !== sender) {
          throw new SignatureInvalidError(`The message claims to be from ${message.from} but its batch is signed by ${sender}.`, { from: message.from, batchFrom: sender });
        }
        const hash = requestHashOfCanonical(payload.text, message);
        checkTimeAndAddress(message, received);
        return { message, hash };
      } catch (error) {
        return { refused: error, encoded };
      }
    });
    const trusted = checked.filter((item): item is { message: Message; hash: string } => 'message' in item);
    const claims = new Map<object, Claim>();
    const found = await inbound.lookupMany(
      trusted.map(({ message, hash }) => ({ id: message.id, from: message.from, requestHash: hash })),
      received,
    );
    trusted.forEach((item, index) => claims.set(item, found[index]!));
    const handled = await Promise.all(
      checked.map(async (item): Promise<Handled> => {
        if ('refused' in item) return { kind: 'done', result: await refuseUntrusted(item.refused, { ...messageFacts(item.encoded), batch: document.id, from: sender }) };
        return handleClaim(claims.get(item)!, item.message, item.hash, received);
      }),
    );
    const pending = handled.filter((item): item is Handled & { kind: 'answer' } => item.kind === 'answer');
    const finished = new Map<Handled, InboundResult>();
    if (pending.length > 0) {
      const signer = await core.keyring.signer();
      const texts = pending.map((item) => canonicalJson(item.answer));
      const evidence: Evidence[] =
        pending.length === 1 ? [signCanonicalJws(texts[0]!, signer)] : signBatch(texts, signer, { id: newId(), from: info.code, to: sender, ts: clock.now().toISOString() });
      const results = await Promise.all(pending.map((item, index) => item.finish(evidence[index]!)));
      pending.forEach((item, index) => finished.set(item, results[index]!));
    }
    return { status: 200, body: { results: handled.map((item) => (item.kind === 'done' ? item.result : finished.get(item)!)) } };
  }

  /** Answers one message under a signature of its own. */
  async function answerAlone(handled: Handled): Promise<InboundResult> {
    if (handled.kind === 'done') return handled.result;
    return handled.finish(signCanonicalJws(canonicalJson(handled.answer), await core.keyring.signer()));
  }

  /** A trusted message: its stored answer if it has one, else the decision and the answer to sign. */
  async function handle(message: Message, hash: string, received: Date): Promise<Handled> {
    return handleClaim(await inbound.lookup({ id: message.id, from: message.from, requestHash: hash }, received), message, hash, received);
  }

  /** A trusted message, given what is stored under its id. */
  async function handleClaim(claim: Claim, message: Message, hash: string, received: Date): Promise<Handled> {
    if (claim.kind === 'answered') return { kind: 'done', result: { status: claim.status, body: claim.body } };
    if (claim.kind === 'processing') return { kind: 'done', result: await waitForAnswer(message, hash, received) };
    if (claim.kind === 'replayed') return { kind: 'done', result: await refuseReplay(message, hash) };
    return decide(message, hash, received);
  }

  /**
   * Decides a new message and shapes its answer. A refusal is stored at once; an answer waits to
   * be signed (alone, or with the others of its batch) and is stored by `finish`.
   */
  async function decide(message: Message, hash: string, received: Date): Promise<Handled> {
    const agreement = parseAgreementRef(message.agreement);
    let body: QueryBody | VerifyBody;
    let decision: PolicyDecision;
    let answerBody: Answer['body'];
    let records = 0;
    try {
      body = parseBody(message.op, isSealed(message.body) ? await openBody(core.keyring, message.body, message) : message.body);
      const predicate = message.op === 'verify' ? (body as VerifyBody).predicate : undefined;
      const dataset = await catalog.dataset(body.dataset);
      decision = await agreements.decide(
        {
          requester: message.from,
          provider: info.code,
          agreement,
          item: message.item,
          purpose: message.purpose,
          operation: message.op,
          dataset: body.dataset,
          fields: message.op === 'query' ? (body as QueryBody).fields : predicate ? [predicate.field] : [],
          at: received,
        },
        dataset,
      );
      if (decision.allow && deps.qualityFloor) {
        const floor = await deps.qualityFloor(decision.agreement, body.dataset);
        if (!floor.allow) decision = { ...decision, allow: false, code: 'quality_below_floor', reason: floor.reason, clause: floor.clause, fields: [], masks: {} };
      }
      if (decision.allow) {
        if (message.op === 'query') {
          const query = body as QueryBody;
          const rows = await catalog.readRecords(query.dataset, query.key, decision.fields, maxRecords);
          records = rows.length;
          answerBody = { records: rows.map((row) => shapeRecord(row, decision.fields, decision.masks)) };
        } else {
          const rows = await catalog.readRecords(body.dataset, body.key, predicate ? [predicate.field] : Object.keys(body.key), maxRecords);
          records = rows.length;
          answerBody = { result: predicate ? rows.some((row) => String(row[predicate.field] ?? '') === predicate.equals) : rows.length > 0 };
        }
        if (isSealed(message.body)) answerBody = sealBody(directory, message.from, answerBody, message.id);
      }
    } catch (caught) {
      const refusal = toTongbanError(caught);
      if (refusal.kind === 'internal') throw caught;
      const result = refusalOf(refusal);
      return {
        kind: 'done',
        result: await store(message, hash, received, result, clock.now(), {
          type: 'exchange.refused',
          actor: `node:${message.from}`,
          outcome: 'denied',
          details: { id: message.id, from: message.from, op: message.op, agreement: message.agreement, code: refusal.code, requestHash: hash },
        }),
      };
    }
    const decided = clock.now();

    const answer: Answer = {
      type: 'tongban.answer',
      id: newId(),
      inReplyTo: message.id,
      ts: clock.now().toISOString(),
      from: info.code,
      to: message.from,
      status: decision.allow ? 'ok' : 'denied',
      decision: {
        agreement: `${decision.agreement.id}@${decision.agreement.version}`,
        clause: decision.clause,
        ...(decision.code ? { code: decision.code } : {}),
        reason: decision.reason,
      },
      ...(answerBody ? { body: answerBody } : {}),
    };
    const subjectKey = await core.keyring.subjectKey();
    const finish = (signed: Evidence): Promise<InboundResult> => {
      const answered = clock.now();
      const result: InboundResult = decision.allow ? { status: 200, body: { answer: signed } } : denial(decision, signed);
      return store(message, hash, received, result, answered, {
        type: decision.allow ? 'exchange.answered' : 'exchange.denied',
        actor: `node:${message.from}`,
        outcome: decision.allow ? 'success' : 'denied',
        subjectHash: subjectHashOf(subjectKey, body.key),
        details: {
          id: message.id,
          answerId: answer.id,
          from: message.from,
          to: message.to,
          via: message.via ?? null,
          op: message.op,
          agreement: message.agreement,
          item: message.item,
          purpose: message.purpose,
          case: message.case ?? null,
          operator: message.operator,
          dataset: body.dataset,
          fields: decision.allow ? decision.fields : [],
          records,
          clause: decision.clause,
          code: decision.code ?? null,
          requestHash: hash,
          timings: { received: received.toISOString(), decided: decided.toISOString(), answered: answered.toISOString() },
        },
      });
    };
    return { kind: 'answer', answer, finish };
  }

  return { receive, receiveBatch, idle: answers.idle };
}

/** Refuses a time further from ours than the clock-skew window allows. */
function checkTime(ts: string, received: Date, skewSeconds: number): void {
  const skewMs = Math.abs(received.getTime() - new Date(ts).getTime());
  if (!(skewMs <= skewSeconds * 1000)) {
    throw new InputError(
      `The message time ${ts} is ${Number.isFinite(skewMs) ? Math.round(skewMs / 1000) : '?'} s away from ours; at most ${skewSeconds} s is accepted.`,
      { ts, skewSeconds: Number.isFinite(skewMs) ? Math.round(skewMs / 1000) : null },
      'clock_skew',
    );
  }
}

/**
 * The checks a batch gets as a whole wherever it arrives (the provider's batch endpoint, the
 * hub's relay): its shape `{ batch, payloads }`, the member's signature over the Merkle root of
 * exactly these payloads, and its time. The address is the caller's to check. Throws the refusal.
 */
export function checkBatchEnvelope(
  directory: DirectoryService,
  raw: unknown,
  received: Date,
  clockSkewSeconds: number,
): { readonly document: BatchDocument; readonly payloads: readonly string[] } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || Object.keys(raw).length !== 2) {
    throw new InputError('A batch is { batch, payloads }: the batch JWS and the base64url messages it signs.', { path: '/' }, 'envelope_invalid');
  }
  const { batch: rawBatch, payloads: rawPayloads } = raw as { batch?: unknown; payloads?: unknown };
  if (!Array.isArray(rawPayloads) || rawPayloads.length === 0 || rawPayloads.length > maxBatchMembers || !rawPayloads.every((item) => typeof item === 'string')) {
    throw new InputError(`A batch carries 1 to ${maxBatchMembers} messages as base64url strings.`, { path: '/payloads' }, 'envelope_invalid');
  }
  const payloads = rawPayloads as string[];
  const verified = verifyBatchFromMember(directory, asFlattenedJws(rawBatch));
  const document = verified.document;
  if (document.size !== payloads.length) {
    throw new SignatureInvalidError(`The batch signature covers ${document.size} messages, but ${payloads.length} came.`, { batch: document.id });
  }
  const suite = suiteForJwsAlgorithm(verified.verified.header.alg)!;
  if (batchRoot(suite, payloads.map((payload) => Buffer.from(payload, 'base64url'))) !== document.root) {
    throw new SignatureInvalidError('The messages are not the ones the batch signature covers.', { batch: document.id });
  }
  checkTime(document.ts, received, clockSkewSeconds);
  return { document, payloads };
}

/** What a refused batch's event can say about it: its id and sender, when its JWS names them (not yet trusted). */
export function batchFacts(raw: unknown): Record<string, unknown> {
  try {
    const { id, from } = factsOf(peekPayload(asFlattenedJws((raw as { batch?: unknown }).batch)));
    return { ...(id !== undefined ? { batch: id } : {}), ...(from !== undefined ? { from } : {}) };
  } catch {
    return {};
  }
}

/** One message of a batch, as sent: within the size a batched message may have, canonical, and a message. */
export function decodeBatchMember(encoded: string, maxEnvelopeBytes: number): { readonly payload: { readonly text: string; readonly value: unknown }; readonly message: Message } {
  const limit = Math.min(maxEnvelopeBytes, maxBatchMemberBytes);
  if (encoded.length > Math.ceil((limit * 4) / 3)) {
    throw new InputError(`A message in a batch may be at most ${limit} bytes; send larger ones alone.`, { path: '/payloads' }, 'envelope_invalid');
  }
  const payload = decodeCanonicalPayload(encoded, 'payload');
  return { payload, message: parseMessage(payload.value) };
}

/** The error answer for a refusal, saying whether a retry may succeed. */
export function refusalOf(error: TongbanError): InboundResult {
  return { status: error.httpStatus, body: { ...error.toBody(), details: { ...error.details, retryable: error.retryable } } };
}

/** Where a trusted message stands: answered already (or refused), or decided with an answer to sign and store. */
type Handled =
  | { readonly kind: 'done'; readonly result: InboundResult }
  | { readonly kind: 'answer'; readonly answer: Answer; readonly finish: (signed: Evidence) => Promise<InboundResult> };

function denial(decision: PolicyDecision, signed: Evidence): InboundResult {
  const code: ErrorCode = decision.code ?? 'forbidden';
  const refusal = new TongbanError(code, decision.reason);
  return {
    status: refusal.httpStatus,
    body: {
      code,
      message: decision.reason,
      details: {
        agreement: `${decision.agreement.id}@${decision.agreement.version}`,
        clause: decision.clause,
        retryable: refusal.retryable,
        answer: signed,
      },
    },
  };
}

/** Facts about an untrusted envelope that are safe to log: ids and codes, never the body. */
function safeFacts(raw: object): Record<string, unknown> {
  try {
    return factsOf(peekPayload(asFlattenedJws(raw)));
  } catch {
    return {};
  }
}

/** `safeFacts` for a message of a batch, given as its base64url payload. */
function messageFacts(encoded: string): Record<string, unknown> {
  try {
    return factsOf(JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as unknown);
  } catch {
    return {};
  }
}

function factsOf(payload: unknown): Record<string, unknown> {
  if (typeof payload !== 'object' || payload === null) return {};
  const { id, from, to, op, agreement } = payload as Record<string, unknown>;
  const facts: Record<string, unknown> = {};
  for (const [key, value] of Object.entries({ id, from, to, op, agreement })) {
    if (typeof value === 'string' && value.length <= 100) facts[key] = value;
  }
  return facts;
}
