/**
 * A `fetch` for node-to-node calls over node:http(s) with keep-alive agents. Node's built-in
 * fetch costs about a millisecond of CPU per call on the exchange path (streams, WHATWG objects,
 * a connection pool per origin); this one keeps sockets open between partners and reads the whole
 * (small, JSON) answer into one buffer. It returns a standard `Response`, so every caller of
 * `NodeCore.fetch` works unchanged. What it does not handle itself (a `Request` object as input,
 * a streamed or form body) goes to the global fetch.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export type FetchFunction = typeof fetch;

/** A JSON POST whose answer is read as text: the exchange's hot path, without WHATWG objects. */
export type PostJson = (url: string, body: string, timeoutMs?: number) => Promise<{ readonly status: number; readonly text: string }>;

/** Where a keep-alive fetch carries its lean JSON POST. */
const postJsonKey = Symbol.for('tongban.keepAliveFetch.postJson');

/**
 * The lean JSON POST of a keep-alive fetch, or one built on any other fetch (tests inject their
 * own): callers get the same answers either way.
 */
export function postJsonOf(fetchImpl: FetchFunction): PostJson {
  const lean = (fetchImpl as FetchFunction & { [postJsonKey]?: PostJson })[postJsonKey];
  if (lean) return lean;
  return async (url, body, timeoutMs) => {
    const signal = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs);
    const response = await fetchImpl(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, ...(signal ? { signal } : {}) });
    return { status: response.status, text: await response.text() };
  };
}

export interface KeepAliveFetch {
  readonly fetch: FetchFunction;
  /** Closes every socket; call once nothing is in flight any more (the node has drained). */
  close(): void;
}

export interface KeepAliveFetchOptions {
  /** Sockets per partner origin (default 64). */
  readonly maxSockets?: number;
  /**
   * Idle sockets kept per origin (default: as many as maxSockets). Fewer would close sockets after
   * every burst wider than that and open them again on the next, a TCP handshake and a server-side
   * connection set-up per request under steady load.
   */
  readonly maxFreeSockets?: number;
  /** Redirects followed before giving up, as fetch does (default 20). */
  readonly maxRedirects?: number;
  /** What the rare unsupported input goes to (default the global fetch). */
  readonly fallback?: FetchFunction;
}

/** Statuses whose response has no body: the Response constructor refuses one. */
const nullBodyStatuses = new Set([101, 103, 204, 205, 304]);
const redirectStatuses = new Set([301, 302, 303, 307, 308]);

type Body = string | Uint8Array | undefined;

/** The body as bytes-or-string, or null when it is a kind this client leaves to the global fetch. */
function plainBody(body: RequestInit['body']): Body | null {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  return null;
}

/** Request headers as a plain object with lower-case names (a Headers object, pairs, or a record). */
function plainHeaders(headers: RequestInit['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  if (headers instanceof Headers || Array.isArray(headers)) {
    for (const [name, value] of headers instanceof Headers ? headers.entries() : (headers as [string, string][])) {
      const key = name.toLowerCase();
      out[key] = key in out ? `${out[key]}, ${value}` : value;
    }
    return out;
  }
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = String(value);
  return out;
}

/** Response headers, keeping every value of a repeated header (set-cookie, vary …). */
function responseHeaders(raw: readonly string[]): Headers {
  const headers = new Headers();
  for (let index = 0; index + 1 < raw.length; index += 2) headers.append(raw[index]!, raw[index + 1]!);
  return headers;
}

/** When a request gives up: the caller's signal, and/or a deadline (ms since the epoch). */
interface Limit {
  readonly signal?: AbortSignal;
  readonly deadline?: number;
}

/** What a time-out rejects with, as AbortSignal.timeout would. */
function timeoutError(): DOMException {
  return new DOMException('The operation was aborted due to timeout', 'TimeoutError');
}

/** A kept-alive socket that turned out to be closed by the other side before it answered. */
class StaleSocketError extends Error {
  constructor(readonly socketError: Error) {
    super('the kept-alive connection was closed by the partner');
  }
}

/** What fetch rejects with for a network failure: a TypeError whose cause is the socket error. */
function networkError(cause: unknown): TypeError {
  return new TypeError('fetch failed', { cause });
}

export function createKeepAliveFetch(options: KeepAliveFetchOptions = {}): KeepAliveFetch {
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 64, maxFreeSockets: options.maxFreeSockets ?? options.maxSockets ?? 64, scheduling: 'lifo' as const };
  const httpAgent = new HttpAgent(agentOptions);
  const httpsAgent = new HttpsAgent(agentOptions);
  const maxRedirects = options.maxRedirects ?? 20;
  const fallback = options.fallback ?? globalThis.fetch;

  /**
   * One HTTP round trip; resolves with the status, headers and the whole body. A kept-alive socket
   * the partner closed just as the request went out fails before any answer; the request is then
   * sent once more on a new socket (as Node's documentation advises), since nothing reached the
   * partner's handler.
   */
  async function roundTrip(url: URL, method: string, headers: Record<string, string>, body: Body, signal: Limit) {
    try {
      return await attempt(url, method, headers, body, signal);
    } catch (error) {
      if (!(error instanceof StaleSocketError)) throw error;
    }
    try {
      return await attempt(url, method, headers, body, signal);
    } catch (error) {
      throw error instanceof StaleSocketError ? networkError(error.socketError) : error;
    }
  }

  function attempt(url: URL, method: string, headers: Record<string, string>, body: Body, limit: Limit) {
    const { signal, deadline } = limit;
    return new Promise<{ message: IncomingMessage; data: Buffer }>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      if (deadline !== undefined && Date.now() >= deadline) {
        reject(timeoutError());
        return;
      }
      const https = url.protocol === 'https:';
      const outgoing: OutgoingHttpHeaders = { ...headers };
      if (body !== undefined) outgoing['content-length'] = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
      else if (method !== 'GET' && method !== 'HEAD') outgoing['content-length'] = 0;
      const request = (https ? httpsRequest : httpRequest)({
        protocol: url.protocol,
        hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
        port: url.port || (https ? 443 : 80),
        path: `${url.pathname}${url.search}`,
        method,
        headers: outgoing,
        agent: https ? httpsAgent : httpAgent,
      });
      let settled = false;
      const stop = (reason: unknown) => {
        if (settled) return;
        settled = true;
        request.destroy();
        reject(reason);
      };
      const onAbort = () => stop(signal!.reason);
      // A plain timer is much cheaper than AbortSignal.timeout on a path taken by every exchange.
      const timer = deadline === undefined ? undefined : setTimeout(() => stop(timeoutError()), deadline - Date.now());
      const finish = (error: unknown, value?: { message: IncomingMessage; data: Buffer }) => {
        signal?.removeEventListener('abort', onAbort);
        clearTimeout(timer);
        if (settled) return;
        settled = true;
        if (error !== undefined) reject(error instanceof StaleSocketError ? error : networkError(error));
        else resolve(value!);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      let answered = false;
      request.on('error', (error: NodeJS.ErrnoException) => {
        const stale = request.reusedSocket && !answered && (error.code === 'ECONNRESET' || error.code === 'EPIPE');
        finish(stale ? new StaleSocketError(error) : error);
      });
      request.on('response', (message) => {
        answered = true;
        const chunks: Buffer[] = [];
        message.on('data', (chunk: Buffer) => chunks.push(chunk));
        message.on('end', () => finish(undefined, { message, data: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) }));
        message.on('error', (error) => finish(error));
        message.on('aborted', () => finish(new Error('the connection closed before the answer was complete')));
      });
      request.end(body);
    });
  }

  /** Sends a request, following redirects as fetch does; the final answer with its whole body. */
  async function send(input: string | URL, init: RequestInit, body: Body, timeoutMs?: number) {
    const limit: Limit = { ...(init.signal ? { signal: init.signal } : {}), ...(timeoutMs !== undefined ? { deadline: Date.now() + timeoutMs } : {}) };
    let url = new URL(input);
    let method = (init.method ?? 'GET').toUpperCase();
    const headers = plainHeaders(init.headers);
    let currentBody = body;
    for (let redirects = 0; ; redirects++) {
      const { message, data } = await roundTrip(url, method, headers, currentBody, limit);
      const status = message.statusCode ?? 0;
      const location = message.headers.location;
      if (!redirectStatuses.has(status) || !location || init.redirect === 'manual') return { message, data, status, method };
      if (init.redirect === 'error') throw networkError(new Error(`redirected to ${location}`));
      if (redirects >= maxRedirects) throw networkError(new Error('too many redirects'));
      const next = new URL(location, url);
      // Credentials do not follow a redirect to another origin (as fetch does).
      if (next.origin !== url.origin) delete headers.authorization;
      if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
        method = method === 'HEAD' ? 'HEAD' : 'GET';
        currentBody = undefined;
        delete headers['content-type'];
      }
      url = next;
    }
  }

  const keepAliveFetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const body = plainBody(init.body);
    if (typeof input !== 'string' && !(input instanceof URL)) return fallback(input, init);
    if (body === null || !/^https?:/i.test(String(input))) return fallback(input, init);
    const { message, data, status, method } = await send(input, init, body);
    const empty = nullBodyStatuses.has(status) || method === 'HEAD';
    return new Response(empty ? null : data, { status, statusText: message.statusMessage ?? '', headers: responseHeaders(message.rawHeaders) });
  };

  const jsonHeaders = { 'content-type': 'application/json' };
  const postJson: PostJson = async (url, body, timeoutMs) => {
    const { status, data } = await send(url, { method: 'POST', headers: jsonHeaders }, body, timeoutMs);
    return { status, text: data.toString('utf8') };
  };
  Object.defineProperty(keepAliveFetch, postJsonKey, { value: postJson });

  return {
    fetch: keepAliveFetch as FetchFunction,
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}
