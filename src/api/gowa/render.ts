/**
 * GOWA's envelope `{"code", "message", "results"}` (no `status` field).
 * `results` is left out when there is none: the original's ResponseData
 * tags it `omitempty`, and its document types it as an object or string.
 */
import type { GatewayError } from '../../core/errors.js';
import type { RenderedError } from '../compat-shared/dialectPlugin.js';

export interface GowaBody {
  code: string;
  message: string;
  results?: unknown;
}

export function gowaBody(code: string, message: string, results?: unknown): GowaBody {
  return results === null || results === undefined ? { code, message } : { code, message, results };
}

export function gowaSuccess(message: string, results?: unknown): GowaBody & { code: 'SUCCESS' } {
  return gowaBody('SUCCESS', message, results) as GowaBody & { code: 'SUCCESS' };
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
  return { status: 401, body: gowaBody('AUTHENTICATION_ERROR', message) };
}

export function renderGowaError(error: GatewayError): RenderedError {
  const refused = notLoggedIn(error);
  if (refused !== undefined) return refused;
  switch (error.code) {
    case 'ALREADY_PAIRED':
      return { status: 400, body: gowaBody('ALREADY_LOGGED_IN', 'you are already logged in.') };
    case 'SESSION_NOT_FOUND':
      return { status: 404, body: gowaBody('DEVICE_NOT_FOUND', 'device not found') };
    case 'UNAUTHORIZED':
      return {
        status: 401,
        body: gowaBody('UNAUTHORIZED', 'Unauthorized'),
        headers: { 'www-authenticate': 'Basic realm="Restricted"' },
      };
    case 'INTERNAL':
      return { status: 500, body: gowaBody('INTERNAL_SERVER_ERROR', error.message) };
    default:
      return { status: error.status, body: gowaBody(error.code, error.message, error.details) };
  }
}
