/**
 * The typed HTTP client: openapi-fetch over the generated `paths`, with the
 * API key on every request, and `unwrap` for callers who prefer an exception
 * to checking `error` on each result.
 */
import createClient, { type Client } from 'openapi-fetch';
import type { paths } from './schema.js';

export interface WagateClientOptions {
  /** The gateway's address, e.g. `http://127.0.0.1:3000` (paths carry `/api/v1`). */
  baseUrl: string;
  /** The admin key (`wg_…`) or a key limited to one session (`wgs_…`). */
  apiKey: string;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  /** A fetch to use instead of the global one (a proxy agent, tests). */
  fetch?: (request: Request) => Promise<Response>;
}

export type WagateClient = Client<paths>;

/**
 * A client for the native API. Every call is typed from the OpenAPI document:
 *
 * ```ts
 * const wagate = createWagateClient({ baseUrl: 'http://127.0.0.1:3000', apiKey: process.env.WAGATE_API_KEY! });
 * const { data, error } = await wagate.POST('/api/v1/sessions', { body: { sessionId: 'support' } });
 * ```
 */
export function createWagateClient(options: WagateClientOptions): WagateClient {
  const baseUrl = checkBaseUrl(options.baseUrl);
  if (typeof options.apiKey !== 'string' || options.apiKey.trim() === '') {
    throw new TypeError('createWagateClient: apiKey is required (the admin key wg_… or a session key wgs_…)');
  }
  return createClient<paths>({
    baseUrl,
    fetch: options.fetch,
    headers: { ...options.headers, authorization: `Bearer ${options.apiKey}` },
  });
}

/** `http(s)://host[:port][/prefix]` without a trailing slash; throws a TypeError that says what is wrong. */
export function checkBaseUrl(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new TypeError(`wagate client: baseUrl ${JSON.stringify(baseUrl)} is not a URL; give e.g. http://127.0.0.1:3000`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`wagate client: baseUrl must start with http:// or https:// (got ${JSON.stringify(baseUrl)}); give e.g. http://127.0.0.1:3000`);
  }
  return baseUrl.replace(/\/+$/, '');
}

/** The gateway's error envelope: `{"error": {"code", "message", "details", "hint"?}}`. */
export class WagateApiError extends Error {
  override readonly name = 'WagateApiError';
  constructor(
    /** HTTP status. */
    readonly status: number,
    /** Stable machine code, e.g. `SESSION_NOT_FOUND`. */
    readonly code: string,
    message: string,
    /** What to do about it, when the gateway says. */
    readonly hint?: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(`${code} (${status}): ${message}${hint ? ` (${hint})` : ''}`);
  }

  /** From any error body; one that is not the gateway's envelope (a proxy's page) keeps its status. */
  static from(status: number, body: unknown): WagateApiError {
    const error = isRecord(body) && isRecord(body.error) ? body.error : undefined;
    if (!error) return new WagateApiError(status, 'HTTP_ERROR', `HTTP ${status} without the gateway's error body`);
    return new WagateApiError(
      status,
      typeof error.code === 'string' ? error.code : 'HTTP_ERROR',
      typeof error.message === 'string' ? error.message : `HTTP ${status}`,
      typeof error.hint === 'string' ? error.hint : undefined,
      isRecord(error.details) ? error.details : undefined,
    );
  }
}

/** What a successful call holds inside its `{"data": …}` envelope (the body itself when it has none). */
export type Unwrapped<T> = T extends { data: infer D } ? D : T;

/**
 * The payload of a successful result, or a WagateApiError:
 * `const session = unwrap(await wagate.GET('/api/v1/sessions/{sessionId}', { params: { path: { sessionId } } }))`.
 */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): Unwrapped<NonNullable<T>> {
  if (!result.response.ok) throw WagateApiError.from(result.response.status, result.error);
  // A 204 has no body: openapi-fetch gives undefined.
  const body = result.data as unknown;
  return (isRecord(body) && 'data' in body ? body.data : body) as Unwrapped<NonNullable<T>>;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
