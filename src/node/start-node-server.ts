/** Opens a node and serves its HTTP API; what `tongban serve` and the demo run. */
import { TongbanError } from '../core/errors.ts';
import type { LoadedConfig } from '../config/load-config.ts';
import type { Clock } from '../core/clock.ts';
import { buildServer, type Server, type ServerOptions } from './http/build-server.ts';
import { openNode, type NodeContext } from './open-node.ts';
import type { Fetch } from './node-core.ts';

export interface RunningNode {
  readonly node: NodeContext;
  readonly app: Server;
  /** The base URL the server listens on. */
  readonly url: string;
  /** Requests being handled right now. */
  inFlight(): number;
  /**
   * Shuts down gracefully: stops accepting connections, lets running requests and outbox
   * deliveries finish (up to the drain timeout, then cuts what is left), and closes the store.
   */
  close(): Promise<void>;
}

export interface StartNodeServerOptions extends ServerOptions {
  readonly clock?: Clock;
  readonly fetch?: Fetch;
  /**
   * How long `close` waits for running requests and deliveries. Defaults to `http.drainTimeoutMs`,
   * else the exchange timeout plus 5 s: by then every call to a partner has been answered or has
   * given up.
   */
  readonly drainTimeoutMs?: number;
}

/** Resolves true when `promise` settles within `ms`, false when the time runs out first. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, ms));
  });
  try {
    return await Promise.race([promise.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function startNodeServer(loaded: LoadedConfig, options: StartNodeServerOptions = {}): Promise<RunningNode> {
  const node = await openNode(loaded, {
    migrate: true,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  try {
    const app = await buildServer(node, options);
    let inFlight = 0;
    let draining = false;
    app.server.on('request', (_request, response: import('node:http').ServerResponse) => {
      inFlight++;
      response.once('close', () => {
        inFlight--;
        // A keep-alive connection whose request finishes during the drain turns idle after the
        // close was asked for, and would stay open until its client hangs up, holding the
        // shutdown for the whole drain timeout.
        if (draining) setImmediate(() => app.server.closeIdleConnections());
      });
    });
    try {
      await app.listen({ host: node.config.http.host, port: node.config.http.port });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      const { host, port } = node.config.http;
      throw new TongbanError('port_in_use', `Another program already listens on ${host}:${port}; stop it, or start this node on another port (--port, or --base-port for the demo).`, { host, port });
    }
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : node.config.http.port;
    const host = node.config.http.host.includes(':') ? `[${node.config.http.host}]` : node.config.http.host;
    const url = `http://${host}:${port}`;
    // With port 0 (tests, demo) the real address is known only now; the hub publishes it as its endpoint.
    if (!node.config.http.publicUrl) await node.directory.setOwnEndpoint(url);
    node.start();
    const drainTimeoutMs = options.drainTimeoutMs ?? node.config.http.drainTimeoutMs ?? node.config.exchange.requestTimeoutMs + 5000;
    let closing: Promise<void> | undefined;
    async function drainAndClose(): Promise<void> {
      const deadline = Date.now() + drainTimeoutMs;
      app.log.info({ inFlight, drainTimeoutMs }, 'shutting down: no new connections; finishing the requests in flight');
      // Fastify stops listening, answers requests that arrive on open connections with 503 and
      // closes idle keep-alive connections, then resolves once the running requests are done.
      draining = true;
      const serverClosed = app.close();
      if (!(await within(serverClosed, deadline - Date.now()))) {
        app.log.warn({ inFlight }, 'shutting down: requests still running after the drain timeout are cut off');
        app.server.closeAllConnections();
        await within(serverClosed, 1000);
      }
      // Background work: the outbox finishes the delivery it is making; then the store closes.
      const nodeClosed = node.close();
      if (!(await within(nodeClosed, Math.max(deadline - Date.now(), 1000)))) {
        app.log.warn('shutting down: background work did not finish within the drain timeout');
        return;
      }
      app.log.info('shut down');
    }
    return {
      node,
      app,
      url,
      inFlight: () => inFlight,
      close() {
        closing ??= drainAndClose();
        return closing;
      },
    };
  } catch (error) {
    await node.close();
    throw error;
  }
}
