/**
 * The outbox on many nodes (PostgreSQL): hands the dispatcher only the
 * deliveries this node delivers and wakes the node that delivers the rest,
 * follows sessions as they move (taken over: deliver their pending lanes;
 * let go: stop them), keeps the in-memory endpoint table equal to the
 * database when another node changes an endpoint, and scans the store every
 * `routing.scanMs` as the safety net behind the notices (a missed notice, a
 * node that became the one for sessions nobody owns).
 */
import type { Logger } from 'pino';
import type { DeliveryRow, NewDelivery, WebhookEndpointRow, WebhookRepo } from '../../store/types.js';
import type { WebhookDispatcher } from './dispatcher.js';
import type { DeliveryListener, DeliveryRouting } from './routing.js';

export interface ClusterOutboxDeps {
  routing: DeliveryRouting;
  dispatcher: WebhookDispatcher;
  repo: WebhookRepo;
  /** The service's endpoint table (shared: changes here are the service's). */
  endpoints: Map<string, WebhookEndpointRow>;
  logger: Logger;
}

export class ClusterOutbox implements DeliveryListener {
  private timer: NodeJS.Timeout | null = null;
  private scanning = false;

  constructor(private readonly deps: ClusterOutboxDeps) {}

  start(): void {
    this.deps.routing.attach(this);
    this.timer = setInterval(() => this.scan(), this.deps.routing.scanMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Committed (or replayed) deliveries: this node's go to its dispatcher, the others' owners are woken. */
  deliver(rows: readonly NewDelivery[]): void {
    this.split(rows, (mine) => this.deps.dispatcher.enqueue(mine));
  }

  requeue(rows: readonly DeliveryRow[]): void {
    this.split(rows, (mine) => this.deps.dispatcher.requeue(mine));
  }

  private split<T extends { sessionId: string }>(rows: readonly T[], here: (rows: T[]) => void): void {
    const { routing } = this.deps;
    const mine: T[] = [];
    const elsewhere = new Set<string>();
    for (const row of rows) {
      if (routing.mine(row.sessionId)) mine.push(row);
      else elsewhere.add(row.sessionId);
    }
    if (mine.length > 0) here(mine);
    if (elsewhere.size > 0) routing.announce([...elsewhere]);
  }

  // ---- DeliveryListener

  gained(sessionIds: readonly string[]): void {
    this.load(new Set(sessionIds));
  }

  lost(sessionIds: readonly string[]): void {
    this.deps.dispatcher.forgetSessions(sessionIds);
  }

  waiting(sessionIds: readonly string[] | null): void {
    this.load(sessionIds === null ? undefined : new Set(sessionIds.filter((id) => this.deps.routing.mine(id))));
  }

  endpointChanged(id: string | null): void {
    const done = id === null ? this.syncAll() : this.syncOne(id);
    done.catch((err: unknown) => this.deps.logger.warn({ err, webhookId: id ?? undefined }, 'could not reload webhook endpoints changed on another node'));
  }

  // ---- internals

  private load(sessionIds?: ReadonlySet<string>): void {
    if (sessionIds !== undefined && sessionIds.size === 0) return;
    this.deps.dispatcher.load(undefined, sessionIds).catch((err: unknown) => this.deps.logger.warn({ err }, 'could not read pending webhook deliveries'));
  }

  private scan(): void {
    if (this.scanning) return;
    this.scanning = true;
    this.syncAll()
      .then(() => this.deps.dispatcher.load())
      .catch((err: unknown) => this.deps.logger.warn({ err }, 'webhook outbox scan failed; trying again at the next one'))
      .finally(() => (this.scanning = false));
  }

  private async syncOne(id: string): Promise<void> {
    const row = await this.deps.repo.find(id);
    await this.apply(id, row);
  }

  private async syncAll(): Promise<void> {
    const rows = await this.deps.repo.list();
    const present = new Set(rows.map((r) => r.id));
    for (const row of rows) await this.apply(row.id, row);
    for (const id of [...this.deps.endpoints.keys()]) if (!present.has(id)) await this.apply(id, undefined);
  }

  /** Make the in-memory endpoint equal to the stored one; lanes start or stop with `enabled`. */
  private async apply(id: string, row: WebhookEndpointRow | undefined): Promise<void> {
    const { endpoints, dispatcher } = this.deps;
    const had = endpoints.get(id);
    if (!row) {
      if (!had) return;
      endpoints.delete(id);
      dispatcher.forget(id);
      return;
    }
    const wasEnabled = had?.enabled ?? false;
    if (had) Object.assign(had, row);
    else endpoints.set(id, row);
    if (row.enabled && !wasEnabled) await dispatcher.load(id);
    if (!row.enabled && wasEnabled) dispatcher.forget(id);
  }
}
