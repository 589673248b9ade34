/**
 * The hub's relay for radial exchange: it checks that sender and recipient are active members and
 * that the sender really signed the envelope, then forwards it unchanged. The body is sealed for
 * the recipient, so the hub routes what it cannot read. Batches (many messages to one recipient
 * under one batch signature, see domain/batch.ts) are relayed whole: the hub checks the batch and
 * every message in it, forwards it to the recipient's batch endpoint, and relays the answer batch
 * back unread.
 */
import type { EventInput } from '../audit/domain/event.ts';
import { InputError, TongbanError, toTongbanError } from '../core/errors.ts';
import type { DirectoryService } from '../directory/index.ts';
import type { NodeCore } from '../node/node-core.ts';
import type { BatchDocument } from './domain/batch.ts';
import { isSealed, parseMessage, type Message } from './domain/message.ts';
import { postJsonOf } from './keep-alive-fetch.ts';
import {
  asFlattenedJws,
  batchFacts,
  checkBatchEnvelope,
  decodeBatchMember,
  decodePayload,
  peekPayload,
  refusalOf,
  requestHashOfCanonical,
  verifyFromMember,
  type InboundResult,
} from './gateway.ts';

export function createRelay(core: NodeCore, directory: DirectoryService, recordEvent: (event: EventInput) => Promise<unknown>) {
  const { clock, info, config } = core;
  const postJson = postJsonOf(core.fetch);

  async function record(outcome: 'success' | 'denied' | 'failure', details: Record<string, unknown>): Promise<void> {
    await recordEvent({ type: 'exchange.relayed', actor: typeof details.from === 'string' ? `node:${details.from}` : null, outcome, details });
  }

  /** Checks and forwards one envelope; answers with the recipient's status and body, verbatim. */
  async function relay(raw: unknown): Promise<InboundResult> {
    const received = clock.now();
    let message: Message;
    let url: string;
    let hash: string;
    try {
      if (info.role !== 'hub') throw new InputError('Only the hub relays radial messages.', undefined, 'not_for_this_node');
      const jws = asFlattenedJws(raw);
      const decoded = decodePayload(jws);
      message = parseMessage(decoded.value);
      hash = requestHashOfCanonical(verifyFromMember(directory, jws, message.from, new Date(message.ts), decoded).payloadText, message);
      url = `${routeOf(message)}/api/v1/exchange/messages`;
    } catch (error) {
      const refusal = toTongbanError(error);
      if (refusal.kind === 'internal') throw error;
      const payload = (() => {
        try {
          return peekPayload(asFlattenedJws(raw)) as Record<string, unknown>;
        } catch {
          return {};
        }
      })();
      await record('denied', { id: typeof payload.id === 'string' ? payload.id : null, from: typeof payload.from === 'string' ? payload.from : null, to: typeof payload.to === 'string' ? payload.to : null, code: refusal.code });
      return refusalOf(refusal);
    }

    const facts = { id: message.id, from: message.from, to: message.to, op: message.op, agreement: message.agreement, requestHash: hash };
    try {
      const response = await postJson(url, JSON.stringify(raw), config.exchange.requestTimeoutMs);
      const body = JSON.parse(response.text) as unknown;
      await record(response.status === 200 ? 'success' : 'denied', {
        ...facts,
        status: response.status,
        timings: { received: received.toISOString(), answered: clock.now().toISOString() },
      });
      return { status: response.status, body };
    } catch (error) {
      const refusal = new TongbanError('partner_unreachable', `Node ${message.to} did not answer the hub: ${(error as Error).message}.`, { to: message.to });
      await record('failure', { ...facts, code: refusal.code });
      return refusalOf(refusal);
    }
  }

  /** Checks that `message` may be relayed by this hub to an active recipient; returns the recipient's endpoint. */
  function routeOf(message: Pick<Message, 'to' | 'via' | 'body'>): string {
    if (message.via !== info.code) {
      throw new InputError(`The message names ${message.via ?? 'no hub'} as its relay, not ${info.code}.`, { via: message.via ?? null }, 'not_for_this_node');
    }
    if (!isSealed(message.body)) {
      throw new InputError('A relayed body must be sealed for the recipient.', { path: '/body' }, 'envelope_invalid');
    }
    const recipient = directory.member(message.to);
    if (!recipient || recipient.status !== 'active') {
      throw new TongbanError('recipient_unknown', `Node ${message.to} is not an active member; the hub cannot relay to it.`, { to: message.to });
    }
    return recipient.endpoint;
  }

  /**
   * Checks and forwards a batch: the sender's batch signature, then every message in it (from the
   * signer, to the batch's recipient, relayed by this hub, body sealed). A batch is relayed whole
   * or not at all, since its signature covers all of its messages; each message's relay is
   * recorded with the status the recipient gave it.
   */
  async function relayBatch(raw: unknown): Promise<InboundResult> {
    const received = clock.now();
    let url = '';
    let facts: Record<string, unknown>[];
    let document: BatchDocument;
    try {
      if (info.role !== 'hub') throw new InputError('Only the hub relays radial messages.', undefined, 'not_for_this_node');
      let payloads: readonly string[];
      ({ document, payloads } = checkBatchEnvelope(directory, raw, received, config.exchange.clockSkewSeconds));
      facts = payloads.map((encoded, index) => {
        const { payload, message } = decodeBatchMember(encoded, config.exchange.maxEnvelopeBytes);
        if (message.from !== document.from || message.to !== document.to) {
          throw new InputError(
            `Message ${index} goes from ${message.from} to ${message.to}, but its batch is signed by ${document.from} for ${document.to}.`,
            { path: `/payloads/${index}`, from: message.from, to: message.to },
            'envelope_invalid',
          );
        }
        // Every message is checked: one plaintext body among sealed ones would be relayed readable.
        url = `${routeOf(message)}/api/v1/exchange/batches`;
        return { id: message.id, from: message.from, to: message.to, op: message.op, agreement: message.agreement, requestHash: requestHashOfCanonical(payload.text, message), batch: document.id };
      });
    } catch (error) {
      const refusal = toTongbanError(error);
      if (refusal.kind === 'internal') throw error;
      await record('denied', { ...batchFacts(raw), code: refusal.code });
      return refusalOf(refusal);
    }

    try {
      const response = await postJson(url, JSON.stringify(raw), config.exchange.requestTimeoutMs);
      const body = JSON.parse(response.text) as unknown;
      const results = (body as { results?: unknown } | null)?.results;
      const answered = clock.now().toISOString();
      await Promise.all(
        facts.map((fact, index) => {
          const status = response.status === 200 && Array.isArray(results) ? (results[index] as { status?: unknown } | undefined)?.status : response.status;
          return record(status === 200 ? 'success' : 'denied', { ...fact, status: typeof status === 'number' ? status : null, timings: { received: received.toISOString(), answered } });
        }),
      );
      return { status: response.status, body };
    } catch (error) {
      const refusal = new TongbanError('partner_unreachable', `Node ${document.to} did not answer the hub: ${(error as Error).message}.`, { to: document.to, batch: document.id });
      await Promise.all(facts.map((fact) => record('failure', { ...fact, code: refusal.code })));
      return refusalOf(refusal);
    }
  }

  return { relay, relayBatch };
}
