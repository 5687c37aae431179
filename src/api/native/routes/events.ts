/** Live events over SSE (one session or all) and a session's persisted history. */
import { Type } from 'typebox';
import { SessionParams } from '../../http/params.js';
import { lastEventIdOf, openEventStream } from '../../http/sse.js';
import { BEARER, type NativeApp, type NativeContext } from '../context.js';
import { EventStreamQuery, GatewayEventSchema, HistoryQuery, dataOf, errorResponses } from '../schemas.js';

const TAGS = ['Events'];

const STREAM_DESCRIPTION =
  'Server-Sent Events. Each event has `id`, `event` (its type) and `data` (the JSON event ' +
  '`{id, type, sessionId, createdAt, data}`). Reconnect with the `Last-Event-ID` header (or `?lastEventId=`) ' +
  'to receive the events you missed first. A `: heartbeat` comment arrives every 15 seconds.';

const streamResponse = {
  200: {
    description: 'A stream of gateway events',
    content: { 'text/event-stream': { schema: Type.String({ description: 'SSE frames: `id`, `event`, `data` (JSON GatewayEvent)' }) } },
  },
};

export function eventRoutes(app: NativeApp, { core, sseHeartbeatMs }: NativeContext): void {
  app.get(
    '/sessions/:sessionId/events',
    {
      schema: {
        summary: 'Stream a session\'s events',
        description: STREAM_DESCRIPTION,
        tags: TAGS,
        security: BEARER,
        params: SessionParams,
        querystring: EventStreamQuery,
        response: { ...streamResponse, ...errorResponses('INVALID_SESSION_ID', 'FORBIDDEN', 'SESSION_NOT_FOUND') },
      },
    },
    (request, reply) => {
      openEventStream(request, reply, {
        events: core.events,
        sessionId: request.params.sessionId,
        lastEventId: lastEventIdOf(request),
        heartbeatMs: sseHeartbeatMs,
      });
    },
  );

  app.get(
    '/events',
    {
      schema: {
        summary: 'Stream every session\'s events',
        description: `${STREAM_DESCRIPTION} Needs the admin key.`,
        tags: TAGS,
        security: BEARER,
        querystring: EventStreamQuery,
        response: { ...streamResponse, ...errorResponses('FORBIDDEN') },
      },
    },
    (request, reply) => {
      openEventStream(request, reply, {
        events: core.events,
        lastEventId: lastEventIdOf(request),
        heartbeatMs: sseHeartbeatMs,
      });
    },
  );

  app.get(
    '/sessions/:sessionId/events/history',
    {
      schema: {
        summary: 'A session\'s event history',
        description: 'Persisted state changes with their reasons (QR codes excluded), oldest first.',
        tags: TAGS,
        security: BEARER,
        params: SessionParams,
        querystring: HistoryQuery,
        response: {
          200: dataOf(Type.Array(GatewayEventSchema), 'Events, oldest first'),
          ...errorResponses('INVALID_SESSION_ID', 'VALIDATION_FAILED', 'FORBIDDEN', 'SESSION_NOT_FOUND'),
        },
      },
    },
    async (request) => ({ data: await core.events.history(request.params.sessionId, request.query.limit ?? 100) }),
  );
}
