/**
 * Webhook endpoints: create, change, delete (scoped to a session for a
 * session key), the in-memory subscription table the event bus matches
 * every durable event against (so the outbox rows go into the event's own
 * transaction), endpoint health (failing since, disabled after too long or
 * on 410), deliveries' visibility and replay, and retention.
 *
 * Longer than a core module should be (~510 lines): all of these read and
 * write the one in-memory endpoint table that the event bus matches against
 * inside its transaction. Splitting the table from the commands that use it
 * (CRUD, health, replay) is the next step for this module.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { DeliveryRow, NewDelivery, Store, WebhookEndpointRow } from '../../store/types.js';
import { GatewayError } from '../errors.js';
import type { InMemoryEventBus, Outbox } from '../eventBus.js';
import { WEBHOOK_EVENT_TYPES, type GatewayEvent } from '../model.js';
import { assertPublicUrl, type PublicUrlOptions } from '../net/publicUrl.js';
import { ClusterOutbox } from './clusterOutbox.js';
import { WebhookDispatcher, type DispatchEndpoint, type DispatcherStats } from './dispatcher.js';
import type { DeliveryRouting } from './routing.js';
import { DEFAULT_RETRY_DELAYS_MS } from './retryPolicy.js';
import { generateSecret } from './signing.js';
import { signatureHeaders } from './signing.js';
import type {
  CreateWebhookInput,
  DialectWebhookInput,
  WebhookFormat,
  DeliveryView,
  UpdateWebhookInput,
  WebhookScope,
  WebhookService,
  WebhookView,
  WebhookWithSecret,
} from './types.js';

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

const SUBSCRIBABLE = new Set<string>(WEBHOOK_EVENT_TYPES);

/** The webhook body: the gateway event as SSE shows it. */
export function webhookBody(event: Pick<GatewayEvent, 'id' | 'type' | 'sessionId' | 'seq' | 'createdAt' | 'data'>): string {
  return JSON.stringify({
    id: event.id,
    type: event.type,
    sessionId: event.sessionId,
    seq: event.seq,
    createdAt: event.createdAt,
    data: event.data,
  });
}

function checkEvents(events: readonly string[]): string[] {
  const unique = [...new Set(events)];
  if (unique.length === 0) {
    throw new GatewayError('VALIDATION_FAILED', 'body.events needs at least one event type (or "*")', { field: 'body.events' });
  }
  for (const type of unique) {
    if (type !== '*' && !SUBSCRIBABLE.has(type)) {
      throw new GatewayError('VALIDATION_FAILED', `body.events: "${type}" is not an event type a webhook can receive`, {
        field: 'body.events',
        allowed: ['*', ...WEBHOOK_EVENT_TYPES],
      });
    }
  }
  return unique.includes('*') ? ['*'] : unique;
}

function toDeliveryView(row: DeliveryRow): DeliveryView {
  return {
    id: row.id,
    eventId: row.eventId,
    eventType: row.eventType,
    sessionId: row.sessionId,
    seq: row.seq,
    status: row.status,
    attempts: row.attempts,
    lastStatusCode: row.lastStatusCode,
    lastError: row.lastError,
    lastAttemptAt: row.lastAttemptAt,
    nextAttemptAt: row.status === 'pending' ? new Date(Math.max(row.nextAttemptAt, Date.parse(row.createdAt) || 0)).toISOString() : null,
    createdAt: row.createdAt,
  };
}

export class StoreWebhookService implements WebhookService, Outbox {
  private readonly endpoints = new Map<string, WebhookEndpointRow>();
  private readonly formats = new Map<string, WebhookFormat>();
  readonly settings: WebhookSettings;
  readonly dispatcher: WebhookDispatcher;
  private purgeTimer: NodeJS.Timeout | null = null;
  private readonly cluster: ClusterOutbox | null;

  constructor(private readonly deps: WebhookServiceDeps) {
    this.settings = { ...DEFAULT_WEBHOOK_SETTINGS, ...deps.settings };
    this.dispatcher = new WebhookDispatcher({
      repo: deps.store.webhooks,
      logger: deps.logger.child({ component: 'webhooks' }),
      net: this.settings.net,
      timeoutMs: this.settings.timeoutMs,
      concurrency: this.settings.concurrency,
      retryDelaysMs: this.settings.retryDelaysMs,
      userAgent: this.settings.userAgent,
      ...(deps.routing ? { routing: deps.routing } : {}),
      endpoints: {
        get: (id) => this.dispatchView(id),
        healthy: (id) => this.healthy(id),
        failing: (id, at) => this.failing(id, at),
        gone: (id) => this.disable(id, 'the endpoint answered 410 Gone'),
      },
    });
    this.cluster = deps.routing
      ? new ClusterOutbox({ routing: deps.routing, dispatcher: this.dispatcher, repo: deps.store.webhooks, endpoints: this.endpoints, logger: deps.logger.child({ component: 'webhooks' }) })
      : null;
  }

  /** Load endpoints and attach to the bus (before any event), then start delivering what is pending. */
  async start(): Promise<void> {
    for (const row of await this.deps.store.webhooks.list()) this.endpoints.set(row.id, row);
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
    if (event.type === 'session.deleted') this.forgetSession(event.sessionId);
    if (!SUBSCRIBABLE.has(event.type)) return [];
    let payload: string | undefined;
    const out: NewDelivery[] = [];
    for (const row of this.endpoints.values()) {
      if (!row.enabled) continue;
      if (row.sessionId !== null && row.sessionId !== event.sessionId) continue;
      if (!row.events.includes('*') && !row.events.includes(event.type)) continue;
      let body: string;
      if (row.format === 'native') {
        body = payload ??= webhookBody(event);
      } else {
        const rendered = this.formats.get(row.format)?.render(event, row.options) ?? null;
        if (rendered === null) continue;
        body = rendered;
      }
      out.push({
        eventId: event.id,
        endpointId: row.id,
        sessionId: event.sessionId,
        eventType: event.type,
        seq: event.seq,
        payload: body,
        createdAt: event.createdAt,
      });
    }
    return out;
  }

  committed(deliveries: NewDelivery[]): void {
    if (this.cluster) this.cluster.deliver(deliveries);
    else this.dispatcher.enqueue(deliveries);
  }

  // ---- API

  async create(input: CreateWebhookInput, scope: WebhookScope): Promise<WebhookWithSecret> {
    // Absent = the key's own session (or all, for the admin); an explicit null asks for every session.
    const sessionId = input.sessionId === undefined ? (scope ?? null) : input.sessionId;
    if (scope !== undefined && sessionId !== scope) {
      throw new GatewayError('FORBIDDEN', 'A session key can only create webhooks for its own session', { keySessionId: scope });
    }
    if (sessionId !== null && !this.deps.sessionExists(sessionId)) {
      throw new GatewayError('SESSION_NOT_FOUND', undefined, { sessionId });
    }
    const events = checkEvents(input.events);
    await assertPublicUrl(input.url, this.settings.net);
    const now = new Date().toISOString();
    const row: WebhookEndpointRow = {
      id: `wh_${randomUUID().replace(/-/g, '')}`,
      sessionId,
      url: input.url,
      events,
      enabled: true,
      secret: generateSecret(),
      previousSecret: null,
      previousSecretUntil: null,
      format: 'native',
      options: null,
      failingSince: null,
      disabledReason: null,
      createdAt: now,
      updatedAt: now,
    };
    await this.deps.store.webhooks.create(row);
    this.endpoints.set(row.id, row);
    return { ...this.view(row), secret: row.secret };
  }

  list(scope: WebhookScope): WebhookView[] {
    return [...this.endpoints.values()]
      .filter((r) => r.format === 'native' && (scope === undefined || r.sessionId === scope))
      .map((r) => this.view(r));
  }

  async checkUrl(url: string): Promise<void> {
    await assertPublicUrl(url, this.settings.net);
  }

  registerFormat(name: string, format: WebhookFormat): void {
    this.formats.set(name, format);
  }

  async syncDialectWebhooks(format: string, sessionId: string | null, wanted: readonly DialectWebhookInput[]): Promise<void> {
    const key = (w: { url: string; secret: string; options?: Record<string, unknown> | null }): string =>
      JSON.stringify([w.url, w.secret, w.options ?? null]);
    const existing = [...this.endpoints.values()].filter((r) => r.format === format && r.sessionId === sessionId);
    const keep = new Set<string>();
    for (const w of wanted) {
      await assertPublicUrl(w.url, this.settings.net);
      const k = key(w);
      keep.add(k);
      if (existing.some((r) => key(r) === k)) continue;
      const now = new Date().toISOString();
      const row: WebhookEndpointRow = {
        id: `wh_${randomUUID().replace(/-/g, '')}`,
        sessionId,
        url: w.url,
        events: ['*'],
        enabled: true,
        secret: w.secret,
        previousSecret: null,
        previousSecretUntil: null,
        format,
        options: w.options ?? null,
        failingSince: null,
        disabledReason: null,
        createdAt: now,
        updatedAt: now,
      };
      await this.deps.store.webhooks.create(row);
      this.endpoints.set(row.id, row);
    }
    for (const r of existing) {
      if (keep.has(key(r))) continue;
      await this.deps.store.webhooks.delete(r.id);
      this.endpoints.delete(r.id);
      this.dispatcher.forget(r.id);
    }
  }

  get(id: string, scope: WebhookScope): WebhookView {
    return this.view(this.require(id, scope));
  }

  async update(id: string, input: UpdateWebhookInput, scope: WebhookScope): Promise<WebhookView & { secret?: string }> {
    const row = this.require(id, scope);
    const patch: Partial<WebhookEndpointRow> = {};
    if (input.url !== undefined) {
      await assertPublicUrl(input.url, this.settings.net);
      patch.url = input.url;
    }
    if (input.events !== undefined) patch.events = checkEvents(input.events);
    if (input.enabled !== undefined) {
      patch.enabled = input.enabled;
      patch.disabledReason = null;
      if (input.enabled) patch.failingSince = null;
    }
    if (input.rotateSecret) {
      patch.previousSecret = row.secret;
      patch.previousSecretUntil = new Date(Date.now() + this.settings.secretOverlapMs).toISOString();
      patch.secret = generateSecret();
    }
    patch.updatedAt = new Date().toISOString();
    await this.deps.store.webhooks.update(id, patch);
    const wasEnabled = row.enabled;
    Object.assign(row, patch);
    if (!wasEnabled && row.enabled) await this.dispatcher.load(id);
    if (wasEnabled && !row.enabled) this.dispatcher.forget(id);
    return input.rotateSecret ? { ...this.view(row), secret: row.secret } : this.view(row);
  }

  async delete(id: string, scope: WebhookScope): Promise<void> {
    this.require(id, scope);
    await this.deps.store.webhooks.delete(id);
    this.endpoints.delete(id);
    this.dispatcher.forget(id);
  }

  async test(id: string, scope: WebhookScope): Promise<DeliveryView> {
    const row = this.require(id, scope);
    const event = {
      id: this.deps.events.allocateId(),
      type: 'webhook.test',
      sessionId: row.sessionId ?? '',
      seq: 0,
      createdAt: new Date().toISOString(),
      data: { webhookId: row.id, message: 'A test delivery from wagate' },
    };
    const delivery: NewDelivery = {
      eventId: event.id,
      endpointId: row.id,
      sessionId: '', // its own lane: a ping never waits behind a session's events
      eventType: event.type,
      seq: 0,
      payload: JSON.stringify(event),
      createdAt: event.createdAt,
    };
    const deliveryId = await this.deps.store.webhooks.insertDelivery(delivery);
    this.committed([delivery]);
    return toDeliveryView({
      ...delivery,
      id: deliveryId,
      status: 'pending',
      attempts: 0,
      nextAttemptAt: 0,
      lastStatusCode: null,
      lastError: null,
      lastAttemptAt: null,
    });
  }

  async deliveries(
    id: string,
    opts: { before?: number; limit: number; status?: DeliveryView['status'] },
    scope: WebhookScope,
  ): Promise<{ items: DeliveryView[]; nextCursor: number | null }> {
    this.require(id, scope);
    const rows = await this.deps.store.webhooks.listDeliveries(id, opts);
    return {
      items: rows.map(toDeliveryView),
      nextCursor: rows.length === opts.limit && rows.length > 0 ? rows[rows.length - 1]!.id : null,
    };
  }

  async replay(id: string, deliveryId: number, scope: WebhookScope): Promise<DeliveryView> {
    this.require(id, scope);
    const row = await this.deps.store.webhooks.getDelivery(deliveryId);
    if (!row || row.endpointId !== id) throw new GatewayError('DELIVERY_NOT_FOUND', undefined, { webhookId: id, deliveryId });
    const requeued: DeliveryRow = { ...row, status: 'pending', nextAttemptAt: 0 };
    if (row.status !== 'pending') {
      await this.deps.store.webhooks.updateDeliveries([{
        eventId: row.eventId,
        endpointId: row.endpointId,
        status: 'pending',
        attempts: row.attempts,
        nextAttemptAt: 0,
        lastStatusCode: row.lastStatusCode,
        lastError: row.lastError,
        lastAttemptAt: row.lastAttemptAt ?? row.createdAt,
      }]);
      this.requeue([requeued]);
    }
    return toDeliveryView(requeued);
  }

  async replayFailed(id: string, range: { from: string; to: string }, scope: WebhookScope): Promise<{ replayed: number }> {
    this.require(id, scope);
    const rows = await this.deps.store.webhooks.requeueFailed(id, range.from, range.to, 10_000);
    this.requeue(rows);
    return { replayed: rows.length };
  }

  // ---- internals

  private requeue(rows: DeliveryRow[]): void {
    if (this.cluster) this.cluster.requeue(rows);
    else this.dispatcher.requeue(rows);
  }

  /** A deleted session's endpoints went with its row (SessionRepo.delete); forget them here too. */
  private forgetSession(sessionId: string): void {
    for (const row of [...this.endpoints.values()]) {
      if (row.sessionId !== sessionId) continue;
      this.endpoints.delete(row.id);
      this.dispatcher.forget(row.id);
    }
  }

  /** Native webhooks only: a dialect's are managed through the dialect. */
  private require(id: string, scope: WebhookScope): WebhookEndpointRow {
    const row = this.endpoints.get(id);
    if (!row || row.format !== 'native' || (scope !== undefined && row.sessionId !== scope)) throw new GatewayError('WEBHOOK_NOT_FOUND', undefined, { webhookId: id });
    return row;
  }

  private view(row: WebhookEndpointRow): WebhookView {
    const overlap = row.previousSecretUntil !== null && Date.parse(row.previousSecretUntil) > Date.now();
    return {
      id: row.id,
      url: row.url,
      events: row.events,
      sessionId: row.sessionId,
      enabled: row.enabled,
      disabledReason: row.disabledReason,
      failingSince: row.failingSince,
      previousSecretValidUntil: overlap ? row.previousSecretUntil : null,
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    };
  }

  private dispatchView(id: string): DispatchEndpoint | undefined {
    const row = this.endpoints.get(id);
    if (!row) return undefined;
    const format = row.format === 'native' ? undefined : this.formats.get(row.format);
    return {
      id: row.id,
      url: row.url,
      enabled: row.enabled,
      headers: (body, ctx) => {
        if (format) return format.headers(body, row.secret, ctx);
        const overlap = row.previousSecret !== null && row.previousSecretUntil !== null && Date.parse(row.previousSecretUntil) > ctx.timestamp * 1000;
        return signatureHeaders({ ...ctx, body, secrets: overlap ? [row.secret, row.previousSecret!] : [row.secret] });
      },
    };
  }

  private healthy(id: string): void {
    const row = this.endpoints.get(id);
    if (!row || row.failingSince === null) return;
    row.failingSince = null;
    this.save(id, { failingSince: null });
  }

  private failing(id: string, at: number): void {
    const row = this.endpoints.get(id);
    if (!row) return;
    if (row.failingSince === null) {
      row.failingSince = new Date(at).toISOString();
      this.save(id, { failingSince: row.failingSince });
      return;
    }
    const days = this.settings.disableAfterMs / DAY;
    if (at - Date.parse(row.failingSince) >= this.settings.disableAfterMs) {
      this.disable(id, `deliveries failed for ${Number.isInteger(days) ? days : days.toFixed(2)} days`);
    }
  }

  /** Turn an endpoint off and say so with a `webhook.disabled` event. */
  private disable(id: string, reason: string): void {
    const row = this.endpoints.get(id);
    if (!row || !row.enabled) return;
    row.enabled = false;
    row.disabledReason = reason;
    row.updatedAt = new Date().toISOString();
    this.save(id, { enabled: false, disabledReason: reason, updatedAt: row.updatedAt });
    this.dispatcher.forget(id);
    this.deps.logger.warn({ webhookId: id, sessionId: row.sessionId, reason }, 'webhook disabled');
    this.deps.events.emit('webhook.disabled', row.sessionId ?? '', { webhookId: id, url: row.url, reason });
  }

  private save(id: string, patch: Partial<WebhookEndpointRow>): void {
    this.deps.store.webhooks.update(id, patch).catch((err: unknown) => {
      this.deps.logger.error({ err, webhookId: id }, 'could not save webhook endpoint state');
    });
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
