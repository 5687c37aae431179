/**
 * Follow the gateway's live events (Server-Sent Events) as an async iterator
 * that survives lost connections: it reconnects with backoff, sends the last
 * event id it handed out as `Last-Event-ID` so the gateway replays what was
 * missed, and drops anything it already handed out, so each event arrives
 * once and in order. A stream that goes silent (no heartbeat) counts as lost.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { WagateApiError, checkBaseUrl, isRecord } from './client.js';
import type { paths } from './schema.js';

/** A gateway event: `{id, type, sessionId, seq, createdAt, data}`, as the OpenAPI document describes it. */
export type WagateEvent =
  paths['/api/v1/sessions/{sessionId}/events/history']['get']['responses'][200]['content']['application/json']['data'][number];

type SessionView = paths['/api/v1/sessions/{sessionId}']['get']['responses'][200]['content']['application/json']['data'];

/**
 * Where things stood when a connection opened (the gateway sends it after any
 * replay, before live events): one session's view, or every session's on the
 * all-sessions stream. `missedEvents`: some events after the resumed id were
 * no longer kept, so trust this over what you pieced together.
 */
export interface WagateSnapshot {
  id: number;
  type: 'session.snapshot' | 'sessions.snapshot';
  sessionId: string | null;
  seq: number;
  createdAt: string;
  data: { missedEvents: boolean; session?: SessionView; sessions?: SessionView[] };
}

export interface FollowEventsOptions {
  /** The gateway's address, e.g. `http://127.0.0.1:3000`. */
  baseUrl: string;
  /** A session's key, or the admin key (needed for every session's stream). */
  apiKey: string;
  /** Follow this session; left out, every session (admin key only). */
  sessionId?: string;
  /** Start after this event id: the last one you handled, e.g. kept across your own restarts. */
  lastEventId?: number;
  /** Stops following, like `close()`. */
  signal?: AbortSignal;
  /** Waits between attempts: from `minDelayMs` (default 500), doubling per failed attempt, up to `maxDelayMs` (default 30 000), with jitter. */
  reconnect?: { minDelayMs?: number; maxDelayMs?: number };
  /** No byte for this long (the gateway sends a heartbeat every 15 s) means the connection is dead. Default 45 000. */
  idleTimeoutMs?: number;
  /** A fetch to use instead of the global one. */
  fetch?: typeof fetch;
  /** A connection was opened; `lastEventId` is what it resumed after. */
  onConnect?: (info: { lastEventId: number | undefined }) => void;
  /** A connection was lost or refused; the next attempt follows in `retryInMs`. */
  onDisconnect?: (info: { error: unknown; retryInMs: number }) => void;
  /** Each connection's snapshot of the current state (not an event: the iterator hands out events only). */
  onSnapshot?: (snapshot: WagateSnapshot) => void;
}

/** Statuses worth another attempt; any other refusal (bad key, unknown session) ends the stream with its error. */
const RETRY_STATUSES = new Set([408, 425, 429, 500, 502, 503, 504]);

export class EventStream implements AsyncIterable<WagateEvent> {
  private readonly stop = new AbortController();
  private last: number | undefined;
  private started = false;

  constructor(private readonly options: FollowEventsOptions) {
    checkBaseUrl(options.baseUrl);
    this.last = options.lastEventId;
    const outer = options.signal;
    if (outer?.aborted) this.stop.abort();
    else outer?.addEventListener('abort', () => this.stop.abort(), { once: true });
  }

  /** The id of the last event handed out: store it to resume later (`lastEventId`). */
  get lastEventId(): number | undefined {
    return this.last;
  }

  /** Stop following; a pending `next()` ends the iteration. */
  close(): void {
    this.stop.abort();
  }

  [Symbol.asyncIterator](): AsyncIterator<WagateEvent> {
    if (this.started) throw new Error('An EventStream can be iterated once; call followEvents again (with lastEventId) for another');
    this.started = true;
    return this.follow();
  }

  private async *follow(): AsyncGenerator<WagateEvent, void, undefined> {
    const { minDelayMs = 500, maxDelayMs = 30_000 } = this.options.reconnect ?? {};
    let failures = 0;
    while (!this.stop.signal.aborted) {
      const connection = new AbortController();
      const onStop = (): void => connection.abort();
      this.stop.signal.addEventListener('abort', onStop, { once: true });
      let lost: unknown;
      try {
        const response = await this.open(connection.signal);
        failures = 0;
        this.options.onConnect?.({ lastEventId: this.last });
        for await (const event of this.read(response, connection)) {
          // Replayed after a resume, or seen on an earlier connection: hand out once.
          if (this.last !== undefined && event.id <= this.last) continue;
          this.last = event.id;
          yield event;
        }
        lost = new Error('The gateway closed the event stream');
      } catch (err) {
        if (this.stop.signal.aborted) return;
        if (err instanceof WagateApiError && !RETRY_STATUSES.has(err.status)) throw err;
        lost = err;
      } finally {
        this.stop.signal.removeEventListener('abort', onStop);
        connection.abort();
      }
      const ceiling = Math.min(maxDelayMs, minDelayMs * 2 ** failures);
      const retryInMs = Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
      failures += 1;
      this.options.onDisconnect?.({ error: lost, retryInMs });
      await pause(retryInMs, this.stop.signal);
    }
  }

  private async open(signal: AbortSignal): Promise<Response> {
    const { baseUrl, apiKey, sessionId } = this.options;
    const base = checkBaseUrl(baseUrl);
    const url = sessionId === undefined ? `${base}/api/v1/events` : `${base}/api/v1/sessions/${encodeURIComponent(sessionId)}/events`;
    const headers: Record<string, string> = { authorization: `Bearer ${apiKey}`, accept: 'text/event-stream' };
    if (this.last !== undefined) headers['last-event-id'] = String(this.last);
    const response = await (this.options.fetch ?? fetch)(url, { headers, signal });
    if (!response.ok) {
      const body: unknown = await response.json().catch(() => undefined);
      throw WagateApiError.from(response.status, body);
    }
    const type = response.headers.get('content-type') ?? '';
    if (!type.startsWith('text/event-stream') || !response.body) {
      await response.body?.cancel().catch(() => undefined);
      throw new WagateApiError(response.status, 'NOT_AN_EVENT_STREAM', `${url} answered ${type || 'no content type'}, not text/event-stream; is baseUrl the gateway?`);
    }
    return response;
  }

  /** The events of one connection, until it ends, fails or goes silent for idleTimeoutMs. */
  private async *read(response: Response, connection: AbortController): AsyncGenerator<WagateEvent, void, undefined> {
    const pending: WagateEvent[] = [];
    const parser = createParser({
      onEvent: (message) => {
        const event = parseEvent(message);
        if (!event) return;
        if (isSnapshot(event)) this.options.onSnapshot?.(event);
        else pending.push(event);
      },
    });
    const idleMs = this.options.idleTimeoutMs ?? 45_000;
    let idle: ReturnType<typeof setTimeout> | undefined;
    const watch = (): void => {
      clearTimeout(idle);
      idle = setTimeout(() => connection.abort(new Error(`No data from the event stream for ${idleMs} ms`)), idleMs);
    };
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    try {
      watch();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        watch();
        parser.feed(value);
        while (pending.length > 0) yield pending.shift()!;
      }
    } finally {
      clearTimeout(idle);
      reader.releaseLock();
    }
  }
}

/** Follow events (see EventStream): `for await (const event of followEvents({ baseUrl, apiKey, sessionId })) …`. */
export function followEvents(options: FollowEventsOptions): EventStream {
  return new EventStream(options);
}

function isSnapshot(event: WagateEvent | WagateSnapshot): event is WagateSnapshot {
  return event.type === 'session.snapshot' || event.type === 'sessions.snapshot';
}

/** A frame's JSON event or snapshot; frames that are neither (a future kind of frame) are skipped. */
function parseEvent(message: EventSourceMessage): WagateEvent | WagateSnapshot | undefined {
  let value: unknown;
  try {
    value = JSON.parse(message.data);
  } catch {
    return undefined;
  }
  if (!isRecord(value) || typeof value.id !== 'number' || typeof value.type !== 'string') return undefined;
  return value as WagateEvent | WagateSnapshot;
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
