/**
 * Server-Sent Events for gateway events, shared by the native API and the
 * dashboard. Each event is written as `id`, `event` (its type) and `data`
 * (the JSON event); a client resuming with Last-Event-ID first gets the
 * events after that id (the buffer's, and with many nodes the shared feed's:
 * events this node never saw), then a snapshot of the current state
 * (streamSnapshot.ts; a fresh client gets it first), then live ones. Live
 * events arriving while the replay is read are held and follow it, each
 * event once. A comment line every
 * heartbeat keeps proxies from closing an idle stream. The subscription and
 * timer go away when the client does (or the server closes the socket).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EventBus } from '../../core/gateway.js';
import type { GatewayEvent } from '../../core/model.js';
import { acquireStreamSlot } from './limits.js';
import type { StreamSnapshot } from './streamSnapshot.js';

export const DEFAULT_HEARTBEAT_MS = 15_000;
/** A client this far behind is too slow to follow; drop it rather than buffer without bound. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

export interface EventStreamOptions {
  events: EventBus;
  /** One session's events, or all sessions' when undefined. */
  sessionId?: string;
  /** Resume after this id (from Last-Event-ID). */
  lastEventId?: number;
  heartbeatMs?: number;
  /** Drop events this stream should not see. */
  filter?: (event: GatewayEvent) => boolean;
  /**
   * Where things stand now, written after any replay and before live events;
   * built then (`missedEvents`: the replay lacks events no longer kept). May
   * throw (a session deleted meanwhile): the stream then ends.
   */
  snapshot?: (missedEvents: boolean) => StreamSnapshot;
}

/** Last-Event-ID header (EventSource reconnects) or `?lastEventId=`; undefined when absent or not a number. */
export function lastEventIdOf(request: FastifyRequest): number | undefined {
  const header = request.headers['last-event-id'];
  const query = (request.query as Record<string, unknown> | undefined)?.lastEventId;
  const raw = typeof header === 'string' && header !== '' ? header : query;
  if (raw === undefined || raw === null || raw === '') return undefined;
  const n = Number(raw);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** One SSE frame. Data lines are JSON, so they never contain a raw newline. */
export function formatSseEvent(event: GatewayEvent | StreamSnapshot): string {
  return `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** Take over the response and stream events until the client leaves. Throws when over a stream cap (limits.ts). */
export function openEventStream(request: FastifyRequest, reply: FastifyReply, opts: EventStreamOptions): void {
  const release = acquireStreamSlot(request);
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // nginx buffers responses by default; SSE must flow at once.
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();

  // Ids are unique but, with several nodes, may arrive slightly out of order:
  // drop what the client had (at or before its resume point) and repeats, not every lower id.
  const floor = opts.lastEventId ?? -1;
  const recent = new Set<number>();
  let closed = false;
  let heartbeat: NodeJS.Timeout | undefined;
  let highestSent = floor;
  const accept = opts.filter ?? (() => true);
  let maxBuffered = MAX_BUFFERED_BYTES;

  const write = (chunk: string): void => {
    if (closed) return;
    res.write(chunk);
    if (res.writableLength > maxBuffered) {
      request.log.warn({ sessionId: opts.sessionId }, 'SSE client too slow; closing its stream');
      cleanup();
      res.destroy();
    }
  };
  const send = (event: GatewayEvent): void => {
    if (event.id <= floor || recent.has(event.id) || !accept(event)) return;
    recent.add(event.id);
    if (recent.size > 8192) recent.delete(recent.values().next().value!);
    highestSent = Math.max(highestSent, event.id);
    write(formatSseEvent(event));
  };
  const writeSnapshot = (missedEvents: boolean): void => {
    if (!opts.snapshot) return;
    const snapshot = opts.snapshot(missedEvents);
    // It stands after what was replayed: a client resuming from its id does not get those again.
    const frame = formatSseEvent({ ...snapshot, id: Math.max(snapshot.id, highestSent) });
    // A large snapshot (thousands of sessions) is not a slow client.
    maxBuffered = MAX_BUFFERED_BYTES + Buffer.byteLength(frame);
    write(frame);
  };

  // Tell EventSource how soon to reconnect, and open the stream for proxies.
  write('retry: 3000\n\n');
  let unsubscribe: () => void = () => undefined;
  if (opts.lastEventId === undefined) {
    // Snapshot and subscribe in the same tick, so no event falls between them.
    writeSnapshot(false);
    if (!closed) unsubscribe = opts.events.subscribe(opts.sessionId, send);
  } else {
    const lastEventId = opts.lastEventId;
    // Subscribed before the replay is read: what arrives meanwhile waits and follows the replay.
    let held: GatewayEvent[] | null = [];
    unsubscribe = opts.events.subscribe(opts.sessionId, (event) => (held ? held.push(event) : send(event)));
    void opts.events
      .resume(opts.sessionId, lastEventId)
      .then(
        ({ events, missed }) => {
          for (const event of events) send(event);
          writeSnapshot(missed);
        },
        (err: unknown) => {
          request.log.warn({ err, sessionId: opts.sessionId }, 'could not replay events for a resuming stream');
          writeSnapshot(true);
        },
      )
      .then(
        () => {
          const waiting = held ?? [];
          held = null;
          for (const event of waiting) send(event);
        },
        (err: unknown) => {
          // The snapshot could not be built (the session went away): end the stream.
          request.log.info({ err, sessionId: opts.sessionId }, 'resuming event stream ended');
          cleanup();
          res.end();
        },
      );
  }
  if (!closed) {
    heartbeat = setInterval(() => write(': heartbeat\n\n'), opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
    heartbeat.unref();
  }

  function cleanup(): void {
    if (closed) return;
    closed = true;
    if (heartbeat) clearInterval(heartbeat);
    unsubscribe();
    release();
  }
  request.raw.once('close', cleanup);
  res.once('close', cleanup);
  res.once('error', cleanup);
}
