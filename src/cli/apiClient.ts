/**
 * The HTTP side of the command line: JSON calls to a running gateway's
 * native API (/api/v1) with the API key, and raw responses for streams.
 * Every failure becomes a CliError that says what to do: no gateway at the
 * URL, a refused key, or the gateway's own error message and hint.
 */
import { CliError, EXIT } from './exitCodes.js';

export const DEFAULT_URL = 'http://127.0.0.1:3000';

export interface ApiOptions {
  url: string;
  key: string | undefined;
}

interface ErrorBody {
  error?: { code?: string; message?: string; hint?: string };
}

function describeNetworkFailure(url: string, err: unknown): CliError {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const why = cause?.code === 'ECONNREFUSED' ? 'connection refused' : (cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err)));
  return new CliError(
    `No gateway answers at ${url} (${why}). Start one with "wagate start" (or "wagate sandbox"), ` +
      'or point --url / WAGATE_URL at the one that runs.',
    EXIT.UNREACHABLE,
  );
}

export class ApiClient {
  readonly baseUrl: string;

  constructor(private readonly options: ApiOptions) {
    this.baseUrl = options.url.replace(/\/+$/, '');
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.options.key ? { authorization: `Bearer ${this.options.key}` } : {}), ...extra };
  }

  /** A call to /api/v1…; resolves with the answer's `data`. */
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.send(method, path, body);
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new CliError(`${this.baseUrl} answered ${res.status} with something that is not JSON: is --url a wagate gateway?`);
    }
    if (!res.ok) throw this.refusal(res.status, parsed as ErrorBody | undefined);
    return (parsed as { data: T }).data;
  }

  /** A stream (SSE): the open response, or a CliError when refused. */
  async stream(path: string, headers: Record<string, string>, signal: AbortSignal): Promise<Response> {
    const res = await this.send('GET', path, undefined, { accept: 'text/event-stream', ...headers }, signal);
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      let parsed: ErrorBody | undefined;
      try {
        parsed = JSON.parse(text) as ErrorBody;
      } catch {
        parsed = undefined;
      }
      throw this.refusal(res.status, parsed);
    }
    return res;
  }

  private async send(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
    try {
      return await fetch(`${this.baseUrl}/api/v1${path}`, {
        method,
        headers: this.headers({ ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers }),
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw describeNetworkFailure(this.baseUrl, err);
    }
  }

  private refusal(status: number, body: ErrorBody | undefined): CliError {
    const error = body?.error;
    const message = error?.message ?? `HTTP ${status}`;
    const hint = error?.hint ? `\n  ${error.hint}` : '';
    if (status === 401) {
      const which = this.options.key ? 'refused the API key' : 'needs an API key';
      return new CliError(
        `The gateway at ${this.baseUrl} ${which}: ${message}.\n` +
          '  Pass the admin key with --key or WAGATE_API_KEY (a gateway started without WAGATE_API_KEY printed it once at its first start).',
        EXIT.UNAUTHORIZED,
      );
    }
    if (status === 403) return new CliError(`${message} (${error?.code ?? 'FORBIDDEN'}): use the admin key for this.${hint}`, EXIT.UNAUTHORIZED);
    return new CliError(`${message}${error?.code ? ` (${error.code})` : ''}${hint}`, EXIT.FAILED);
  }
}
