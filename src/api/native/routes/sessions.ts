/** Session lifecycle: create, list, read, delete, connect, disconnect, logout, status. */
import { Type } from 'typebox';
import { GatewayError } from '../../../core/errors.js';
import type { SessionView } from '../../../core/model.js';
import { authorizeRequest } from '../../http/auth.js';
import { SessionParams } from '../../http/params.js';
import { cursorPage, filterSessions } from '../../http/sessionPaging.js';
import { BEARER, type NativeApp, type NativeContext } from '../context.js';
import {
  CreateSessionBody,
  SessionStateSchema,
  SessionStatusSchema,
  SessionViewSchema,
  dataOf,
  errorResponses,
} from '../schemas.js';

const TAGS = ['Sessions'];

const SessionListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Most sessions in this page (default: all)' })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'The `nextCursor` of the previous page' })),
    state: Type.Optional(SessionStateSchema),
    q: Type.Optional(Type.String({ maxLength: 200, description: 'Text found in the id, display name or linked phone number (any case)' })),
  },
  { additionalProperties: false },
);

function statusOf(view: SessionView) {
  return {
    sessionId: view.sessionId,
    paired: view.paired,
    active: view.active,
    connected: view.connected,
    connectionState: view.connectionState,
    state: view.state,
    status: view.status,
    me: view.me,
    qrAvailable: view.qrAvailable,
    lastDisconnect: view.lastDisconnect,
  };
}

export function sessionRoutes(app: NativeApp, { core }: NativeContext): void {
  const sessions = core.sessions;

  app.post(
    '/sessions',
    {
      schema: {
        summary: 'Create a session',
        description: 'Creates a session (not yet connected). Call `connect` next to get a QR code or pairing code.',
        tags: TAGS,
        security: BEARER,
        body: CreateSessionBody,
        response: {
          201: dataOf(SessionViewSchema, 'The new session'),
          ...errorResponses('VALIDATION_FAILED', 'FORBIDDEN', 'SESSION_EXISTS', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'),
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      if (body.sessionId !== undefined && body.id !== undefined && body.sessionId !== body.id) {
        throw new GatewayError('VALIDATION_FAILED', 'body.id and body.sessionId differ; send one of them', {
          field: 'body.id',
        });
      }
      if (body.displayName !== undefined && body.name !== undefined && body.displayName !== body.name) {
        throw new GatewayError('VALIDATION_FAILED', 'body.name and body.displayName differ; send one of them', {
          field: 'body.name',
        });
      }
      const view = await sessions.create({
        sessionId: body.sessionId ?? body.id,
        displayName: body.displayName ?? body.name,
        deviceBrowser: body.deviceBrowser,
      });
      return reply.status(201).send({ data: view });
    },
  );

  app.get(
    '/sessions',
    {
      schema: {
        summary: 'List sessions',
        description:
          'Sessions oldest first. Cursor-paged: with `limit`, pass the answer\'s `nextCursor` as `cursor` for the next page ' +
          '(null on the last). `state` and `q` filter.',
        tags: TAGS,
        security: BEARER,
        querystring: SessionListQuery,
        response: {
          200: Type.Object({
            data: Type.Array(SessionViewSchema, { description: 'Sessions of this page' }),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
          ...errorResponses('VALIDATION_FAILED', 'FORBIDDEN'),
        },
      },
    },
    async (request) => {
      const { limit, cursor, state, q } = request.query;
      const page = cursorPage(filterSessions(sessions.list(), { state, q }), cursor, limit);
      return { data: page.items, nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/sessions/:sessionId',
    {
      schema: {
        summary: 'Get a session',
        tags: TAGS,
        security: BEARER,
        params: SessionParams,
        response: { 200: dataOf(SessionViewSchema), ...errorResponses('INVALID_SESSION_ID', 'FORBIDDEN', 'SESSION_NOT_FOUND') },
      },
    },
    async (request) => ({ data: sessions.get(request.params.sessionId) }),
  );

  app.delete(
    '/sessions/:sessionId',
    {
      schema: {
        summary: 'Delete a session',
        description: 'Logs the device out when paired, then removes the session, its credentials, keys and history.',
        tags: TAGS,
        security: BEARER,
        params: SessionParams,
        response: {
          200: dataOf(Type.Object({ sessionId: Type.String(), deleted: Type.Literal(true) })),
          ...errorResponses('INVALID_SESSION_ID', 'FORBIDDEN', 'SESSION_NOT_FOUND'),
        },
      },
    },
    async (request) => {
      const { sessionId } = request.params;
      authorizeRequest(request, { action: 'session.delete', sessionId });
      await sessions.delete(sessionId);
      return { data: { sessionId, deleted: true as const } };
    },
  );

  app.get(
    '/sessions/:sessionId/status',
    {
      schema: {
        summary: 'Connection status',
        tags: TAGS,
        security: BEARER,
        params: SessionParams,
        response: { 200: dataOf(SessionStatusSchema, 'The connection status'), ...errorResponses('INVALID_SESSION_ID', 'FORBIDDEN', 'SESSION_NOT_FOUND') },
      },
    },
    async (request) => ({ data: statusOf(sessions.get(request.params.sessionId)) }),
  );

  app.post(
    '/sessions/:sessionId/connect',
    {
      schema: {
        summary: 'Connect (or reconnect)',
        description:
          'Starts the WhatsApp runtime in the background: first pairing (then get the QR or a pairing code) or ' +
          'reconnecting a paired session with its saved credentials. Calling it again while connecting changes nothing.',
        tags: TAGS,
        security: BEARER,
        params: SessionParams,
        response: {
          202: dataOf(SessionViewSchema, 'Connecting in the background; follow the events or poll the status'),
          ...errorResponses('INVALID_SESSION_ID', 'FORBIDDEN', 'SESSION_NOT_FOUND', 'SHUTTING_DOWN'),
        },
      },
    },
    async (request, reply) => reply.status(202).send({ data: await sessions.connect(request.params.sessionId) }),
  );

  app.post(
    '/sessions/:sessionId/disconnect',
    {
      schema: {
        summary: 'Disconnect',
        description: 'Closes the runtime and keeps the credentials, so `connect` can reconnect without pairing again.',
        tags: TAGS,
        security: BEARER,
        params: SessionParams,
        response: { 200: dataOf(SessionViewSchema), ...errorResponses('INVALID_SESSION_ID', 'FORBIDDEN', 'SESSION_NOT_FOUND') },
      },
    },
    async (request) => ({ data: await sessions.disconnect(request.params.sessionId) }),
  );

  app.post(
    '/sessions/:sessionId/logout',
    {
      schema: {
        summary: 'Log out',
        description: 'Unlinks the device from the phone and wipes the credentials.',
        tags: TAGS,
        security: BEARER,
        params: SessionParams,
        response: {
          200: dataOf(SessionViewSchema),
          ...errorResponses('INVALID_SESSION_ID', 'FORBIDDEN', 'SESSION_NOT_FOUND', 'ENGINE_ERROR'),
        },
      },
    },
    async (request) => ({ data: await sessions.logout(request.params.sessionId) }),
  );
}
