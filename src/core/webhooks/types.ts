/** What the API layers see of webhooks: views, inputs and the service. */
import type { GatewayEvent, GatewayEventType } from '../model.js';

/**
 * A webhook body and signature of another product (a dialect's), so its
 * clients' receivers work unchanged. Registered by the dialect; the core
 * only knows it by name.
 */
export interface WebhookFormat {
  /** The body for an event, or null when the product has no such event (or `options` filter it out). */
  render(event: GatewayEvent, options: Record<string, unknown> | null): string | null;
  /** The product's signature headers for a body (`secret` may be '' when none was given). */
  headers(body: string, secret: string, ctx: { eventId: string; eventType: string; timestamp: number }): Record<string, string>;
}

/** A webhook a dialect creates for its clients (WAHA's session config, GOWA's settings). */
export interface DialectWebhookInput {
  url: string;
  format: string;
  sessionId: string | null;
  /** The product's signing key ('' = unsigned). */
  secret: string;
  options?: Record<string, unknown> | null;
}

export type WebhookEventFilter = GatewayEventType | '*';

export interface WebhookView {
  id: string;
  url: string;
  /** Event types delivered, or ["*"] for every durable type. */
  events: string[];
  /** null = every session's events (admin only). */
  sessionId: string | null;
  enabled: boolean;
  /** Why the gateway disabled it (410 Gone, failing for days), null when enabled or disabled by hand. */
  disabledReason: string | null;
  /** Since when deliveries have been failing, null when healthy. */
  failingSince: string | null;
  /** Until when deliveries are also signed with the previous secret (after a rotation). */
  previousSecretValidUntil: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface WebhookWithSecret extends WebhookView {
  /** `whsec_…`: shown when created or rotated, never again. */
  secret: string;
}

export interface CreateWebhookInput {
  url: string;
  events: string[];
  sessionId?: string | null;
}

export interface UpdateWebhookInput {
  url?: string;
  events?: string[];
  enabled?: boolean;
  rotateSecret?: boolean;
}

export interface DeliveryView {
  id: number;
  eventId: number;
  eventType: string;
  sessionId: string;
  seq: number;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  lastAttemptAt: string | null;
  /** Next attempt (pending only). */
  nextAttemptAt: string | null;
  createdAt: string;
}

/** Who asks: undefined = the admin; a session id = that session's key. */
export type WebhookScope = string | undefined;

export interface WebhookService {
  /** Throws URL_NOT_ALLOWED, VALIDATION_FAILED, SESSION_NOT_FOUND, FORBIDDEN. */
  create(input: CreateWebhookInput, scope: WebhookScope): Promise<WebhookWithSecret>;
  list(scope: WebhookScope): WebhookView[];
  /** Throws WEBHOOK_NOT_FOUND (also for another session's webhook). */
  get(id: string, scope: WebhookScope): WebhookView;
  /** The secret is in the answer only when it was rotated. */
  update(id: string, input: UpdateWebhookInput, scope: WebhookScope): Promise<WebhookView & { secret?: string }>;
  delete(id: string, scope: WebhookScope): Promise<void>;
  /** Queue a `webhook.test` ping to this endpoint; returns its delivery. */
  test(id: string, scope: WebhookScope): Promise<DeliveryView>;
  /** Newest first; pass `nextCursor` back as `before`. */
  deliveries(
    id: string,
    opts: { before?: number; limit: number; status?: DeliveryView['status'] },
    scope: WebhookScope,
  ): Promise<{ items: DeliveryView[]; nextCursor: number | null }>;
  /** Send one delivery again (whatever its status). Throws DELIVERY_NOT_FOUND. */
  replay(id: string, deliveryId: number, scope: WebhookScope): Promise<DeliveryView>;
  /** Send every failed delivery created in [from, to) again; returns how many. */
  replayFailed(id: string, range: { from: string; to: string }, scope: WebhookScope): Promise<{ replayed: number }>;
  /** Throws URL_NOT_ALLOWED unless a webhook may call this URL (for a dialect checking before it changes anything). */
  checkUrl(url: string): Promise<void>;
  /** A dialect's webhook body and signature, by name. */
  registerFormat(name: string, format: WebhookFormat): void;
  /** Make the dialect webhooks of one format (and session) exactly `wanted`: create the missing, remove the others. */
  syncDialectWebhooks(format: string, sessionId: string | null, wanted: readonly DialectWebhookInput[]): Promise<void>;
}
