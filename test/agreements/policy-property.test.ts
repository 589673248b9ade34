/**
 * Property-based: over random valid agreements and random requests, `decidePolicy` and the
 * separately written reference model give the same allow/deny and the same code (and, for an
 * allow, the same grant).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  compilePolicy,
  decidePolicy,
  maskRules,
  validateAgreement,
  type Agreement,
  type PolicyRequest,
  type StandingApproval,
} from '../../src/agreements/index.ts';
import { agreementStates, type AgreementState } from '../../src/agreements/domain/lifecycle.ts';
import type { DatasetInfo } from '../../src/catalog/index.ts';
import { referenceDecision, type ReferenceWorld } from './reference-model.ts';

const codes = ['520400', '331083', '330000', '310000'];
const outsiders = ['110000', '440000'];
const itemPool = ['就医结算备案', '社保参保缴费查询', '户口迁移'];
const purposePool = ['medical-filing', 'contribution-check', 'audit'];
const fieldPool = ['name', 'idNumber', 'insuredStatus', 'isInsured'];
const slugs = ['enrolment', 'household', 'marriage'];
const grades = ['general', 'important', 'core'] as const;
const roles = ['provider', 'requester', 'both'] as const;
const dayMs = 86_400_000;
const epoch = Date.parse('2026-01-01T00:00:00Z');

const grantChoice = fc.record({
  toIndex: fc.nat(3),
  items: fc.subarray(itemPool, { minLength: 1 }),
  purposes: fc.subarray(purposePool, { minLength: 1 }),
  query: fc.subarray(fieldPool),
  verify: fc.subarray(fieldPool),
  masked: fc.subarray(fieldPool),
  rule: fc.constantFrom(...maskRules),
});

const documentChoices = fc.record({
  parties: fc.subarray(codes, { minLength: 2 }),
  roles: fc.array(fc.constantFrom(...roles), { minLength: 4, maxLength: 4 }),
  items: fc.subarray(itemPool, { minLength: 1 }),
  datasets: fc.array(
    fc.record({
      ownerIndex: fc.nat(3),
      slug: fc.constantFrom(...slugs),
      grade: fc.constantFrom(...grades),
      conditional: fc.boolean(),
      grants: fc.array(grantChoice, { minLength: 1, maxLength: 3 }),
    }),
    { minLength: 1, maxLength: 3 },
  ),
  fromDay: fc.integer({ min: 0, max: 60 }),
  lengthDays: fc.integer({ min: 0, max: 60 }),
});

/** Turns random choices into a valid agreement (the property checks it is valid). */
function buildAgreement(choices: typeof documentChoices extends fc.Arbitrary<infer T> ? T : never): Agreement {
  const parties = choices.parties.map((node, index) => ({ node, role: choices.roles[index]! as (typeof roles)[number] }));
  parties[0]!.role = 'provider';
  parties[1]!.role = 'requester';
  const providers = parties.filter((party) => party.role !== 'requester').map((party) => party.node);
  const requesters = parties.filter((party) => party.role !== 'provider').map((party) => party.node);
  const day = (offset: number) => new Date(epoch + offset * dayMs).toISOString().slice(0, 10);
  const seen = new Set<string>();
  const datasets: Agreement['datasets'] = [];
  for (const choice of choices.datasets) {
    const owner = providers[choice.ownerIndex % providers.length]!;
    const id = `${owner}/${choice.slug}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const grants = choice.grants.map((grant) => {
      let to = requesters[grant.toIndex % requesters.length]!;
      if (to === owner) to = requesters.find((node) => node !== owner)!;
      const items = grant.items.filter((item) => choices.items.includes(item));
      const verify = grant.query.length === 0 && grant.verify.length === 0 ? [fieldPool[0]!] : grant.verify;
      const granted = new Set([...grant.query, ...verify]);
      const mask = Object.fromEntries(grant.masked.filter((field) => granted.has(field)).map((field) => [field, grant.rule]));
      return {
        to,
        items: items.length > 0 ? items : [choices.items[0]!],
        purposes: grant.purposes,
        query: grant.query,
        verify,
        ...(Object.keys(mask).length > 0 ? { mask } : {}),
      };
    });
    datasets.push({
      dataset: id,
      grade: choice.grade,
      sharing: choice.conditional ? 'conditional' : 'unconditional',
      ...(choice.conditional ? { approval: { by: owner, deadlineWorkingDays: 10 } } : {}),
      grants,
    });
  }
  return {
    id: 'agr-random',
    version: 1,
    title: 'random',
    parties,
    validity: { from: day(choices.fromDay), to: day(choices.fromDay + choices.lengthDays) },
    items: choices.items.map((code) => ({ code, mode: 'online', steps: [{ by: parties[0]!.node, step: 'decide', limitDays: 1 }] })),
    datasets,
    security: { controller: Object.fromEntries(datasets.map((entry) => [entry.dataset, entry.dataset.split('/')[0]!])), retentionDays: 30, breachNoticeHours: 24 },
  };
}

/** Mostly values from the agreement, sometimes from outside it, so allows and every denial both occur. */
function fromOr<T>(inside: readonly T[], outside: readonly T[]): fc.Arbitrary<T> {
  return inside.length === 0 ? fc.constantFrom(...outside) : fc.oneof({ arbitrary: fc.constantFrom(...inside), weight: 5 }, { arbitrary: fc.constantFrom(...outside), weight: 1 });
}

function scenario(document: Agreement) {
  const parties = document.parties.map((party) => party.node);
  const datasetIds = document.datasets.map((entry) => entry.dataset);
  // Instants around the validity period (Beijing days start at 16:00 UTC the day before), mostly inside it.
  const start = Date.parse(`${document.validity.from}T00:00:00+08:00`);
  const end = Date.parse(`${document.validity.to}T00:00:00+08:00`) + dayMs;
  const instant = fc.oneof(
    { arbitrary: fc.integer({ min: start, max: end - 1 }), weight: 6 },
    { arbitrary: fc.integer({ min: start - 3 * dayMs, max: end + 3 * dayMs }), weight: 1 },
    { arbitrary: fc.constantFrom(start - 1, start, end - 1, end), weight: 1 },
  ).map((ms) => new Date(ms));
  const approval: fc.Arbitrary<StandingApproval> = fc.record({
    dataset: fc.constantFrom(...datasetIds),
    requester: fromOr(parties, outsiders),
    items: fc.option(fc.subarray(itemPool, { minLength: 1 }), { nil: undefined }),
    purposes: fc.option(fc.subarray(purposePool, { minLength: 1 }), { nil: undefined }),
    from: instant,
    days: fc.integer({ min: 1, max: 120 }),
    version: fc.constantFrom(1, 1, 1, 2),
  }).map(({ from, days, items, purposes, ...rest }) => ({
    id: 'apr',
    agreement: document.id,
    ...rest,
    ...(items ? { items } : {}),
    ...(purposes ? { purposes } : {}),
    validFrom: from.toISOString(),
    validTo: new Date(from.getTime() + days * dayMs).toISOString(),
  }));
  return fc.record({
    held: fc.oneof({ arbitrary: fc.constant(true), weight: 9 }, { arbitrary: fc.constant(false), weight: 1 }),
    state: fc.oneof({ arbitrary: fc.constant<AgreementState>('active'), weight: 8 }, { arbitrary: fc.constantFrom(...agreementStates), weight: 2 }),
    signedBy: fc.oneof({ arbitrary: fc.constant(parties), weight: 8 }, { arbitrary: fc.subarray(parties), weight: 1 }),
    approvals: fc.array(approval, { maxLength: 4 }),
    providerFromDataset: fc.oneof({ arbitrary: fc.constant(true), weight: 6 }, { arbitrary: fc.constant(false), weight: 1 }),
    request: fc.record({
      requester: fromOr(
        document.parties.filter((party) => party.role !== 'provider').map((party) => party.node),
        [...outsiders, ...document.parties.filter((party) => party.role === 'provider').map((party) => party.node)],
      ),
      provider: fromOr(parties, outsiders),
      dataset: fromOr(datasetIds, ['520400/other', '110000/enrolment']),
      item: fromOr(document.items.map((item) => item.code), ['户口迁移', '失业登记']),
      purpose: fc.constantFrom(...purposePool, 'marketing'),
      operation: fc.constantFrom('query' as const, 'verify' as const),
      fields: fc.subarray(fieldPool, { minLength: 1, maxLength: 3 }),
      at: instant,
    }),
    catalogue: fc.record({
      present: fc.oneof({ arbitrary: fc.constant(true), weight: 9 }, { arbitrary: fc.constant(false), weight: 1 }),
      grade: fc.oneof({ arbitrary: fc.constant<'general'>('general'), weight: 4 }, { arbitrary: fc.constantFrom(...grades), weight: 1 }),
      sharing: fc.oneof({ arbitrary: fc.constant<'unconditional'>('unconditional'), weight: 4 }, { arbitrary: fc.constantFrom('unconditional', 'conditional', 'none') as fc.Arbitrary<DatasetInfo['sharing']>, weight: 1 }),
    }),
  });
}

test('decidePolicy agrees with the reference model on random agreements and requests', () => {
  const seen = new Map<string, number>();
  fc.assert(
    fc.property(
      documentChoices.map(buildAgreement).chain((document) => scenario(document).map((rest) => ({ document, ...rest }))),
      ({ document, held, state, signedBy, approvals, request: ask, catalogue, providerFromDataset }) => {
        assert.deepEqual(validateAgreement(document), [], 'the generator builds valid agreements');
        // Ask the dataset's provider most of the time, as the gateway does.
        const request: PolicyRequest = {
          ...ask,
          provider: providerFromDataset ? ask.dataset.split('/')[0]! : ask.provider,
          agreement: { id: document.id, version: 1 },
        };
        const world: ReferenceWorld | undefined = held ? { document, state, signedBy, approvals } : undefined;
        const dataset: DatasetInfo | undefined = catalogue.present
          ? { id: request.dataset, provider: request.dataset.split('/')[0]!, name: 'x', grade: catalogue.grade, sharing: catalogue.sharing, items: [], keyFields: [] }
          : undefined;
        const compiled = held ? compilePolicy({ document, state, signedBy, approvals }) : undefined;
        const actual = decidePolicy(compiled, request, dataset);
        const expected = referenceDecision(world, request, dataset);
        const outcome = expected.allow ? 'allow' : expected.code!;
        seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
        assert.equal(actual.allow, expected.allow, `${actual.reason} (reference: ${expected.code ?? 'allow'})`);
        assert.equal(actual.code, expected.code, actual.reason);
        if (expected.allow) {
          assert.equal(actual.clause, expected.clause);
          assert.deepEqual(actual.fields, [...new Set(request.fields)]);
        }
      },
    ),
    { numRuns: 3000 },
  );
  if (process.env.SHOW_DISTRIBUTION) console.log(Object.fromEntries(seen));
  // The generator must reach allows and the denials, or the comparison proves little.
  for (const outcome of ['allow', 'agreement_unknown', 'agreement_not_active', 'agreement_not_signed', 'agreement_expired', 'not_a_party', 'dataset_not_granted', 'item_not_allowed', 'purpose_not_allowed', 'field_not_granted']) {
    assert.ok((seen.get(outcome) ?? 0) > 0, `no ${outcome} in ${JSON.stringify(Object.fromEntries(seen))}`);
  }
});
