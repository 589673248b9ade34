/**
 * Signed messages for partner nodes (proposals, signatures, approvals, notices), delivered from
 * the `agreement_deliveries` table: attempted at once, then retried with back-off by the service's
 * background loop until the partner takes them. A delivery is claimed by pushing its next attempt
 * past a lease, so of several processes of one node only one attempts it at a time.
 */
import type { Clock } from '../core/clock.ts';
import type { EventLog } from '../audit/store/event-log.ts';
import type { DirectoryService } from '../directory/index.ts';
import type { Fetch } from '../node/node-core.ts';
import type { Db } from '../store/open-store.ts';
import { agreementStore, type AgreementDeliveryRow } from './store/agreement-store.ts';

/** The outcome of one delivery attempt. */
export interface DeliveryResult {
  readonly id: string;
  readonly to: string;
  readonly kind: AgreementDeliveryRow['kind'];
  readonly status: 'delivered' | 'pending' | 'failed';
  readonly error?: string;
}

const deliveryPath: Readonly<Record<AgreementDeliveryRow['kind'], string>> = {
  proposal: 'proposals',
  signature: 'signatures',
  approval: 'approvals',
  notice: 'notices',
};

// Partner answers that no retry can change; anything else (unreachable, 5xx, a directory copy
// not yet synced, a proposal not yet arrived) is retried with back-off.
const permanentCodes = new Set<string>([
  'agreement_invalid',
  'signature_invalid',
  'not_a_party',
  'not_for_this_node',
  'already_exists',
  'invalid_input',
  'malformed_json',
  'route_not_found',
  'body_too_large',
  'agreement_transition_invalid',
  'unsupported_media_type',
]);

const firstRetryMs = 5_000;
const maxRetryMs = 3_600_000;
const leaseMs = 120_000;

/** Delay before attempt `attempts + 1`: 5 s doubling up to an hour; never given up. */
export function retryDelayMs(attempts: number): number {
  return Math.min(maxRetryMs, firstRetryMs * 2 ** Math.max(0, Math.min(attempts - 1, 20)));
}

/** What the delivery worker needs. */
export interface DeliveryDeps {
  readonly db: Db;
  readonly events: EventLog;
  readonly clock: Clock;
  readonly directory: Pick<DirectoryService, 'member'>;
  readonly fetch: Fetch;
  readonly timeoutMs: number;
}

/** Delivers queued messages: `deliverNow` right after queueing, `deliverDue` from the loop. */
export interface DeliveryWorker {
  /** Attempts these deliveries once each (those another process holds are reported pending). */
  deliverNow(ids: readonly string[]): Promise<DeliveryResult[]>;
  /** Attempts every delivery whose next attempt is due. */
  deliverDue(): Promise<DeliveryResult[]>;
}

/** Creates the delivery worker of the agreements service. */
export function createDeliveryWorker(deps: DeliveryDeps): DeliveryWorker {
  const { db, events, clock, directory } = deps;
  const now = () => clock.now();

  async function attempt(row: AgreementDeliveryRow): Promise<DeliveryResult> {
    const base = { id: row.id, to: row.target, kind: row.kind };
    const attempts = row.attempts + 1;
    let failure: { message: string; permanent: boolean } | undefined;
    const member = directory.member(row.target);
    if (!member) {
      failure = { message: `${row.target} is not in this node's copy of the directory`, permanent: false };
    } else {
      const url = `${member.endpoint.replace(/\/+$/, '')}/api/v1/agreements/federation/${deliveryPath[row.kind]}`;
      try {
        const response = await deps.fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: row.jws,
          signal: AbortSignal.timeout(deps.timeoutMs),
        });
        const text = await response.text();
        if (!response.ok) {
          let code = `http_${response.status}`;
          let message = text.slice(0, 300);
          try {
            const body = JSON.parse(text) as { code?: unknown; message?: unknown };
            if (typeof body.code === 'string') code = body.code;
            if (typeof body.message === 'string') message = body.message;
          } catch {
            // not our error shape: keep the raw text
          }
          failure = { message: `${code}: ${message}`, permanent: permanentCodes.has(code) };
        }
      } catch (error) {
        failure = { message: `unreachable: ${(error as Error).message}`, permanent: false };
      }
    }
    const at = now();
    if (failure === undefined) {
      await db.transaction().execute(async (trx) => {
        await agreementStore.finishDelivery(trx, row.id, { status: 'delivered', attempts, next_attempt_at: at.toISOString(), last_error: null, updated_at: at.toISOString() });
        await events.append(trx, [
          {
            type: 'agreement.message_delivered',
            actor: 'system',
            outcome: 'success',
            details: { kind: row.kind, to: row.target, agreement: row.agreement_id, version: row.version, attempts },
          },
        ]);
      });
      return { ...base, status: 'delivered' };
    }
    const status = failure.permanent ? 'failed' : 'pending';
    const next = new Date(at.getTime() + retryDelayMs(attempts)).toISOString();
    await db.transaction().execute(async (trx) => {
      await agreementStore.finishDelivery(trx, row.id, {
        status,
        attempts,
        next_attempt_at: next,
        last_error: failure.message.slice(0, 500),
        updated_at: at.toISOString(),
      });
      await events.append(trx, [
        {
          type: failure.permanent ? 'agreement.message_failed' : 'agreement.message_delayed',
          actor: 'system',
          outcome: 'failure',
          details: {
            kind: row.kind,
            to: row.target,
            agreement: row.agreement_id,
            version: row.version,
            attempts,
            error: failure.message.slice(0, 300),
            ...(failure.permanent ? {} : { nextAttemptAt: next }),
          },
        },
      ]);
    });
    return { ...base, status, error: failure.message };
  }

  async function claimAndAttempt(row: AgreementDeliveryRow): Promise<DeliveryResult | undefined> {
    const at = now();
    const claimed = await agreementStore.claimDelivery(db, row, new Date(at.getTime() + leaseMs).toISOString(), at.toISOString());
    return claimed ? attempt(row) : undefined;
  }

  async function deliverNow(ids: readonly string[]): Promise<DeliveryResult[]> {
    const results: DeliveryResult[] = [];
    for (const id of ids) {
      const row = await agreementStore.delivery(db, id);
      if (!row || row.status !== 'pending') continue;
      const result = await claimAndAttempt(row);
      results.push(result ?? { id: row.id, to: row.target, kind: row.kind, status: 'pending' });
    }
    return results;
  }

  return {
    deliverNow,
    async deliverDue() {
      const due = await agreementStore.dueDeliveries(db, now().toISOString(), 20);
      const results: DeliveryResult[] = [];
      for (const row of due) {
        const result = await claimAndAttempt(row);
        if (result) results.push(result);
      }
      return results;
    },
  };
}
