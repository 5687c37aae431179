/**
 * The webhook service: wires the endpoint table (endpoints.ts), the
 * delivery commands (deliveryCommands.ts) and the dispatcher together,
 * attaches the outbox to the event bus, and runs retention. Cluster mode
 * (PostgreSQL) adds the cluster outbox (clusterOutbox.ts): this node
 * delivers only its own lanes.
 */
import type { Logger } from 'pino';
import type { DeliveryRow, NewDelivery, Store } from '../../store/types.js';
import type { InMemoryEventBus, Outbox } from '../eventBus.js';
import type { GatewayEvent } from '../model.js';
import type { PublicUrlOptions } from '../net/publicUrl.js';
import { ClusterOutbox } from './clusterOutbox.js';
import { DeliveryCommands } from './deliveryCommands.js';
import { WebhookDispatcher, type DispatcherStats } from './dispatcher.js';
import { WebhookEndpoints } from './endpoints.js';
import { DEFAULT_RETRY_DELAYS_MS } from './retryPolicy.js';
import type { DeliveryRouting } from './routing.js';
import type {
  CreateWebhookInput,
  DeliveryView,
  DialectWebhookInput,
  UpdateWebhookInput,
  WebhookFormat,
  WebhookScope,
  WebhookService,
  WebhookView,
  WebhookWithSecret,
} from './types.js';

export { webhookBody } from './subscriptions.js';

export interface WebhookStats {
  outcomes: DispatcherStats['outcomes'];
  inFlight: number;
  /** Pending deliveries in the store (due now or waiting for a retry). */
  pending: number;
  /** Age of the oldest pending delivery, 0 when none. */
  oldestPendingAgeS: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface WebhookSettings {
  /** SSRF rule for endpoint URLs. */
  net: PublicUrlOptions;
  timeoutMs: number;
  concurrency: number;
  retryDelaysMs: readonly number[];
  /** An endpoint failing this long is disabled. */
  disableAfterMs: number;
  /** How long a rotated-out secret still signs. */
  secretOverlapMs: number;
  deliveredRetentionMs: number;
  failedRetentionMs: number;
  userAgent: string;
}

export const DEFAULT_WEBHOOK_SETTINGS: WebhookSettings = {
  net: {},
  timeoutMs: 15_000,
  concurrency: 64,
  retryDelaysMs: DEFAULT_RETRY_DELAYS_MS,
  disableAfterMs: 5 * DAY,
  secretOverlapMs: DAY,
  deliveredRetentionMs: 3 * DAY,
  failedRetentionMs: 7 * DAY,
  userAgent: 'wagate-webhooks',
};

export interface WebhookServiceDeps {
  store: Store;
  events: InMemoryEventBus;
  logger: Logger;
  sessionExists(sessionId: string): boolean;
  settings?: Partial<WebhookSettings>;
  /** Cluster mode: which deliveries this node sends (absent on SQLite: all of them). */
  routing?: DeliveryRouting;
}

export class StoreWebhookService implements WebhookService, Outbox {
  readonly settings: WebhookSettings;
  readonly dispatcher: WebhookDispatcher;
  private readonly endpoints: WebhookEndpoints;
  private readonly commands: DeliveryCommands;
  private readonly cluster: ClusterOutbox | null;
  private purgeTimer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: WebhookServiceDeps) {
    this.settings = { ...DEFAULT_WEBHOOK_SETTINGS, ...deps.settings };
    const logger = deps.logger.child({ component: 'webhooks' });
    this.endpoints = new WebhookEndpoints({
      store: deps.store,
      events: deps.events,
      logger: deps.logger,
      settings: this.settings,
      sessionExists: deps.sessionExists,
      dispatcher: () => this.dispatcher,
    });
    this.dispatcher = new WebhookDispatcher({
      repo: deps.store.webhooks,
      logger,
      net: this.settings.net,
      timeoutMs: this.settings.timeoutMs,
      concurrency: this.settings.concurrency,
      retryDelaysMs: this.settings.retryDelaysMs,
      userAgent: this.settings.userAgent,
      ...(deps.routing ? { routing: deps.routing } : {}),
      endpoints: {
        get: (id) => this.endpoints.dispatchView(id),
        healthy: (id) => this.endpoints.healthy(id),
        failing: (id, at) => this.endpoints.failing(id, at),
        gone: (id) => this.endpoints.disable(id, 'the endpoint answered 410 Gone'),
      },
    });
    this.cluster = deps.routing
      ? new ClusterOutbox({ routing: deps.routing, dispatcher: this.dispatcher, repo: deps.store.webhooks, endpoints: this.endpoints.rows, logger })
      : null;
    this.commands = new DeliveryCommands({
      store: deps.store,
      events: deps.events,
      endpoints: this.endpoints,
      committed: (deliveries) => this.committed(deliveries),
      requeue: (rows) => this.requeue(rows),
    });
  }

  /** Load endpoints and attach to the bus (before any event), then start delivering what is pending. */
  async start(): Promise<void> {
    await this.endpoints.load();
    this.deps.events.attachOutbox(this);
    this.cluster?.start();
    await this.dispatcher.load();
    this.purge();
    this.purgeTimer = setInterval(() => this.purge(), HOUR);
    this.purgeTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.purgeTimer) clearInterval(this.purgeTimer);
    this.cluster?.stop();
    await this.dispatcher.stop();
  }

  /** Delivery outcomes since start, what is in flight, and the store's pending queue. */
  async stats(): Promise<WebhookStats> {
    const { outcomes, inFlight } = this.dispatcher.stats();
    const pending = await this.deps.store.webhooks.pendingSummary();
    return {
      outcomes,
      inFlight,
      pending: pending.count,
      oldestPendingAgeS: pending.oldestCreatedAt === null ? 0 : Math.max(0, (Date.now() - Date.parse(pending.oldestCreatedAt)) / 1000),
    };
  }

  // ---- Outbox (called by the bus on the event path: synchronous, no I/O)

  match(event: GatewayEvent): NewDelivery[] {
    return this.endpoints.match(event);
  }

  committed(deliveries: NewDelivery[]): void {
    if (this.cluster) this.cluster.deliver(deliveries);
    else this.dispatcher.enqueue(deliveries);
  }

  private requeue(rows: DeliveryRow[]): void {
    if (this.cluster) this.cluster.requeue(rows);
    else this.dispatcher.requeue(rows);
  }

  // ---- API: endpoints

  create(input: CreateWebhookInput, scope: WebhookScope): Promise<WebhookWithSecret> {
    return this.endpoints.create(input, scope);
  }

  list(scope: WebhookScope): WebhookView[] {
    return this.endpoints.list(scope);
  }

  get(id: string, scope: WebhookScope): WebhookView {
    return this.endpoints.get(id, scope);
  }

  update(id: string, input: UpdateWebhookInput, scope: WebhookScope): Promise<WebhookView & { secret?: string }> {
    return this.endpoints.update(id, input, scope);
  }

  delete(id: string, scope: WebhookScope): Promise<void> {
    return this.endpoints.delete(id, scope);
  }

  checkUrl(url: string): Promise<void> {
    return this.endpoints.checkUrl(url);
  }

  registerFormat(name: string, format: WebhookFormat): void {
    this.endpoints.registerFormat(name, format);
  }

  syncDialectWebhooks(format: string, sessionId: string | null, wanted: readonly DialectWebhookInput[]): Promise<void> {
    return this.endpoints.syncDialectWebhooks(format, sessionId, wanted);
  }

  // ---- API: deliveries

  test(id: string, scope: WebhookScope): Promise<DeliveryView> {
    return this.commands.test(id, scope);
  }

  deliveries(
    id: string,
    opts: { before?: number; limit: number; status?: DeliveryView['status'] },
    scope: WebhookScope,
  ): Promise<{ items: DeliveryView[]; nextCursor: number | null }> {
    return this.commands.deliveries(id, opts, scope);
  }

  replay(id: string, deliveryId: number, scope: WebhookScope): Promise<DeliveryView> {
    return this.commands.replay(id, deliveryId, scope);
  }

  replayFailed(id: string, range: { from: string; to: string }, scope: WebhookScope): Promise<{ replayed: number }> {
    return this.commands.replayFailed(id, range, scope);
  }

  private purge(): void {
    const now = Date.now();
    this.deps.store.webhooks
      .purge(new Date(now - this.settings.deliveredRetentionMs).toISOString(), new Date(now - this.settings.failedRetentionMs).toISOString())
      .then(
        (n) => n > 0 && this.deps.logger.info({ deleted: n }, 'old webhook deliveries removed'),
        (err: unknown) => this.deps.logger.warn({ err }, 'could not remove old webhook deliveries'),
      );
  }
}
