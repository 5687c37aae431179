/**
 * One webhook attempt over HTTP: the POST with its signature headers, through
 * an agent that connects only to addresses that pass the SSRF rule (checked
 * again at connect time, against DNS rebinding), bounded by the timeout.
 * Never throws: a failed request is a result with no status and an error.
 */
import { isIP } from 'node:net';
import { Agent, request } from 'undici';
import { assertPublicAddress, parseHttpUrl, pinnedLookup, type PublicUrlOptions } from '../net/publicUrl.js';
import { parseRetryAfter } from './retryPolicy.js';
import type { DispatchEndpoint } from './dispatcher.js';

const ERROR_TEXT_MAX = 300;

export interface SendResult {
  status: number | null;
  error: string | null;
  retryAfterMs?: number;
}

export class WebhookSender {
  private readonly agent: Agent;

  constructor(private readonly opts: { net: PublicUrlOptions; timeoutMs: number; userAgent: string }) {
    // The timeout bounds connecting, then waiting for the response headers, then each body read:
    // the agent's own timers, cheaper than an AbortSignal per request.
    this.agent = new Agent({
      // The socket connects only to an address that passed the SSRF rule (DNS rebinding).
      connect: { lookup: pinnedLookup(opts.net) as never, timeout: opts.timeoutMs },
      keepAliveTimeout: 4_000,
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
    });
  }

  /** Cut off requests still in flight. */
  async close(): Promise<void> {
    await this.agent.destroy().catch(() => undefined);
  }

  async send(
    endpoint: DispatchEndpoint,
    job: { eventId: number; eventType: string; payload: string },
    now: number,
  ): Promise<SendResult> {
    try {
      const url = parseHttpUrl(endpoint.url);
      const host = url.hostname.replace(/^\[|\]$/g, '');
      // Literal addresses never reach the pinned lookup: check them here, at every attempt.
      if (isIP(host) !== 0) assertPublicAddress(host, host, this.opts.net, endpoint.url);
      const timestamp = Math.floor(now / 1000);
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'user-agent': this.opts.userAgent,
        ...endpoint.headers(job.payload, { eventId: String(job.eventId), eventType: job.eventType, timestamp }),
      };
      const res = await request(url, {
        method: 'POST',
        headers,
        body: job.payload,
        dispatcher: this.agent,
      });
      // Nobody reads the answer; take at most a little of it so the socket can be reused.
      await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
      const retryAfterMs = res.statusCode === 429 || res.statusCode >= 500 ? parseRetryAfter(res.headers['retry-after']) : undefined;
      return { status: res.statusCode, error: res.statusCode >= 300 ? `HTTP ${res.statusCode}` : null, retryAfterMs };
    } catch (err) {
      const e = err as { name?: string; code?: string; message?: string };
      const text =
        e.code === 'UND_ERR_CONNECT_TIMEOUT' || e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT'
          ? `timed out after ${this.opts.timeoutMs} ms`
          : `${e.code ?? e.name ?? 'Error'}: ${e.message ?? String(err)}`;
      return { status: null, error: text.slice(0, ERROR_TEXT_MAX) };
    }
  }
}
