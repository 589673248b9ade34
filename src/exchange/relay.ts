/**
 * The hub's relay for radial exchange: it checks that sender and recipient are active members and
 * that the sender really signed the envelope, then forwards it unchanged. The body is sealed for
 * the recipient, so the hub routes what it cannot read.
 */
import type { EventInput } from '../audit/domain/event.ts';
import { InputError, TongbanError, toTongbanError } from '../core/errors.ts';
import type { DirectoryService } from '../directory/index.ts';
import type { NodeCore } from '../node/node-core.ts';
import { isSealed, parseMessage, type Message } from './domain/message.ts';
import { postJsonOf } from './keep-alive-fetch.ts';
import { asFlattenedJws, decodePayload, peekPayload, requestHashOfCanonical, verifyFromMember, type InboundResult } from './gateway.ts';

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
      url = `${recipient.endpoint}/api/v1/exchange/messages`;
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
      return { status: refusal.httpStatus, body: { ...refusal.toBody(), details: { ...refusal.details, retryable: refusal.retryable } } };
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
      return { status: refusal.httpStatus, body: { ...refusal.toBody(), details: { ...refusal.details, retryable: true } } };
    }
  }

  return { relay };
}
