/** Whether phone numbers have WhatsApp: one number (GET) or up to 50 at once (POST). */
import { Type } from 'typebox';
import { MAX_NUMBERS_PER_CHECK } from '../../../core/messaging/numberCheck.js';
import { SessionIdSchema } from '../../http/params.js';
import { BEARER, type NativeApp, type NativeContext } from '../context.js';
import { dataOf, errorResponses } from '../schemas.js';

const TAGS = ['Contacts'];
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

const NumberCheckSchema = Type.Object({
  phoneNumber: Type.String({ description: 'E.164 digits without +, as normalised' }),
  exists: Type.Boolean({ description: 'Whether the number has a WhatsApp account' }),
  jid: Nullable(Type.String({ description: 'Phone-number JID; null when the number has no WhatsApp' })),
  lid: Nullable(Type.String({ description: 'The account\'s LID, when WhatsApp gave one' })),
});
const ERRORS = errorResponses('INVALID_PHONE_NUMBER', 'VALIDATION_FAILED', 'FORBIDDEN', 'SESSION_NOT_FOUND', 'SESSION_NOT_READY', 'ENGINE_ERROR');

export function contactRoutes(app: NativeApp, { core }: NativeContext): void {
  app.get(
    '/sessions/:sessionId/contacts/:phoneNumber/exists',
    {
      schema: {
        summary: 'Whether a phone number has WhatsApp',
        description: 'Asks WhatsApp through the session (it must be connected). Each check is a query WhatsApp counts: do not check numbers in bulk.',
        tags: TAGS,
        security: BEARER,
        params: Type.Object({ sessionId: SessionIdSchema, phoneNumber: Type.String({ minLength: 1, maxLength: 32, description: 'With country code; +, spaces and dashes are fine' }) }),
        response: { 200: dataOf(NumberCheckSchema), ...ERRORS },
      },
    },
    async (request) => {
      const [check] = await core.messages.checkNumbers(request.params.sessionId, [request.params.phoneNumber]);
      return { data: check! };
    },
  );

  app.post(
    '/sessions/:sessionId/contacts/check',
    {
      schema: {
        summary: 'Which of these phone numbers have WhatsApp',
        description: `Up to ${MAX_NUMBERS_PER_CHECK} numbers, answered in the order given. The session must be connected.`,
        tags: TAGS,
        security: BEARER,
        params: Type.Object({ sessionId: SessionIdSchema }),
        body: Type.Object({
          phoneNumbers: Type.Array(Type.String({ minLength: 1, maxLength: 32 }), { minItems: 1, maxItems: MAX_NUMBERS_PER_CHECK }),
        }),
        response: { 200: dataOf(Type.Array(NumberCheckSchema)), ...ERRORS },
      },
    },
    async (request) => ({ data: await core.messages.checkNumbers(request.params.sessionId, request.body.phoneNumbers) }),
  );
}
