/** The exchange context wired together: gateway (provider), requester, outbox, and the hub's relay. */
import type { AgreementService } from '../agreements/index.ts';
import type { CatalogService } from '../catalog/index.ts';
import type { DirectoryService } from '../directory/index.ts';
import type { BackgroundService, NodeCore } from '../node/node-core.ts';
import { createGateway, type InboundResult } from './gateway.ts';
import { createOutbox, type OutboundRequest } from './outbox.ts';
import { createRelay } from './relay.ts';
import { createRequester, type ExchangeOutcome, type ExchangeRequest } from './requester.ts';
import { createInboundStore } from './store/inbound-store.ts';

export interface ExchangeService extends BackgroundService {
  /** Provider side: handle an envelope received over HTTP. */
  receive(raw: unknown): Promise<InboundResult>;
  /** Hub side: check and forward a radial envelope. */
  relay(raw: unknown): Promise<InboundResult>;
  /** Requester side: ask now and wait for the verified answer. */
  request(request: ExchangeRequest): Promise<ExchangeOutcome>;
  /** Requester side: queue in the outbox; delivered with retries until answered or refused. */
  enqueue(request: ExchangeRequest): Promise<OutboundRequest>;
  outbound(id: string): Promise<OutboundRequest>;
  listOutbound(limit?: number): Promise<OutboundRequest[]>;
  /** Delivers due outbox messages now (the background loop does this every half second). */
  deliverDue(): Promise<number>;
}

/** Ids are remembered at least twice the clock-skew window, so no replay can slip between. */
const pruneEveryMs = 60_000;

export async function createExchangeService(
  core: NodeCore,
  deps: { directory: DirectoryService; catalog: CatalogService; agreements: AgreementService },
): Promise<ExchangeService> {
  const inbound = createInboundStore(core.store.db);
  const gateway = createGateway({ core, ...deps, inbound });
  const requester = createRequester(core, deps.directory);
  const outbox = createOutbox(core, requester);
  const relay = createRelay(core, deps.directory);
  let pruner: NodeJS.Timeout | undefined;

  return {
    receive: gateway.receive,
    relay: relay.relay,
    request: requester.send,
    enqueue: outbox.enqueue,
    outbound: outbox.get,
    listOutbound: outbox.list,
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
    },
  };
}
