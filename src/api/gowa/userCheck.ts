/**
 * GOWA's `GET /user/check?phone=`: whether a number has WhatsApp, as
 * `results: {is_on_whatsapp}`, for the device of the /app routes, over the
 * core's number check.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GatewayCore } from '../../core/gateway.js';
import { stringField } from '../compat-shared/credentials.js';
import { missingField } from '../compat-shared/messaging.js';
import { gowaSuccess } from './render.js';

export function gowaUserRoutes(app: FastifyInstance, core: GatewayCore, deviceOf: (request: FastifyRequest) => string): void {
  app.get('/user/check', async (request) => {
    const device = deviceOf(request);
    const phone = stringField(request.query, 'phone');
    if (phone === undefined) throw missingField('phone', 'e.g. 6289685028129');
    // GOWA takes a number or a user JID (`…@s.whatsapp.net`).
    const [result] = await core.messages.checkNumbers(device, [phone.split('@')[0]!.split(':')[0]!]);
    return gowaSuccess('Success check user', { is_on_whatsapp: result!.exists });
  });
}
