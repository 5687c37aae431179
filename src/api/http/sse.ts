/**
 * Server-Sent Events for gateway events, shared by the native API and the
 * dashboard. Each event is written as `id`, `event` (its type) and `data`
 * (the JSON event); a client resuming with Last-Event-ID first gets the
 * buffered events after that id, then a snapshot of the current state
 * (streamSnapshot.ts; a fresh client gets it first), then live ones. A comment line every
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
  /** Where things stand now; written after any replay, before live events (build it in the same tick). */
  snapshot?: StreamSnapshot;
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
  let floor = opts.lastEventId ?? -1;
  const recent = new Set<number>();
  let closed = false;
  const accept = opts.filter ?? (() => true);
  const snapshotFrame = opts.snapshot ? formatSseEvent(opts.snapshot) : '';
  // A large snapshot (thousands of sessions) is not a slow client.
  const maxBuffered = MAX_BUFFERED_BYTES + Buffer.byteLength(snapshotFrame);

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
    if (recent.size > 4096) recent.delete(recent.values().next().value!);
    write(formatSseEvent(event));
  };

  // Tell EventSource how soon to reconnect, and open the stream for proxies.
  write('retry: 3000\n\n');
  // Replay and subscribe in the same tick, so no event falls between them.
  if (opts.lastEventId !== undefined) {
    for (const event of opts.events.replay(opts.sessionId, opts.lastEventId)) send(event);
  }
  if (opts.snapshot) {
    write(snapshotFrame);
    floor = Math.max(floor, opts.snapshot.id);
  }
  const unsubscribe = opts.events.subscribe(opts.sessionId, send);
  const heartbeat = setInterval(() => write(': heartbeat\n\n'), opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
  heartbeat.unref();

  function cleanup(): void {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    unsubscribe();
    release();
  }
  request.raw.once('close', cleanup);
  res.once('close', cleanup);
  res.once('error', cleanup);
}
