/**
 * The demo federation that `npm start` brings up: a hub and province nodes on loopback, each a
 * real node with its own database, keys and administrator, filled with generated data and
 * bound by signed agreements (see demo-federation.ts for what is built).
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../config/load-config.ts';
import { initNode } from '../node/init-node.ts';
import { joinFederation, logIn, SetupError, socialInsuranceAgreement, type Credentials, type StaffSession } from './federation-setup.ts';
import {
  activateAgreement,
  addDemoStaff,
  approveStanding,
  demoMemberData,
  findDemoCitizen,
  findMarriedPerson,
  householdMoveAgreement,
  loadMemberData,
  marriageAgreement,
  medicalFilingAgreement,
  memberDataOptions,
  runMemberQuality,
  type DemoCitizen,
  type DemoQualityRun,
  type DemoSize,
  type MemberStaff,
} from './demo-federation.ts';
import { startNodeServer, type RunningNode } from '../node/start-node-server.ts';

/** One member of the demo federation. */
export interface DemoMember {
  readonly code: string;
  readonly name: string;
  readonly level: 'hub' | 'province' | 'prefecture' | 'county';
  readonly portOffset: number;
}

export const demoMembers: readonly DemoMember[] = [
  { code: '100000', name: '国家政务服务平台枢纽', level: 'hub', portOffset: 0 },
  { code: '330000', name: '浙江省', level: 'province', portOffset: 1 },
  { code: '310000', name: '上海市', level: 'province', portOffset: 2 },
  { code: '520400', name: '贵州省安顺市', level: 'prefecture', portOffset: 3 },
];

/** 安顺 (where migrant workers come from) and 浙江 (where they work): the bridge. */
const anshun = '520400';
const zhejiang = '330000';
const shanghai = '310000';
/** The seed of the demo's generated data, so the printout can name a generated person. */
export const demoSeed = 2026;
/** The agreements the demo activates. */
export const demoAgreements = {
  socialInsurance: `agr-${anshun}-${zhejiang}-social-insurance@1`,
  medicalFiling: `agr-${anshun}-${zhejiang}-medical-filing@1`,
  householdMove: `agr-${shanghai}-${zhejiang}-household-move@1`,
  marriage: `agr-${zhejiang}-${shanghai}-marriage-register@1`,
} as const;

export interface DemoAccount {
  readonly username: string;
  readonly roles: readonly string[];
  readonly password: string;
  readonly totpSecret?: string;
}

export interface RunningDemoNode {
  readonly member: DemoMember;
  readonly url: string;
  readonly accounts: readonly DemoAccount[];
  readonly running: RunningNode;
  /** The datasets the node registered and imported, with their rows (none on the hub). */
  readonly datasets: readonly { readonly id: string; readonly rows: number }[];
  /** Its quality runs (none on the hub). */
  readonly quality: readonly DemoQualityRun[];
  /** Size of the log its signed checkpoint covers. */
  readonly checkpointSize: number;
  /** The nodes that co-signed that checkpoint at start-up. */
  readonly witnessedBy: readonly string[];
}

/** A running demo federation. */
export interface RunningDemo {
  readonly nodes: readonly RunningDemoNode[];
  readonly size: DemoSize;
  readonly agreements: readonly string[];
  /** A generated person whose records 浙江 asked 安顺 for: use it for "who used my data". */
  readonly citizen: DemoCitizen;
  /** Exchanges the setup made, one line each. */
  readonly exchanges: readonly string[];
  /** Seconds from the first node's creation until everything was ready. */
  readonly seconds: number;
}

export interface DemoOptions {
  readonly dir: string;
  readonly basePort: number;
  readonly host?: string;
  readonly logLevel?: string;
  /** small (default, fast) or large (a million people). */
  readonly size?: DemoSize;
  /** People per member node, overriding the size (tests use a few dozen). */
  readonly people?: number;
  /** Called with each step, for a progress display. */
  readonly onStep?: (step: string) => void;
}

/** Creates fresh demo nodes under `dir` and serves them all; close them with `stopDemo`. */
export async function startDemo(options: DemoOptions): Promise<RunningDemo> {
  const startedAt = Date.now();
  const size = options.size ?? 'small';
  const step = options.onStep ?? (() => {});
  const root = resolve(options.dir);
  if (existsSync(root)) rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const started: Array<{ member: DemoMember; url: string; running: RunningNode; accounts: DemoAccount[] }> = [];
  try {
    step('creating the nodes');
    for (const member of demoMembers) {
      const dir = join(root, member.code);
      const init = await initNode({
        dir,
        code: member.code,
        name: member.name,
        level: member.level,
        host: options.host ?? '127.0.0.1',
        port: options.basePort + member.portOffset,
        extraConfig: { log: { level: (options.logLevel ?? 'warn') as 'warn' } },
        env: {},
      });
      const running = await startNodeServer(loadConfig({ dir, env: {} }));
      const accounts: DemoAccount[] = [{ username: init.admin.username, roles: ['admin'], password: init.admin.password, totpSecret: init.admin.secondFactor.secret }];
      started.push({ member, url: running.url, accounts, running });
    }
    const byCode = (code: string) => started.find((node) => node.member.code === code)!;

    // The federation is built through the nodes' own APIs, as operators would build it.
    const admins = new Map<string, StaffSession>();
    for (const node of started) {
      const admin = node.accounts[0]!;
      admins.set(node.member.code, await logIn(node.url, { username: admin.username, password: admin.password, ...(admin.totpSecret ? { totpSecret: admin.totpSecret } : {}) }));
    }
    step('joining the hub');
    const members = demoMemberData.map((data) => data.code);
    await joinFederation(admins.get('100000')!, members.map((code) => admins.get(code)!));

    const staff = new Map<string, MemberStaff>();
    const datasets = new Map<string, { id: string; rows: number }[]>();
    for (const data of demoMemberData) {
      const memberStaff = await addDemoStaff(admins.get(data.code)!);
      staff.set(data.code, memberStaff);
      addAccounts(byCode(data.code).accounts, memberStaff.credentials);
      const people = options.people ?? data.people[size];
      step(`${data.code}: generating ${people.toLocaleString('en')} people and importing their datasets`);
      const manifest = await loadMemberData(memberStaff, data, { dir: join(root, data.code, 'demo-data'), seed: demoSeed, people });
      datasets.set(
        data.code,
        Object.entries(manifest.datasets).map(([slug, file]) => ({ id: `${data.code}/${slug}`, rows: file.rows })),
      );
    }

    step('signing the agreements');
    const officer = (code: string) => staff.get(code)!.agreements;
    const agreements = [
      await activateAgreement(officer(anshun), officer(zhejiang), socialInsuranceAgreement(anshun, zhejiang)),
      await activateAgreement(officer(anshun), officer(zhejiang), medicalFilingAgreement(anshun, zhejiang)),
      await activateAgreement(officer(shanghai), officer(zhejiang), householdMoveAgreement(shanghai, zhejiang)),
      await activateAgreement(officer(zhejiang), officer(shanghai), marriageAgreement(zhejiang, shanghai)),
    ];
    const idOf = (agreement: string) => agreement.slice(0, agreement.indexOf('@'));
    await approveStanding(officer(shanghai), idOf(demoAgreements.householdMove), `${shanghai}/household-registration`, zhejiang);
    await approveStanding(officer(zhejiang), idOf(demoAgreements.householdMove), `${zhejiang}/household-registration`, shanghai);
    await approveStanding(officer(zhejiang), idOf(demoAgreements.marriage), `${zhejiang}/marriage-register`, shanghai);

    step('exchanging records');
    const dataOf = (code: string) => demoMemberData.find((data) => data.code === code)!;
    const optionsOf = (code: string) => memberDataOptions(dataOf(code), demoSeed, options.people ?? dataOf(code).people[size]);
    const citizen = findDemoCitizen(optionsOf(anshun), dataOf(zhejiang).counties);
    const zhejiangPerson = findMarriedPerson(optionsOf(zhejiang));
    // Quality runs first: the marriage agreement's quality floor is checked against the latest score.
    step('running quality checks');
    const quality = new Map<string, DemoQualityRun[]>();
    for (const code of members) quality.set(code, await runMemberQuality(staff.get(code)!.steward, code));

    const exchanges: string[] = [];
    const ask = async (from: string, body: Record<string, unknown>, summary: string) => {
      try {
        const answer = await staff.get(from)!.caseworker.call<{ status: string; route: string; result?: boolean; records?: unknown[] }>('POST', '/api/v1/exchange/requests', body);
        const outcome = answer.result !== undefined ? String(answer.result) : `${answer.records?.length ?? 0} record(s)`;
        exchanges.push(`${from} → ${body.to as string} (${answer.route}): ${summary}: ${answer.status}, ${outcome}`);
      } catch (error) {
        // A refusal is part of the story (the marriage register below its quality floor); anything else is not.
        const refusal = error instanceof SetupError ? (error.body as { code?: string; details?: { clause?: string } }) : undefined;
        if (!refusal?.code || refusal.code !== 'quality_below_floor') throw error;
        exchanges.push(`${from} → ${body.to as string} (${body.route === 'radial' ? 'radial' : 'bridge'}): ${summary}: refused, ${refusal.code} at ${refusal.details?.clause ?? '?'}`);
      }
    };
    const key = { idNumber: citizen.idNumber };
    await ask(
      zhejiang,
      { to: anshun, op: 'query', agreement: demoAgreements.socialInsurance, item: '就医结算备案', purpose: 'medical-filing', dataset: `${anshun}/social-insurance-enrolment`, key, fields: ['name', 'insuredStatus', 'insuredSince'] },
      'social-insurance enrolment of the demo citizen',
    );
    await ask(
      zhejiang,
      { to: anshun, op: 'verify', agreement: demoAgreements.medicalFiling, item: '异地就医结算', purpose: 'medical-settlement', dataset: `${anshun}/medical-filing`, key, predicate: { field: 'hasValidFiling', equals: 'true' } },
      'has the demo citizen a valid medical filing?',
    );
    await ask(
      shanghai,
      { to: zhejiang, op: 'query', agreement: demoAgreements.householdMove, item: '户口迁移', purpose: 'household-move', dataset: `${zhejiang}/household-registration`, key: { idNumber: zhejiangPerson.idNumber }, fields: ['name', 'division', 'householdNumber'], route: 'radial' },
      'household registration of a person moving to 上海',
    );
    await ask(
      shanghai,
      { to: zhejiang, op: 'verify', agreement: demoAgreements.marriage, item: '夫妻投靠落户', purpose: 'household-move', dataset: `${zhejiang}/marriage-register`, key: { idNumber: zhejiangPerson.idNumber }, predicate: { field: 'spouseIdNumber', equals: zhejiangPerson.spouseIdNumber }, route: 'radial' },
      'is this person married to the applicant?',
    );

    step('signing audit checkpoints');
    const checkpoints = new Map<string, number>();
    for (const node of started) {
      const checkpoint = await admins.get(node.member.code)!.call<{ size: number }>('POST', '/api/v1/audit/checkpoints', {});
      checkpoints.set(node.member.code, checkpoint.size);
    }

    // Partners (and the hub, for every member) fetch, check and co-sign each other's checkpoints now, not in a minute.
    step('witnessing checkpoints');
    const witnesses = new Map<string, string[]>();
    for (const node of started) {
      const { results } = await admins.get(node.member.code)!.call<{ results: { node: string; status: string }[] }>('POST', '/api/v1/audit/witness', {});
      for (const result of results) {
        if (result.status === 'witnessed' || result.status === 'current') witnesses.set(result.node, [...(witnesses.get(result.node) ?? []), node.member.code]);
      }
    }

    const nodes: RunningDemoNode[] = started.map((node) => ({
      ...node,
      datasets: datasets.get(node.member.code) ?? [],
      quality: quality.get(node.member.code) ?? [],
      checkpointSize: checkpoints.get(node.member.code) ?? 0,
      witnessedBy: witnesses.get(node.member.code) ?? [],
    }));
    return { nodes, size, agreements, citizen, exchanges, seconds: (Date.now() - startedAt) / 1000 };
  } catch (error) {
    await Promise.all(started.map((node) => node.running.close()));
    throw error;
  }
}

function addAccounts(accounts: DemoAccount[], credentials: Record<string, Credentials>): void {
  for (const [role, account] of Object.entries(credentials)) {
    accounts.push({ username: account.username, roles: [role], password: account.password, ...(account.totpSecret ? { totpSecret: account.totpSecret } : {}) });
  }
}

/** Stops every node of the demo. */
export async function stopDemo(nodes: readonly RunningDemoNode[]): Promise<void> {
  await Promise.all(nodes.map((node) => node.running.close()));
}
