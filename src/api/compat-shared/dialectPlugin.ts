/**
 * What every dialect plugin installs in its own (encapsulated) scope: body
 * parsers as lenient as the originals (empty JSON bodies, form bodies), an
 * error handler that turns anything thrown into a GatewayError and lets the
 * dialect render it in its envelope, and a 404 in that envelope.
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError, isGatewayError } from '../../core/errors.js';

export interface RenderedError {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** A dialect's rendering of one error (NOT_FOUND for unknown routes). */
export type ErrorRenderer = (error: GatewayError, request: FastifyRequest) => RenderedError;

export function reasonPhrase(status: number): string {
  return STATUS_CODES[status] ?? 'Error';
}

/** Map whatever a handler or Fastify threw onto the catalogue. */
export function toGatewayError(err: unknown): GatewayError {
  if (isGatewayError(err)) return err;
  if (err !== null && typeof err === 'object') {
    const e = err as { code?: unknown; statusCode?: unknown; validation?: unknown; message?: unknown };
    if (e.validation !== undefined) return new GatewayError('VALIDATION_FAILED', String(e.message ?? ''));
    switch (e.code) {
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return new GatewayError('UNSUPPORTED_MEDIA_TYPE');
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return new GatewayError('PAYLOAD_TOO_LARGE');
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
        return new GatewayError('INVALID_JSON');
    }
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      return new GatewayError('BAD_REQUEST', typeof e.message === 'string' ? e.message : undefined);
    }
  }
  return new GatewayError('INTERNAL', undefined, undefined, { cause: err });
}

function parseJsonBody(body: string): unknown {
  if (body.trim() === '') return undefined;
  try {
    return JSON.parse(body);
  } catch {
    throw new GatewayError('INVALID_JSON');
  }
}

function installBodyParsers(app: FastifyInstance): void {
  // Clients of these products send `Content-Type: application/json` with no body
  // on start/stop/logout calls; the originals accept that.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
}

function send(reply: FastifyReply, rendered: RenderedError): FastifyReply {
  for (const [name, value] of Object.entries(rendered.headers ?? {})) reply.header(name, value);
  return reply.code(rendered.status).send(rendered.body);
}

export interface DialectHandlerOptions {
  render: ErrorRenderer;
  /** Static root prefixes (from Dialect.rootPaths) that get this dialect's 404 when mounted at the root. */
  rootPaths: string[];
  /** The session a request is about, for error logs (default: a `session` or `device_id` path parameter). */
  sessionIdOf?: (request: FastifyRequest) => string | undefined;
}

/** The session named by a `session` or `device_id` path parameter. */
export function sessionIdFromParams(request: FastifyRequest): string | undefined {
  const params = request.params as Record<string, unknown> | undefined;
  const value = params?.session ?? params?.device_id;
  return typeof value === 'string' ? value : undefined;
}

export function installDialectHandlers(app: FastifyInstance, options: DialectHandlerOptions): void {
  const opts = { sessionIdOf: sessionIdFromParams, ...options };
  installBodyParsers(app);

  app.setErrorHandler((err, request, reply) => {
    const error = toGatewayError(err);
    if (error.status >= 500) {
      const sessionId = opts.sessionIdOf?.(request);
      request.log.error({ err, code: error.code, ...(sessionId === undefined ? {} : { sessionId }) }, 'dialect request failed');
    }
    const rendered = opts.render(error, request);
    if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
    return send(reply, rendered);
  });

  const notFound = (request: FastifyRequest, reply: FastifyReply): FastifyReply =>
    send(reply, opts.render(new GatewayError('NOT_FOUND', `Cannot ${request.method} ${request.url.split('?')[0]}`), request));

  if (app.prefix !== '') {
    app.setNotFoundHandler(notFound);
    return;
  }
  // Mounted at the root: the app owns the root 404, so claim only our own prefixes.
  for (const rootPath of opts.rootPaths) {
    if (rootPath.includes(':')) continue;
    void app.register(
      async (scoped) => {
        scoped.setNotFoundHandler(notFound);
      },
      { prefix: rootPath },
    );
  }
}
