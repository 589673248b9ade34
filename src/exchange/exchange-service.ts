/** The exchange context wired together: gateway (provider), requester, outbox, and the hub's relay. */
import type { AgreementService } from '../agreements/index.ts';
import type { CatalogService } from '../catalog/index.ts';
import type { DirectoryService } from '../directory/index.ts';
import type { BackgroundService, NodeCore } from '../node/node-core.ts';
import type { EventInput } from '../audit/domain/event.ts';
import { createGateway, type InboundResult, type QualityFloorCheck } from './gateway.ts';
import { createGroupCommit } from './group-commit.ts';
import { createOutbox, type OutboundPage, type OutboundRequest } from './outbox.ts';
import { createRelay } from './relay.ts';
import { createRequester, type ExchangeOutcome, type ExchangeRequest } from './requester.ts';
import { createInboundStore } from './store/inbound-store.ts';
import type { SentRequestFilter } from './store/outbound-store.ts';

export interface ExchangeService extends BackgroundService {
  /** Provider side: handle an envelope received over HTTP. */
  receive(raw: unknown): Promise<InboundResult>;
  /** Provider side: handle a batch of envelopes under one signature; one result per message. */
  receiveBatch(raw: unknown): Promise<InboundResult>;
  /** Hub side: check and forward a radial envelope. */
  relay(raw: unknown): Promise<InboundResult>;
  /** Hub side: check and forward a batch of radial envelopes to one recipient, whole. */
  relayBatch(raw: unknown): Promise<InboundResult>;
  /** Requester side: ask now and wait for the verified answer. */
  request(request: ExchangeRequest): Promise<ExchangeOutcome>;
  /** Requester side: queue in the outbox; delivered with retries until answered or refused. */
  enqueue(request: ExchangeRequest): Promise<OutboundRequest>;
  outbound(id: string): Promise<OutboundRequest>;
  /** Requests queued in the outbox, newest first. */
  listOutbound(limit?: number): Promise<OutboundRequest[]>;
  /** Every request this node sent (sync and async) with its outcome, filtered and paginated. */
  listRequests(filter: SentRequestFilter): Promise<OutboundPage>;
  /** Delivers due outbox messages now (the background loop does this every half second). */
  deliverDue(): Promise<number>;
}

/** Ids are remembered at least twice the clock-skew window, so no replay can slip between. */
const pruneEveryMs = 60_000;

export async function createExchangeService(
  core: NodeCore,
  deps: { directory: DirectoryService; catalog: CatalogService; agreements: AgreementService; qualityFloor?: QualityFloorCheck },
): Promise<ExchangeService> {
  const inbound = createInboundStore(core.store.db);
  // The exchange's own events (requested, refused, relayed) share commits under load.
  const events = createGroupCommit<EventInput, unknown>(core.store.db, (trx, batch) => core.events.append(trx, batch));
  const gateway = createGateway({ core, ...deps, inbound, record: events.submit });
  const requester = createRequester(core, deps.directory);
  const outbox = createOutbox(core, requester);
  const relay = createRelay(core, deps.directory, events.submit);
  let pruner: NodeJS.Timeout | undefined;

  return {
    receive: gateway.receive,
    receiveBatch: gateway.receiveBatch,
    relay: relay.relay,
    relayBatch: relay.relayBatch,
    request: requester.send,
    enqueue: outbox.enqueue,
    outbound: outbox.get,
    listOutbound: outbox.list,
    listRequests: outbox.listSent,
    deliverDue: outbox.runOnce,
    start() {
      outbox.start();
      pruner ??= setInterval(() => {
        const window = 2 * core.config.exchange.clockSkewSeconds * 1000;
        void inbound.prune(new Date(core.clock.now().getTime() - window)).catch(() => undefined);
      }, pruneEveryMs);
      pruner.unref();
    },
    async stop() {
      if (pruner) clearInterval(pruner);
      pruner = undefined;
      await outbox.stop();
      await Promise.all([events.idle(), gateway.idle(), requester.idle()]);
    },
  };
}
