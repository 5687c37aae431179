/**
 * `GET /dashboard/api/events`: the page's live feed of every session's
 * events (state changes, QR rotations, pairing), resumable with
 * Last-Event-ID after a dropped connection. Frames carry no `event:` name:
 * the payload says its type, so the page reads all of them with one onmessage.
 * The one named frame, `sessions.snapshot` (every session as it stands, after
 * any replay and before live events), reaches only a page that listens for it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayCore } from '../../core/gateway.js';
import { acquireStreamSlot } from '../http/limits.js';
import { publicEvent } from './publicEvent.js';
import type { GatewayEvent } from '../../core/model.js';
import { allSessionsSnapshot } from '../http/streamSnapshot.js';
import { openSseStream, type SseStream } from './sse.js';
import { SECURITY_HEADERS } from './staticFiles.js';

export async function registerEventStream(app: FastifyInstance, opts: { core: GatewayCore }): Promise<void> {
  const { core } = opts;
  const open = new Set<SseStream>();

  // Close streams before the server waits for its connections to end.
  app.addHook('preClose', async () => {
    for (const stream of open) stream.close();
  });

  // The event log page's start: the newest events of every session still kept.
  app.get('/api/events/recent', async (request: FastifyRequest<{ Querystring: { limit?: string } }>) => {
    const asked = Number.parseInt(request.query.limit ?? '', 10);
    const limit = Number.isFinite(asked) ? Math.min(Math.max(asked, 1), 500) : 200;
    // With many nodes, from the shared feed too: a node started a minute ago shows what came before.
    return { events: (await core.events.resume(undefined, 0)).events.slice(-limit).map(publicEvent) };
  });

  app.get('/api/events', async (request: FastifyRequest, reply: FastifyReply) => {
    // Over a stream cap this throws before anything is written: the dashboard's error envelope answers.
    const release = acquireStreamSlot(request);
    const stream = openSseStream(reply, { headers: SECURITY_HEADERS });
    open.add(stream);
    const parsed = Number.parseInt(String(request.headers['last-event-id'] ?? ''), 10);
    const lastEventId = Number.isFinite(parsed) ? parsed : undefined;
    // Each event once: not at or before the resume point, and no repeat of one already sent.
    const sent = new Set<number>();
    let highestSent = lastEventId ?? -1;
    const send = (event: GatewayEvent): void => {
      if ((lastEventId !== undefined && event.id <= lastEventId) || sent.has(event.id)) return;
      sent.add(event.id);
      if (sent.size > 8192) sent.delete(sent.values().next().value!);
      highestSent = Math.max(highestSent, event.id);
      stream.send({ id: event.id, data: publicEvent(event) });
    };
    const sendSnapshot = (missed: boolean): void => {
      const snapshot = allSessionsSnapshot(core, missed);
      const id = Math.max(snapshot.id, highestSent);
      stream.send({ id, event: snapshot.type, data: { ...snapshot, id } });
    };
    // Live events that arrive while a replay is read wait for it (the replay may come from the database).
    let held: GatewayEvent[] | null = lastEventId === undefined ? null : [];
    if (lastEventId === undefined) sendSnapshot(false);
    const unsubscribe = core.events.subscribe(undefined, (event) => (held ? held.push(event) : send(event)));
    if (lastEventId !== undefined) {
      core.events
        .resume(undefined, lastEventId)
        .then(
          ({ events, missed }) => {
            for (const event of events) send(event);
            sendSnapshot(missed);
          },
          (err: unknown) => {
            request.log.warn({ err }, 'could not replay events for a resuming dashboard stream');
            sendSnapshot(true);
          },
        )
        .then(() => {
          const waiting = held ?? [];
          held = null;
          for (const event of waiting) send(event);
        })
        .catch((err: unknown) => request.log.warn({ err }, 'dashboard event stream could not resume'));
    }
    stream.onClose(() => {
      unsubscribe();
      release();
      open.delete(stream);
    });
  });
}
