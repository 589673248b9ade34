/**
 * What a member asks its hub over HTTP: the anchor, a membership application, the directory
 * (conditionally), key updates. Every failure becomes a stable error code: the hub's own code
 * when it refused, `partner_unreachable` when it could not be reached or failed.
 */
import { z } from 'zod';
import { errorCodes, TongbanError, type ErrorCode } from '../core/errors.ts';
import type { FlattenedJws } from '../crypto/index.ts';
import type { Fetch } from '../node/node-core.ts';
import { anchorSchema } from './domain/anchor.ts';

/** The hub's answer to an application. */
export interface ApplicationReceipt {
  readonly id: string;
  readonly code: string;
  readonly status: string;
  readonly receivedAt: string;
}

/** The hub's answer to a conditional directory request. */
export type DirectoryResponse =
  | { readonly notModified: true }
  | { readonly notModified: false; readonly jws: unknown; readonly etag: string | null };

/** The calls a member makes to its hub. */
export interface HubClient {
  anchor(hubUrl: string): Promise<z.infer<typeof anchorSchema>>;
  apply(hubUrl: string, application: FlattenedJws): Promise<ApplicationReceipt>;
  directory(hubUrl: string, etag: string | null): Promise<DirectoryResponse>;
  sendKeyUpdate(hubUrl: string, update: FlattenedJws): Promise<void>;
}

const receiptSchema = z.object({ id: z.string(), code: z.string(), status: z.string(), receivedAt: z.string() });

function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(errorCodes, code);
}

/** A client that calls the hub with `fetch`, giving up after `timeoutMs`. */
export function createHubClient(fetchImpl: Fetch, timeoutMs: number): HubClient {
  async function call(hubUrl: string, path: string, init: RequestInit = {}): Promise<Response> {
    try {
      return await fetchImpl(`${hubUrl}${path}`, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      const reason = error instanceof Error && error.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : describe(error);
      throw new TongbanError('partner_unreachable', `The hub at ${hubUrl} could not be reached: ${reason}.`, { hub: hubUrl }, { cause: error });
    }
  }

  async function refusal(hubUrl: string, response: Response): Promise<TongbanError> {
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      body = undefined;
    }
    const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    if (response.status < 500 && isErrorCode(record.code)) {
      const details = typeof record.details === 'object' && record.details !== null ? (record.details as Record<string, unknown>) : {};
      return new TongbanError(record.code, `The hub refused: ${String(record.message ?? record.code)}`, { ...details, hub: hubUrl });
    }
    return new TongbanError('partner_unreachable', `The hub at ${hubUrl} answered HTTP ${response.status}.`, { hub: hubUrl, status: response.status });
  }

  async function json(hubUrl: string, response: Response): Promise<unknown> {
    try {
      return await response.json();
    } catch (error) {
      throw new TongbanError('answer_invalid', `The hub at ${hubUrl} answered with something that is not JSON.`, { hub: hubUrl }, { cause: error });
    }
  }

  function checked<T>(schema: z.ZodType<T>, value: unknown, hubUrl: string, what: string): T {
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      throw new TongbanError('answer_invalid', `The hub at ${hubUrl} sent a malformed ${what}.`, { hub: hubUrl, path: parsed.error.issues[0]?.path.join('.') });
    }
    return parsed.data;
  }

  const jsonHeaders = { 'content-type': 'application/json', accept: 'application/json' };

  return {
    async anchor(hubUrl) {
      const response = await call(hubUrl, '/api/v1/directory/anchor', { headers: { accept: 'application/json' } });
      if (!response.ok) throw await refusal(hubUrl, response);
      return checked(anchorSchema, await json(hubUrl, response), hubUrl, 'anchor');
    },
    async apply(hubUrl, application) {
      const response = await call(hubUrl, '/api/v1/directory/applications', { method: 'POST', headers: jsonHeaders, body: JSON.stringify(application) });
      if (!response.ok) throw await refusal(hubUrl, response);
      return checked(receiptSchema, await json(hubUrl, response), hubUrl, 'application receipt');
    },
    async directory(hubUrl, etag) {
      const headers: Record<string, string> = { accept: 'application/json' };
      if (etag) headers['if-none-match'] = etag;
      const response = await call(hubUrl, '/api/v1/directory', { headers });
      if (response.status === 304) return { notModified: true };
      if (!response.ok) throw await refusal(hubUrl, response);
      return { notModified: false, jws: await json(hubUrl, response), etag: response.headers.get('etag') };
    },
    async sendKeyUpdate(hubUrl, update) {
      const response = await call(hubUrl, '/api/v1/directory/key-updates', { method: 'POST', headers: jsonHeaders, body: JSON.stringify(update) });
      if (!response.ok) throw await refusal(hubUrl, response);
      await response.arrayBuffer();
    },
  };
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // fetch wraps the socket error (ECONNREFUSED …) in `cause`.
  const cause = (error as Error & { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
}
