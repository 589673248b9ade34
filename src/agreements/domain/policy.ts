/**
 * Policy decisions: is this request allowed by this agreement, now? Pure functions over a
 * compiled form of the agreement, so the gateway can ask for every request at the cost of a
 * few map lookups. Every answer names the agreement, its version and the clause (a JSON Pointer
 * into the document) that decided it, with a sentence a person can act on.
 *
 * Checks run in a fixed order and the first failure is the answer:
 *  1. agreement held at that version          agreement_unknown
 *  2. its state is active                     agreement_not_active | agreement_suspended | agreement_expired
 *  3. every party signed this document        agreement_not_signed
 *  4. `at` within validity (Beijing days)     agreement_expired
 *  5. requester/provider are parties in role  not_a_party
 *  6. dataset in the agreement, granted to the requester, and in the provider's catalogue
 *                                             dataset_not_granted
 *  7. catalogue sharing type is not `none`    sharing_not_allowed
 *  8. catalogue grade ≤ the clause's ceiling  grade_above_ceiling
 *  9. item granted                            item_not_allowed
 * 10. purpose granted                         purpose_not_allowed
 * 11. `query` needs query fields              operation_not_granted
 * 12. every field granted for the operation   field_not_granted
 * 13. conditional sharing has a standing approval covering the request   approval_required
 *
 * A requester may hold several grants on one dataset (for different items or purposes); steps 9–12
 * narrow them in that order and the first grant left that allows every field decides. `verify`
 * may read fields granted for `verify` or for `query` (a yes/no answer reveals less than the
 * record); `query` only fields granted for `query`. The stricter of the agreement's and the
 * catalogue's sharing type applies (就高从严).
 */
import type { DatasetInfo } from '../../catalog/index.ts';
import { TongbanError, type ErrorCode } from '../../core/errors.ts';
import { dataGrades, type Agreement, type Grant, type PartyRole } from './agreement-schema.ts';
import type { AgreementState } from './lifecycle.ts';
import type { MaskRule } from './masks.ts';
import { pointerOf } from './source-locator.ts';
import { datasetProvider } from './validate-agreement.ts';

/** The operations a policy can allow. */
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
  /** For `field_not_granted`: the first field that is not granted. */
  readonly field?: string;
}

/** A standing approval as the policy sees it (its signature was checked when it was stored). */
export interface StandingApproval {
  readonly id: string;
  readonly agreement: string;
  readonly version: number;
  readonly dataset: string;
  readonly requester: string;
  readonly items?: readonly string[];
  readonly purposes?: readonly string[];
  readonly validFrom: string;
  readonly validTo: string;
}

/** What the policy needs to know about one version held at this node. */
export interface PolicySource {
  readonly document: Agreement;
  readonly state: AgreementState;
  /** Parties whose valid signature on this document's hash this node holds. */
  readonly signedBy: readonly string[];
  /** The version that superseded this one, if any. */
  readonly supersededBy?: number;
  readonly approvals: readonly StandingApproval[];
}

interface CompiledGrant {
  readonly index: number;
  readonly grant: Grant;
  readonly items: ReadonlySet<string>;
  readonly purposes: ReadonlySet<string>;
  readonly query: ReadonlySet<string>;
  /** Fields a `verify` may read: verify ∪ query. */
  readonly verifiable: ReadonlySet<string>;
  // Clause pointers, built once: a decision only picks one.
  readonly at: string;
  readonly itemsAt: string;
  readonly purposesAt: string;
  readonly queryAt: string;
  /** Where verify fields are granted: the `verify` list, or `query` when the grant has none. */
  readonly verifyAt: string;
}

interface CompiledDataset {
  readonly index: number;
  readonly conditional: boolean;
  readonly gradeRank: number;
  readonly grantsByRequester: ReadonlyMap<string, readonly CompiledGrant[]>;
  readonly datasetAt: string;
  readonly grantsAt: string;
  readonly sharingAt: string;
  readonly gradeAt: string;
}

/** An agreement version compiled for fast decisions. */
export interface CompiledPolicy {
  readonly source: PolicySource;
  readonly id: string;
  readonly version: number;
  readonly parties: ReadonlyMap<string, { readonly index: number; readonly role: PartyRole; readonly roleAt: string }>;
  readonly unsignedParties: readonly string[];
  readonly validFromMs: number;
  /** Exclusive: the first instant after the last valid day. */
  readonly validToMs: number;
  readonly items: ReadonlySet<string>;
  readonly datasets: ReadonlyMap<string, CompiledDataset>;
  readonly approvals: ReadonlyMap<string, readonly StandingApproval[]>;
}

/** Agreements speak in calendar days; Tongban counts them in Beijing time (UTC+8), where the parties are. */
export const agreementTimeZoneOffset = '+08:00';

/** The first instant of a calendar day in Beijing time, in ms. */
export function startOfDayMs(date: string): number {
  return Date.parse(`${date}T00:00:00${agreementTimeZoneOffset}`);
}

const dayMs = 86_400_000;

/** Compiles one version for `decidePolicy`. */
export function compilePolicy(source: PolicySource): CompiledPolicy {
  const { document } = source;
  const parties = new Map(document.parties.map((party, index) => [party.node, { index, role: party.role, roleAt: pointerOf('parties', index, 'role') }] as const));
  const signed = new Set(source.signedBy);
  const datasets = new Map<string, CompiledDataset>();
  document.datasets.forEach((clause, index) => {
    const grantsByRequester = new Map<string, CompiledGrant[]>();
    clause.grants.forEach((grant, grantIndex) => {
      const query = new Set(grant.query ?? []);
      const at = pointerOf('datasets', index, 'grants', grantIndex);
      const compiled: CompiledGrant = {
        index: grantIndex,
        grant,
        items: new Set(grant.items),
        purposes: new Set(grant.purposes),
        query,
        verifiable: new Set([...(grant.verify ?? []), ...query]),
        at,
        itemsAt: `${at}/items`,
        purposesAt: `${at}/purposes`,
        queryAt: `${at}/query`,
        verifyAt: grant.verify === undefined ? `${at}/query` : `${at}/verify`,
      };
      const list = grantsByRequester.get(grant.to) ?? [];
      list.push(compiled);
      grantsByRequester.set(grant.to, list);
    });
    datasets.set(clause.dataset, {
      index,
      conditional: clause.sharing === 'conditional',
      gradeRank: dataGrades.indexOf(clause.grade),
      grantsByRequester,
      datasetAt: pointerOf('datasets', index, 'dataset'),
      grantsAt: pointerOf('datasets', index, 'grants'),
      sharingAt: pointerOf('datasets', index, 'sharing'),
      gradeAt: pointerOf('datasets', index, 'grade'),
    });
  });
  const approvals = new Map<string, StandingApproval[]>();
  for (const approval of source.approvals) {
    if (approval.agreement !== document.id || approval.version !== document.version) continue;
    const key = `${approval.dataset}\u0000${approval.requester}`;
    const list = approvals.get(key) ?? [];
    list.push(approval);
    approvals.set(key, list);
  }
  return {
    source,
    id: document.id,
    version: document.version,
    parties,
    unsignedParties: document.parties.map((party) => party.node).filter((node) => !signed.has(node)),
    validFromMs: startOfDayMs(document.validity.from),
    validToMs: startOfDayMs(document.validity.to) + dayMs,
    items: new Set(document.items.map((item) => item.code)),
    datasets,
    approvals,
  };
}

const noMasks: Readonly<Record<string, MaskRule>> = Object.freeze({});
const noFields: readonly string[] = Object.freeze([]);

// The decision runs for every exchange: no closures are created per call and every clause
// pointer was built at compile time; only the reason sentence is assembled here.

function deny(ref: PolicyRequest['agreement'], code: ErrorCode, clause: string, reason: string, field?: string): PolicyDecision {
  return field === undefined
    ? { allow: false, code, reason, agreement: ref, clause, fields: noFields, masks: noMasks }
    : { allow: false, code, reason, agreement: ref, clause, fields: noFields, masks: noMasks, field };
}

function mayRequest(role: PartyRole): boolean {
  return role !== 'provider';
}

function mayProvide(role: PartyRole): boolean {
  return role !== 'requester';
}

/** The first requested field a grant does not allow for the operation, or undefined. */
function missingField(grant: CompiledGrant, query: boolean, fields: readonly string[]): string | undefined {
  const allowed = query ? grant.query : grant.verifiable;
  for (const field of fields) if (!allowed.has(field)) return field;
  return undefined;
}

function covers(approval: StandingApproval, request: PolicyRequest, at: number): boolean {
  return (
    (approval.items === undefined || approval.items.includes(request.item)) &&
    (approval.purposes === undefined || approval.purposes.includes(request.purpose)) &&
    Date.parse(approval.validFrom) <= at &&
    at < Date.parse(approval.validTo)
  );
}

/** Decides a request against a compiled agreement (undefined: not held here). */
export function decidePolicy(policy: CompiledPolicy | undefined, request: PolicyRequest, dataset: DatasetInfo | undefined): PolicyDecision {
  const ref = request.agreement;
  const name = `${ref.id}@${ref.version}`;
  if (policy === undefined || policy.id !== ref.id || policy.version !== ref.version) {
    return deny(ref, 'agreement_unknown', '', `Agreement ${name} is not held by this node.`);
  }
  const { state } = policy.source;
  if (state !== 'active') {
    switch (state) {
      case 'suspended':
        return deny(ref, 'agreement_suspended', '', `Agreement ${name} is suspended; nothing is exchanged under it until it is reinstated.`);
      case 'expired':
        return deny(ref, 'agreement_expired', '/validity/to', `Agreement ${name} expired on ${policy.source.document.validity.to}.`);
      case 'superseded':
        return deny(ref, 'agreement_not_active', '', `Agreement ${name} was superseded by version ${policy.source.supersededBy ?? '(newer)'}; use that version.`);
      default:
        return deny(ref, 'agreement_not_active', '', `Agreement ${name} is ${state}, not active.`);
    }
  }
  if (policy.unsignedParties.length > 0) {
    const first = policy.unsignedParties[0]!;
    return deny(
      ref,
      'agreement_not_signed',
      pointerOf('parties', policy.parties.get(first)?.index ?? 0),
      `Agreement ${name} lacks a valid signature of ${policy.unsignedParties.join(', ')} on this version.`,
    );
  }
  const at = request.at.getTime();
  if (at < policy.validFromMs) {
    return deny(ref, 'agreement_expired', '/validity/from', `Agreement ${name} is in force only from ${policy.source.document.validity.from}.`);
  }
  if (at >= policy.validToMs) {
    return deny(ref, 'agreement_expired', '/validity/to', `Agreement ${name} was in force until ${policy.source.document.validity.to}.`);
  }

  const requester = policy.parties.get(request.requester);
  if (requester === undefined) return deny(ref, 'not_a_party', '/parties', `${request.requester} is not a party to agreement ${name}.`);
  if (!mayRequest(requester.role)) {
    return deny(ref, 'not_a_party', requester.roleAt, `${request.requester} is a ${requester.role} in agreement ${name}, so it may not request data.`);
  }
  const provider = policy.parties.get(request.provider);
  if (provider === undefined) return deny(ref, 'not_a_party', '/parties', `${request.provider} is not a party to agreement ${name}.`);
  if (!mayProvide(provider.role)) {
    return deny(ref, 'not_a_party', provider.roleAt, `${request.provider} is a ${provider.role} in agreement ${name}, so it provides no data under it.`);
  }

  const clause = policy.datasets.get(request.dataset);
  if (clause === undefined) return deny(ref, 'dataset_not_granted', '/datasets', `Agreement ${name} does not cover dataset ${request.dataset}.`);
  const owner = datasetProvider(request.dataset);
  if (owner !== request.provider) {
    return deny(ref, 'dataset_not_granted', clause.datasetAt, `Dataset ${request.dataset} is provided by ${owner}, not ${request.provider}.`);
  }
  const grants = clause.grantsByRequester.get(request.requester);
  if (grants === undefined) {
    return deny(ref, 'dataset_not_granted', clause.grantsAt, `Agreement ${name} grants ${request.requester} nothing on dataset ${request.dataset}.`);
  }
  if (dataset === undefined || dataset.id !== request.dataset) {
    return deny(ref, 'dataset_not_granted', clause.datasetAt, `Dataset ${request.dataset} is not in ${request.provider}'s resource catalogue.`);
  }
  if (dataset.sharing === 'none') {
    return deny(ref, 'sharing_not_allowed', clause.sharingAt, `Dataset ${request.dataset} is now catalogued as not shared (不予共享); nothing of it may be exchanged.`);
  }
  if (dataGrades.indexOf(dataset.grade) > clause.gradeRank) {
    return deny(
      ref,
      'grade_above_ceiling',
      clause.gradeAt,
      `Dataset ${request.dataset} is graded ${dataset.grade}, above the ceiling ${dataGrades[clause.gradeRank]} that agreement ${name} sets for it.`,
    );
  }

  // Steps 9–12 narrow the requester's grants: item, then purpose, then operation, then fields.
  let forItem: CompiledGrant | undefined;
  let forPurpose: CompiledGrant | undefined;
  let firstCandidate: CompiledGrant | undefined;
  let chosen: CompiledGrant | undefined;
  let missing: string | undefined;
  const query = request.operation === 'query';
  for (const grant of grants) {
    if (!grant.items.has(request.item)) continue;
    forItem ??= grant;
    if (!grant.purposes.has(request.purpose)) continue;
    forPurpose ??= grant;
    if (query && grant.query.size === 0) continue;
    const absent = missingField(grant, query, request.fields);
    if (firstCandidate === undefined) {
      firstCandidate = grant;
      missing = absent;
    }
    if (absent === undefined) {
      chosen = grant;
      break;
    }
  }
  if (forItem === undefined) {
    return policy.items.has(request.item)
      ? deny(ref, 'item_not_allowed', grants[0]!.itemsAt, `Agreement ${name} does not grant ${request.requester} dataset ${request.dataset} for item "${request.item}".`)
      : deny(ref, 'item_not_allowed', '/items', `Item "${request.item}" is not in the item list of agreement ${name}.`);
  }
  if (forPurpose === undefined) {
    return deny(
      ref,
      'purpose_not_allowed',
      forItem.purposesAt,
      `Agreement ${name} does not grant dataset ${request.dataset} for purpose "${request.purpose}" with item "${request.item}" (granted: ${forItem.grant.purposes.join(', ')}).`,
    );
  }
  if (firstCandidate === undefined) {
    return deny(
      ref,
      'operation_not_granted',
      forPurpose.at,
      `Agreement ${name} lets ${request.requester} only verify (yes/no) against dataset ${request.dataset} for this item and purpose, not query it.`,
    );
  }
  if (chosen === undefined) {
    const granted = [...(query ? firstCandidate.query : firstCandidate.verifiable)];
    return deny(
      ref,
      'field_not_granted',
      query ? firstCandidate.queryAt : firstCandidate.verifyAt,
      `Agreement ${name} does not grant field "${missing}" of ${request.dataset} to ${request.requester} by ${request.operation} (granted: ${granted.join(', ') || 'none'}).`,
      missing,
    );
  }

  if (clause.conditional || dataset.sharing === 'conditional') {
    const approvals = policy.approvals.get(`${request.dataset}\u0000${request.requester}`);
    let covered = false;
    if (approvals !== undefined) {
      for (const approval of approvals) {
        if (covers(approval, request, at)) {
          covered = true;
          break;
        }
      }
    }
    if (!covered) {
      return deny(
        ref,
        'approval_required',
        clause.sharingAt,
        `Dataset ${request.dataset} is shared conditionally (有条件共享) and no standing approval by ${request.provider} covers ${request.requester} for item "${request.item}" and purpose "${request.purpose}" now.`,
      );
    }
  }

  const fields = request.fields.length < 2 || new Set(request.fields).size === request.fields.length ? request.fields : [...new Set(request.fields)];
  const maskRules = chosen.grant.mask;
  let masks = noMasks;
  let maskText = '';
  if (maskRules !== undefined) {
    let picked: Record<string, MaskRule> | undefined;
    for (const field of fields) {
      const rule = maskRules[field];
      if (rule === undefined) continue;
      picked ??= {};
      picked[field] = rule;
      maskText += `; ${field} masked ${rule}`;
    }
    if (picked !== undefined) masks = picked;
  }
  return {
    allow: true,
    reason: `Agreement ${name} lets ${request.requester} ${request.operation} ${fields.join(', ') || 'no fields'} of ${request.dataset} for item "${request.item}" and purpose "${request.purpose}"${maskText}.`,
    agreement: ref,
    clause: chosen.at,
    fields,
    masks,
  };
}

/** A policy denial as an error, carrying the agreement and clause for the `{ code, message, details }` body. */
export class AgreementDeniedError extends TongbanError {
  constructor(readonly decision: PolicyDecision) {
    super(decision.code ?? 'agreement_not_active', decision.reason, {
      agreement: decision.agreement.id,
      version: decision.agreement.version,
      clause: decision.clause,
      ...(decision.field !== undefined ? { field: decision.field } : {}),
    });
  }
}
