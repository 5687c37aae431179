/**
 * Renders every failure of the dashboard's JSON API as the gateway's error
 * envelope `{"error": {"code", "message", "details"}}`, so the page can show
 * the message and act on the code (OTP_REQUIRED, PAIRING_RATE_LIMITED, …).
 * The mapping from anything thrown is the app's one (src/api/http/errors.ts).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayError } from '../../core/errors.js';
import { logIfServerError, toGatewayError } from '../http/errors.js';
import { sendError, type ErrorSurface, type RenderedError } from '../http/errorSurfaces.js';

export function errorBody(err: GatewayError): { error: { code: string; message: string; details?: Record<string, unknown> } } {
  // retryAfterSeconds also goes into details so the page need not read headers.
  const details =
    err.retryAfterSeconds === undefined ? err.details : { ...err.details, retryAfterSeconds: err.retryAfterSeconds };
  return { error: details === undefined ? { code: err.code, message: err.message } : { code: err.code, message: err.message, details } };
}

export function renderDashboardError(error: GatewayError): RenderedError {
  return { status: error.status, body: errorBody(error) };
}

export const dashboardSurface: ErrorSurface = { name: 'dashboard', render: renderDashboardError };

export function sendGatewayError(reply: FastifyReply, err: GatewayError): FastifyReply {
  return sendError(reply, err, dashboardSurface);
}

export function dashboardErrorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const gatewayError = toGatewayError(err);
  logIfServerError(request, gatewayError, err);
  return sendGatewayError(reply, gatewayError);
}
