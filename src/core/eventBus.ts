/**
 * Fans gateway events out to subscribers (SSE streams, dashboard, dialects,
 * metrics) and keeps a bounded in-memory buffer so a reconnecting SSE client
 * can resume with Last-Event-ID.
 *
 * The bus assigns every event its id (eventIds.ts: one sequence, so the
 * history row, the SSE `id:` and the webhook id of an event are the same
 * number) and its per-session `seq`. Durable events (all but auth.qr) are committed on the
 * session's persistence chain, in emit order, in one transaction with the
 * webhook deliveries they cause (the outbox) and, for a state change, with
 * the session row change itself (SessionWriter passes it in), for a message
 * event with the message rows it describes (MessageTracker passes them in). Events that
 * describe a session's life are also kept as its audit history.
 *
 * ~400 lines on purpose: emit, the per-session chains, the group commit, the
 * buffer and local/remote fan-out share one invariant (a session's events are
 * heard, buffered and committed in emit order); ids live in eventIds.ts.
 */
import type { Logger } from 'pino';
import type { EventBus, EventListener } from './gateway.js';
import { TRANSIENT_EVENT_TYPES, type GatewayEvent, type GatewayEventType } from './model.js';
import type { DurableEvent, EventBatch, EventRepo, Fence, NewDelivery, SessionPatch } from '../store/types.js';
import { DEFAULT_ID_BLOCK, EventIds } from './eventIds.js';
import { GroupCommitter } from '../shared/groupCommit.js';

/** The audit history: a session's life, not its traffic. */
const HISTORY_TYPES: ReadonlySet<GatewayEventType> = new Set([
  'session.created',
  'connection.state',
  'auth.pairing_code',
  'auth.pairing_failed',
  'auth.paired',
  'auth.logged_out',
]);

/** Where durable events find their webhook deliveries, and hear that they were committed. */
export interface Outbox {
  /** Deliveries for one event (synchronous: an in-memory match of the subscriptions). */
  match(event: GatewayEvent): NewDelivery[];
  /** Called after the deliveries were committed, in commit order. */
  committed(deliveries: NewDelivery[]): void;
}

export interface EventBusOptions {
  repo?: EventRepo;
  logger: Logger;
  bufferSize?: number;
  /** Ids reserved in the store at a time (a restart may skip up to this many). */
  idBlock?: number;
}


/**
 * Cluster mode: the shared feed of every node's recent events, read by a
 * stream that resumes on a node that did not see them all (it started later,
 * or the client came from another node).
 */
export interface EventFeed {
  /** The newest `limit` events after `afterId` (one session's when given), oldest first; `more` when older ones were left out. */
  after(afterId: number, sessionId: string | undefined, limit: number): Promise<{ events: GatewayEvent[]; more: boolean }>;
  /** True when events after `afterId` may have left the feed already. */
  gone(afterId: number): boolean;
}

/** Where the stream stands: the last id handed out, and a session's last durable seq. */
export interface EventPosition {
  id: number;
  seq: number;
}

/** A write that goes with an event: the session row change it describes. */
export interface EventCommit {
  sessionId: string;
  patch: SessionPatch;
  /** Cluster mode: the owner's fence the change is conditional on. */
  fence?: Fence;
}

export class InMemoryEventBus implements EventBus {
  private readonly ids: EventIds;
  /** Every event after this id is still in the buffer (older ones were dropped or came before this process). */
  private bufferedAfter: number;
  private readonly seqs = new Map<string, number>();
  private readonly buffer: GatewayEvent[] = [];
  private readonly bufferSize: number;
  /** Index of the oldest kept event in `buffer` (see trimBuffer). */
  private bufferStart = 0;
  private readonly all = new Set<EventListener>();
  /** Listeners that must not hear other nodes' events (they act on sessions this node runs). */
  private readonly localOnly = new Set<EventListener>();
  /** Cluster mode: where a resuming stream finds the events this node did not see. */
  private feed: EventFeed | null = null;
  /** The highest id delivered here, other nodes' included (a snapshot stands after it). */
  private highestSeen = 0;
  private readonly bySession = new Map<string, Set<EventListener>>();
  /** One persistence chain per session: its writes and events commit in order. */
  private readonly chains = new Map<string, Promise<void>>();
  private outbox: Outbox | undefined;
  /** Batches from every session, committed together per turn of the event loop, in submission order. */
  private readonly committer: GroupCommitter<EventBatch>;
  /** Event-only commits not awaited by their chain (flush and history wait for them). */
  private readonly inflight = new Set<Promise<void>>();

  constructor(private readonly opts: EventBusOptions) {
    this.bufferSize = opts.bufferSize ?? 5_000;
    this.ids = new EventIds(opts.repo, opts.logger, opts.idBlock ?? DEFAULT_ID_BLOCK);
    this.committer = new GroupCommitter((batches) => this.commitGroup(batches));
    this.bufferedAfter = this.ids.next - 1;
  }

  /** Continue ids and per-session seqs after the last used or reserved ones (call before the first emit). */
  async init(): Promise<void> {
    if (!this.opts.repo) return;
    const { lastEventId, seqBySession } = await this.opts.repo.sequences();
    for (const [sessionId, seq] of seqBySession) this.seqs.set(sessionId, Math.max(seq, this.seqs.get(sessionId) ?? 0));
    await this.ids.continueAfter(lastEventId);
    this.bufferedAfter = this.ids.next - 1;
  }

  /** The last id handed out, and the session's last durable seq (for a stream's snapshot). */
  position(sessionId?: string): EventPosition {
    return { id: Math.max(this.ids.next - 1, this.highestSeen), seq: sessionId === undefined ? 0 : (this.seqs.get(sessionId) ?? 0) };
  }

  /** True when every event after `lastEventId` is still buffered, so replay() misses none. */
  covers(lastEventId: number): boolean {
    return lastEventId >= this.bufferedAfter && lastEventId < this.ids.next;
  }

  attachOutbox(outbox: Outbox): void {
    this.outbox = outbox;
  }

  /** A fresh event id (for events that are not emitted, e.g. a webhook test ping). */
  allocateId(): number {
    return this.ids.take();
  }

  /** Cluster mode: resume streams from the shared event feed as well as the buffer. */
  useFeed(feed: EventFeed): void {
    this.feed = feed;
  }

  /**
   * Every event after `lastEventId` this node can find, oldest first, each
   * once: the buffer, and in cluster mode the shared feed (read first, so the
   * buffer adds what arrived or was emitted meanwhile). A feed that cannot be
   * read leaves the buffer, flagged as missing events.
   */
  async resume(sessionId: string | undefined, lastEventId: number): Promise<{ events: GatewayEvent[]; missed: boolean }> {
    if (!this.feed) return { events: this.replay(sessionId, lastEventId), missed: !this.covers(lastEventId) };
    let fromFeed: { events: GatewayEvent[]; more: boolean };
    try {
      fromFeed = await this.feed.after(lastEventId, sessionId, this.bufferSize);
    } catch (err) {
      this.opts.logger.warn({ err, sessionId }, 'could not read the shared event feed for a resuming stream');
      return { events: this.replay(sessionId, lastEventId), missed: true };
    }
    const byId = new Map<number, GatewayEvent>();
    for (const event of fromFeed.events) byId.set(event.id, event);
    for (const event of this.replay(sessionId, lastEventId)) byId.set(event.id, event);
    const events = [...byId.values()].sort((a, b) => a.id - b.id);
    return { events, missed: fromFeed.more || this.feed.gone(lastEventId) };
  }

  /** Cluster mode: allocate ids in this node's slot (call before the first emit). */
  useIdSlot(slot: number, stride: number): void {
    this.ids.useSlot(slot, stride);
  }

  /** The session's last committed seq (another node may have emitted since this one last did). */
  async committedSeq(sessionId: string): Promise<number> {
    return this.opts.repo ? this.opts.repo.sequenceOf(sessionId) : (this.seqs.get(sessionId) ?? 0);
  }

  /** A node taking a session over continues its seq after the last committed one. */
  continueSeq(sessionId: string, seq: number): void {
    this.seqs.set(sessionId, Math.max(seq, this.seqs.get(sessionId) ?? 0));
  }

  /** Subscribe to this node's own events only (all sessions). Returns unsubscribe. */
  subscribeLocal(listener: EventListener): () => void {
    this.localOnly.add(listener);
    return () => this.localOnly.delete(listener);
  }

  /**
   * An event another node emitted (cluster fan-out): buffered for resume and
   * delivered to subscribers, never persisted or matched to webhooks again
   * (its own node did that).
   */
  deliverRemote(event: GatewayEvent): void {
    this.highestSeen = Math.max(this.highestSeen, event.id);
    let i = this.buffer.length;
    while (i > this.bufferStart && this.buffer[i - 1]!.id > event.id) i -= 1;
    if (i > this.bufferStart && this.buffer[i - 1]!.id === event.id) return;
    this.buffer.splice(i, 0, event);
    this.trimBuffer();
    this.deliver(this.all, event);
    const listeners = this.bySession.get(event.sessionId);
    if (listeners) this.deliver(listeners, event);
  }

  /**
   * Announce an event. `write` (SessionWriter) takes over committing it: it
   * receives the batch and must commit it with its row change via `commit`.
   */
  emit(
    type: GatewayEventType,
    sessionId: string,
    data: Record<string, unknown>,
    write?: (batch: EventBatch) => Promise<void>,
  ): GatewayEvent {
    const durable = !TRANSIENT_EVENT_TYPES.has(type);
    const seq = durable ? (this.seqs.get(sessionId) ?? 0) + 1 : (this.seqs.get(sessionId) ?? 0);
    if (durable) this.seqs.set(sessionId, seq);
    const event: GatewayEvent = { id: this.ids.take(), type, sessionId, seq, createdAt: new Date().toISOString(), data };
    this.buffer.push(event);
    this.trimBuffer();
    this.deliver(this.localOnly, event);
    this.deliver(this.all, event);
    const listeners = this.bySession.get(sessionId);
    if (listeners) this.deliver(listeners, event);
    if (durable && this.opts.repo) {
      const batch = this.batchOf(event);
      if (write) this.enqueueQuietly(sessionId, () => write(batch));
      // Submitted in chain order; the chain need not wait for it (the group keeps the order).
      else this.enqueueQuietly(sessionId, async () => this.track(this.commitQuietly(batch)));
    } else if (write) {
      this.enqueueQuietly(sessionId, () => write({ events: [], deliveries: [] }));
    }
    return event;
  }

  /**
   * Keep the newest `bufferSize` events (those from `bufferStart` on). The
   * dropped ones leave the array in steps of an eighth: splicing one off per
   * event moved the whole array each time (~60 µs per event at 5000).
   */
  private trimBuffer(): void {
    const excess = this.buffer.length - this.bufferStart - this.bufferSize;
    if (excess <= 0) return;
    this.bufferStart += excess;
    this.bufferedAfter = Math.max(this.bufferedAfter, this.buffer[this.bufferStart - 1]!.id);
    if (this.bufferStart > this.bufferSize >> 3) {
      this.buffer.splice(0, this.bufferStart);
      this.bufferStart = 0;
    }
  }

  /** The buffered events, oldest first. */
  private buffered(): GatewayEvent[] {
    return this.bufferStart === 0 ? this.buffer : this.buffer.slice(this.bufferStart);
  }

  /**
   * Run `task` on the session's persistence chain, after everything queued
   * before it. The returned promise settles with the task; the chain goes on
   * whatever the task does.
   */
  /** enqueue() for callers that do not wait: the chain already logs a failure. */
  private enqueueQuietly(sessionId: string, task: () => Promise<void>): void {
    this.enqueue(sessionId, task).catch(() => undefined);
  }

  enqueue(sessionId: string, task: () => Promise<void>): Promise<void> {
    const previous = this.chains.get(sessionId) ?? Promise.resolve();
    const run = previous.then(task);
    const tail = run.then(
      () => undefined,
      (err: unknown) => this.opts.logger.warn({ err, sessionId }, 'a queued store write failed'),
    );
    this.chains.set(sessionId, tail);
    void tail.then(() => {
      if (this.chains.get(sessionId) === tail) this.chains.delete(sessionId);
    });
    return run;
  }

  /** Commit a batch (and a session change with it) with the current group; throws when the store does. */
  async commit(batch: EventBatch, session?: EventCommit): Promise<void> {
    if (!this.opts.repo) {
      // Message rows have no other way into the store: losing them silently would lose messages.
      if (batch.messages?.length) throw new Error('message rows cannot be committed: this event bus has no store');
      return;
    }
    if (batch.events.length === 0 && !session && !batch.messages?.length) return;
    await this.committer.submit(
      session ? { ...batch, session: { id: session.sessionId, patch: session.patch, ...(session.fence ? { fence: session.fence } : {}) } } : batch,
    );
  }

  /**
   * Commit a batch without holding the session's chain: a write callback
   * that returns once this is called keeps emit order (the group commits in
   * submission order) and lets the session's next event go on at once.
   * stored(), history() and flush() wait for it. Rejects when the store does.
   */
  submit(batch: EventBatch, session?: EventCommit): Promise<void> {
    const committed = this.commit(batch, session);
    this.track(committed.catch(() => undefined));
    return committed;
  }

  private async commitGroup(batches: EventBatch[]): Promise<void> {
    await this.opts.repo!.commit(batches);
    const deliveries = batches.flatMap((b) => b.deliveries);
    if (deliveries.length === 0 || !this.outbox) return;
    try {
      this.outbox.committed(deliveries);
    } catch (err) {
      this.opts.logger.warn({ err }, 'the webhook dispatcher could not take committed deliveries');
    }
  }

  private track(commit: Promise<void>): void {
    this.inflight.add(commit);
    void commit.finally(() => this.inflight.delete(commit));
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
    return this.buffered().filter((e) => e.id > lastEventId && (sessionId === undefined || e.sessionId === sessionId));
  }

  async history(sessionId: string, limit: number): Promise<GatewayEvent[]> {
    if (!this.opts.repo) return this.buffered().filter((e) => e.sessionId === sessionId).slice(-limit);
    await this.chains.get(sessionId);
    await Promise.all([...this.inflight]);
    const rows = await this.opts.repo.list(sessionId, limit);
    return rows.map((row) => ({
      id: row.id ?? 0,
      type: row.type as GatewayEventType,
      sessionId: row.sessionId,
      seq: row.seq ?? 0,
      createdAt: row.createdAt,
      data: JSON.parse(row.data) as Record<string, unknown>,
    }));
  }

  /** Wait until every queued write is done (shutdown, tests). */
  /**
   * Resolves once every event emitted so far for this session is stored.
   * Unlike flush(), it waits for a snapshot only, so other sessions' steady
   * traffic cannot keep it waiting.
   */
  async stored(sessionId: string): Promise<void> {
    await this.chains.get(sessionId);
    await Promise.all([...this.inflight]);
  }

  async flush(): Promise<void> {
    while (this.chains.size > 0 || this.inflight.size > 0) {
      await Promise.all([...this.chains.values(), ...this.inflight]);
    }
  }

  listenerCount(): number {
    let n = this.all.size;
    for (const set of this.bySession.values()) n += set.size;
    return n;
  }

  private batchOf(event: GatewayEvent): EventBatch {
    const durable: DurableEvent = {
      id: event.id,
      sessionId: event.sessionId,
      type: event.type,
      seq: event.seq,
      createdAt: event.createdAt,
      data: JSON.stringify(event.data),
      history: HISTORY_TYPES.has(event.type),
    };
    let deliveries: NewDelivery[] = [];
    if (this.outbox) {
      try {
        deliveries = this.outbox.match(event);
      } catch (err) {
        this.opts.logger.warn({ err, sessionId: event.sessionId }, 'could not match webhook subscriptions');
      }
    }
    return { events: [durable], deliveries };
  }

  private async commitQuietly(batch: EventBatch): Promise<void> {
    try {
      await this.commit(batch);
    } catch (err) {
      this.opts.logger.warn({ err, sessionId: batch.events[0]?.sessionId }, 'could not persist event');
    }
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
}
