/** Opens a node and serves its HTTP API; what `tongban serve` and the demo run. */
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
  close(): Promise<void>;
}

export async function startNodeServer(
  loaded: LoadedConfig,
  options: ServerOptions & { clock?: Clock; fetch?: Fetch } = {},
): Promise<RunningNode> {
  const node = await openNode(loaded, {
    migrate: true,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  try {
    const app = await buildServer(node, options);
    await app.listen({ host: node.config.http.host, port: node.config.http.port });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : node.config.http.port;
    const host = node.config.http.host.includes(':') ? `[${node.config.http.host}]` : node.config.http.host;
    const url = `http://${host}:${port}`;
    // With port 0 (tests, demo) the real address is known only now; the hub publishes it as its endpoint.
    if (!node.config.http.publicUrl) await node.directory.setOwnEndpoint(url);
    node.start();
    let closed = false;
    return {
      node,
      app,
      url,
      async close() {
        if (closed) return;
        closed = true;
        await app.close();
        await node.close();
      },
    };
  } catch (error) {
    await node.close();
    throw error;
  }
}
