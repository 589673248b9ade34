/**
 * The content of the demo federation, built through the nodes' public HTTP APIs as operators
 * would: staff accounts, generated datasets registered, imported and published to the hub,
 * four signed active agreements retelling DESIGN §10 (bridge and radial), standing approvals
 * for conditional data, real exchanges for one demo citizen, a quality run on every dataset
 * (the marriage register scores poorly), and a signed audit checkpoint on every node that its
 * partners and the hub witness (start-demo.ts runs these steps in order).
 */
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { addStaff, SetupError, type Credentials, type StaffSession } from './federation-setup.ts';
import { demoDatasetDocument, demoDatasetSlugs, demoRecords, type DemoDatasetSlug, type DemoRecordsOptions } from './generate/demo-records.ts';
import { demoDataFileName, generateDemoData, type DemoDataManifest } from './generate/generate-demo-data.ts';

/** How much data the demo generates: `small` starts fast, `large` holds a million people. */
export type DemoSize = 'small' | 'large';
/** Every demo size. */
export const demoSizes = ['small', 'large'] as const satisfies readonly DemoSize[];

/** What each member node holds: whose ID numbers (counties), how many people, filings to where. */
export interface DemoMemberData {
  readonly code: string;
  readonly counties: readonly string[];
  /** People per size. */
  readonly people: Readonly<Record<DemoSize, number>>;
  readonly destinations: readonly string[];
}

const anshunCounties = ['520402', '520403', '520423', '520425'];
const zhejiangCounties = ['330421', '330523', '331083'];
const shanghaiCounties = ['310118'];

/** The members' data: 安顺 (labour-exporting), 浙江 and 上海 (where people work and move). */
export const demoMemberData: readonly DemoMemberData[] = [
  { code: '330000', counties: zhejiangCounties, people: { small: 2000, large: 400_000 }, destinations: [...anshunCounties, ...shanghaiCounties] },
  { code: '310000', counties: shanghaiCounties, people: { small: 1500, large: 200_000 }, destinations: [...zhejiangCounties, ...anshunCounties] },
  { code: '520400', counties: anshunCounties, people: { small: 2000, large: 400_000 }, destinations: [...zhejiangCounties, ...shanghaiCounties] },
];

/** The seed of a member's generated data: the demo seed mixed with its code, so members differ. */
export function memberSeed(seed: number, code: string): number {
  return (Math.imul(seed ^ Number(code), 2_654_435_761) >>> 0) % 4_294_967_296;
}

/** The generator options of a member's data. */
export function memberDataOptions(member: DemoMemberData, seed: number, people: number): DemoRecordsOptions {
  return { seed: memberSeed(seed, member.code), people, counties: member.counties, destinations: member.destinations };
}

/** The staff roles every member node gets besides its administrator. */
export const demoStaffRoles = [
  ['steward', ['steward'], '数据管理员'],
  ['agreements', ['agreements'], '协议专员'],
  ['caseworker', ['caseworker'], '窗口受理员'],
  ['auditor', ['auditor'], '审计员'],
] as const;

/** A member's staff sessions (the auditor's has a second factor and is not opened here). */
export interface MemberStaff {
  readonly admin: StaffSession;
  readonly steward: StaffSession;
  readonly agreements: StaffSession;
  readonly caseworker: StaffSession;
  readonly credentials: Record<string, Credentials>;
}

/** Creates the demo staff accounts of one member and logs in those the setup needs. */
export async function addDemoStaff(admin: StaffSession): Promise<MemberStaff> {
  const credentials: Record<string, Credentials> = {};
  const sessions: Record<string, StaffSession> = {};
  for (const [username, roles, displayName] of demoStaffRoles) {
    const created = await addStaff(admin, username, roles, displayName);
    credentials[username] = created.credentials;
    sessions[username] = created.session;
  }
  return { admin, steward: sessions.steward!, agreements: sessions.agreements!, caseworker: sessions.caseworker!, credentials };
}

/** What the import API answers, as far as the demo needs it. */
export interface ImportOutcome {
  readonly rowsImported: number;
  readonly rowsRejected: number;
  readonly errors: readonly { readonly line: number; readonly field: string | null; readonly problem: string }[];
}

/** Streams a generated file into a dataset through the import API. */
export async function importFile(steward: StaffSession, dataset: string, path: string, format: 'csv' | 'jsonl'): Promise<ImportOutcome> {
  const response = await fetch(`${steward.url}/api/v1/catalog/datasets/${dataset}/import`, {
    method: 'POST',
    headers: { authorization: `Bearer ${steward.token}`, 'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson' },
    body: Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array>,
    duplex: 'half',
  } as RequestInit & { duplex: 'half' });
  const text = await response.text();
  const parsed: unknown = text ? JSON.parse(text) : {};
  if (!response.ok) throw new SetupError(response.status, parsed, `import into ${dataset}`);
  return parsed as ImportOutcome;
}

/** Generates a member's data into `dir`, registers the four datasets, imports them and publishes the catalogue. */
export async function loadMemberData(staff: MemberStaff, member: DemoMemberData, options: { dir: string; seed: number; people: number }): Promise<DemoDataManifest> {
  const manifest = await generateDemoData({ ...memberDataOptions(member, options.seed, options.people), out: options.dir, format: 'csv' });
  for (const slug of demoDatasetSlugs) {
    await staff.steward.call('POST', '/api/v1/catalog/datasets', demoDatasetDocument(slug));
    const result = await importFile(staff.steward, `${member.code}/${slug}`, join(options.dir, demoDataFileName(slug, 'csv')), 'csv');
    if (result.rowsImported !== manifest.datasets[slug].rows) {
      const first = result.errors[0];
      throw new Error(
        `${member.code}/${slug}: imported ${result.rowsImported} of ${manifest.datasets[slug].rows} generated rows (${result.rowsRejected} rejected${first ? `; line ${first.line} ${first.field ?? ''} ${first.problem}` : ''}).`,
      );
    }
  }
  await staff.steward.call('POST', '/api/v1/catalog/publication', {});
  return manifest;
}

const security = (controllers: Record<string, string>) => ({ controller: controllers, retentionDays: 180, breachNoticeHours: 24 });

/** 异地就医备案 both ways between 安顺 and 浙江 (bridge): each side reads the other's filings. */
export function medicalFilingAgreement(a: string, b: string) {
  const grant = (to: string) => ({
    to,
    items: ['异地就医结算'],
    purposes: ['medical-settlement'],
    query: ['name', 'filingType', 'destinationDivision', 'validFrom', 'validTo', 'status'],
    verify: ['hasValidFiling'],
    mask: { name: 'keep-first-char' as const },
  });
  return {
    id: `agr-${a}-${b}-medical-filing`,
    version: 1,
    title: '跨省异地就医备案信息互认协议',
    parties: [
      { node: a, role: 'both' as const },
      { node: b, role: 'both' as const },
    ],
    superior: '100000',
    validity: { from: '2026-01-01', to: '2030-12-31' },
    items: [{ code: '异地就医结算', mode: 'online' as const, steps: [{ by: b, step: 'accept' as const, limitDays: 1 }, { by: a, step: 'verify' as const, limitDays: 1 }] }],
    datasets: [
      { dataset: `${a}/medical-filing`, grade: 'general' as const, sharing: 'unconditional' as const, grants: [grant(b)] },
      { dataset: `${b}/medical-filing`, grade: 'general' as const, sharing: 'unconditional' as const, grants: [grant(a)] },
    ],
    recognisedLicenses: ['社会保障卡'],
    security: security({ [`${a}/medical-filing`]: a, [`${b}/medical-filing`]: b }),
    service: { availability: 0.995, p95Ms: 800, qualityFloor: { [`${a}/medical-filing`]: 85, [`${b}/medical-filing`]: 85 } },
  };
}

/** 户口迁移 between 上海 and 浙江 through the hub (radial): accepted where people move to, decided where they come from. */
export function householdMoveAgreement(a: string, b: string) {
  const grant = (to: string) => ({
    to,
    items: ['户口迁移'],
    purposes: ['household-move'],
    query: ['name', 'division', 'householdNumber', 'relationToHead'],
    verify: ['hasRegistration'],
    mask: { name: 'keep-first-char' as const },
  });
  return {
    id: `agr-${a}-${b}-household-move`,
    version: 1,
    title: '沪浙户籍迁移跨省通办协议',
    parties: [
      { node: a, role: 'both' as const },
      { node: b, role: 'both' as const },
    ],
    superior: '100000',
    validity: { from: '2026-01-01', to: '2030-12-31' },
    items: [
      {
        code: '户口迁移',
        mode: 'proxy' as const,
        steps: [
          { by: a, step: 'accept' as const, limitDays: 1 },
          { by: b, step: 'decide' as const, limitDays: 5 },
          { by: a, step: 'deliver' as const, limitDays: 2 },
        ],
      },
    ],
    datasets: [a, b].map((provider) => ({
      dataset: `${provider}/household-registration`,
      grade: 'important' as const,
      sharing: 'conditional' as const,
      approval: { by: provider, deadlineWorkingDays: 5 },
      grants: [grant(provider === a ? b : a)],
    })),
    recognisedLicenses: ['居民身份证', '居民户口簿'],
    security: security({ [`${a}/household-registration`]: a, [`${b}/household-registration`]: b }),
    service: { availability: 0.99, p95Ms: 1500 },
  };
}

/** 夫妻投靠落户: 上海 verifies a marriage registered in 浙江 (radial); the register must reach its quality floor. */
export function marriageAgreement(provider: string, requester: string) {
  return {
    id: `agr-${provider}-${requester}-marriage-register`,
    version: 1,
    title: '夫妻投靠落户婚姻登记信息核验协议',
    parties: [
      { node: provider, role: 'provider' as const },
      { node: requester, role: 'requester' as const },
    ],
    superior: '100000',
    validity: { from: '2026-01-01', to: '2030-12-31' },
    items: [
      {
        code: '夫妻投靠落户',
        mode: 'proxy' as const,
        steps: [
          { by: requester, step: 'accept' as const, limitDays: 1 },
          { by: provider, step: 'verify' as const, limitDays: 3 },
          { by: requester, step: 'decide' as const, limitDays: 10 },
        ],
      },
    ],
    datasets: [
      {
        dataset: `${provider}/marriage-register`,
        grade: 'important' as const,
        sharing: 'conditional' as const,
        approval: { by: provider, deadlineWorkingDays: 5 },
        grants: [{ to: requester, items: ['夫妻投靠落户'], purposes: ['household-move'], query: ['maritalStatus', 'registeredOn', 'spouseName'], verify: ['maritalStatus', 'spouseIdNumber'], mask: { spouseName: 'keep-first-char' as const } }],
      },
    ],
    recognisedLicenses: ['结婚证', '居民身份证'],
    security: security({ [`${provider}/marriage-register`]: provider }),
    // The historic register falls short of this floor until its records are repaired.
    service: { availability: 0.99, p95Ms: 1500, qualityFloor: { [`${provider}/marriage-register`]: 95 } },
  };
}

/** Drafts and proposes on the initiator, both sides sign, both activate. */
export async function activateAgreement(initiator: StaffSession, partner: StaffSession, document: { id: string; version: number }): Promise<string> {
  await initiator.call('POST', '/api/v1/agreements', { document });
  await initiator.call('POST', `/api/v1/agreements/${document.id}/propose`, {});
  await initiator.call('POST', `/api/v1/agreements/${document.id}/sign`, {});
  await partner.call('POST', `/api/v1/agreements/${document.id}/sign`, {});
  await initiator.call('POST', `/api/v1/agreements/${document.id}/activate`, {});
  await partner.call('POST', `/api/v1/agreements/${document.id}/activate`, {});
  return `${document.id}@${document.version}`;
}

/** A standing approval (有条件共享) from a provider's officer, valid to the agreement's end. */
export async function approveStanding(officer: StaffSession, agreement: string, dataset: string, requester: string): Promise<void> {
  await officer.call('POST', `/api/v1/agreements/${agreement}/approvals`, { dataset, requester, validTo: '2030-12-31' });
}

/** The marriage register's rules: what a steward checks in a digitised paper register. */
export const marriageRegisterRules = [
  { check: 'missing', name: '姓名不为空', field: 'name' },
  { check: 'missing', name: '出生日期不为空', field: 'birthDate' },
  { check: 'missing', name: '登记日期不为空', field: 'registeredOn' },
  { check: 'missing', name: '配偶身份号码不为空', field: 'spouseIdNumber' },
  { check: 'validator', name: '公民身份号码符合 GB 11643', field: 'idNumber', validator: 'citizenId' },
  { check: 'validator', name: '登记日期是真实日期', field: 'registeredOn', validator: 'date' },
  { check: 'unique', name: '每人一条登记记录', fields: ['idNumber'] },
  { check: 'idConsistency', name: '性别和出生日期与身份号码一致', idField: 'idNumber', birthDateField: 'birthDate', sexField: 'sex' },
] as const;

/** A dataset's quality run, as the demo reports it. */
export interface DemoQualityRun {
  readonly dataset: string;
  readonly run: string;
  readonly overall: number | null;
  readonly status: string;
  /** Remediation tasks opened from the run's failed rules. */
  readonly tasksOpened: number;
}

/**
 * Runs quality on each of a member's datasets (generated rules; the register's own rules for
 * marriages) and opens remediation tasks for every rule that failed, for the steward to work.
 */
export async function runMemberQuality(steward: StaffSession, code: string): Promise<DemoQualityRun[]> {
  const runs: DemoQualityRun[] = [];
  for (const slug of demoDatasetSlugs) {
    const body = slug === 'marriage-register' ? { rules: marriageRegisterRules } : {};
    const run = await steward.call<{ id: string; scores: { overall: number | null }; status: string }>('POST', `/api/v1/quality/datasets/${code}/${slug}/runs`, body);
    let tasksOpened = 0;
    if (run.status !== 'pass') {
      const opened = await steward.call<{ results: { status: string }[] }>('POST', `/api/v1/quality/runs/${run.id}/tasks`, {});
      tasksOpened = opened.results.filter((result) => result.status === 'opened').length;
    }
    runs.push({ dataset: `${code}/${slug}`, run: run.id, overall: run.scores.overall, status: run.status, tasksOpened });
  }
  return runs;
}

/** The demo citizen: someone from 安顺 working in 浙江, insured at home, with a valid medical filing in 浙江. */
export interface DemoCitizen {
  readonly idNumber: string;
  readonly name: string;
  readonly home: string;
  readonly filedIn: string;
}

/** Finds the demo citizen among a member's generated people (the first who fits). */
export function findDemoCitizen(options: DemoRecordsOptions, filedIn: readonly string[]): DemoCitizen {
  for (const { person, records } of demoRecords(options)) {
    const insured = records.some((entry) => entry.dataset === 'social-insurance-enrolment' && entry.record.insuredStatus === 'active');
    const filing = records.find((entry) => entry.dataset === 'medical-filing' && entry.record.hasValidFiling === true && filedIn.includes(entry.record.destinationDivision as string));
    if (insured && filing) return { idNumber: person.idNumber, name: person.name, home: person.division, filedIn: filing.record.destinationDivision as string };
  }
  throw new Error('No generated person of this member is insured with a valid filing in the given counties; generate more people.');
}

/** The first generated person of a member with a marriage record that is clean. */
export function findMarriedPerson(options: DemoRecordsOptions): { idNumber: string; spouseIdNumber: string } {
  for (const { records } of demoRecords(options)) {
    const marriage = records.find((entry) => entry.dataset === 'marriage-register');
    if (marriage && !marriage.defect && marriage.record.maritalStatus === 'married' && marriage.record.spouseIdNumber) {
      return { idNumber: marriage.record.idNumber as string, spouseIdNumber: marriage.record.spouseIdNumber as string };
    }
  }
  throw new Error('No generated person of this member has a clean marriage record; generate more people.');
}

/** The datasets a member registers, by id. */
export function memberDatasets(code: string): string[] {
  return demoDatasetSlugs.map((slug: DemoDatasetSlug) => `${code}/${slug}`);
}
