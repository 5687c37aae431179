/**
 * WAHA's errors, as its NestJS server renders them:
 * `{"message", "error": <reason phrase>, "statusCode"}`; 401 without `error`;
 * a wrong session status as `{error, session, status, expected: [...]}`.
 */
import type { FastifyRequest } from 'fastify';
import type { GatewayError } from '../../core/errors.js';
import type { GatewayCore } from '../../core/gateway.js';
import { reasonPhrase, type ErrorRenderer, type RenderedError } from '../compat-shared/dialectPlugin.js';
import { expectedStatuses, stateOfError, wahaStatus } from '../compat-shared/wahaStatus.js';

const WRONG_STATUS = 'Session status is not as expected. Try again later or restart the session';

/** The session a request is about: in the path, or (chatting routes) in the body or query, else the error's. */
function sessionName(request: FastifyRequest | undefined, details: Record<string, unknown> | undefined): string | null {
  for (const source of [request?.params, request?.body, request?.query, details]) {
    const value = (source as Record<string, unknown> | null | undefined)?.[source === details ? 'sessionId' : 'session'];
    if (typeof value === 'string') return value;
  }
  return null;
}

function nest(status: number, message: string): RenderedError {
  return { status, body: { message, error: reasonPhrase(status), statusCode: status } };
}

export function makeWahaRenderer(core: GatewayCore): ErrorRenderer {
  return (error: GatewayError, request: FastifyRequest | undefined): RenderedError => {
    switch (error.code) {
      case 'UNAUTHORIZED':
        return { status: 401, body: { message: 'Unauthorized', statusCode: 401 } };
      case 'SESSION_NOT_FOUND':
        return nest(404, 'Session not found');
      case 'SESSION_EXISTS':
        return nest(422, error.message);
      case 'SESSION_NOT_READY':
      case 'ALREADY_PAIRED':
      case 'QR_NOT_FOUND': {
        const session = sessionName(request, error.details);
        const state = stateOfError(core, error.details, session);
        return {
          status: 422,
          body: {
            error: WRONG_STATUS,
            session,
            status: state === undefined ? null : wahaStatus(state),
            expected: expectedStatuses(error.details),
          },
        };
      }
      default:
        return nest(error.status, error.message);
    }
  };
}
