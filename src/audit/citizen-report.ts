/**
 * "Who used my data", for the person themself, across the federation.
 *
 * A caseworker checks the person's identity at the counter and has the node issue a citizen token:
 * a short-lived JWS signed with the node's key, bound to the keyed hash of the ID number (never the
 * number itself). With the token and their ID number the person asks this node, which lists its
 * own answers and asks every other active member for theirs in a node-to-node request signed like
 * the exchange's envelopes; each member answers with a signed page the asking node verifies against
 * the directory. Every page is logged where it is produced, and the gathering is logged here.
 *
 * The ID number inside a query is sealed for the addressed member's encryption key (the exchange's
 * sealed bodies: X25519+AES-256-GCM or SM2+SM4), bound to the query id and addressee, so a hub,
 * proxy or log that carries or keeps the signed query cannot read whom it is about.
 */
import { z } from 'zod';
import { AuthenticationError, InputError, TongbanError, markRecorded, toTongbanError, type ErrorBody } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { signJws, verifyJws, type FlattenedJws } from '../crypto/index.ts';
import { verifySignedByMember, type DirectoryService } from '../directory/index.ts';
import { openBody, sealBody } from '../exchange/index.ts';
import type { NodeCore } from '../node/node-core.ts';
import { accessReport, normaliseIdNumber, subjectHashOfIdNumber, type AccessEntry } from './access-report.ts';

const tokenType = 'tongban.citizen-token';
const queryType = 'tongban.subject-access-query';
const answerType = 'tongban.subject-access-answer';

/** A citizen token as handed to the person. */
export interface CitizenToken {
  readonly token: string;
  readonly expiresAt: string;
}

/** One node's part of the federation-wide report. */
export interface NodeAccesses {
  readonly node: string;
  readonly status: 'ok' | 'failed';
  readonly entries: readonly AccessEntry[];
  /** Pass back in `after` for this node's next page; null when it has no more. */
  readonly next: number | null;
  readonly error?: ErrorBody;
}

/** A page of the federation-wide report. */
export interface CitizenReport {
  readonly subject: string;
  readonly nodes: readonly NodeAccesses[];
  /** Per node, where its next page starts; null when every node is done. Pass as `after`. */
  readonly next: Readonly<Record<string, number>> | null;
}

const tokenPayloadSchema = z.strictObject({
  type: z.literal(tokenType),
  id: z.string(),
  iss: z.string(),
  sub: z.string(),
  iat: z.number().int(),
  exp: z.number().int(),
});

const queryPayloadSchema = z.strictObject({
  type: z.literal(queryType),
  id: z.string().min(1).max(64),
  from: z.string(),
  to: z.string(),
  ts: z.string(),
  /** `{ idNumber }`, sealed for the addressee. */
  subject: z.strictObject({
    sealed: z.strictObject({
      enc: z.enum(['X25519-A256GCM', 'SM2-SM4-HMAC-SM3']),
      kid: z.string().min(3).max(100),
      ct: z.string().min(1).max(4096).regex(/^[A-Za-z0-9_-]+$/),
    }),
  }),
  limit: z.number().int().min(1).max(500),
  afterSeq: z.number().int().min(0).nullable(),
});

const sealedSubjectSchema = z.strictObject({ idNumber: z.string().min(1).max(64) });

const entrySchema = z.strictObject({
  seq: z.number().int(),
  eventId: z.string(),
  at: z.string(),
  requester: z.string(),
  op: z.string(),
  item: z.string(),
  purpose: z.string(),
  dataset: z.string(),
  fields: z.array(z.string()),
  agreement: z.string(),
});

const answerPayloadSchema = z.strictObject({
  type: z.literal(answerType),
  query: z.string(),
  node: z.string(),
  to: z.string(),
  entries: z.array(entrySchema),
  next: z.number().int().nullable(),
});

export interface CitizenReportDeps {
  readonly core: NodeCore;
  readonly directory: DirectoryService;
}

/** The citizen side of the access report. */
export interface CitizenReports {
  /** (staff, after an identity check) Issues a token for one ID number. */
  issueToken(actor: string, idNumber: string): Promise<CitizenToken>;
  /** (the person) The accesses to records about them on every member, one page per node. */
  report(input: { token: string; idNumber: string; limit?: number; after?: Readonly<Record<string, number>> }): Promise<CitizenReport>;
  /** (a member asking on a person's behalf) Answers a signed query with a signed page. */
  answerQuery(jws: unknown): Promise<FlattenedJws>;
}

/** Creates the citizen report service of a node. */
export function createCitizenReports(deps: CitizenReportDeps): CitizenReports {
  const { core, directory } = deps;
  const { clock, info, config, keyring } = core;
  const timeoutMs = config.exchange.requestTimeoutMs;

  function toCompact(jws: FlattenedJws): string {
    return `${jws.protected}.${jws.payload}.${jws.signature}`;
  }

  async function refuse(error: TongbanError, details: Record<string, unknown>): Promise<never> {
    await core.events.record({ type: 'audit.citizen_report', actor: null, outcome: 'denied', details: { ...details, code: error.code, reason: error.message } });
    throw markRecorded(error);
  }

  async function checkToken(token: string, idNumber: string): Promise<z.infer<typeof tokenPayloadSchema>> {
    const parts = token.split('.');
    const invalid = (message: string) => new AuthenticationError(message, {}, 'citizen_token_invalid');
    if (parts.length !== 3) return refuse(invalid('The citizen token is not a token this node issued.'), {});
    const jws: FlattenedJws = { protected: parts[0]!, payload: parts[1]!, signature: parts[2]! };
    let payload: z.infer<typeof tokenPayloadSchema>;
    try {
      const header = JSON.parse(Buffer.from(jws.protected, 'base64url').toString('utf8')) as { kid?: unknown };
      const key = typeof header.kid === 'string' ? await keyring.resolve(header.kid) : undefined;
      if (!key) throw invalid('The citizen token is not signed by this node.');
      const verified = verifyJws(jws, () => key);
      const parsed = tokenPayloadSchema.safeParse(verified.payload);
      if (!parsed.success || parsed.data.iss !== info.code) throw invalid('The citizen token is not a token this node issued.');
      payload = parsed.data;
    } catch (error) {
      const refusal = error instanceof TongbanError && error.code === 'citizen_token_invalid' ? error : invalid('The citizen token is malformed or its signature does not verify.');
      return refuse(refusal, {});
    }
    if (payload.exp * 1000 <= clock.now().getTime()) {
      return refuse(new AuthenticationError('The citizen token has expired; ask the service counter for a new one.', { expiredAt: new Date(payload.exp * 1000).toISOString() }, 'citizen_token_expired'), { token: payload.id });
    }
    if (subjectHashOfIdNumber(await keyring.subjectKey(), idNumber) !== payload.sub) {
      return refuse(invalid('The citizen token was not issued for this ID number.'), { token: payload.id });
    }
    return payload;
  }

  async function askMember(code: string, endpoint: string, idNumber: string, limit: number, afterSeq: number | null): Promise<NodeAccesses> {
    const id = newId();
    try {
      const subject = sealBody(directory, code, { idNumber }, id, 'request');
      const query = signJws({ type: queryType, id, from: info.code, to: code, ts: clock.now().toISOString(), subject, limit, afterSeq }, await keyring.signer());
      let response: Response;
      try {
        response = await core.fetch(`${endpoint}/api/v1/audit/subject-accesses`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify(query),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        throw new TongbanError('partner_unreachable', `Node ${code} could not be reached.`, { node: code }, { cause: error });
      }
      const body = (await response.json().catch(() => undefined)) as unknown;
      if (!response.ok) {
        const refusal = body as Partial<ErrorBody> | undefined;
        throw new TongbanError('answer_invalid', `Node ${code} refused: ${refusal?.message ?? `HTTP ${response.status}`}`, { node: code, status: response.status });
      }
      const signed = verifySignedByMember(directory, body, clock.now(), code);
      const answer = answerPayloadSchema.safeParse(signed.payload);
      if (!answer.success || answer.data.query !== id || answer.data.node !== code || answer.data.to !== info.code) {
        throw new TongbanError('answer_invalid', `Node ${code}'s answer is not a signed answer to this query.`, { node: code });
      }
      return { node: code, status: 'ok', entries: answer.data.entries, next: answer.data.next };
    } catch (error) {
      return { node: code, status: 'failed', entries: [], next: afterSeq, error: toTongbanError(error).toBody() };
    }
  }

  return {
    async issueToken(actor, value) {
      const idNumber = normaliseIdNumber(value);
      const subjectHash = subjectHashOfIdNumber(await keyring.subjectKey(), idNumber);
      const now = Math.floor(clock.now().getTime() / 1000);
      const exp = now + config.audit.citizenTokenTtlSeconds;
      const id = newId();
      const jws = signJws({ type: tokenType, id, iss: info.code, sub: subjectHash, iat: now, exp }, await keyring.signer());
      const expiresAt = new Date(exp * 1000).toISOString();
      await core.events.record({ type: 'audit.citizen_token_issued', actor, outcome: 'success', subjectHash, details: { token: id, expiresAt } });
      return { token: toCompact(jws), expiresAt };
    },

    async report(input) {
      const idNumber = normaliseIdNumber(input.idNumber);
      const limit = Math.max(1, Math.min(Math.trunc(input.limit ?? 50) || 50, 500));
      const token = await checkToken(input.token, idNumber);
      const actor = `citizen:${token.id}`;
      const after = input.after;
      if (after) {
        for (const [code, seq] of Object.entries(after)) {
          if (!Number.isSafeInteger(seq) || seq < 0) throw new InputError(`after.${code} must be a whole number ≥ 0.`, { path: `after.${code}` });
        }
      }
      // Without `after`, every node; with it, only the nodes that have more.
      const wanted = (code: string) => !after || Object.hasOwn(after, code);
      const pages: Promise<NodeAccesses>[] = [];
      if (wanted(info.code)) {
        pages.push(
          accessReport(core, actor, { idNumber, limit, ...(after?.[info.code] !== undefined ? { afterSeq: after[info.code] } : {}) }).then((page) => ({
            node: info.code,
            status: 'ok' as const,
            entries: page.entries,
            next: page.next,
          })),
        );
      }
      for (const member of directory.members()) {
        if (member.code === info.code || member.status !== 'active' || !wanted(member.code)) continue;
        pages.push(askMember(member.code, member.endpoint, idNumber, limit, after?.[member.code] ?? null));
      }
      const nodes = await Promise.all(pages);
      const next = Object.fromEntries(nodes.filter((page) => page.next !== null).map((page) => [page.node, page.next!]));
      await core.events.record({
        type: 'audit.citizen_report',
        actor,
        outcome: nodes.some((page) => page.status === 'failed') ? 'failure' : 'success',
        subjectHash: token.sub,
        details: {
          nodes: nodes.map((page) => ({ node: page.node, status: page.status, entries: page.entries.length, ...(page.error ? { code: page.error.code } : {}) })),
        },
      });
      return { subject: token.sub, nodes, next: Object.keys(next).length > 0 ? next : null };
    },

    async answerQuery(value) {
      const now = clock.now();
      let query: z.infer<typeof queryPayloadSchema>;
      let idNumber: string;
      try {
        const signed = verifySignedByMember(directory, value, now);
        const parsed = queryPayloadSchema.safeParse(signed.payload);
        if (!parsed.success) throw new InputError(`The access query is malformed at ${parsed.error.issues[0]?.path.join('.') || '/'}.`, { path: parsed.error.issues[0]?.path.join('.') });
        query = parsed.data;
        if (query.from !== signed.from) throw new InputError(`The query names ${query.from} but is signed by ${signed.from}.`, { path: 'from' });
        if (query.to !== info.code) throw new InputError(`The query is addressed to ${query.to}, not to this node.`, { path: 'to' }, 'not_for_this_node');
        const skew = Math.abs(Date.parse(query.ts) - now.getTime());
        if (!(skew <= config.exchange.clockSkewSeconds * 1000)) {
          throw new InputError(`The query time ${query.ts} is outside the accepted window; check the sender's clock.`, { ts: query.ts }, 'clock_skew');
        }
        // Opens only with this node's decryption key, and only for this query id and addressee.
        const opened = sealedSubjectSchema.safeParse(await openBody(keyring, query.subject, { id: query.id, to: query.to }, 'request'));
        if (!opened.success) throw new InputError('The sealed subject of the access query is not an ID number.', { path: '/subject' }, 'envelope_invalid');
        idNumber = normaliseIdNumber(opened.data.idNumber);
      } catch (error) {
        const refusal = toTongbanError(error);
        await core.events.record({ type: 'audit.subject_query_answered', actor: null, outcome: 'denied', details: { code: refusal.code, reason: refusal.message } });
        throw markRecorded(refusal);
      }
      const page = await accessReport(core, `node:${query.from}`, { idNumber, limit: query.limit, ...(query.afterSeq !== null ? { afterSeq: query.afterSeq } : {}) });
      return signJws({ type: answerType, query: query.id, node: info.code, to: query.from, entries: page.entries, next: page.next }, await keyring.signer());
    },
  };
}
