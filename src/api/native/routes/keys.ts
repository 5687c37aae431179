/** Session-scoped API keys: a key that can only act on one session. */
import { Type } from 'typebox';
import { authorizeRequest } from '../../http/auth.js';
import { SessionParams } from '../../http/params.js';
import { BEARER, type NativeApp, type NativeContext } from '../context.js';
import { ApiKeyInfoSchema, CreateKeyBody, CreatedApiKeySchema, KeyParams, dataOf, errorResponses } from '../schemas.js';

const TAGS = ['API keys'];

export function keyRoutes(app: NativeApp, { core }: NativeContext): void {
  const apiKeys = core.apiKeys;

  app.post(
    '/sessions/:sessionId/keys',
    {
      schema: {
        summary: 'Create a session key',
        description: 'A key that works only for this session\'s routes. The key is in this response only; store it. Admin key only.',
        tags: TAGS,
        security: BEARER,
        params: SessionParams,
        body: CreateKeyBody,
        response: {
          201: dataOf(CreatedApiKeySchema, 'The new key (shown once)'),
          ...errorResponses('INVALID_SESSION_ID', 'VALIDATION_FAILED', 'FORBIDDEN', 'SESSION_NOT_FOUND'),
        },
      },
    },
    async (request, reply) => {
      authorizeRequest(request, { action: 'keys.manage', sessionId: request.params.sessionId });
      const created = await apiKeys.createSessionKey(request.params.sessionId, request.body.label ?? null);
      reply.header('cache-control', 'no-store');
      return reply.status(201).send({
        data: {
          keyId: created.keyId,
          key: created.key,
          sessionId: request.params.sessionId,
          label: created.label,
          createdAt: created.createdAt,
        },
      });
    },
  );

  app.get(
    '/sessions/:sessionId/keys',
    {
      schema: {
        summary: 'List session keys',
        description: 'Key ids and labels; never the keys themselves.',
        tags: TAGS,
        security: BEARER,
        params: SessionParams,
        response: {
          200: dataOf(Type.Array(ApiKeyInfoSchema), 'The session\'s keys'),
          ...errorResponses('INVALID_SESSION_ID', 'FORBIDDEN', 'SESSION_NOT_FOUND'),
        },
      },
    },
    async (request) => ({ data: await apiKeys.listSessionKeys(request.params.sessionId) }),
  );

  app.delete(
    '/sessions/:sessionId/keys/:keyId',
    {
      schema: {
        summary: 'Revoke a session key',
        tags: TAGS,
        security: BEARER,
        params: KeyParams,
        response: {
          200: dataOf(Type.Object({ keyId: Type.String(), deleted: Type.Literal(true) })),
          ...errorResponses('INVALID_SESSION_ID', 'FORBIDDEN', 'SESSION_NOT_FOUND', 'KEY_NOT_FOUND'),
        },
      },
    },
    async (request) => {
      authorizeRequest(request, { action: 'keys.manage', sessionId: request.params.sessionId });
      const { sessionId, keyId } = request.params;
      await apiKeys.revokeSessionKey(sessionId, keyId);
      return { data: { keyId, deleted: true as const } };
    },
  );
}
