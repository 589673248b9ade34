/** Reading the provider's signed evidence (a flattened JWS) for display: header and payload, no trust implied. */

export interface FlattenedJws {
  readonly payload: string;
  readonly protected: string;
  readonly signature: string;
}

export interface EvidenceView {
  readonly alg?: string;
  readonly kid?: string;
  readonly answerId?: string;
  readonly inReplyTo?: string;
  readonly from?: string;
  readonly ts?: string;
  readonly signature: string;
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

/** The signing key and answer identifiers the evidence carries. */
export function readEvidence(jws: FlattenedJws): EvidenceView {
  const header = base64UrlJson(jws.protected) ?? {};
  const payload = base64UrlJson(jws.payload) ?? {};
  return {
    alg: text(header.alg),
    kid: text(header.kid),
    answerId: text(payload.id),
    inReplyTo: text(payload.inReplyTo),
    from: text(payload.from),
    ts: text(payload.ts),
    signature: jws.signature,
  };
}
