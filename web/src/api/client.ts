/**
 * The console's typed client of the node's API (types generated from its OpenAPI document).
 * Every request carries the session's bearer token; a request refused because the session
 * expired waits for the person to log in again (the page, and its form, stay as they were) and
 * is then sent once more.
 */
import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './schema';

export type { paths };

/** The one error shape of every Tongban API. */
export interface ApiErrorBody {
  readonly code: string;
  readonly message: string;
  readonly details?: Record<string, unknown>;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The request path of a field the server refused (`body.fields.0.name` → `fields.0.name`). */
  get fieldPath(): string | undefined {
    const path = this.details?.path;
    return typeof path === 'string' ? path.replace(/^(body|querystring|params)\.?/, '') : undefined;
  }
}

interface SessionHooks {
  token(): string | null;
  /** Resolves once the person has logged in again; rejects if they gave up. */
  reauthenticate(): Promise<void>;
}

let hooks: SessionHooks = { token: () => null, reauthenticate: () => Promise.reject(new Error('no session')) };

export function connectSession(session: SessionHooks): void {
  hooks = session;
}

const sessionCodes = new Set(['token_expired', 'token_invalid', 'authentication_required', 'session_expired']);
const pending = new Map<string, Request>();

const session: Middleware = {
  onRequest({ request, id }) {
    const token = hooks.token();
    if (token) request.headers.set('authorization', `Bearer ${token}`);
    if (!request.url.endsWith('/api/v1/auth/login')) pending.set(id, request.clone());
    return request;
  },
  async onResponse({ response, id }) {
    const original = pending.get(id);
    pending.delete(id);
    if (response.status !== 401 || !original || !hooks.token()) return response;
    const body = (await response.clone().json().catch(() => null)) as ApiErrorBody | null;
    if (!body || !sessionCodes.has(body.code)) return response;
    await hooks.reauthenticate();
    const retry = new Request(original);
    retry.headers.set('authorization', `Bearer ${hooks.token() ?? ''}`);
    return fetch(retry);
  },
  onError({ id }) {
    pending.delete(id);
  },
};

export const client = createClient<paths>({ baseUrl: '' });
client.use(session);

/**
 * Unwraps an openapi-fetch result: the data, or an ApiError with the server's code.
 * `const datasets = await ok(client.GET('/api/v1/catalog/datasets'))`.
 */
export async function ok<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await call;
  } catch (error) {
    throw new ApiError(0, 'network_error', error instanceof Error ? error.message : String(error));
  }
  if (result.response.ok) return result.data as T;
  const body = result.error as Partial<ApiErrorBody> | undefined;
  throw new ApiError(
    result.response.status,
    typeof body?.code === 'string' ? body.code : 'internal_error',
    typeof body?.message === 'string' ? body.message : result.response.statusText,
    body?.details,
  );
}
