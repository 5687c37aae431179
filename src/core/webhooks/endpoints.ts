/**
 * Webhook endpoints: the in-memory table every durable event is matched
 * against on the event path (synchronously, inside the event's
 * transaction), and the commands that change it — create, change, delete
 * (scoped to a session for a session key), the dialects' own endpoints —
 * plus endpoint health (failing since, disabled after too long or on 410).
 * Every change is written to the store first, then to the table.
 */
import { createHash, randomUUID } from 'node:crypto';
import { isStoreError } from '../../store/errors.js';
import type { Logger } from 'pino';
import type { NewDelivery, Store, WebhookEndpointRow } from '../../store/types.js';
import { GatewayError } from '../errors.js';
import type { InMemoryEventBus } from '../eventBus.js';
import type { GatewayEvent } from '../model.js';
import { assertPublicUrl } from '../net/publicUrl.js';
import type { DispatchEndpoint, WebhookDispatcher } from './dispatcher.js';
import { generateSecret, signatureHeaders } from './signing.js';
import { checkEvents, SUBSCRIBABLE, webhookBody } from './subscriptions.js';
import type {
  CreateWebhookInput,
  DialectWebhookInput,
  UpdateWebhookInput,
  WebhookFormat,
  WebhookScope,
  WebhookView,
  WebhookWithSecret,
} from './types.js';
import type { WebhookSettings } from './webhookService.js';

const DAY = 24 * 3_600_000;

export interface WebhookEndpointsDeps {
  store: Store;
  events: InMemoryEventBus;
  logger: Logger;
  settings: WebhookSettings;
  sessionExists(sessionId: string): boolean;
  /** Set once the dispatcher exists (it reads this table). */
  dispatcher(): WebhookDispatcher;
}

/** A new endpoint: enabled, not failing, no previous secret. */
function newEndpointRow(fields: Pick<WebhookEndpointRow, 'id' | 'sessionId' | 'url' | 'events' | 'secret' | 'format' | 'options'>): WebhookEndpointRow {
  const now = new Date().toISOString();
  return {
    ...fields,
    enabled: true,
    previousSecret: null,
    previousSecretUntil: null,
    failingSince: null,
    disabledReason: null,
    createdAt: now,
    updatedAt: now,
  };
}

export class WebhookEndpoints {
  /** By id; shared with the cluster outbox, which keeps it equal to the database. */
  readonly rows = new Map<string, WebhookEndpointRow>();
  private readonly formats = new Map<string, WebhookFormat>();

  constructor(private readonly deps: WebhookEndpointsDeps) {}

  private get settings(): WebhookSettings {
    return this.deps.settings;
  }

  private get dispatcher(): WebhookDispatcher {
    return this.deps.dispatcher();
  }

  async load(): Promise<void> {
    for (const row of await this.deps.store.webhooks.list()) this.rows.set(row.id, row);
  }

  /** Deliveries for one event (called by the bus on the event path: synchronous, no I/O). */
  match(event: GatewayEvent): NewDelivery[] {
    if (event.type === 'session.deleted') this.forgetSession(event.sessionId);
    if (!SUBSCRIBABLE.has(event.type)) return [];
    let payload: string | undefined;
    const out: NewDelivery[] = [];
    for (const row of this.rows.values()) {
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
    const row = newEndpointRow({
      id: `wh_${randomUUID().replace(/-/g, '')}`,
      sessionId,
      url: input.url,
      events,
      secret: generateSecret(),
      format: 'native',
      options: null,
    });
    await this.deps.store.webhooks.create(row);
    this.rows.set(row.id, row);
    return { ...this.view(row), secret: row.secret };
  }

  list(scope: WebhookScope): WebhookView[] {
    return [...this.rows.values()]
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
    const existing = [...this.rows.values()].filter((r) => r.format === format && r.sessionId === sessionId);
    const keep = new Set<string>();
    for (const w of wanted) {
      await assertPublicUrl(w.url, this.settings.net);
      const same = existing.find((r) => key(r) === key(w));
      if (same) {
        keep.add(same.id);
        continue;
      }
      // Nodes started together with the same settings make the same id, so the endpoint exists once.
      const id = `wh_${createHash('sha256').update(JSON.stringify([format, sessionId, w.url, w.options ?? null])).digest('hex').slice(0, 32)}`;
      const stored = this.rows.get(id) ?? (await this.deps.store.webhooks.find(id));
      if (stored) {
        if (stored.secret !== w.secret) await this.deps.store.webhooks.update(id, { secret: w.secret, updatedAt: new Date().toISOString() });
        this.rows.set(id, { ...stored, secret: w.secret });
        keep.add(id);
        continue;
      }
      const row = newEndpointRow({ id, sessionId, url: w.url, events: ['*'], secret: w.secret, format, options: w.options ?? null });
      keep.add(id);
      try {
        await this.deps.store.webhooks.create(row);
      } catch (err) {
        if (!(isStoreError(err) && err.code === 'DUPLICATE')) throw err;
        // Another node created it a moment ago: adopt its row.
        this.rows.set(row.id, (await this.deps.store.webhooks.find(row.id)) ?? row);
        continue;
      }
      this.rows.set(row.id, row);
    }
    for (const r of existing) {
      if (keep.has(r.id)) continue;
      await this.deps.store.webhooks.delete(r.id);
      this.rows.delete(r.id);
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
    this.rows.delete(id);
    this.dispatcher.forget(id);
  }

  /** A deleted session's endpoints went with its row (SessionRepo.delete); forget them here too. */
  private forgetSession(sessionId: string): void {
    for (const row of [...this.rows.values()]) {
      if (row.sessionId !== sessionId) continue;
      this.rows.delete(row.id);
      this.dispatcher.forget(row.id);
    }
  }

  /** Native webhooks only: a dialect's are managed through the dialect. */
  require(id: string, scope: WebhookScope): WebhookEndpointRow {
    const row = this.rows.get(id);
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

  dispatchView(id: string): DispatchEndpoint | undefined {
    const row = this.rows.get(id);
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

  healthy(id: string): void {
    const row = this.rows.get(id);
    if (!row || row.failingSince === null) return;
    row.failingSince = null;
    this.save(id, { failingSince: null });
  }

  failing(id: string, at: number): void {
    const row = this.rows.get(id);
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
  disable(id: string, reason: string): void {
    const row = this.rows.get(id);
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
}
