/**
 * The compiled policies of every agreement version this node holds, kept in memory so a
 * decision costs a map lookup. Loaded from the store at start and after every change; other
 * processes of the node notice changes through the revision counter.
 */
import { agreementHashWith } from './domain/signed-messages.ts';
import type { Agreement } from './domain/agreement-schema.ts';
import { compilePolicy, type CompiledPolicy, type StandingApproval } from './domain/policy.ts';
import { agreementStore, type AgreementApprovalRow, type AgreementSignatureRow, type AgreementVersionRow } from './store/agreement-store.ts';
import type { Db } from '../store/open-store.ts';

/** A snapshot of compiled policies. */
export interface PolicyIndex {
  readonly revision: number;
  readonly policies: ReadonlyMap<string, CompiledPolicy>;
}

/** The index key of one version. */
export function policyKey(id: string, version: number): string {
  return `${id}@${version}`;
}

/** Parties whose stored signature is over this very document. */
export function signedParties(document: Agreement, signatures: readonly AgreementSignatureRow[]): string[] {
  const parties = new Set(document.parties.map((party) => party.node));
  return signatures
    .filter((signature) => parties.has(signature.party) && agreementHashWith(document, signature.hash_alg).hash === signature.hash)
    .map((signature) => signature.party);
}

/** A stored approval as the policy reads it. */
export function approvalFromRow(row: AgreementApprovalRow): StandingApproval {
  return {
    id: row.id,
    agreement: row.agreement_id,
    version: row.version,
    dataset: row.dataset,
    requester: row.requester,
    ...(row.items !== null ? { items: JSON.parse(row.items) as string[] } : {}),
    ...(row.purposes !== null ? { purposes: JSON.parse(row.purposes) as string[] } : {}),
    validFrom: row.valid_from,
    validTo: row.valid_to,
  };
}

/** Reads every version, signature and approval and compiles them. */
export async function loadPolicyIndex(db: Db): Promise<PolicyIndex> {
  // The revision is read first: a change committed while loading makes the next check reload again.
  const revision = await agreementStore.revision(db);
  const [versions, signatures, approvals] = await Promise.all([
    agreementStore.all(db),
    agreementStore.allSignatures(db),
    agreementStore.allApprovals(db),
  ]);
  const signaturesByVersion = groupBy(signatures, (row) => policyKey(row.agreement_id, row.version));
  const approvalsByVersion = groupBy(approvals, (row) => policyKey(row.agreement_id, row.version));
  const policies = new Map<string, CompiledPolicy>();
  for (const row of versions) {
    const key = policyKey(row.id, row.version);
    policies.set(key, compileRow(row, signaturesByVersion.get(key) ?? [], approvalsByVersion.get(key) ?? []));
  }
  return { revision, policies };
}

/** Compiles one stored version. */
export function compileRow(row: AgreementVersionRow, signatures: readonly AgreementSignatureRow[], approvals: readonly AgreementApprovalRow[]): CompiledPolicy {
  const document = JSON.parse(row.document) as Agreement;
  return compilePolicy({
    document,
    state: row.state,
    signedBy: signedParties(document, signatures),
    ...(row.superseded_by !== null ? { supersededBy: row.superseded_by } : {}),
    approvals: approvals.map(approvalFromRow),
  });
}

function groupBy<T>(rows: readonly T[], key: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const name = key(row);
    const list = groups.get(name);
    if (list) list.push(row);
    else groups.set(name, [row]);
  }
  return groups;
}
