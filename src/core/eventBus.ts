/**
 * Fans gateway events out to subscribers (SSE streams, dashboard, dialects)
 * and keeps a bounded in-memory buffer so a reconnecting SSE client can
 * resume with Last-Event-ID. Events that describe a session's life (state
 * changes, pairing, logout) are also persisted as its audit history.
 */
import type { Logger } from 'pino';
import type { EventBus, EventListener } from './gateway.js';
import type { GatewayEvent, GatewayEventType } from './model.js';
import type { EventRepo } from '../store/types.js';

/** Rotating QR codes are frequent and carry a secret payload: not audit history. */
const PERSISTED_TYPES: ReadonlySet<GatewayEventType> = new Set([
  'session.created',
  'connection.state',
  'auth.pairing_code',
  'auth.pairing_failed',
  'auth.paired',
  'auth.logged_out',
]);

export interface EventBusOptions {
  repo?: EventRepo;
  logger: Logger;
  bufferSize?: number;
}

export class InMemoryEventBus implements EventBus {
  private nextId: number;
  private readonly buffer: GatewayEvent[] = [];
  private readonly bufferSize: number;
  private readonly all = new Set<EventListener>();
  private readonly bySession = new Map<string, Set<EventListener>>();
  private persistChain: Promise<void> = Promise.resolve();

  constructor(private readonly opts: EventBusOptions) {
    this.bufferSize = opts.bufferSize ?? 5_000;
    // Start from the clock so ids stay increasing across restarts: a client
    // resuming with an id from the previous process gets no stale replay.
    this.nextId = Date.now() * 1000;
  }

  emit(type: GatewayEventType, sessionId: string, data: Record<string, unknown>): GatewayEvent {
    const event: GatewayEvent = {
      id: this.nextId++,
      type,
      sessionId,
      createdAt: new Date().toISOString(),
      data,
    };
    this.buffer.push(event);
    if (this.buffer.length > this.bufferSize) this.buffer.splice(0, this.buffer.length - this.bufferSize);
    this.deliver(this.all, event);
    const listeners = this.bySession.get(sessionId);
    if (listeners) this.deliver(listeners, event);
    if (this.opts.repo && PERSISTED_TYPES.has(type)) this.persist(event);
    return event;
  }

  subscribe(sessionId: string | undefined, listener: EventListener): () => void {
    if (sessionId === undefined) {
      this.all.add(listener);
      return () => this.all.delete(listener);
    }
    let set = this.bySession.get(sessionId);
    if (!set) {
      set = new Set();
      this.bySession.set(sessionId, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.bySession.delete(sessionId);
    };
  }

  replay(sessionId: string | undefined, lastEventId: number): GatewayEvent[] {
    return this.buffer.filter((e) => e.id > lastEventId && (sessionId === undefined || e.sessionId === sessionId));
  }

  async history(sessionId: string, limit: number): Promise<GatewayEvent[]> {
    if (!this.opts.repo) return this.buffer.filter((e) => e.sessionId === sessionId).slice(-limit);
    await this.persistChain;
    const rows = await this.opts.repo.list(sessionId, limit);
    return rows.map((row) => ({
      id: row.id ?? 0,
      type: row.type as GatewayEventType,
      sessionId: row.sessionId,
      createdAt: row.createdAt,
      data: JSON.parse(row.data) as Record<string, unknown>,
    }));
  }

  /** Wait until every persisted event is written (shutdown, tests). */
  async flush(): Promise<void> {
    await this.persistChain;
  }

  listenerCount(): number {
    let n = this.all.size;
    for (const set of this.bySession.values()) n += set.size;
    return n;
  }

  private deliver(listeners: Set<EventListener>, event: GatewayEvent): void {
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch (err) {
        this.opts.logger.warn({ err, sessionId: event.sessionId, type: event.type }, 'event listener failed');
      }
    }
  }

  private persist(event: GatewayEvent): void {
    const repo = this.opts.repo!;
    this.persistChain = this.persistChain
      .then(() =>
        repo.append({
          sessionId: event.sessionId,
          type: event.type,
          data: JSON.stringify(event.data),
          createdAt: event.createdAt,
        }),
      )
      .catch((err: unknown) => {
        this.opts.logger.warn({ err, sessionId: event.sessionId }, 'could not persist event');
      });
  }
}
