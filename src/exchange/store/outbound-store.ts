/**
 * Queries over `exchange_outbound`: every request this node sent, queued ones (async, delivered
 * by the outbox) and ones answered while the caller waited (sync), newest first, filtered and
 * paginated in the database.
 */
import type { ExpressionBuilder } from 'kysely';
import type { Db } from '../../store/open-store.ts';
import type { Tables } from '../../store/tables.ts';
import type { ExchangeOutboundTable } from './tables.ts';

/** How a request was sent: waited for (`sync`) or queued in the outbox (`async`). */
export type SendMode = 'sync' | 'async';

/** The `envelope` of a sync row: the request hash its event records, never the message itself. */
export function syncEnvelope(requestHash: string): string {
  return JSON.stringify({ sent: 'sync', requestHash });
}

/** Which sent requests to list. Every filter is optional; all given must hold. */
export interface SentRequestFilter {
  /** The partner the request went to. */
  readonly partner?: string;
  /** `<agreement id>` (any version) or `<agreement id>@<version>`. */
  readonly agreement?: string;
  /** The row status: `queued`, `delivering`, `answered`, `denied` or `failed`. */
  readonly outcome?: ExchangeOutboundTable['status'];
  readonly mode?: SendMode;
  readonly limit: number;
  readonly offset: number;
}

/** One page of sent requests and how many match the filter in all. */
export interface SentRequestPage {
  readonly rows: ExchangeOutboundTable[];
  readonly total: number;
}

type Where = ExpressionBuilder<Tables, 'exchange_outbound'>;

function matching(filter: SentRequestFilter) {
  return (eb: Where) => {
    const conditions = [];
    if (filter.partner !== undefined) conditions.push(eb('to_node', '=', filter.partner));
    if (filter.agreement !== undefined) {
      // Agreement ids are [a-z0-9-], so the id holds no LIKE wildcard.
      conditions.push(filter.agreement.includes('@') ? eb('agreement', '=', filter.agreement) : eb('agreement', 'like', `${filter.agreement}@%`));
    }
    if (filter.outcome !== undefined) conditions.push(eb('status', '=', filter.outcome));
    if (filter.mode !== undefined) {
      conditions.push(eb('mode', '=', filter.mode));
    }
    return eb.and(conditions);
  };
}

/** A page of the requests this node sent, newest first, with the total for the filter. */
export async function listSentRequests(db: Db, filter: SentRequestFilter): Promise<SentRequestPage> {
  const where = matching(filter);
  const [rows, count] = await Promise.all([
    db
      .selectFrom('exchange_outbound')
      .selectAll()
      .where(where)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(filter.limit)
      .offset(filter.offset)
      .execute(),
    db
      .selectFrom('exchange_outbound')
      .select((eb) => eb.fn.countAll<number | string | bigint>().as('total'))
      .where(where)
      .executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(count.total) };
}
