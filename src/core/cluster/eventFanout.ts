/**
 * Every node's events on every node's streams: this node's events are
 * written to `cluster_events` (kept minutes) and announced by a NOTIFY that
 * carries their ids; the other nodes fetch them and deliver them to their
 * subscribers (SSE, dashboard) without storing or matching them again.
 * Event ids are unique cluster-wide (each node allocates in its own slot)
 * and ordered by time, so Last-Event-ID resumes on any node.
 */
import type { Logger } from 'pino';
import type { ClusterStore } from '../../store/types.js';
import type { EventFeed, InMemoryEventBus } from '../eventBus.js';
import type { GatewayEvent } from '../model.js';

/** How long events stay in the feed table (a stream resuming on another node reads them). */
const KEEP_MS = 10 * 60_000;
/** A resume point this close to the purge horizon may already have lost events (node and database clocks differ). */
const CLOCK_MARGIN_MS = 30_000;

export class EventFanout implements EventFeed {
  private outgoing: GatewayEvent[] = [];
  private scheduled = false;
  private unsubscribe: (() => void) | null = null;
  private purgeTimer: NodeJS.Timeout | null = null;
  private publishing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: ClusterStore,
    private readonly events: InMemoryEventBus,
    private readonly nodeId: string,
    private readonly channel: string,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.unsubscribe = this.events.subscribeLocal((event) => this.queue(event));
    this.purgeTimer = setInterval(() => {
      this.store.purgeEvents(KEEP_MS).catch((err: unknown) => this.logger.warn({ err }, 'could not purge the cluster event feed'));
    }, 60_000);
    this.purgeTimer.unref();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    if (this.purgeTimer) clearInterval(this.purgeTimer);
    await this.flush();
  }

  /** Resolves once every event queued so far is published. */
  async flush(): Promise<void> {
    if (this.outgoing.length > 0) this.publish();
    await this.publishing;
  }

  /** EventFeed: every node's events after `afterId`, from the feed table (the bus adds its own unpublished ones). */
  async after(afterId: number, sessionId: string | undefined, limit: number): Promise<{ events: GatewayEvent[]; more: boolean }> {
    const rows = await this.store.eventsAfter(afterId, limit + 1, sessionId);
    const more = rows.length > limit;
    return { events: (more ? rows.slice(1) : rows).map((row) => JSON.parse(row.payload) as GatewayEvent), more };
  }

  /** EventFeed: ids carry their time (µs, slot ids), so an id older than the feed keeps may have lost later events. */
  gone(afterId: number): boolean {
    return afterId / 1000 < Date.now() - KEEP_MS + CLOCK_MARGIN_MS;
  }

  /** A NOTIFY on the events channel: `<node> <id>,<id>,…`. */
  notified(payload: string): void {
    const space = payload.indexOf(' ');
    if (space < 0 || payload.slice(0, space) === this.nodeId) return;
    const ids = payload
      .slice(space + 1)
      .split(',')
      .map(Number)
      .filter((n) => Number.isSafeInteger(n));
    this.store.fetchEvents(ids).then(
      (rows) => {
        for (const row of rows) this.events.deliverRemote(JSON.parse(row.payload) as GatewayEvent);
      },
      (err: unknown) => this.logger.warn({ err }, 'could not fetch events from another node'),
    );
  }

  private queue(event: GatewayEvent): void {
    this.outgoing.push(event);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.publish();
    });
  }

  private publish(): void {
    const batch = this.outgoing;
    this.outgoing = [];
    if (batch.length === 0) return;
    // One publication at a time, in order: a later batch never overtakes an earlier one.
    this.publishing = this.publishing.then(() =>
      this.store
        .publishEvents(
          this.nodeId,
          this.channel,
          batch.map((e) => ({ id: e.id, sessionId: e.sessionId, payload: JSON.stringify(e) })),
        )
        .catch((err: unknown) => this.logger.warn({ err, events: batch.length }, 'could not publish events to the other nodes')),
    );
  }
}
