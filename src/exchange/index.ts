/**
 * The exchange gateway: signed envelopes between nodes, bridge and radial. What others may use.
 */
export { createExchangeService, type ExchangeService } from './exchange-service.ts';
export type { ExchangeOutcome, ExchangeRequest, Route } from './requester.ts';
export type { OutboundPage, OutboundRequest } from './outbox.ts';
export type { SendMode, SentRequestFilter } from './store/outbound-store.ts';
export type { Answer, Message, QueryBody, VerifyBody } from './domain/message.ts';
export { openBody, sealBody } from './sealing.ts';
export { createKeepAliveFetch, type KeepAliveFetch } from './keep-alive-fetch.ts';
