/**
 * Wawp's errors: `{"error": <snake_case code>, "message", "statusCode"}`; a
 * wrong session status as 422 "Session Status Not Expected" with the current
 * and the expected statuses.
 */
import type { FastifyRequest } from 'fastify';
import type { ErrorCode, GatewayError } from '../../core/errors.js';
import type { GatewayCore } from '../../core/gateway.js';
import { stringField } from '../compat-shared/credentials.js';
import type { ErrorRenderer, RenderedError } from '../compat-shared/dialectPlugin.js';
import { expectedStatuses, stateOfError, wahaStatus } from '../compat-shared/wahaStatus.js';

const CODES: Partial<Record<ErrorCode, string>> = {
  BAD_REQUEST: 'missing_parameter',
  UNAUTHORIZED: 'invalid_access_token',
  FORBIDDEN: 'forbidden',
  SESSION_NOT_FOUND: 'invalid_instance',
  INVALID_PHONE_NUMBER: 'invalid_phone_number',
  SESSION_EXISTS: 'instance_exists',
  PAIRING_RATE_LIMITED: 'rate_limited',
  ENGINE_ERROR: 'wawp_upstream_error',
  TIMEOUT: 'wawp_upstream_error',
};

export function wawpFailure(status: number, code: string, message: string): RenderedError {
  return { status, body: { error: code, message, statusCode: status } };
}

export function makeWawpRenderer(core: GatewayCore): ErrorRenderer {
  return (error: GatewayError, request: FastifyRequest | undefined): RenderedError => {
    if (error.code === 'SESSION_NOT_READY' || error.code === 'ALREADY_PAIRED' || error.code === 'QR_NOT_FOUND') {
      const instanceId = stringField(request?.query, 'instance_id') ?? stringField(request?.body, 'instance_id');
      const state = stateOfError(core, error.details, instanceId);
      return {
        status: 422,
        body: {
          error: 'session_status_not_expected',
          message: 'Session Status Not Expected',
          statusCode: 422,
          instance_id: instanceId ?? null,
          status: state === undefined ? null : wahaStatus(state),
          expected: expectedStatuses(error.details),
        },
      };
    }
    const code = CODES[error.code] ?? error.code.toLowerCase();
    return wawpFailure(error.status, code, error.message);
  };
}
