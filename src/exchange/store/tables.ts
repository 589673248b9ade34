/** Tables of the exchange context. */

/**
 * Every message this node received as a provider, remembered for idempotency and replay
 * protection: a retried id gets the stored answer, never a second effect.
 */
export interface ExchangeInboundTable {
  id: string;
  from_node: string;
  op: string;
  agreement: string;
  /** SHA-256 of the canonical message, so a reused id with other content is a replay. */
  request_hash: string;
  status: 'processing' | 'answered';
  /** HTTP status and body of the answer, returned again on a retry. */
  answer_status: number | null;
  answer: string | null;
  received_at: string;
  answered_at: string | null;
}

/** Requests this node sends, queued in a persistent outbox when asked to deliver asynchronously. */
export interface ExchangeOutboundTable {
  id: string;
  to_node: string;
  op: string;
  agreement: string;
  route: 'bridge' | 'radial';
  operator: string;
  /** `sync`: the caller waited for the answer; `async`: the outbox delivers it. */
  mode: 'sync' | 'async';
  /**
   * `async`: the signed envelope (JWS JSON), exactly as it will be sent on every attempt. `sync`:
   * only the request hash its event records — the message names a person and is never resent.
   */
  envelope: string;
  status: 'queued' | 'delivering' | 'answered' | 'denied' | 'failed';
  attempts: number;
  next_attempt_at: string;
  /** A delivering row whose lock has lapsed (crashed process) is picked up again. */
  locked_until: string | null;
  last_error: string | null;
  answer: string | null;
  created_at: string;
  finished_at: string | null;
}

export interface ExchangeTables {
  exchange_inbound: ExchangeInboundTable;
  exchange_outbound: ExchangeOutboundTable;
}
