/** GOWA's envelope `{"code", "message", "results"}` (no `status` field). */
import type { GatewayError } from '../../core/errors.js';
import type { RenderedError } from '../compat-shared/dialectPlugin.js';

export function gowaSuccess(message: string, results: unknown = null): { code: 'SUCCESS'; message: string; results: unknown } {
  return { code: 'SUCCESS', message, results };
}

/**
 * A send on a device that is not logged in: the original refuses with its
 * AuthError (401 AUTHENTICATION_ERROR), worded by whether the socket is up.
 */
function notLoggedIn(error: GatewayError): RenderedError | undefined {
  const expected = error.details?.expected;
  if (error.code !== 'SESSION_NOT_READY' || !Array.isArray(expected) || !expected.includes('connected')) return undefined;
  const state = error.details?.state;
  const socketUp = state === 'qr' || state === 'pairing_code' || state === 'connecting';
  const message = socketUp ? 'you are not logged in' : 'you are not connect to services server, please reconnect';
  return { status: 401, body: { code: 'AUTHENTICATION_ERROR', message, results: null } };
}

export function renderGowaError(error: GatewayError): RenderedError {
  const refused = notLoggedIn(error);
  if (refused !== undefined) return refused;
  switch (error.code) {
    case 'ALREADY_PAIRED':
      return { status: 400, body: { code: 'ALREADY_LOGGED_IN', message: 'you are already logged in.', results: null } };
    case 'SESSION_NOT_FOUND':
      return { status: 404, body: { code: 'DEVICE_NOT_FOUND', message: 'device not found', results: null } };
    case 'UNAUTHORIZED':
      return {
        status: 401,
        body: { code: 'UNAUTHORIZED', message: 'Unauthorized', results: null },
        headers: { 'www-authenticate': 'Basic realm="Restricted"' },
      };
    case 'INTERNAL':
      return { status: 500, body: { code: 'INTERNAL_SERVER_ERROR', message: error.message, results: null } };
    default:
      return { status: error.status, body: { code: error.code, message: error.message, results: error.details ?? null } };
  }
}
