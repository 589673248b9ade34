/**
 * Builds a working federation through the nodes' public HTTP APIs, exactly as operators would:
 * members join the hub and are approved, stewards register and import datasets, agreement
 * officers draft, propose, sign and activate. Used by the demo, the integration tests and the
 * exchange benchmark, so all three exercise the real interfaces.
 */
import { createHash } from 'node:crypto';
import { TOTP } from 'otpauth';
import { generatePeople, type Person } from './people.ts';

/** A staff member's session on one node. */
export interface StaffSession {
  readonly url: string;
  readonly token: string;
  call<T = Record<string, unknown>>(method: string, path: string, body?: unknown, contentType?: string): Promise<T>;
}

/** Credentials as `tongban init` prints them. */
export interface Credentials {
  readonly username: string;
  readonly password: string;
  readonly totpSecret?: string;
}

/** A failed call, with the node's error code and message. */
export class SetupError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    what: string,
  ) {
    super(`${what} failed with HTTP ${status}: ${JSON.stringify(body)}`);
  }
}

async function callJson<T>(url: string, method: string, path: string, token: string | undefined, body?: unknown, contentType = 'application/json'): Promise<T> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  let payload: string | undefined;
  if (body !== undefined) {
    headers['content-type'] = contentType;
    payload = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const response = await fetch(`${url}${path}`, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
  const text = await response.text();
  const parsed: unknown = text ? JSON.parse(text) : {};
  if (!response.ok) throw new SetupError(response.status, parsed, `${method} ${path}`);
  return parsed as T;
}

/** Logs a staff member in (with a one-time code when the account has a second factor). */
export async function logIn(url: string, credentials: Credentials): Promise<StaffSession> {
  const totp = credentials.totpSecret ? new TOTP({ secret: credentials.totpSecret }).generate() : undefined;
  const { accessToken } = await callJson<{ accessToken: string }>(url, 'POST', '/api/v1/auth/login', undefined, {
    username: credentials.username,
    password: credentials.password,
    ...(totp ? { totp } : {}),
  });
  return {
    url,
    token: accessToken,
    call: (method, path, body, contentType) => callJson(url, method, path, accessToken, body, contentType),
  };
}

/** Creates a staff account with the given roles and logs it in. */
export async function addStaff(admin: StaffSession, username: string, roles: readonly string[], displayName = username): Promise<{ credentials: Credentials; session: StaffSession }> {
  // Known to the demo's printout, never containing the user name (the password policy refuses that).
  const password = `Tongban-Demo-2026-${createHash('sha256').update(username).digest('hex').slice(0, 6)}`;
  const created = await admin.call<{ secondFactor?: { secret: string } }>('POST', '/api/v1/accounts', { username, displayName, roles, password });
  const credentials: Credentials = { username, password, ...(created.secondFactor ? { totpSecret: created.secondFactor.secret } : {}) };
  return { credentials, session: await logIn(admin.url, credentials) };
}

/** Members apply to the hub, the hub's administrator approves them, and every member syncs. */
export async function joinFederation(hubAdmin: StaffSession, memberAdmins: readonly StaffSession[]): Promise<void> {
  for (const admin of memberAdmins) {
    const { code } = await callJson<{ code: string }>(admin.url, 'GET', '/api/v1/node', undefined);
    await admin.call('POST', '/api/v1/directory/join', { hub: hubAdmin.url });
    await hubAdmin.call('POST', `/api/v1/directory/applications/${code}/approve`, {});
  }
  for (const admin of memberAdmins) await admin.call('POST', '/api/v1/directory/sync', {});
}

/** The social-insurance enrolment dataset of a provider (无条件共享, 一般数据). */
export function socialInsuranceDataset() {
  return {
    id: 'social-insurance-enrolment',
    code: '2-05-001-0001',
    name: '社会保险参保登记信息',
    abstract: 'Who is insured, since when and in what status, by citizen ID number.',
    providerName: '人力资源和社会保障局',
    format: 'database',
    items: [
      { name: 'idNumber', type: 'string', title: '公民身份号码', dataElement: 'DE00001' },
      { name: 'name', type: 'string', title: '姓名' },
      { name: 'sex', type: 'string', title: '性别' },
      { name: 'birthDate', type: 'date', title: '出生日期' },
      { name: 'insuredStatus', type: 'string', title: '参保状态' },
      { name: 'insuredSince', type: 'date', title: '参保日期' },
      { name: 'isInsured', type: 'boolean', title: '是否参保' },
    ],
    keyFields: ['idNumber'],
    sharing: { type: 'unconditional' },
    updateCycle: 'daily',
    publishedOn: '2026-01-15',
    grade: 'general',
  };
}

/** The household registration dataset of a provider (有条件共享, 重要数据). */
export function householdRegistrationDataset() {
  return {
    id: 'household-registration',
    code: '1-02-003-0001',
    name: '户籍登记信息',
    abstract: 'Registered residents by citizen ID number.',
    providerName: '公安局',
    format: 'database',
    items: [
      { name: 'idNumber', type: 'string', title: '公民身份号码', dataElement: 'DE00001' },
      { name: 'name', type: 'string', title: '姓名' },
      { name: 'hasRegistration', type: 'boolean', title: '是否有户籍' },
      { name: 'division', type: 'string', title: '户籍地行政区划' },
    ],
    keyFields: ['idNumber'],
    sharing: { type: 'conditional', condition: 'to government departments handling cross-province items', legalBasis: '户口登记条例' },
    updateCycle: 'daily',
    publishedOn: '2026-01-15',
    grade: 'important',
  };
}

function csv(rows: readonly (readonly string[])[]): string {
  return `${rows.map((row) => row.map((value) => (/[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value)).join(',')).join('\n')}\n`;
}

/** Social-insurance rows for generated people: most insured, some lapsed, some never. */
export function socialInsuranceCsv(people: readonly Person[]): string {
  return csv([
    ['idNumber', 'name', 'sex', 'birthDate', 'insuredStatus', 'insuredSince', 'isInsured'],
    ...people.map((person, index) => {
      const status = index % 10 === 9 ? 'never' : index % 10 === 8 ? 'lapsed' : 'active';
      const since = status === 'never' ? '' : `20${String(10 + (index % 15)).padStart(2, '0')}-0${1 + (index % 9)}-01`;
      return [person.idNumber, person.name, person.sex, person.birthDate, status, since, status === 'active' ? 'true' : 'false'];
    }),
  ]);
}

export function householdCsv(people: readonly Person[]): string {
  return csv([
    ['idNumber', 'name', 'hasRegistration', 'division'],
    ...people.map((person) => [person.idNumber, person.name, 'true', person.division]),
  ]);
}

/** The bridge agreement of DESIGN §5 between a provider and a requester. */
export function socialInsuranceAgreement(provider: string, requester: string, id = `agr-${provider}-${requester}-social-insurance`) {
  return {
    id,
    version: 1,
    title: '务工人员社保与就医备案协同协议',
    parties: [
      { node: provider, role: 'provider' },
      { node: requester, role: 'requester' },
    ],
    superior: '100000',
    validity: { from: '2026-01-01', to: '2030-12-31' },
    items: [
      {
        code: '就医结算备案',
        mode: 'online',
        steps: [
          { by: requester, step: 'accept', limitDays: 1 },
          { by: provider, step: 'decide', limitDays: 3 },
        ],
      },
    ],
    datasets: [
      {
        dataset: `${provider}/social-insurance-enrolment`,
        grade: 'general',
        sharing: 'unconditional',
        grants: [
          {
            to: requester,
            items: ['就医结算备案'],
            purposes: ['medical-filing'],
            query: ['name', 'insuredStatus', 'insuredSince'],
            verify: ['isInsured'],
            mask: { name: 'keep-first-char' },
          },
        ],
      },
      {
        dataset: `${provider}/household-registration`,
        grade: 'important',
        sharing: 'conditional',
        approval: { by: provider, deadlineWorkingDays: 10 },
        grants: [{ to: requester, items: ['就医结算备案'], purposes: ['medical-filing'], verify: ['hasRegistration'] }],
      },
    ],
    recognisedLicenses: ['社会保障卡', '居民身份证'],
    security: {
      controller: { [`${provider}/social-insurance-enrolment`]: provider, [`${provider}/household-registration`]: provider },
      retentionDays: 180,
      breachNoticeHours: 24,
    },
    service: { availability: 0.995, p95Ms: 800, qualityFloor: { [`${provider}/social-insurance-enrolment`]: 85 } },
  };
}

/** What `setUpBridge` leaves behind for the caller to use. */
export interface Bridge {
  readonly agreement: string;
  readonly people: readonly Person[];
  readonly provider: { readonly steward: StaffSession; readonly officer: StaffSession; readonly credentials: Record<string, Credentials> };
  readonly requester: { readonly caseworker: StaffSession; readonly officer: StaffSession; readonly credentials: Record<string, Credentials> };
}

/**
 * Provider registers and fills its datasets; both sides' agreement officers sign the social-insurance
 * agreement and activate it. Both nodes must already be members.
 */
export async function setUpBridge(providerAdmin: StaffSession, requesterAdmin: StaffSession, options: { people?: number; seed?: number } = {}): Promise<Bridge> {
  const providerCode = (await callJson<{ code: string }>(providerAdmin.url, 'GET', '/api/v1/node', undefined)).code;
  const requesterCode = (await callJson<{ code: string }>(requesterAdmin.url, 'GET', '/api/v1/node', undefined)).code;
  const steward = await addStaff(providerAdmin, 'steward', ['steward'], '数据管理员');
  const providerOfficer = await addStaff(providerAdmin, 'agreements', ['agreements'], '协议专员');
  const requesterOfficer = await addStaff(requesterAdmin, 'agreements', ['agreements'], '协议专员');
  const caseworker = await addStaff(requesterAdmin, 'caseworker', ['caseworker'], '窗口受理员');

  const people = generatePeople(options.people ?? 200, options.seed ?? 2026);
  for (const [dataset, rows] of [
    [socialInsuranceDataset(), socialInsuranceCsv(people)],
    [householdRegistrationDataset(), householdCsv(people)],
  ] as const) {
    await steward.session.call('POST', '/api/v1/catalog/datasets', dataset);
    await steward.session.call('POST', `/api/v1/catalog/datasets/${providerCode}/${dataset.id}/import`, rows, 'text/csv');
    // The agreement sets a quality floor, so the steward checks the data before it is shared.
    await steward.session.call('POST', `/api/v1/quality/datasets/${providerCode}/${dataset.id}/runs`, {});
  }

  const document = socialInsuranceAgreement(providerCode, requesterCode);
  await providerOfficer.session.call('POST', '/api/v1/agreements', { document });
  await providerOfficer.session.call('POST', `/api/v1/agreements/${document.id}/propose`, {});
  await providerOfficer.session.call('POST', `/api/v1/agreements/${document.id}/sign`, {});
  await requesterOfficer.session.call('POST', `/api/v1/agreements/${document.id}/sign`, {});
  await providerOfficer.session.call('POST', `/api/v1/agreements/${document.id}/activate`, {});
  await requesterOfficer.session.call('POST', `/api/v1/agreements/${document.id}/activate`, {});

  return {
    agreement: `${document.id}@${document.version}`,
    people,
    provider: {
      steward: steward.session,
      officer: providerOfficer.session,
      credentials: { steward: steward.credentials, agreements: providerOfficer.credentials },
    },
    requester: {
      caseworker: caseworker.session,
      officer: requesterOfficer.session,
      credentials: { agreements: requesterOfficer.credentials, caseworker: caseworker.credentials },
    },
  };
}
