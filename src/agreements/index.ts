/**
 * Agreements (合作协议) and the policy decisions the gateway enforces: what other contexts may use.
 * (Interface fixed by the node wiring; the agreements context fills in the implementation.)
 */
import type { Command } from 'commander';
import type { CatalogService, DatasetInfo } from '../catalog/index.ts';
import type { Output } from '../cli/output.ts';
import type { ErrorCode } from '../core/errors.ts';
import type { DirectoryService } from '../directory/index.ts';
import type { Server } from '../node/http/build-server.ts';
import type { BackgroundService, NodeCore } from '../node/node-core.ts';

export type ExchangeOperation = 'query' | 'verify';

/** One request as the gateway sees it after authenticating the sender. */
export interface PolicyRequest {
  readonly requester: string;
  readonly provider: string;
  readonly agreement: { readonly id: string; readonly version: number };
  readonly item: string;
  readonly purpose: string;
  readonly operation: ExchangeOperation;
  readonly dataset: string;
  /** For `query`: the fields asked for; for `verify`: the fields the predicate reads. */
  readonly fields: readonly string[];
  readonly at: Date;
}

/** How a granted field is masked before it leaves the provider. */
export type MaskRule = 'keep-first-char' | 'keep-last-4' | 'id-number' | 'redact' | 'year-only';

/** An allow or a deny, always naming the agreement, version and clause that decided it. */
export interface PolicyDecision {
  readonly allow: boolean;
  /** The stable error code of a denial. */
  readonly code?: ErrorCode;
  /** A sentence a person can act on. */
  readonly reason: string;
  readonly agreement: { readonly id: string; readonly version: number };
  /** JSON Pointer into the agreement document, e.g. `/datasets/0/grants/1/query`. */
  readonly clause: string;
  /** For an allow: the fields that may be returned (query) or read (verify). */
  readonly fields: readonly string[];
  readonly masks: Readonly<Record<string, MaskRule>>;
}

export interface AgreementService extends BackgroundService {
  /** Decides a request against the locally held agreement (active, signed by every party, in force). */
  decide(request: PolicyRequest, dataset: DatasetInfo | undefined): Promise<PolicyDecision>;
}

// TEMPORARY placeholders until the agreements context lands; they keep the node runnable meanwhile.
export async function createAgreementService(
  _core: NodeCore,
  _deps: { directory: DirectoryService; catalog: CatalogService },
): Promise<AgreementService> {
  return {
    decide: async (request) => ({
      allow: false,
      code: 'agreement_unknown',
      reason: `No agreement ${request.agreement.id}@${request.agreement.version} is known here.`,
      agreement: request.agreement,
      clause: '',
      fields: [],
      masks: {},
    }),
    start: () => undefined,
    stop: async () => undefined,
  };
}
export async function registerAgreementRoutes(_app: Server, _node: import('../node/open-node.ts').NodeContext): Promise<void> {}
export function registerAgreementCommands(_program: Command, _output: Output): void {}
