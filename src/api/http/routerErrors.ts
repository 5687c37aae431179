/**
 * Failures before a route is found, answered in the envelope of the surface
 * the URL belongs to (the surface's own error handler never runs for them):
 * - Fastify's router: malformed percent-encoding (FST_ERR_BAD_URL) and a path
 *   parameter over maxParamLength (FST_ERR_MAX_PARAM_LENGTH), through the
 *   `frameworkErrors` option;
 * - Node's HTTP parser: headers over the size limit, a request timeout or
 *   garbage, through the server's `clientError` event; Fastify never sees
 *   these, so the answer is written raw on the socket.
 */
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../../core/errors.js';
import { toGatewayError } from './errors.js';
import { headersOf, reasonPhrase, sendError, type ErrorSurfaces } from './errorSurfaces.js';

/** Fastify's `frameworkErrors` option. */
export function frameworkErrorHandler(
  surfaces: ErrorSurfaces,
): (error: Error, request: FastifyRequest, reply: FastifyReply) => FastifyReply {
  return (error, request, reply) => {
    const gatewayError = toGatewayError(error);
    request.log.info({ code: gatewayError.code }, 'request refused before routing');
    // The request carries no params or parsed query yet: render without it.
    return sendError(reply, gatewayError, surfaces.forUrl(request.url), undefined);
  };
}

/** The path of the request line in what the parser had read (`GET /x HTTP/1.1`). */
export function requestLinePath(rawPacket: unknown): string {
  if (!Buffer.isBuffer(rawPacket)) return '/';
  const firstLine = rawPacket.subarray(0, 8192).toString('latin1').split('\r\n', 1)[0] ?? '';
  const match = /^[A-Z]+ (\S+)/.exec(firstLine);
  return match?.[1] ?? '/';
}

/** What the `clientError` event hands over: Node's parser error with what it had read. */
export interface ClientError extends Error {
  code?: string;
  rawPacket?: unknown;
}

function clientErrorOf(err: ClientError): GatewayError {
  if (err.code === 'HPE_HEADER_OVERFLOW') return new GatewayError('HEADERS_TOO_LARGE');
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return new GatewayError('REQUEST_TIMEOUT');
  return new GatewayError('BAD_REQUEST', 'The request is not valid HTTP');
}

/** Fastify's `clientErrorHandler` option (the server's `clientError` event). */
export function clientErrorHandler(surfaces: ErrorSurfaces): (err: ClientError, socket: Socket) => void {
  return (err, socket) => {
    // A reset connection has nobody to answer.
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const error = clientErrorOf(err);
    const surface = surfaces.forUrl(requestLinePath(err.rawPacket));
    const rendered = surface.render(error, undefined);
    const body = JSON.stringify(rendered.body);
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      connection: 'close',
      ...headersOf(error, rendered),
    };
    if (socket.writable) {
      const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
      socket.write(`HTTP/1.1 ${rendered.status} ${reasonPhrase(rendered.status)}\r\n${head}\r\n${body}`);
    }
    socket.destroy(err);
  };
}
