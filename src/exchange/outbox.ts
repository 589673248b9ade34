/**
 * The persistent outbox: requests that must not be lost wait here and are delivered with retries
 * and exponential back-off. Each attempt re-signs the same message (same id) with a fresh time; the
 * provider's idempotency returns the stored answer if an earlier attempt got through.
 */
import type { Clock } from '../core/clock.ts';
import { NotFoundError, toTongbanError } from '../core/errors.ts';
import { sql } from 'kysely';
import { claimLock } from '../store/dialect.ts';
import type { Db } from '../store/open-store.ts';
import type { NodeCore } from '../node/node-core.ts';
import { listSentRequests, type SendMode, type SentRequestFilter } from './store/outbound-store.ts';
import type { ExchangeOutboundTable } from './store/tables.ts';
import type { ExchangeRequest, Requester } from './requester.ts';

/** A request this node sent (queued in the outbox, or answered while the caller waited) as staff see it. */
export interface OutboundRequest {
  readonly id: string;
  readonly mode: SendMode;
  readonly to: string;
  readonly op: string;
  readonly agreement: string;
  readonly route: 'bridge' | 'radial';
  readonly operator: string;
  readonly status: ExchangeOutboundTable['status'];
  readonly attempts: number;
  readonly nextAttemptAt: string;
  readonly lastError: string | null;
  /** Outbox rows: the verified answer and its evidence, or the refusal. Sync rows keep the decision only, never records. */
  readonly answer: unknown;
  /** The id of the partner's signed answer (also of a signed denial), once there is one. */
  readonly answerId: string | null;
  /** The clause that allowed or refused the request, once decided. */
  readonly clause: string | null;
  /** The error code of a refusal or a failure. */
  readonly code: string | null;
  readonly createdAt: string;
  readonly finishedAt: string | null;
}

/** A page of sent requests and how many match in all. */
export interface OutboundPage {
  readonly requests: OutboundRequest[];
  readonly total: number;
}

/** What an answered or refused row says about the decision, whichever way it was sent. */
function decisionOf(row: ExchangeOutboundTable, answer: unknown): Pick<OutboundRequest, 'answerId' | 'clause' | 'code'> {
  const none = { answerId: null, clause: null, code: row.status === 'denied' || row.status === 'failed' ? row.last_error : null };
  if (typeof answer !== 'object' || answer === null) return none;
  const stored = answer as { answer?: { id?: unknown; decision?: { clause?: unknown; code?: unknown } }; code?: unknown; details?: { clause?: unknown; answerId?: unknown } };
  if (stored.answer && typeof stored.answer === 'object') {
    const decision = stored.answer.decision;
    return {
      answerId: typeof stored.answer.id === 'string' ? stored.answer.id : null,
      clause: typeof decision?.clause === 'string' ? decision.clause : null,
      code: typeof decision?.code === 'string' ? decision.code : null,
    };
  }
  return {
    answerId: typeof stored.details?.answerId === 'string' ? stored.details.answerId : null,
    clause: typeof stored.details?.clause === 'string' ? stored.details.clause : null,
    code: typeof stored.code === 'string' ? stored.code : none.code,
  };
}

/** How long a claimed row stays with one process before another may take it over. */
const claimMs = 60_000;
const pollMs = 500;
const batch = 10;

/** Back-off before attempt n+1: 2^n seconds, at most an hour, with ±20 % jitter so retries spread out. */
export function backoffMs(attempts: number, random: () => number = Math.random): number {
  const base = Math.min(2 ** attempts * 1000, 3_600_000);
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** A row as the API shows it. */
export function toOutbound(row: ExchangeOutboundTable): OutboundRequest {
  const answer = row.answer ? (JSON.parse(row.answer) as unknown) : null;
  return {
    id: row.id,
    mode: row.mode,
    to: row.to_node,
    op: row.op,
    agreement: row.agreement,
    route: row.route,
    operator: row.operator,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastError: row.last_error,
    answer,
    ...decisionOf(row, answer),
    createdAt: row.created_at,
    finishedAt: row.finished_at,
  };
}

/** Rows due for delivery now, oldest first: what the partial index exchange_outbound_due holds. */
export function dueRows(db: Db, now: Date) {
  const at = now.toISOString();
  return db
    .selectFrom('exchange_outbound')
    .select('id')
    // Repeats the index's condition in literals, so the index applies.
    .where(sql<boolean>`status in ('queued', 'delivering')`)
    .where((eb) =>
      eb.or([
        eb.and([eb('status', '=', 'queued'), eb('next_attempt_at', '<=', at)]),
        eb.and([eb('status', '=', 'delivering'), eb('locked_until', '<', at)]),
      ]),
    )
    .orderBy('next_attempt_at');
}

export function createOutbox(core: NodeCore, requester: Requester) {
  const { store, events, config } = core;
  const clock: Clock = core.clock;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;

  async function enqueue(request: ExchangeRequest): Promise<OutboundRequest> {
    const prepared = requester.prepare(request);
    const now = clock.now().toISOString();
    const row: ExchangeOutboundTable = {
      id: prepared.message.id,
      to_node: prepared.message.to,
      op: prepared.message.op,
      agreement: prepared.message.agreement,
      route: prepared.route,
      operator: request.operator,
      mode: 'async',
      envelope: JSON.stringify(prepared.message),
      status: 'queued',
      attempts: 0,
      next_attempt_at: now,
      locked_until: null,
      last_error: null,
      answer: null,
      created_at: now,
      finished_at: null,
    };
    await store.db.transaction().execute(async (trx) => {
      await trx.insertInto('exchange_outbound').values(row).execute();
      await events.append(trx, [
        {
          type: 'exchange.queued',
          actor: request.operator,
          outcome: 'success',
          details: { id: row.id, to: row.to_node, op: row.op, agreement: row.agreement, route: row.route },
        },
      ]);
    });
    return toOutbound(row);
  }

  /** Claims due rows for this process; on PostgreSQL concurrent workers never claim the same row. */
  async function claim(): Promise<ExchangeOutboundTable[]> {
    const now = clock.now();
    return store.db.transaction().execute(async (trx) => {
      const due = await claimLock(dueRows(trx, now).limit(batch), store.dialect).execute();
      if (due.length === 0) return [];
      return trx
        .updateTable('exchange_outbound')
        .set((eb) => ({
          status: 'delivering',
          locked_until: new Date(now.getTime() + claimMs).toISOString(),
          attempts: eb('attempts', '+', 1),
        }))
        .where('id', 'in', due.map((row) => row.id))
        .returningAll()
        .execute();
    });
  }

  async function deliver(row: ExchangeOutboundTable): Promise<void> {
    const message = JSON.parse(row.envelope) as Parameters<Requester['resend']>[0];
    const finish = async (patch: Partial<ExchangeOutboundTable>, event: { type: string; outcome: 'success' | 'failure' | 'denied'; details: Record<string, unknown> }) => {
      await store.db.transaction().execute(async (trx) => {
        await trx.updateTable('exchange_outbound').set(patch).where('id', '=', row.id).execute();
        await events.append(trx, [{ type: event.type, actor: row.operator, outcome: event.outcome, details: { id: row.id, to: row.to_node, attempts: row.attempts, ...event.details } }]);
      });
    };
    try {
      const outcome = await requester.resend(message, row.route);
      await finish(
        { status: 'answered', locked_until: null, last_error: null, answer: JSON.stringify({ answer: outcome.answer, evidence: outcome.evidence }), finished_at: clock.now().toISOString() },
        { type: 'exchange.delivered', outcome: 'success', details: { answerId: outcome.answer.id, clause: outcome.answer.decision.clause } },
      );
    } catch (error) {
      const refusal = toTongbanError(error);
      const now = clock.now();
      if (!refusal.retryable) {
        await finish(
          { status: 'denied', locked_until: null, last_error: refusal.code, answer: JSON.stringify(refusal.toBody()), finished_at: now.toISOString() },
          { type: 'exchange.delivered', outcome: 'denied', details: { code: refusal.code, clause: refusal.details?.clause ?? null } },
        );
      } else if (row.attempts >= config.exchange.outboxMaxAttempts) {
        await finish(
          { status: 'failed', locked_until: null, last_error: refusal.code, finished_at: now.toISOString() },
          { type: 'exchange.delivery_failed', outcome: 'failure', details: { code: refusal.code } },
        );
      } else {
        await store.db
          .updateTable('exchange_outbound')
          .set({ status: 'queued', locked_until: null, last_error: refusal.code, next_attempt_at: new Date(now.getTime() + backoffMs(row.attempts)).toISOString() })
          .where('id', '=', row.id)
          .execute();
      }
    }
  }

  /**
   * Delivers whatever is due now, all at once: messages to the same partner then share batch
   * signatures (requester.ts). Returns how many rows it attempted.
   */
  async function runOnce(): Promise<number> {
    const rows = await claim();
    await Promise.all(rows.map(deliver));
    return rows.length;
  }

  function tick(): void {
    if (running) return;
    running = runOnce()
      .catch(() => 0)
      .finally(() => {
        running = undefined;
      });
  }

  return {
    enqueue,
    runOnce,
    async get(id: string): Promise<OutboundRequest> {
      const row = await store.db.selectFrom('exchange_outbound').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) throw new NotFoundError(`No outgoing request ${id}.`, { id });
      return toOutbound(row);
    },
    /** Requests queued in the outbox (sent asynchronously), newest first. */
    async list(limit = 50): Promise<OutboundRequest[]> {
      const page = await listSentRequests(store.db, { mode: 'async', limit: Math.min(limit, 500), offset: 0 });
      return page.rows.map(toOutbound);
    },
    /** Every request this node sent, sync and async, filtered and paginated. */
    async listSent(filter: SentRequestFilter): Promise<OutboundPage> {
      const page = await listSentRequests(store.db, filter);
      return { requests: page.rows.map(toOutbound), total: page.total };
    },
    start(): void {
      timer ??= setInterval(tick, pollMs);
      timer.unref();
    },
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}

export type Outbox = ReturnType<typeof createOutbox>;
