/** Groups the session's account is in: the list, and one group's metadata and participants. */
import { Type } from 'typebox';
import { SessionIdSchema } from '../../http/params.js';
import { BEARER, type NativeApp, type NativeContext } from '../context.js';
import { dataOf, errorResponses } from '../schemas.js';

const TAGS = ['Groups'];
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

const GroupSummary = Type.Object({ id: Type.String({ description: '`…@g.us`' }), subject: Type.String(), participants: Type.Integer() });
const GroupDetailsSchema = Type.Object({
  id: Type.String(),
  subject: Type.String(),
  description: Nullable(Type.String()),
  owner: Nullable(Type.String()),
  createdAt: Nullable(Type.String({ format: 'date-time' })),
  participants: Type.Array(
    Type.Object({
      jid: Type.String(),
      phoneNumber: Nullable(Type.String()),
      lid: Nullable(Type.String()),
      admin: Nullable(Type.Enum(['admin', 'superadmin'])),
    }),
  ),
});

export function groupRoutes(app: NativeApp, { core }: NativeContext): void {
  app.get(
    '/sessions/:sessionId/groups',
    {
      schema: {
        summary: 'Groups of the linked account',
        tags: TAGS,
        security: BEARER,
        params: Type.Object({ sessionId: SessionIdSchema }),
        response: { 200: dataOf(Type.Array(GroupSummary)), ...errorResponses('FORBIDDEN', 'SESSION_NOT_FOUND', 'SESSION_NOT_READY', 'ENGINE_ERROR') },
      },
    },
    async (request) => ({ data: await core.sessions.groups(request.params.sessionId) }),
  );

  app.get(
    '/sessions/:sessionId/groups/:groupId',
    {
      schema: {
        summary: 'A group: metadata and participants',
        description: '`groupId` is the group JID (`…@g.us`) or its number part.',
        tags: TAGS,
        security: BEARER,
        params: Type.Object({ sessionId: SessionIdSchema, groupId: Type.String({ pattern: '^[0-9-]+(@g\\.us)?$' }) }),
        response: { 200: dataOf(GroupDetailsSchema), ...errorResponses('VALIDATION_FAILED', 'FORBIDDEN', 'SESSION_NOT_FOUND', 'SESSION_NOT_READY', 'ENGINE_ERROR') },
      },
    },
    async (request) => ({ data: await core.sessions.group(request.params.sessionId, request.params.groupId) }),
  );
}
