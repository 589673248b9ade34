/**
 * Builders for agreement tests: a valid document to vary, and the matching catalogue entries.
 */
import type { Agreement } from '../../src/agreements/index.ts';
import type { DatasetInfo } from '../../src/catalog/index.ts';

export const provider = '520400';
export const requester = '331083';
export const enrolment = '520400/social-insurance-enrolment';
export const household = '520400/household-registration';
export const agreementId = 'agr-520400-331083-social-insurance';

/** A valid agreement between 安顺 (provider) and 玉环 (requester); `change` edits a fresh copy. */
export function agreementDoc(change?: (doc: Agreement) => void): Agreement {
  const doc: Agreement = {
    id: agreementId,
    version: 1,
    title: '安顺—玉环 务工人员社保与就医备案协同协议',
    parties: [
      { node: provider, role: 'provider' },
      { node: requester, role: 'requester' },
    ],
    superior: '100000',
    validity: { from: '2026-01-01', to: '2027-12-31' },
    items: [
      {
        code: '就医结算备案',
        mode: 'online',
        steps: [
          { by: requester, step: 'accept', limitDays: 1 },
          { by: provider, step: 'decide', limitDays: 3 },
        ],
      },
      { code: '社保参保缴费查询', mode: 'online', steps: [{ by: provider, step: 'deliver', limitDays: 1 }] },
    ],
    datasets: [
      {
        dataset: enrolment,
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
          {
            to: requester,
            items: ['社保参保缴费查询'],
            purposes: ['contribution-check'],
            verify: ['isInsured'],
          },
        ],
      },
      {
        dataset: household,
        grade: 'important',
        sharing: 'conditional',
        approval: { by: provider, deadlineWorkingDays: 10 },
        grants: [{ to: requester, items: ['就医结算备案'], purposes: ['medical-filing'], query: ['address'], verify: ['hasRegistration'] }],
      },
    ],
    recognisedLicenses: ['社会保障卡', '居民身份证'],
    security: {
      controller: { [enrolment]: provider, [household]: provider },
      retentionDays: 180,
      breachNoticeHours: 24,
    },
    service: { availability: 0.995, p95Ms: 800, qualityFloor: { [enrolment]: 85 } },
  };
  change?.(doc);
  return doc;
}

/** The catalogue's view of the provider's datasets. */
export function catalogEntry(id: string, change: Partial<DatasetInfo> = {}): DatasetInfo {
  const base: DatasetInfo =
    id === household
      ? { id, provider, name: '户籍登记', grade: 'important', sharing: 'conditional', items: [], keyFields: ['idNumber'] }
      : { id, provider, name: '社会保险参保登记', grade: 'general', sharing: 'unconditional', items: [], keyFields: ['idNumber'] };
  return { ...base, ...change };
}

/** An instant inside the validity period. */
export const during = new Date('2026-06-01T02:00:00Z');
