/**
 * The provider side of an exchange: checks an incoming envelope in the order of the protocol,
 * asks the agreements for a decision, reads and shapes the data, and signs the answer — or
 * refuses with a stable code that names the clause. One effect per message id, ever.
 */
import { createHash, createHmac } from 'node:crypto';
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
  decodeJwsPayload,
  fromBase64Url,
  signJws,
  verifyJws,
  type DecodedJwsPayload,
  type FlattenedJws,
  type VerifiedJws,
} from '../crypto/index.ts';
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
import { openBody, sealBody } from './sealing.ts';
import { createGroupCommit } from './group-commit.ts';
import type { InboundKey, InboundStore, StoredAnswer } from './store/inbound-store.ts';

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
 * Authenticates a signed document from a member: the member must be in the directory and active,
 * and the signature must verify with a key of that member valid at `at`. `decoded` is the payload
 * as `decodePayload` read it, so it is not parsed twice.
 */
export function verifyFromMember(directory: DirectoryService, jws: FlattenedJws, from: string, at: Date, decoded?: DecodedJwsPayload): VerifiedJws {
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
  try {
    return verifyJws(jws, () => key, decoded);
  } catch (error) {
    if (error instanceof TongbanError && error.code === 'key_unknown') {
      throw new TongbanError('key_not_valid', `The key ${kid} is not known for ${from}.`, { kid });
    }
    throw error;
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
  return createHash('sha256').update(timelessText).digest('base64url');
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
    return { status: error.httpStatus, body: { ...error.toBody(), details: { ...error.details, retryable: error.retryable } } };
  }

  /** Waits for a row an earlier version left in `processing` to be answered (or abandoned). */
  async function waitForAnswer(message: Message, hash: string, received: Date): Promise<InboundResult> {
    const deadline = Date.now() + concurrentWaitMs;
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      const claim = await inbound.lookup({ id: message.id, from: message.from, requestHash: hash }, clock.now());
      if (claim.kind === 'answered') return { status: claim.status, body: claim.body };
      if (claim.kind === 'new') return decideAndAnswer(message, hash, received);
      if (claim.kind === 'replayed') return refuseReplay(message, hash);
    }
    const error = new TongbanError('in_progress', 'This message is still being handled; retry shortly for its answer.', { id: message.id });
    return { status: error.httpStatus, body: { ...error.toBody(), details: { ...error.details, retryable: true } } };
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
      const skewMs = Math.abs(received.getTime() - new Date(message.ts).getTime());
      if (skewMs > config.exchange.clockSkewSeconds * 1000) {
        throw new InputError(
          `The message time ${message.ts} is ${Math.round(skewMs / 1000)} s away from ours; at most ${config.exchange.clockSkewSeconds} s is accepted.`,
          { ts: message.ts, skewSeconds: Math.round(skewMs / 1000) },
          'clock_skew',
        );
      }
      if (message.to !== info.code) {
        throw new InputError(`The message is addressed to ${message.to}, not to ${info.code}.`, { to: message.to }, 'not_for_this_node');
      }
    } catch (error) {
      const refusal = toTongbanError(error);
      if (refusal.kind === 'internal') throw error;
      const facts = typeof raw === 'object' && raw !== null ? safeFacts(raw) : {};
      return refuse(refusal, facts);
    }

    const claim = await inbound.lookup({ id: message.id, from: message.from, requestHash: hash }, received);
    if (claim.kind === 'answered') return { status: claim.status, body: claim.body };
    if (claim.kind === 'processing') return waitForAnswer(message, hash, received);
    if (claim.kind === 'replayed') return refuseReplay(message, hash);
    return decideAndAnswer(message, hash, received);
  }

  async function decideAndAnswer(message: Message, hash: string, received: Date): Promise<InboundResult> {
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
      const result: InboundResult = { status: refusal.httpStatus, body: { ...refusal.toBody(), details: { ...refusal.details, retryable: refusal.retryable } } };
      return store(message, hash, received, result, clock.now(), {
        type: 'exchange.refused',
        actor: `node:${message.from}`,
        outcome: 'denied',
        details: { id: message.id, from: message.from, op: message.op, agreement: message.agreement, code: refusal.code, requestHash: hash },
      });
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
    const signed = signJws(answer, await core.keyring.signer());
    const answered = clock.now();
    const result: InboundResult = decision.allow ? { status: 200, body: { answer: signed } } : denial(decision, signed);

    const subjectKey = await core.keyring.subjectKey();
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
  }

  return { receive, idle: answers.idle };
}

function denial(decision: PolicyDecision, signed: FlattenedJws): InboundResult {
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
    const payload = peekPayload(asFlattenedJws(raw));
    if (typeof payload !== 'object' || payload === null) return {};
    const { id, from, to, op, agreement } = payload as Record<string, unknown>;
    const facts: Record<string, unknown> = {};
    for (const [key, value] of Object.entries({ id, from, to, op, agreement })) {
      if (typeof value === 'string' && value.length <= 100) facts[key] = value;
    }
    return facts;
  } catch {
    return {};
  }
}
