/**
 * Where an error is rendered. Every API surface (native, each dialect, the
 * dashboard) renders the same GatewayError in its own envelope. Handlers in a
 * surface's scope know their renderer; failures before routing (a bad URL,
 * an over-long id, over-large headers) only know the path, so each surface
 * registers its path prefixes here and the router-level handlers look it up.
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayError } from '../../core/errors.js';

export interface RenderedError {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/**
 * A surface's rendering of one error. `request` is undefined for failures
 * before Fastify made a request (over-large headers) or before routing.
 */
export type ErrorRenderer = (error: GatewayError, request: FastifyRequest | undefined) => RenderedError;

export interface ErrorSurface {
  /** For logs and tests: `native`, `dashboard`, `waha`, … */
  name: string;
  render: ErrorRenderer;
}

export function reasonPhrase(status: number): string {
  return STATUS_CODES[status] ?? 'Error';
}

/** The native envelope `{"error": {"code", "message", "details"}}`. */
export function renderNative(error: GatewayError): RenderedError {
  return { status: error.status, body: { error: error.toJSON() } };
}

export const nativeSurface: ErrorSurface = { name: 'native', render: renderNative };

/** Marks a SESSION_MOVED answer in any envelope: the node that forwarded the request retries it at the new owner. */
export const SESSION_MOVED_HEADER = 'x-wagate-session-moved';

/** Every rendered error also carries Retry-After when the error has one (and SESSION_MOVED its marker). */
export function headersOf(error: GatewayError, rendered: RenderedError): Record<string, string> {
  return {
    ...(error.retryAfterSeconds === undefined ? {} : { 'retry-after': String(error.retryAfterSeconds) }),
    ...(error.code === 'SESSION_MOVED' ? { [SESSION_MOVED_HEADER]: '1' } : {}),
    ...rendered.headers,
  };
}

/** Send a surface's rendering of `error` through Fastify's reply. */
export function sendError(reply: FastifyReply, error: GatewayError, surface: ErrorSurface, request?: FastifyRequest): FastifyReply {
  const rendered = surface.render(error, request);
  for (const [name, value] of Object.entries(headersOf(error, rendered))) reply.header(name, value);
  // A stream that already started cannot carry an error body.
  if (reply.sent) return reply;
  // Plain JSON.stringify: a route's response schema must never trim an error body.
  return reply
    .code(rendered.status)
    .type('application/json; charset=utf-8')
    .serializer((payload: unknown) => JSON.stringify(payload))
    .send(rendered.body);
}

function segments(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

interface Entry {
  prefix: string[];
  surface: ErrorSurface;
}

/**
 * Path prefix → surface. A `:param` segment matches any one segment; among
 * matching prefixes the most specific wins (see moreSpecific), then the first added.
 */
export class ErrorSurfaces {
  private readonly entries: Entry[] = [];

  constructor(private readonly fallback: ErrorSurface) {}

  add(surface: ErrorSurface, prefixes: readonly string[]): void {
    for (const prefix of prefixes) this.entries.push({ prefix: segments(prefix), surface });
  }

  /** The surface owning a request URL (query string ignored, nothing decoded). */
  forUrl(url: string): ErrorSurface {
    const path = segments(url.split('?')[0] ?? '');
    let best: Entry | undefined;
    for (const entry of this.entries) {
      if (matches(entry.prefix, path) && (best === undefined || moreSpecific(entry.prefix, best.prefix))) best = entry;
    }
    return best?.surface ?? this.fallback;
  }
}

function matches(prefix: string[], path: string[]): boolean {
  if (prefix.length > path.length) return false;
  return prefix.every((segment, i) => segment.startsWith(':') || segment === path[i]);
}

/** As the router decides: the first segment where a static meets a parameter wins; else the longer prefix. */
function moreSpecific(a: string[], b: string[]): boolean {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const aParam = a[i]!.startsWith(':');
    const bParam = b[i]!.startsWith(':');
    if (aParam !== bParam) return bParam;
  }
  return a.length > b.length;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Set by buildApp; API plugins register the path prefixes they render errors for. */
    errorSurfaces?: ErrorSurfaces;
  }
}
