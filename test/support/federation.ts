/**
 * A small real federation for console and integration suites: a hub, a provider (贵州省安顺市)
 * and a requester (浙江省), joined over HTTP, with the social-insurance bridge agreement signed
 * and active, and staff accounts for every role the console shows.
 */
import { newId } from '../../src/core/ids.ts';
import { addStaff, joinFederation, setUpBridge, type Bridge, type Credentials, type StaffSession } from '../../src/demo/federation-setup.ts';
import type { OutboundRequest } from '../../src/exchange/outbox.ts';
import type { ExchangeRequest, Route } from '../../src/exchange/requester.ts';
import type { NodeContext } from '../../src/node/open-node.ts';
import { startTestNode, type TestNode, type TestNodeOptions } from './nodes.ts';

export interface TestFederation {
  readonly hub: TestNode;
  readonly provider: TestNode;
  readonly requester: TestNode;
  readonly bridge: Bridge;
  /** Administrator sessions (API) of each node. */
  readonly admins: { readonly hub: StaffSession; readonly provider: StaffSession; readonly requester: StaffSession };
  /** An auditor account on the requester (has a second factor). */
  readonly requesterAuditor: Credentials;
  close(): Promise<void>;
}

async function adminSession(node: TestNode): Promise<StaffSession> {
  const token = await node.adminToken();
  return {
    url: node.url,
    token,
    async call<T>(method: string, path: string, body?: unknown, contentType = 'application/json') {
      const response = await node.call(method, path, {
        token,
        ...(body === undefined ? {} : typeof body === 'string' ? { rawBody: body, headers: { 'content-type': contentType } } : { body }),
      });
      if (response.status >= 400) throw new Error(`${method} ${path} failed with HTTP ${response.status}: ${JSON.stringify(response.body)}`);
      return response.body as T;
    },
  };
}

export async function startTestFederation(
  options: { overrides?: TestNodeOptions['overrides']; people?: number; requesterFetch?: TestNodeOptions['fetch'] } = {},
): Promise<TestFederation> {
  const overrides = options.overrides ?? {};
  const hub = await startTestNode({ code: '100000', name: '国家枢纽', level: 'hub', role: 'hub', overrides });
  const provider = await startTestNode({ code: '520400', name: '贵州省安顺市', level: 'prefecture', overrides });
  const requester = await startTestNode({ code: '330000', name: '浙江省', level: 'province', overrides, ...(options.requesterFetch ? { fetch: options.requesterFetch } : {}) });
  try {
    const admins = { hub: await adminSession(hub), provider: await adminSession(provider), requester: await adminSession(requester) };
    await joinFederation(admins.hub, [admins.provider, admins.requester]);
    const bridge = await setUpBridge(admins.provider, admins.requester, { people: options.people ?? 50 });
    const auditor = await addStaff(admins.requester, 'auditor', ['auditor'], '安全审计员');
    return {
      hub,
      provider,
      requester,
      bridge,
      admins,
      requesterAuditor: auditor.credentials,
      async close() {
        await requester.close();
        await provider.close();
        await hub.close();
      },
    };
  } catch (error) {
    await Promise.allSettled([requester.close(), provider.close(), hub.close()]);
    throw error;
  }
}

/**
 * An unsigned message from `from` to the provider (520400) under the bridge agreement, about
 * person `person` of the bridge's people, as a requester's gateway builds it: a query for the
 * insured status, or a verify that such a record exists.
 */
export function bridgeMessage(bridge: Bridge, from: string, person: number, op: 'query' | 'verify' = 'query') {
  const key = { idNumber: bridge.people[person % bridge.people.length]!.idNumber };
  const dataset = '520400/social-insurance-enrolment';
  return {
    id: newId(),
    ts: new Date().toISOString(),
    from,
    to: '520400',
    op,
    agreement: bridge.agreement,
    item: '就医结算备案',
    purpose: 'medical-filing',
    operator: 'system',
    body: op === 'query' ? { dataset, key, fields: ['insuredStatus'] } : { dataset, key },
  };
}

/**
 * What a system asks the requester's gateway for under the bridge agreement: the insured status
 * of person `person` of the bridge's people, from the provider (520400).
 */
export function bridgeRequest(bridge: Bridge, person: number, options: { route?: Route } = {}): ExchangeRequest {
  return {
    to: '520400',
    op: 'query',
    agreement: bridge.agreement,
    item: '就医结算备案',
    purpose: 'medical-filing',
    operator: 'system',
    body: { dataset: '520400/social-insurance-enrolment', key: { idNumber: bridge.people[person % bridge.people.length]!.idNumber }, fields: ['insuredStatus'] },
    ...(options.route ? { route: options.route } : {}),
  };
}

/**
 * Queued requests once all are answered: delivered by the caller's `deliverDue`, or by the node's
 * own outbox loop when it claimed them first. Gives up (returning them as they stand) after 10 s.
 */
export async function answeredFromOutbox(node: NodeContext, ids: readonly string[]): Promise<OutboundRequest[]> {
  await node.exchange.deliverDue();
  let delivered = await Promise.all(ids.map((id) => node.exchange.outbound(id)));
  for (let waited = 0; delivered.some((request) => request.status !== 'answered') && waited < 10_000; waited += 50) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    delivered = await Promise.all(ids.map((id) => node.exchange.outbound(id)));
  }
  return delivered;
}
