/**
 * Evolution API's error envelope, as its Express error middleware renders the
 * exceptions it throws: `{"status", "error": <reason phrase>, "response":
 * {"message": [...]}}`. A 401 carries the bare string "Unauthorized"; a
 * recipient not on WhatsApp carries `{jid, exists: false, number}` as its
 * message, as Evolution throws it.
 */
import type { FastifyRequest } from 'fastify';
import type { GatewayError } from '../../core/errors.js';
import { reasonPhrase, type ErrorRenderer, type RenderedError } from '../compat-shared/dialectPlugin.js';

function instanceName(request: FastifyRequest | undefined): string | undefined {
  const params = request?.params as Record<string, unknown> | null | undefined;
  return typeof params?.instanceName === 'string' ? params.instanceName : undefined;
}

export function evolutionError(status: number, message: unknown): RenderedError {
  return { status, body: { status, error: reasonPhrase(status), response: { message } } };
}

export const renderEvolutionError: ErrorRenderer = (error: GatewayError, request: FastifyRequest | undefined): RenderedError => {
  switch (error.code) {
    case 'UNAUTHORIZED':
      return evolutionError(401, 'Unauthorized');
    case 'SESSION_NOT_FOUND': {
      const name = instanceName(request) ?? (typeof error.details?.sessionId === 'string' ? error.details.sessionId : undefined);
      return evolutionError(404, [name === undefined ? error.message : `The "${name}" instance does not exist`]);
    }
    case 'NOT_ON_WHATSAPP': {
      const number = typeof error.details?.phoneNumber === 'string' ? error.details.phoneNumber : '';
      return evolutionError(400, [{ jid: `${number}@s.whatsapp.net`, exists: false, number }]);
    }
    default:
      return evolutionError(error.status, [error.message]);
  }
};
