/** HTTP routes of the exchange gateway. */
import type { Server } from '../../node/http/build-server.ts';
import type { NodeContext } from '../../node/open-node.ts';

export async function registerExchangeRoutes(_app: Server, _node: NodeContext): Promise<void> {}
