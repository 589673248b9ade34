/**
 * Reading the provider's signed evidence for display: a flattened JWS, or a member of a batch
 * signature (the answer's payload, the batch's JWS, its index and inclusion proof). Header and
 * payload only; no trust implied.
 */

export interface FlattenedJws {
  readonly payload: string;
  readonly protected: string;
  readonly signature: string;
}

/** One member of a signed batch: one signature over a Merkle tree of many answers. */
export interface BatchedEvidence {
  readonly payload: string;
  readonly batch: FlattenedJws;
  readonly index: number;
  readonly proof: readonly string[];
}

export interface EvidenceView {
  readonly alg?: string;
  readonly kid?: string;
  readonly answerId?: string;
  readonly inReplyTo?: string;
  readonly from?: string;
  readonly ts?: string;
  readonly signature: string;
  /** For a batch member: which batch, how many members it has, and which one this is (from 0). */
  readonly batch?: { readonly id?: string; readonly size?: number; readonly index: number };
}

function base64UrlJson(text: string): Record<string, unknown> | null {
  try {
    const padded = text.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(text.length / 4) * 4, '=');
    const bytes = Uint8Array.from(atob(padded), (char) => char.charCodeAt(0));
    const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

export function isJws(value: unknown): value is FlattenedJws {
  if (!value || typeof value !== 'object') return false;
  const jws = value as Record<string, unknown>;
  return typeof jws.payload === 'string' && typeof jws.protected === 'string' && typeof jws.signature === 'string';
}

/** Whether a value is a member of a signed batch (checked before `isJws`, whose members it also has). */
export function isBatchedEvidence(value: unknown): value is BatchedEvidence {
  if (!value || typeof value !== 'object') return false;
  const member = value as Record<string, unknown>;
  return (
    typeof member.payload === 'string' &&
    isJws(member.batch) &&
    Number.isSafeInteger(member.index) &&
    Array.isArray(member.proof) &&
    member.proof.every((hash) => typeof hash === 'string')
  );
}

/** The signing key and answer identifiers the evidence carries; for a batch member, also its batch. */
export function readEvidence(evidence: FlattenedJws | BatchedEvidence): EvidenceView {
  const signed = isBatchedEvidence(evidence) ? evidence.batch : evidence;
  const header = base64UrlJson(signed.protected) ?? {};
  const payload = base64UrlJson(evidence.payload) ?? {};
  const view: EvidenceView = {
    alg: text(header.alg),
    kid: text(header.kid),
    answerId: text(payload.id),
    inReplyTo: text(payload.inReplyTo),
    from: text(payload.from),
    ts: text(payload.ts),
    signature: signed.signature,
  };
  if (!isBatchedEvidence(evidence)) return view;
  const batch = base64UrlJson(evidence.batch.payload) ?? {};
  const size = typeof batch.size === 'number' ? batch.size : undefined;
  return { ...view, batch: { id: text(batch.id), size, index: evidence.index } };
}
