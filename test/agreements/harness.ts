/**
 * An in-process federation for agreement service tests: each party has its own store, keys and
 * agreement service; a stand-in directory lists them all; a stand-in `fetch` carries a message to
 * the addressed party's service, or fails when that party is marked down.
 */
import { createHash } from 'node:crypto';
import { createEventLog } from '../../src/audit/store/event-log.ts';
import { fixedClock } from '../../src/core/clock.ts';
import { TongbanError } from '../../src/core/errors.ts';
import { configSchema } from '../../src/config/schema.ts';
import { cryptoSuite, fromBase64Url, type FlattenedJws } from '../../src/crypto/index.ts';
import { createIdentityService, type Principal, type Role } from '../../src/identity/index.ts';
import { createKeyring, generateInitialKeys } from '../../src/keys/keyring.ts';
import { createSecretBox } from '../../src/keys/secret-box.ts';
import type { NodeCore } from '../../src/node/node-core.ts';
import type { Store } from '../../src/store/open-store.ts';
import { createAgreementService, type AgreementMessageKind, type AgreementService, type AgreementServiceDeps } from '../../src/agreements/index.ts';
import type { DatasetInfo } from '../../src/catalog/index.ts';
import type { DirectoryMember } from '../../src/directory/index.ts';

export const startTime = '2026-01-05T02:00:00.000Z';
const keySecret = 'agreement-tests-key-secret-0123456789';

/** One node of the test federation. */
export interface Party {
  readonly code: string;
  readonly core: NodeCore;
  readonly service: AgreementService;
  /** The datasets this node's catalogue holds; tests edit it. */
  readonly datasets: Map<string, DatasetInfo>;
  /** The directory and catalogue stand-ins, to start another process of the same node. */
  readonly deps: AgreementServiceDeps;
}

export interface TestFederation {
  readonly clock: ReturnType<typeof fixedClock>;
  readonly parties: ReadonlyMap<string, Party>;
  /** Codes of nodes that do not answer. */
  readonly down: Set<string>;
  /** Codes the directory lists (all parties unless a test removes one). */
  readonly listed: Set<string>;
  /** Codes the directory lists as suspended: their keys verify nothing. */
  readonly suspended: Set<string>;
  party(code: string): Party;
  close(): Promise<void>;
}

/** A principal with the given roles, as an API token would be. */
export function principal(...roles: Role[]): Principal {
  return { kind: 'token', tokenId: `t-${roles.join('-')}`, name: 'test', roles };
}

const kinds: Readonly<Record<string, AgreementMessageKind>> = { proposals: 'proposal', signatures: 'signature', approvals: 'approval', notices: 'notice' };

/** Starts parties on fresh stores; every node lists every other in its directory. */
export async function startFederation(
  openStore: () => Promise<Store>,
  specs: ReadonlyArray<{ readonly code: string; readonly suite?: 'intl' | 'sm' }>,
): Promise<TestFederation> {
  const clock = fixedClock(startTime);
  const parties = new Map<string, Party>();
  const down = new Set<string>();
  const listed = new Set(specs.map((spec) => spec.code));
  const suspended = new Set<string>();
  const members = new Map<string, DirectoryMember>();

  const directory: AgreementServiceDeps['directory'] = {
    member(code) {
      const member = listed.has(code) ? members.get(code) : undefined;
      return member && suspended.has(code) ? { ...member, status: 'suspended' } : member;
    },
    verificationKey(kid, at) {
      const member = directory.member(kid.slice(0, kid.indexOf('#')));
      if (member?.status !== 'active') return undefined;
      const key = member?.keys.find((candidate) => candidate.kid === kid && candidate.use === 'sign');
      if (!key || Date.parse(key.validFrom) > at.getTime() || (key.validUntil !== null && Date.parse(key.validUntil) <= at.getTime())) return undefined;
      return { suite: cryptoSuite(key.suite), publicKey: fromBase64Url(key.publicKey, 'publicKey') };
    },
    assertUsable: () => undefined,
  };

  const fetchStub: typeof fetch = async (input, init) => {
    const url = new URL(String(input));
    const code = url.hostname.split('.')[0]!;
    const target = parties.get(code);
    if (!target || down.has(code)) throw new TypeError('fetch failed');
    const kind = kinds[url.pathname.split('/').pop() ?? ''];
    if (!kind) return new Response(JSON.stringify({ code: 'route_not_found', message: 'no such route' }), { status: 404 });
    try {
      const result = await target.service.receive(kind, JSON.parse(String(init?.body)) as FlattenedJws);
      return new Response(JSON.stringify(result), { status: 200, headers: { 'content-type': 'application/json' } });
    } catch (error) {
      if (!(error instanceof TongbanError)) throw error;
      return new Response(JSON.stringify(error.toBody()), { status: error.httpStatus, headers: { 'content-type': 'application/json' } });
    }
  };

  for (const spec of specs) {
    const store = await openStore();
    const suite = spec.suite ?? 'intl';
    const config = configSchema.parse({ node: { code: spec.code, name: `node ${spec.code}`, level: 'province', suite } });
    const hashName = suite === 'sm' ? 'sm3' : 'sha256';
    const events = createEventLog({ db: store.db, hasher: { hash: (data) => createHash(hashName).update(data).digest() }, clock });
    await generateInitialKeys(store.db, { clock, nodeCode: spec.code, suite, secret: keySecret });
    const keyring = createKeyring({ db: store.db, events, clock, nodeCode: spec.code, suite, secret: keySecret });
    const identity = createIdentityService({
      db: store.db,
      events,
      clock,
      auth: config.auth,
      nodeCode: spec.code,
      sessionSecret: await keyring.sessionSecret(),
      secretBox: createSecretBox(keySecret),
      dialect: store.dialect,
    });
    const core: NodeCore = {
      config,
      dir: '/nonexistent',
      info: { code: spec.code, name: `node ${spec.code}`, level: 'province', role: 'node', suite, createdAt: startTime },
      store,
      clock,
      events,
      keyring,
      identity,
      fetch: fetchStub,
    };
    members.set(spec.code, {
      code: spec.code,
      name: `node ${spec.code}`,
      level: 'province',
      parent: null,
      role: 'node',
      endpoint: `http://${spec.code}.nodes.test/`,
      status: 'active',
      keys: (await keyring.list())
        .filter((key) => key.use === 'sign' || key.use === 'encrypt')
        .map((key) => ({ kid: key.kid, use: key.use as 'sign' | 'encrypt', suite: key.suite, publicKey: key.publicKey!, validFrom: key.createdAt, validUntil: key.retiredAt })),
    });
    const datasets = new Map<string, DatasetInfo>();
    const catalog: AgreementServiceDeps['catalog'] = { dataset: async (id) => datasets.get(id) };
    const service = await createAgreementService(core, { directory, catalog });
    parties.set(spec.code, { code: spec.code, core, service, datasets, deps: { directory, catalog } });
  }

  return {
    clock,
    parties,
    down,
    listed,
    suspended,
    party(code) {
      const found = parties.get(code);
      if (!found) throw new Error(`no party ${code}`);
      return found;
    },
    async close() {
      await Promise.all([...parties.values()].map((party) => party.service.stop()));
    },
  };
}

/** Event types a party recorded, in order, optionally only those starting with a prefix. */
export async function eventTypes(party: Party, prefix = 'agreement.'): Promise<string[]> {
  return (await party.core.events.list({ typePrefix: prefix, limit: 1000 })).map((event) => event.type);
}
