/**
 * Checks a JWS that claims to come from a federation member: the member is in the directory and
 * active, and the signature verifies with one of its keys valid at the time given. The same check
 * the exchange gateway makes on envelopes, for the other node-to-node documents (integrity alerts,
 * access-report queries and answers).
 */
import { NotAllowedError, SignatureInvalidError, TongbanError } from '../core/errors.ts';
import { parseKid, verifyJws, type FlattenedJws } from '../crypto/index.ts';
import { flattenedJwsSchema } from './domain/membership-application.ts';
import type { DirectoryService } from './directory-service.ts';

/** A verified document and who signed it. */
export interface SignedByMember {
  readonly from: string;
  readonly kid: string;
  readonly payload: unknown;
  readonly jws: FlattenedJws;
}

/** Verifies `value` as a flattened JWS signed by an active member (by `expected` when given) with a key valid at `at`. */
export function verifySignedByMember(
  directory: Pick<DirectoryService, 'assertUsable' | 'member' | 'verificationKey'>,
  value: unknown,
  at: Date,
  expected?: string,
): SignedByMember {
  const parsed = flattenedJwsSchema.safeParse(value);
  if (!parsed.success) throw new TongbanError('invalid_input', 'The document must be a flattened JWS: { payload, protected, signature }.', { path: '/' });
  const jws = parsed.data;
  let kid: string;
  try {
    const header = JSON.parse(Buffer.from(jws.protected, 'base64url').toString('utf8')) as { kid?: unknown };
    if (typeof header.kid !== 'string') throw new Error('no kid');
    kid = header.kid;
    parseKid(kid);
  } catch {
    throw new TongbanError('invalid_input', 'The JWS header names no valid kid (<node code>#<key id>).', { path: '/protected' });
  }
  const from = parseKid(kid).node;
  if (expected !== undefined && from !== expected) throw new SignatureInvalidError(`The document should come from ${expected} but is signed with ${kid}.`, { kid, expected });
  directory.assertUsable();
  const member = directory.member(from);
  if (!member) throw new TongbanError('sender_unknown', `Node ${from} is not a member of the federation.`, { from });
  if (member.status !== 'active') throw new NotAllowedError(`Node ${from} is suspended in the federation directory.`, { from }, 'member_suspended');
  const key = directory.verificationKey(kid, at);
  if (!key) throw new TongbanError('key_not_valid', `The key ${kid} is not a valid key of ${from} at ${at.toISOString()}.`, { kid, at: at.toISOString() });
  const verified = verifyJws(jws, () => key);
  return { from, kid, payload: verified.payload, jws };
}
