/**
 * A small reference model of the policy rules, written apart from `decidePolicy` and as plainly
 * as possible: it reads the document directly (no compiled index) and compares calendar days as
 * text instead of instants. The property test checks the two always agree.
 */
import type { Agreement, PolicyRequest, StandingApproval } from '../../src/agreements/index.ts';
import type { AgreementState } from '../../src/agreements/domain/lifecycle.ts';
import type { DatasetInfo } from '../../src/catalog/index.ts';

/** What the node holds of one version: undefined when it holds nothing. */
export interface ReferenceWorld {
  readonly document: Agreement;
  readonly state: AgreementState;
  readonly signedBy: readonly string[];
  readonly approvals: readonly StandingApproval[];
}

/** The reference verdict. */
export interface ReferenceVerdict {
  readonly allow: boolean;
  readonly code?: string;
  /** For an allow: the grant that allowed, as `/datasets/i/grants/j`. */
  readonly clause?: string;
}

const gradeOrder = { general: 1, important: 2, core: 3 } as const;

/** The Beijing calendar day (UTC+8) an instant falls on, as YYYY-MM-DD. */
function beijingDay(at: Date): string {
  return new Date(at.getTime() + 8 * 60 * 60 * 1000).toISOString().slice(0, 10);
}

export function referenceDecision(world: ReferenceWorld | undefined, request: PolicyRequest, dataset: DatasetInfo | undefined): ReferenceVerdict {
  const no = (code: string): ReferenceVerdict => ({ allow: false, code });
  if (!world) return no('agreement_unknown');
  const doc = world.document;

  if (world.state === 'suspended') return no('agreement_suspended');
  if (world.state === 'expired') return no('agreement_expired');
  if (world.state !== 'active') return no('agreement_not_active');

  for (const party of doc.parties) {
    if (!world.signedBy.includes(party.node)) return no('agreement_not_signed');
  }

  const day = beijingDay(request.at);
  if (day < doc.validity.from || day > doc.validity.to) return no('agreement_expired');

  const roleOf = (node: string) => doc.parties.find((party) => party.node === node)?.role;
  const requesterRole = roleOf(request.requester);
  if (requesterRole === undefined || requesterRole === 'provider') return no('not_a_party');
  const providerRole = roleOf(request.provider);
  if (providerRole === undefined || providerRole === 'requester') return no('not_a_party');

  const datasetIndex = doc.datasets.findIndex((entry) => entry.dataset === request.dataset);
  if (datasetIndex < 0) return no('dataset_not_granted');
  const entry = doc.datasets[datasetIndex]!;
  if (request.dataset.split('/')[0] !== request.provider) return no('dataset_not_granted');
  const grants = entry.grants.map((grant, index) => ({ grant, index })).filter(({ grant }) => grant.to === request.requester);
  if (grants.length === 0) return no('dataset_not_granted');
  if (dataset === undefined || dataset.id !== request.dataset) return no('dataset_not_granted');

  if (dataset.sharing === 'none') return no('sharing_not_allowed');
  if (gradeOrder[dataset.grade] > gradeOrder[entry.grade]) return no('grade_above_ceiling');

  const forItem = grants.filter(({ grant }) => grant.items.includes(request.item));
  if (forItem.length === 0) return no('item_not_allowed');
  const forPurpose = forItem.filter(({ grant }) => grant.purposes.includes(request.purpose));
  if (forPurpose.length === 0) return no('purpose_not_allowed');

  const queryFields = (grant: (typeof grants)[number]['grant']) => grant.query ?? [];
  const readable = (grant: (typeof grants)[number]['grant']) =>
    request.operation === 'query' ? queryFields(grant) : [...(grant.verify ?? []), ...queryFields(grant)];
  let usable = forPurpose;
  if (request.operation === 'query') {
    usable = forPurpose.filter(({ grant }) => queryFields(grant).length > 0);
    if (usable.length === 0) return no('operation_not_granted');
  }
  const chosen = usable.find(({ grant }) => request.fields.every((field) => readable(grant).includes(field)));
  if (!chosen) return no('field_not_granted');

  if (entry.sharing === 'conditional' || dataset.sharing === 'conditional') {
    const covered = world.approvals.some(
      (approval) =>
        approval.agreement === doc.id &&
        approval.version === doc.version &&
        approval.dataset === request.dataset &&
        approval.requester === request.requester &&
        (!approval.items || approval.items.includes(request.item)) &&
        (!approval.purposes || approval.purposes.includes(request.purpose)) &&
        new Date(approval.validFrom) <= request.at &&
        request.at < new Date(approval.validTo),
    );
    if (!covered) return no('approval_required');
  }
  return { allow: true, clause: `/datasets/${datasetIndex}/grants/${chosen.index}` };
}
