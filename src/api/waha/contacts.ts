/**
 * WAHA's number check: `GET /api/contacts/check-exists?phone=&session=` and
 * its deprecated twin `GET /api/checkNumberStatus`, answering WAHA's
 * WANumberExistResult `{numberExists, chatId?}` (chatId `<number>@c.us`,
 * absent when the number has no WhatsApp), over the core's number check.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GatewayCore } from '../../core/gateway.js';
import { authorizeRequest } from '../http/auth.js';
import { stringField } from '../compat-shared/credentials.js';
import { missingField } from '../compat-shared/messaging.js';
import { chatTarget } from './ids.js';

export const WAHA_CONTACT_ROOT_PATHS = ['/api/contacts/check-exists', '/api/checkNumberStatus'];

export function wahaContactRoutes(app: FastifyInstance, core: GatewayCore): void {
  const check = async (request: FastifyRequest): Promise<{ numberExists: boolean; chatId?: string }> => {
    const session = stringField(request.query, 'session', 'sessionName') ?? 'default';
    authorizeRequest(request, { action: 'session.use', sessionId: session });
    core.sessions.get(session);
    const phone = stringField(request.query, 'phone');
    if (phone === undefined) throw missingField('phone', 'e.g. 11231231231');
    // WAHA takes a bare number or a chat id (`111@c.us`).
    const [result] = await core.messages.checkNumbers(session, [chatTarget(phone)]);
    return result!.exists ? { numberExists: true, chatId: `${result!.phoneNumber}@c.us` } : { numberExists: false };
  };
  app.get('/api/contacts/check-exists', check);
  app.get('/api/checkNumberStatus', check);
}
