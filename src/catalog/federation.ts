/**
 * The catalogue's side of the federation: signing and sending publications and search requests
 * to the hub, and (on the hub) checking what members send against the directory.
 */
import { NotAllowedError, NotFoundError, TongbanError, errorCodes, type ErrorCode } from '../core/errors.ts';
import { parseKid, signJws, verifyJws, type FlattenedJws, type JwsSigner, type VerifiedJws } from '../crypto/index.ts';
import type { DirectoryMember, DirectoryService } from '../directory/index.ts';
import type { Fetch } from '../node/node-core.ts';
import { searchRequestType, type SearchRequest } from './domain/publication.ts';

/** The HTTP header that carries a member's signed search request. */
export const searchSignatureHeader = 'x-tongban-node-signature';
/** Where the hub takes publications and answers federation searches. */
export const federationPath = '/api/v1/catalog/federation';

/**
 * Verifies a JWS from a federation member: the signer must be a member, active, with a key
 * valid `at`. Refusals carry `member_unknown`, `member_suspended`, `key_unknown` or `signature_invalid`.
 */
export function verifyMemberJws(directory: DirectoryService, jws: FlattenedJws, at: Date): VerifiedJws & { readonly node: string } {
  let node = '';
  const verified = verifyJws(jws, (kid) => {
    node = parseKid(kid).node;
    const member = directory.member(node);
    if (!member) throw new NotFoundError(`Node ${node} is not a member of the federation.`, { node }, 'member_unknown');
    if (member.status !== 'active') throw new NotAllowedError(`Member ${node} is suspended.`, { node }, 'member_suspended');
    return directory.verificationKey(kid, at);
  });
  return { ...verified, node };
}

/** Whether `ts` lies within `skewSeconds` of `now`. */
export function withinSkew(ts: string, now: Date, skewSeconds: number): boolean {
  const time = Date.parse(ts);
  return !Number.isNaN(time) && Math.abs(time - now.getTime()) <= skewSeconds * 1000;
}

/** A signed search request as the header carries it: base64url of the flattened JWS JSON. */
export function signSearchRequest(request: Omit<SearchRequest, 'type'>, signer: JwsSigner): string {
  const jws = signJws({ type: searchRequestType, ...request }, signer);
  return Buffer.from(JSON.stringify(jws), 'utf8').toString('base64url');
}

/** Checks a member's signed search request for `target`; returns the member's code. */
export function authenticateSearchRequest(
  directory: DirectoryService,
  header: string,
  target: string,
  now: Date,
  skewSeconds: number,
): string {
  let jws: FlattenedJws;
  try {
    jws = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as FlattenedJws;
  } catch {
    throw new TongbanError('signature_invalid', `The ${searchSignatureHeader} header is not a base64url JWS.`);
  }
  const verified = verifyMemberJws(directory, jws, now);
  const payload = verified.payload as Partial<SearchRequest>;
  if (payload.type !== searchRequestType || payload.node !== verified.node) {
    throw new TongbanError('signature_invalid', 'The signed search request is not a catalogue search by its signer.');
  }
  if (payload.target !== target) throw new TongbanError('signature_invalid', 'The signed search request was made for another query.');
  if (typeof payload.ts !== 'string' || !withinSkew(payload.ts, now, skewSeconds)) {
    throw new TongbanError('clock_skew', 'The signed search request is too old or from the future; check the node clock.');
  }
  return verified.node;
}

/** The base URL of a member's API without a trailing slash. */
export function endpointOf(member: DirectoryMember): string {
  return member.endpoint.replace(/\/+$/, '');
}

/** What a call to the hub came back with: its JSON body, or a TongbanError carrying the hub's own code. */
export async function callHub(
  fetch: Fetch,
  url: string,
  init: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: string },
  timeoutMs: number,
): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new TongbanError('partner_unreachable', `The hub at ${new URL(url).origin} did not answer: ${(error as Error).message}.`, {
      url: new URL(url).origin,
    });
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    throw new TongbanError('answer_invalid', `The hub answered ${response.status} with something that is not JSON.`);
  }
  if (!response.ok) {
    const error = body as { code?: string; message?: string; details?: Record<string, unknown> };
    const code = typeof error.code === 'string' && error.code in errorCodes ? (error.code as ErrorCode) : 'partner_unreachable';
    throw new TongbanError(code, `The hub refused: ${error.message ?? `HTTP ${response.status}`}`, { hubStatus: response.status, ...(error.details ?? {}) });
  }
  return body;
}
