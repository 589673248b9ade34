/** Policy decisions: every code in its order with the clause that decided, masks, standing approvals. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AgreementDeniedError,
  applyMask,
  compilePolicy,
  decidePolicy,
  maskRecord,
  type Agreement,
  type PolicyDecision,
  type PolicyRequest,
  type PolicySource,
  type StandingApproval,
} from '../../src/agreements/index.ts';
import type { DatasetInfo } from '../../src/catalog/index.ts';
import { agreementDoc, agreementId, catalogEntry, during, enrolment, household, provider, requester } from './fixtures.ts';

function policy(document: Agreement = agreementDoc(), source: Partial<Omit<PolicySource, 'document'>> = {}) {
  return compilePolicy({
    document,
    state: 'active',
    signedBy: document.parties.map((party) => party.node),
    approvals: [],
    ...source,
  });
}

function request(change: Partial<PolicyRequest> = {}): PolicyRequest {
  return {
    requester,
    provider,
    agreement: { id: agreementId, version: 1 },
    item: '就医结算备案',
    purpose: 'medical-filing',
    operation: 'query',
    dataset: enrolment,
    fields: ['name', 'insuredStatus'],
    at: during,
    ...change,
  };
}

function approval(change: Partial<StandingApproval> = {}): StandingApproval {
  return {
    id: 'apr-1',
    agreement: agreementId,
    version: 1,
    dataset: household,
    requester,
    validFrom: '2026-01-01T00:00:00.000Z',
    validTo: '2026-12-31T16:00:00.000Z',
    ...change,
  };
}

function denied(decision: PolicyDecision, code: string, clause: string): void {
  assert.equal(decision.allow, false, `expected a denial, got ${JSON.stringify(decision)}`);
  assert.equal(decision.code, code, decision.reason);
  assert.equal(decision.clause, clause, decision.reason);
  assert.deepEqual(decision.agreement, { id: agreementId, version: 1 });
  assert.deepEqual(decision.fields, []);
  assert.ok(decision.reason.length > 20);
}

const enrolmentInfo = catalogEntry(enrolment);
const householdInfo = catalogEntry(household);

describe('policy decisions', () => {
  test('an allow names the grant clause and returns the fields and their masks', () => {
    const decision = decidePolicy(policy(), request(), enrolmentInfo);
    assert.equal(decision.allow, true, decision.reason);
    assert.equal(decision.code, undefined);
    assert.equal(decision.clause, '/datasets/0/grants/0');
    assert.deepEqual(decision.fields, ['name', 'insuredStatus']);
    assert.deepEqual(decision.masks, { name: 'keep-first-char' });
    assert.match(decision.reason, /lets 331083 query name, insuredStatus of 520400\/social-insurance-enrolment.*name masked keep-first-char/);
  });

  test('verify may read verify fields and query fields; a second grant serves another item and purpose', () => {
    const verify = decidePolicy(policy(), request({ operation: 'verify', fields: ['isInsured', 'insuredStatus'] }), enrolmentInfo);
    assert.equal(verify.allow, true, verify.reason);
    assert.equal(verify.clause, '/datasets/0/grants/0');
    const second = decidePolicy(policy(), request({ operation: 'verify', item: '社保参保缴费查询', purpose: 'contribution-check', fields: ['isInsured'] }), enrolmentInfo);
    assert.equal(second.allow, true, second.reason);
    assert.equal(second.clause, '/datasets/0/grants/1');
    assert.deepEqual(second.masks, {});
  });

  test('1. an agreement not held at that version', () => {
    denied(decidePolicy(undefined, request(), enrolmentInfo), 'agreement_unknown', '');
    const otherVersion = decidePolicy(policy(), request({ agreement: { id: agreementId, version: 2 } }), enrolmentInfo);
    assert.equal(otherVersion.code, 'agreement_unknown', 'a compiled version answers only for itself');
  });

  test('2. a version that is not active, suspended, expired, terminated or superseded', () => {
    for (const state of ['draft', 'proposed', 'signed', 'terminated'] as const) {
      const decision = decidePolicy(policy(agreementDoc(), { state }), request(), enrolmentInfo);
      denied(decision, 'agreement_not_active', '');
      assert.match(decision.reason, new RegExp(`is ${state}, not active`));
    }
    denied(decidePolicy(policy(agreementDoc(), { state: 'suspended' }), request(), enrolmentInfo), 'agreement_suspended', '');
    denied(decidePolicy(policy(agreementDoc(), { state: 'expired' }), request(), enrolmentInfo), 'agreement_expired', '/validity/to');
    const superseded = decidePolicy(policy(agreementDoc(), { state: 'superseded', supersededBy: 2 }), request(), enrolmentInfo);
    denied(superseded, 'agreement_not_active', '');
    assert.match(superseded.reason, /superseded by version 2/);
  });

  test('3. not signed by every party', () => {
    const decision = decidePolicy(policy(agreementDoc(), { signedBy: [provider] }), request(), enrolmentInfo);
    denied(decision, 'agreement_not_signed', '/parties/1');
    assert.match(decision.reason, /331083/);
  });

  test('4. outside the validity period, counted in Beijing days', () => {
    denied(decidePolicy(policy(), request({ at: new Date('2025-12-31T15:59:59Z') }), enrolmentInfo), 'agreement_expired', '/validity/from');
    assert.equal(decidePolicy(policy(), request({ at: new Date('2025-12-31T16:00:00Z') }), enrolmentInfo).allow, true, 'from 00:00 Beijing time on the first day');
    assert.equal(decidePolicy(policy(), request({ at: new Date('2027-12-31T15:59:59Z') }), enrolmentInfo).allow, true, 'until the end of the last day');
    denied(decidePolicy(policy(), request({ at: new Date('2027-12-31T16:00:00Z') }), enrolmentInfo), 'agreement_expired', '/validity/to');
  });

  test('5. requester and provider must be parties in the right role', () => {
    denied(decidePolicy(policy(), request({ requester: '110000' }), enrolmentInfo), 'not_a_party', '/parties');
    denied(decidePolicy(policy(), request({ requester: provider }), enrolmentInfo), 'not_a_party', '/parties/0/role');
    denied(decidePolicy(policy(), request({ provider: '110000' }), enrolmentInfo), 'not_a_party', '/parties');
    denied(decidePolicy(policy(), request({ provider: requester }), enrolmentInfo), 'not_a_party', '/parties/1/role');
  });

  test('6. the dataset must be in the agreement, granted to the requester, and in the catalogue', () => {
    denied(decidePolicy(policy(), request({ dataset: '520400/marriage-records' }), enrolmentInfo), 'dataset_not_granted', '/datasets');
    const third = agreementDoc((doc) => doc.parties.push({ node: '330000', role: 'both' }));
    denied(decidePolicy(policy(third), request({ requester: '330000' }), enrolmentInfo), 'dataset_not_granted', '/datasets/0/grants');
    denied(decidePolicy(policy(), request(), undefined), 'dataset_not_granted', '/datasets/0/dataset');
    denied(decidePolicy(policy(), request(), householdInfo), 'dataset_not_granted', '/datasets/0/dataset');
  });

  test('7. a dataset now catalogued as not shared', () => {
    denied(decidePolicy(policy(), request(), catalogEntry(enrolment, { sharing: 'none' })), 'sharing_not_allowed', '/datasets/0/sharing');
  });

  test('8. a dataset graded above the ceiling', () => {
    const decision = decidePolicy(policy(), request(), catalogEntry(enrolment, { grade: 'important' }));
    denied(decision, 'grade_above_ceiling', '/datasets/0/grade');
    assert.match(decision.reason, /graded important, above the ceiling general/);
    assert.equal(decidePolicy(policy(), request({ dataset: household, fields: ['address'] }), catalogEntry(household, { grade: 'general', sharing: 'unconditional' })).allow, false);
  });

  test('9. an item not in the agreement, or not granted for this dataset', () => {
    denied(decidePolicy(policy(), request({ item: '户口迁移' }), enrolmentInfo), 'item_not_allowed', '/items');
    denied(decidePolicy(policy(), request({ dataset: household, item: '社保参保缴费查询', fields: ['address'] }), householdInfo), 'item_not_allowed', '/datasets/1/grants/0/items');
  });

  test('10. a purpose not granted', () => {
    const decision = decidePolicy(policy(), request({ purpose: 'marketing' }), enrolmentInfo);
    denied(decision, 'purpose_not_allowed', '/datasets/0/grants/0/purposes');
    assert.match(decision.reason, /granted: medical-filing/);
  });

  test('11. query where only verify is granted', () => {
    denied(
      decidePolicy(policy(), request({ item: '社保参保缴费查询', purpose: 'contribution-check', fields: ['isInsured'] }), enrolmentInfo),
      'operation_not_granted',
      '/datasets/0/grants/1',
    );
  });

  test('12. a field not granted for the operation, naming the field', () => {
    const decision = decidePolicy(policy(), request({ fields: ['name', 'idNumber'] }), enrolmentInfo);
    denied(decision, 'field_not_granted', '/datasets/0/grants/0/query');
    assert.equal(decision.field, 'idNumber');
    const verifyOnly = decidePolicy(policy(), request({ operation: 'query', fields: ['isInsured'] }), enrolmentInfo);
    denied(verifyOnly, 'field_not_granted', '/datasets/0/grants/0/query');
    assert.equal(verifyOnly.field, 'isInsured', 'a verify field cannot be queried');
    const verify = decidePolicy(policy(), request({ operation: 'verify', fields: ['idNumber'] }), enrolmentInfo);
    denied(verify, 'field_not_granted', '/datasets/0/grants/0/verify');
  });

  test('13. conditional sharing needs a standing approval that covers the request', () => {
    const ask = request({ dataset: household, fields: ['address'] });
    denied(decidePolicy(policy(), ask, householdInfo), 'approval_required', '/datasets/1/sharing');
    const approved = policy(agreementDoc(), { approvals: [approval()] });
    const allowed = decidePolicy(approved, ask, householdInfo);
    assert.equal(allowed.allow, true, allowed.reason);
    assert.equal(allowed.clause, '/datasets/1/grants/0');
    // Not yet, no longer, another item or purpose, another requester or version: not covered.
    denied(decidePolicy(approved, { ...ask, at: new Date('2025-12-31T17:00:00Z') }, householdInfo), 'approval_required', '/datasets/1/sharing');
    denied(decidePolicy(approved, { ...ask, at: new Date('2026-12-31T16:00:00Z') }, householdInfo), 'approval_required', '/datasets/1/sharing');
    denied(decidePolicy(policy(agreementDoc(), { approvals: [approval({ items: ['社保参保缴费查询'] })] }), ask, householdInfo), 'approval_required', '/datasets/1/sharing');
    denied(decidePolicy(policy(agreementDoc(), { approvals: [approval({ purposes: ['other'] })] }), ask, householdInfo), 'approval_required', '/datasets/1/sharing');
    denied(decidePolicy(policy(agreementDoc(), { approvals: [approval({ version: 2 })] }), ask, householdInfo), 'approval_required', '/datasets/1/sharing');
    assert.equal(decidePolicy(policy(agreementDoc(), { approvals: [approval({ items: ['就医结算备案'], purposes: ['medical-filing'] })] }), ask, householdInfo).allow, true);
  });

  test('the stricter sharing type applies: a dataset the catalogue made conditional needs an approval too', () => {
    denied(decidePolicy(policy(), request(), catalogEntry(enrolment, { sharing: 'conditional' })), 'approval_required', '/datasets/0/sharing');
  });

  test('checks run in the documented order: fixing one failure reveals the next', () => {
    const steps: Array<[string, PolicyRequest, DatasetInfo | undefined, Partial<Omit<PolicySource, 'document'>>]> = [];
    const worst = request({
      requester: '110000',
      item: '户口迁移',
      purpose: 'marketing',
      dataset: household,
      fields: ['secret'],
      at: new Date('2030-01-01T00:00:00Z'),
    });
    const everythingWrong: Partial<Omit<PolicySource, 'document'>> = { state: 'suspended', signedBy: [provider] };
    steps.push(['agreement_suspended', worst, undefined, everythingWrong]);
    steps.push(['agreement_not_signed', worst, undefined, { signedBy: [provider] }]);
    steps.push(['agreement_expired', worst, undefined, {}]);
    let fixed: PolicyRequest = { ...worst, at: during };
    steps.push(['not_a_party', fixed, undefined, {}]);
    fixed = { ...fixed, requester };
    steps.push(['dataset_not_granted', fixed, undefined, {}]);
    steps.push(['sharing_not_allowed', fixed, catalogEntry(household, { sharing: 'none', grade: 'core' }), {}]);
    steps.push(['grade_above_ceiling', fixed, catalogEntry(household, { grade: 'core' }), {}]);
    steps.push(['item_not_allowed', fixed, householdInfo, {}]);
    fixed = { ...fixed, item: '就医结算备案' };
    steps.push(['purpose_not_allowed', fixed, householdInfo, {}]);
    fixed = { ...fixed, purpose: 'medical-filing' };
    steps.push(['field_not_granted', fixed, householdInfo, {}]);
    fixed = { ...fixed, fields: ['address'] };
    steps.push(['approval_required', fixed, householdInfo, {}]);
    for (const [code, ask, dataset, source] of steps) {
      assert.equal(decidePolicy(policy(agreementDoc(), source), ask, dataset).code, code);
    }
    assert.equal(decidePolicy(policy(agreementDoc(), { approvals: [approval()] }), fixed, householdInfo).allow, true);
  });

  test('a denial becomes an error carrying agreement, version, clause and field', () => {
    const decision = decidePolicy(policy(), request({ fields: ['idNumber'] }), enrolmentInfo);
    const error = new AgreementDeniedError(decision);
    assert.equal(error.code, 'field_not_granted');
    assert.equal(error.httpStatus, 403);
    assert.deepEqual(error.toBody().details, { agreement: agreementId, version: 1, clause: '/datasets/0/grants/0/query', field: 'idNumber' });
  });
});

describe('masks', () => {
  test('each rule', () => {
    assert.equal(applyMask('keep-first-char', '张三丰'), '张**');
    assert.equal(applyMask('keep-first-char', '张'), '张');
    assert.equal(applyMask('keep-last-4', '6222021234567890'), '************7890');
    assert.equal(applyMask('keep-last-4', '123'), '***');
    assert.equal(applyMask('keep-last-4', 13800138000), '*******8000');
    assert.equal(applyMask('id-number', '11010519491231002X'), '110105********002X');
    assert.equal(applyMask('id-number', '12345'), '*****');
    assert.equal(applyMask('year-only', '1949-12-31'), '1949');
    assert.equal(applyMask('year-only', '19491231'), '1949');
    assert.equal(applyMask('year-only', 'unknown'), null);
    assert.equal(applyMask('redact', 'anything'), null);
    assert.equal(applyMask('keep-first-char', null), null);
    assert.equal(applyMask('keep-first-char', { nested: true }), null, 'what cannot be masked is withheld');
  });

  test('a record is masked field by field, the decision says which', () => {
    const decision = decidePolicy(policy(), request({ fields: ['name', 'insuredSince'] }), enrolmentInfo);
    assert.deepEqual(maskRecord({ name: '王小明', insuredSince: '2015-03-01' }, decision.masks), { name: '王**', insuredSince: '2015-03-01' });
  });
});
