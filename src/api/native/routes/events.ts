/** Live events over SSE (one session or all) and a session's persisted history. */
import { Type } from 'typebox';
import { SessionParams } from '../../http/params.js';
import { lastEventIdOf, openEventStream } from '../../http/sse.js';
import { allSessionsSnapshot, sessionSnapshot } from '../../http/streamSnapshot.js';
import { BEARER, type NativeApp, type NativeContext } from '../context.js';
import { EventStreamQuery, GatewayEventSchema, HistoryQuery, dataOf, errorResponses } from '../schemas.js';

const TAGS = ['Events'];

const STREAM_DESCRIPTION =
  'Server-Sent Events. Each event has `id`, `event` (its type) and `data` (the JSON event ' +
  '`{id, type, sessionId, seq, createdAt, data}`). The id is the event\'s one number: the same in the ' +
  'history and as a webhook\'s `webhook-id`. Reconnect with the `Last-Event-ID` header (or `?lastEventId=`) ' +
  'to receive the events you missed first. Then, before any live event (first of all on a fresh ' +
  'stream), comes a snapshot of where things stand: ';

const SESSION_SNAPSHOT_TEXT =
  '`session.snapshot` with `data: {session, missedEvents}` (the session as `GET /sessions/{sessionId}` shows it; ' +
  '`missedEvents` is true when some events after your `Last-Event-ID` are no longer kept). ' +
  'A `: heartbeat` comment arrives every 15 seconds.';

const ALL_SNAPSHOT_TEXT =
  '`sessions.snapshot` with `data: {sessions, missedEvents}` (every session, as `GET /sessions` shows them; ' +
  'its `sessionId` is null). A `: heartbeat` comment arrives every 15 seconds.';

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
        description: STREAM_DESCRIPTION + SESSION_SNAPSHOT_TEXT,
        tags: TAGS,
        security: BEARER,
        params: SessionParams,
        querystring: EventStreamQuery,
        response: { ...streamResponse, ...errorResponses('INVALID_SESSION_ID', 'FORBIDDEN', 'SESSION_NOT_FOUND') },
      },
    },
    (request, reply) => {
      const lastEventId = lastEventIdOf(request);
      const { sessionId } = request.params;
      // Before the stream opens: an unknown session is a 404, not an empty stream.
      core.sessions.get(sessionId);
      openEventStream(request, reply, {
        events: core.events,
        sessionId,
        lastEventId,
        heartbeatMs: sseHeartbeatMs,
        snapshot: (missed) => sessionSnapshot(core, sessionId, missed),
      });
    },
  );

  app.get(
    '/events',
    {
      schema: {
        summary: 'Stream every session\'s events',
        description: `${STREAM_DESCRIPTION}${ALL_SNAPSHOT_TEXT} Needs the admin key.`,
        tags: TAGS,
        security: BEARER,
        querystring: EventStreamQuery,
        response: { ...streamResponse, ...errorResponses('FORBIDDEN') },
      },
    },
    (request, reply) => {
      const lastEventId = lastEventIdOf(request);
      openEventStream(request, reply, {
        events: core.events,
        lastEventId,
        heartbeatMs: sseHeartbeatMs,
        snapshot: (missed) => allSessionsSnapshot(core, missed),
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
