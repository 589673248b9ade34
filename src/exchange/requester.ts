/**
 * The requester side of an exchange: builds and signs the envelope, sends it to the partner
 * (bridge) or through the hub (radial, body sealed for the partner), and checks the signed answer.
 */
import type { EventInput } from '../audit/domain/event.ts';
import { errorCodes, TongbanError, toTongbanError, type ErrorCode } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { canonicalJson, signCanonicalJws, type VerifiedJws } from '../crypto/index.ts';
import type { DirectoryService } from '../directory/index.ts';
import type { NodeCore } from '../node/node-core.ts';
import { compiledInsert } from '../store/compiled.ts';
import { isSealed, type Answer, type Message, type QueryBody, type VerifyBody } from './domain/message.ts';
import { withTimestamp } from './domain/canonical-message.ts';
import { isBatchedJws, maxBatchMemberBytes, signWholeBatch, type Evidence } from './domain/batch.ts';
import { asEvidence, requestHashOfTimeless, subjectHashOf, verifyEvidenceFromMember, verifyWholeBatchFromMember } from './gateway.ts';
import { createGroupCommit } from './group-commit.ts';
import { postJsonOf } from './keep-alive-fetch.ts';
import { openBody, sealBody } from './sealing.ts';
import { syncEnvelope } from './store/outbound-store.ts';
import type { ExchangeOutboundTable } from './store/tables.ts';

export type Route = 'bridge' | 'radial';

/** What a caseworker (or a system) asks a partner for. */
export interface ExchangeRequest {
  readonly to: string;
  readonly op: 'query' | 'verify';
  /** `<agreement id>@<version>`. */
  readonly agreement: string;
  readonly item: string;
  readonly purpose: string;
  readonly case?: string;
  /** Who the node vouches for: `staff:<id>`, `token:<id>`, `system`. */
  readonly operator: string;
  readonly body: QueryBody | VerifyBody;
  readonly route?: Route;
}

/** A verified answer. */
export interface ExchangeOutcome {
  readonly id: string;
  readonly route: Route;
  readonly answer: Answer & { readonly body?: { readonly records: readonly Record<string, unknown>[] } | { readonly result: boolean } };
  /** The provider's signed answer, kept as evidence: a JWS of its own, or a member of a batch it signed. */
  readonly evidence: Evidence;
  readonly timings: { readonly sent: string; readonly answered: string };
}

/** A message ready to send: built once, signed afresh (new `ts`) on every attempt. */
export interface PreparedMessage {
  readonly message: Omit<Message, 'ts'>;
  readonly route: Route;
  readonly url: string;
  /** Where batches of messages to the same partner go under one signature: the partner's batch endpoint, or the hub's batch relay. */
  readonly batchUrl: string;
  /** The canonical JSON of `message` (no `ts`): batched messages need it; a message sent alone may do without. */
  readonly timelessText?: string;
}

/** Answers already authenticated with the rest of their batch, by the evidence object. */
type Verified = ReadonlyMap<unknown, VerifiedJws>;

/** Every column of a sent-request row; `satisfies` fails the build if the table gains one not listed. */
const outboundColumns = Object.keys({
  id: true, to_node: true, op: true, agreement: true, route: true, operator: true, mode: true, envelope: true, status: true,
  attempts: true, next_attempt_at: true, locked_until: true, last_error: true, answer: true, created_at: true, finished_at: true,
} satisfies Record<keyof ExchangeOutboundTable, true>);

/** A request sent synchronously, as listed among the sent requests, and its event. */
interface SentWrite {
  readonly row: ExchangeOutboundTable;
  readonly event: EventInput;
}

export function createRequester(core: NodeCore, directory: DirectoryService) {
  const { clock, config, info } = core;
  const postJson = postJsonOf(core.fetch);
  const insertSent = compiledInsert(core.store.db, 'exchange_outbound', outboundColumns);
  /** The sent request and its `exchange.requested` event, in one transaction shared under load. */
  const sentLog = createGroupCommit<SentWrite, void>(core.store.db, async (trx, writes) => {
    await trx.executeQuery(insertSent(writes.map((write) => write.row as unknown as Record<string, unknown>)));
    await core.events.append(trx, writes.map((write) => write.event));
    return writes.map(() => undefined);
  });

  /** Where a message to `to` goes, alone and in batches: the partner itself (bridge) or the hub's relay (radial). */
  function endpointsFor(to: string, route: Route): { readonly url: string; readonly batchUrl: string } {
    directory.assertUsable();
    if (route === 'radial') {
      const hub = directory.hub();
      if (!hub) throw new TongbanError('directory_unavailable', 'No hub is known, so a radial request cannot be relayed.');
      return { url: `${hub.endpoint}/api/v1/exchange/relay`, batchUrl: `${hub.endpoint}/api/v1/exchange/relay-batches` };
    }
    const partner = directory.member(to);
    if (!partner) throw new TongbanError('member_unknown', `Node ${to} is not a member of the federation.`, { to });
    return { url: `${partner.endpoint}/api/v1/exchange/messages`, batchUrl: `${partner.endpoint}/api/v1/exchange/batches` };
  }

  /** Builds the message: checks the partner, seals the body for radial. */
  function prepare(request: ExchangeRequest): PreparedMessage & { readonly timelessText: string } {
    directory.assertUsable();
    const partner = directory.member(request.to);
    if (!partner) throw new TongbanError('member_unknown', `Node ${request.to} is not a member of the federation.`, { to: request.to });
    if (partner.status !== 'active') {
      throw new TongbanError('member_suspended', `Node ${request.to} is suspended in the federation directory.`, { to: request.to });
    }
    const route = request.route ?? 'bridge';
    const id = newId();
    const endpoints = endpointsFor(request.to, route);
    let via: string | undefined;
    let body: Message['body'] = request.body;
    if (route === 'radial') {
      via = directory.hub()!.code;
      body = sealBody(directory, request.to, request.body, id, 'request');
    }
    const message: Omit<Message, 'ts'> = {
      id,
      from: info.code,
      to: request.to,
      ...(via ? { via } : {}),
      op: request.op,
      agreement: request.agreement,
      item: request.item,
      purpose: request.purpose,
      ...(request.case ? { case: request.case } : {}),
      operator: request.operator,
      body,
    };
    return { message, route, ...endpoints, timelessText: canonicalJson(message) };
  }

  /** One attempt: signs with a fresh time, posts, and verifies what comes back. */
  async function attempt(prepared: PreparedMessage, timeoutMs = config.exchange.requestTimeoutMs): Promise<ExchangeOutcome> {
    const sent = clock.now();
    const message: Message = { ...prepared.message, ts: sent.toISOString() } as Message;
    // Serialised once per request: the time goes into the canonical text prepare() made.
    const payloadText = prepared.timelessText !== undefined ? withTimestamp(prepared.timelessText, message) : canonicalJson(message);
    const envelope = signCanonicalJws(payloadText, await core.keyring.signer());
    let response: { readonly status: number; readonly text: string };
    try {
      response = await postJson(prepared.url, JSON.stringify(envelope), timeoutMs);
    } catch (error) {
      throw new TongbanError('partner_unreachable', `Node ${message.to} did not answer: ${(error as Error).message}.`, { to: message.to, url: prepared.url });
    }
    let payload: unknown;
    try {
      payload = JSON.parse(response.text);
    } catch {
      throw new TongbanError('answer_invalid', `Node ${message.to} answered HTTP ${response.status} without JSON.`, { status: response.status });
    }
    return outcomeOf(prepared, message, sent, response.status, payload);
  }

  /** The outcome of one message from its HTTP status and body: the verified answer, or the refusal thrown. */
  async function outcomeOf(prepared: PreparedMessage, message: Message, sent: Date, status: number, payload: unknown, verified?: Verified): Promise<ExchangeOutcome> {
    const answered = clock.now();
    if (status === 200) {
      const evidence = asEvidence((payload as { answer?: unknown } | null)?.answer);
      const answer = await checkAnswer(evidence, message, verified);
      return { id: message.id, route: prepared.route, answer, evidence, timings: { sent: sent.toISOString(), answered: answered.toISOString() } };
    }
    throw await refusalFrom(payload, status, message, verified);
  }

  /**
   * The answers to a batch normally come as the whole of one answer batch: then they are
   * authenticated together (one tree instead of a proof check per answer), else one by one.
   */
  function verifiedTogether(results: readonly unknown[], to: string): Verified | undefined {
    const evidence = results.map((result) => {
      const { status, body } = (result ?? {}) as { status?: unknown; body?: { answer?: unknown; details?: { answer?: unknown } } };
      return status === 200 ? body?.answer : body?.details?.answer;
    });
    if (!evidence.every(isBatchedJws)) return undefined;
    const verified = verifyWholeBatchFromMember(directory, evidence, to);
    return verified && new Map(evidence.map((member, index) => [member, verified[index]!]));
  }

  /**
   * One attempt for several messages to the same partner: one batch signature over all of them
   * (domain/batch.ts), one HTTP request, one result per message. A partner without the batch
   * endpoint (an older version) gets them one by one.
   */
  async function attemptBatch(batch: readonly PreparedMessage[], onResponse: () => void, timeoutMs: number): Promise<PromiseSettledResult<ExchangeOutcome>[]> {
    const sent = clock.now();
    const messages = batch.map((prepared) => ({ ...prepared.message, ts: sent.toISOString() }) as Message);
    const texts = batch.map((prepared, index) => withTimestamp(prepared.timelessText!, messages[index]!));
    const to = messages[0]!.to;
    const whole = signWholeBatch(texts, await core.keyring.signer(), { id: newId(), from: info.code, to, ts: sent.toISOString() });
    const everyone = (error: unknown) => batch.map((): PromiseSettledResult<ExchangeOutcome> => ({ status: 'rejected', reason: error }));
    let response: { readonly status: number; readonly text: string };
    try {
      response = await postJson(batch[0]!.batchUrl, JSON.stringify(whole), timeoutMs);
    } catch (error) {
      return everyone(new TongbanError('partner_unreachable', `Node ${to} did not answer: ${(error as Error).message}.`, { to, url: batch[0]!.batchUrl }));
    } finally {
      onResponse();
    }
    let payload: unknown;
    try {
      payload = JSON.parse(response.text);
    } catch {
      return everyone(new TongbanError('answer_invalid', `Node ${to} answered HTTP ${response.status} without JSON.`, { status: response.status }));
    }
    if (response.status === 404 && (payload as { code?: unknown } | null)?.code === 'route_not_found') {
      return Promise.allSettled(batch.map((prepared) => attempt(prepared, timeoutMs)));
    }
    const results = (payload as { results?: unknown } | null)?.results;
    if (response.status === 200 && (!Array.isArray(results) || results.length !== batch.length)) {
      return everyone(new TongbanError('answer_invalid', `Node ${to} did not answer each of the ${batch.length} messages of the batch.`, { to }));
    }
    const verified = response.status === 200 ? verifiedTogether(results as unknown[], to) : undefined;
    return Promise.allSettled(
      messages.map(async (message, index) => {
        if (response.status !== 200) throw await refusalFrom(payload, response.status, message);
        const result = (results as unknown[])[index] as { status?: unknown; body?: unknown } | null;
        if (typeof result !== 'object' || result === null || typeof result.status !== 'number') {
          throw new TongbanError('answer_invalid', `Node ${to} answered message ${message.id} without a status.`, { to, id: message.id });
        }
        return outcomeOf(batch[index]!, message, sent, result.status, result.body, verified);
      }),
    );
  }

  /** Messages waiting for a partner, and how many requests to it are on the wire. */
  interface Lane {
    readonly queue: Queued[];
    inFlight: number;
  }
  interface Queued {
    readonly prepared: PreparedMessage;
    /** performance.now() when it joined the queue: time spent waiting counts against its timeout. */
    readonly queuedAt: number;
    readonly resolve: (outcome: ExchangeOutcome) => void;
    readonly reject: (error: unknown) => void;
  }
  const lanes = new Map<string, Lane>();
  /**
   * When nothing is on the wire to a partner, a message goes at once (alone, under its own
   * signature); messages that come meanwhile wait and go together in the next request, under one
   * batch signature (the same idea as group commit). A second request may join the first once
   * three quarters of a full batch wait, so a long queue does not wait for a whole round trip;
   * below that, fewer and larger batches cost less CPU per message on both nodes: with 128
   * callers, batches of up to 64 with the second request at 48 cost 0.40–0.41 ms of CPU per
   * exchange where up to 32 with it at 24 cost 0.47 (`npm run bench -- exchange`).
   */
  const maxInFlight = 2;
  const secondFlightAfter = Math.max(2, Math.ceil((config.exchange.batchMaxMessages * 3) / 4));

  /** Sends a prepared message with whatever else is waiting for the same partner. */
  function submit(prepared: PreparedMessage): Promise<ExchangeOutcome> {
    return new Promise((resolve, reject) => {
      const key = `${prepared.message.to} ${prepared.batchUrl}`;
      let lane = lanes.get(key);
      if (!lane) lanes.set(key, (lane = { queue: [], inFlight: 0 }));
      lane.queue.push({ prepared, queuedAt: performance.now(), resolve, reject });
      pump(key, lane);
    });
  }

  function pump(key: string, lane: Lane): void {
    while (lane.queue.length > 0 && (lane.inFlight === 0 || (lane.inFlight < maxInFlight && lane.queue.length >= secondFlightAfter))) {
      // A message's timeout runs from when it was queued, so one stuck behind a request to a
      // partner that does not answer fails after one timeout, not after that request's and its own.
      const now = performance.now();
      const timeoutMs = config.exchange.requestTimeoutMs;
      const waiting: Queued[] = [];
      for (const item of lane.queue.splice(0, config.exchange.batchMaxMessages)) {
        if (now - item.queuedAt < timeoutMs) waiting.push(item);
        else item.reject(new TongbanError('partner_unreachable', `Node ${item.prepared.message.to} did not answer within ${timeoutMs} ms: an earlier request to it was still waiting for its answer.`, { to: item.prepared.message.to, timeoutMs }));
      }
      if (waiting.length === 0) continue;
      const remainingMs = Math.max(1, Math.ceil(timeoutMs - (now - waiting[0]!.queuedAt)));
      lane.inFlight += 1;
      // The lane is free again once the partner has answered: the next batch goes out while this
      // one's answers are still being verified and recorded.
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        lane.inFlight -= 1;
        if (lane.inFlight === 0 && lane.queue.length === 0) lanes.delete(key);
        else pump(key, lane);
      };
      const flight =
        waiting.length === 1
          ? attempt(waiting[0]!.prepared, remainingMs).then((outcome): PromiseSettledResult<ExchangeOutcome>[] => [{ status: 'fulfilled', value: outcome }])
          : attemptBatch(
              waiting.map((item) => item.prepared),
              release,
              remainingMs,
            );
      void flight
        .then(
          (settled) => settled.forEach((result, index) => (result.status === 'fulfilled' ? waiting[index]!.resolve(result.value) : waiting[index]!.reject(result.reason))),
          (error: unknown) => waiting.forEach((item) => item.reject(error)),
        )
        .finally(release);
    }
    if (lane.inFlight === 0 && lane.queue.length === 0) lanes.delete(key);
  }

  /** Room for the `ts` member that each attempt adds to the timeless text. */
  const timestampBytes = 64;

  /** Messages of ordinary size to the same partner by the same route share batches; the rest (large, batching off) go alone. */
  function deliver(prepared: PreparedMessage): Promise<ExchangeOutcome> {
    const batchable =
      prepared.timelessText !== undefined &&
      config.exchange.batchMaxMessages > 1 &&
      Buffer.byteLength(prepared.timelessText, 'utf8') + timestampBytes <= maxBatchMemberBytes;
    return batchable ? submit(prepared) : attempt(prepared);
  }

  /** Verifies the signed answer and opens a sealed body. */
  async function checkAnswer(evidence: Evidence, message: Message, verified?: Verified): Promise<ExchangeOutcome['answer']> {
    let answer: Answer;
    try {
      answer = asAnswer((verified?.get(evidence) ?? verifyEvidenceFromMember(directory, evidence, message.to, (payload) => new Date(asAnswer(payload).ts))).payload);
    } catch (error) {
      throw new TongbanError('answer_invalid', `The answer from ${message.to} does not verify: ${(error as Error).message}`, { to: message.to });
    }
    if (answer.inReplyTo !== message.id || answer.from !== message.to || answer.to !== info.code) {
      throw new TongbanError('answer_invalid', `The answer from ${message.to} is not an answer to message ${message.id}.`, { id: message.id });
    }
    if (answer.body && isSealed(answer.body)) {
      const opened = (await openBody(core.keyring, answer.body, { id: message.id, to: info.code }, 'answer')) as ExchangeOutcome['answer']['body'];
      return { ...answer, body: opened } as ExchangeOutcome['answer'];
    }
    return answer as ExchangeOutcome['answer'];
  }

  /** Turns a partner's error answer into our error, keeping the clause; a signed denial is verified. */
  async function refusalFrom(payload: unknown, status: number, message: Message, verified?: Verified): Promise<TongbanError> {
    const body = (payload ?? {}) as { code?: unknown; message?: unknown; details?: Record<string, unknown> };
    const code: ErrorCode = typeof body.code === 'string' && body.code in errorCodes ? (body.code as ErrorCode) : 'answer_invalid';
    const details: Record<string, unknown> = { ...(body.details ?? {}), partner: message.to, httpStatus: status };
    if (body.details?.answer !== undefined) {
      try {
        const answer = await checkAnswer(asEvidence(body.details.answer), message, verified);
        details.clause = answer.decision.clause;
        details.agreement = answer.decision.agreement;
      } catch (error) {
        return toTongbanError(error);
      }
    }
    const text = typeof body.message === 'string' ? body.message : `Node ${message.to} refused the request (HTTP ${status}).`;
    return new TongbanError(code, text, details);
  }

  /** Sends a request now and records it; throws the partner's refusal with its code and clause. */
  async function send(request: ExchangeRequest): Promise<ExchangeOutcome> {
    const prepared = prepare(request);
    const subjectKey = await core.keyring.subjectKey();
    const createdAt = clock.now().toISOString();
    const facts = {
      id: prepared.message.id,
      to: request.to,
      via: prepared.message.via ?? null,
      op: request.op,
      agreement: request.agreement,
      item: request.item,
      purpose: request.purpose,
      case: request.case ?? null,
      operator: request.operator,
      dataset: request.body.dataset,
      fields: request.op === 'query' ? (request.body as QueryBody).fields : [],
      requestHash: requestHashOfTimeless(prepared.timelessText),
    };
    const row = (status: ExchangeOutboundTable['status'], answer: unknown, lastError: string | null): ExchangeOutboundTable => ({
      id: prepared.message.id,
      to_node: request.to,
      op: request.op,
      agreement: request.agreement,
      route: prepared.route,
      operator: request.operator,
      mode: 'sync',
      envelope: syncEnvelope(facts.requestHash),
      status,
      attempts: 1,
      next_attempt_at: createdAt,
      locked_until: null,
      last_error: lastError,
      answer: JSON.stringify(answer),
      created_at: createdAt,
      finished_at: clock.now().toISOString(),
    });
    try {
      const outcome = await deliver(prepared);
      // The decision is listed; the records are not kept (the caller has them, and they name a person).
      const { body: _records, ...decided } = outcome.answer;
      await sentLog.submit({
        row: row(outcome.answer.status === 'ok' ? 'answered' : 'denied', { answer: decided }, null),
        event: {
          type: 'exchange.requested',
          actor: request.operator,
          outcome: outcome.answer.status === 'ok' ? 'success' : 'denied',
          subjectHash: subjectHashOf(subjectKey, request.body.key),
          details: { ...facts, route: prepared.route, answerId: outcome.answer.id, clause: outcome.answer.decision.clause, timings: outcome.timings },
        },
      });
      return outcome;
    } catch (error) {
      const refusal = toTongbanError(error);
      const denied = refusal.kind === 'not_allowed';
      await sentLog.submit({
        row: row(denied ? 'denied' : 'failed', refusal.toBody(), refusal.code),
        event: {
          type: 'exchange.requested',
          actor: request.operator,
          outcome: denied ? 'denied' : 'failure',
          subjectHash: subjectHashOf(subjectKey, request.body.key),
          details: { ...facts, route: prepared.route, code: refusal.code, clause: refusal.details?.clause ?? null },
        },
      });
      throw error;
    }
  }

  /**
   * Sends a stored message again (the outbox's): re-signed with a fresh time, and sharing a batch
   * with whatever else is going to the same partner by the same route.
   */
  function resend(message: Omit<Message, 'ts'>, route: Route): Promise<ExchangeOutcome> {
    return deliver({ message, route, ...endpointsFor(message.to, route), timelessText: canonicalJson(message) });
  }

  return { prepare, attempt, send, resend, idle: sentLog.idle };
}

export type Requester = ReturnType<typeof createRequester>;

function asAnswer(value: unknown): Answer {
  if (typeof value !== 'object' || value === null || (value as Answer).type !== 'tongban.answer') throw new Error('not an answer');
  return value as Answer;
}
