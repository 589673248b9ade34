/**
 * The exchange gateway: signed envelopes between nodes, bridge and radial. What others may use.
 */
import type { AgreementService } from '../agreements/index.ts';
import type { CatalogService } from '../catalog/index.ts';
import type { DirectoryService } from '../directory/index.ts';
import type { BackgroundService, NodeCore } from '../node/node-core.ts';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ExchangeService extends BackgroundService {}

export async function createExchangeService(
  _core: NodeCore,
  _deps: { directory: DirectoryService; catalog: CatalogService; agreements: AgreementService },
): Promise<ExchangeService> {
  return { start: () => undefined, stop: async () => undefined };
}
