/**
 * Renders every failure of the dashboard's JSON API as the gateway's error
 * envelope `{"error": {"code", "message", "details"}}`, so the page can show
 * the message and act on the code (OTP_REQUIRED, PAIRING_RATE_LIMITED, …).
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError, isGatewayError } from '../../core/errors.js';

/** Fastify's own errors (body parsing, limits) mapped onto the catalogue. */
export function toGatewayError(err: unknown): GatewayError {
  if (isGatewayError(err)) return err;
  const fastifyError = err as Partial<FastifyError> | undefined;
  const code = typeof fastifyError?.code === 'string' ? fastifyError.code : '';
  if (fastifyError?.validation) return new GatewayError('VALIDATION_FAILED', fastifyError.message);
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new GatewayError('PAYLOAD_TOO_LARGE');
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new GatewayError('UNSUPPORTED_MEDIA_TYPE');
  if (code.startsWith('FST_ERR_CTP_')) return new GatewayError('INVALID_JSON');
  return new GatewayError('INTERNAL', undefined, undefined, { cause: err });
}

export function errorBody(err: GatewayError): { error: { code: string; message: string; details?: Record<string, unknown> } } {
  // retryAfterSeconds also goes into details so the page need not read headers.
  const details =
    err.retryAfterSeconds === undefined ? err.details : { ...err.details, retryAfterSeconds: err.retryAfterSeconds };
  return { error: details === undefined ? { code: err.code, message: err.message } : { code: err.code, message: err.message, details } };
}

export function sendGatewayError(reply: FastifyReply, err: GatewayError): FastifyReply {
  if (err.retryAfterSeconds !== undefined) reply.header('retry-after', String(err.retryAfterSeconds));
  return reply.code(err.status).send(errorBody(err));
}

export function dashboardErrorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const gatewayError = toGatewayError(err);
  if (gatewayError.code === 'INTERNAL') request.log.error({ err }, 'dashboard request failed');
  return sendGatewayError(reply, gatewayError);
}
