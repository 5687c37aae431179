/**
 * The deliveries of one endpoint as the API shows them: a test ping, the
 * list (newest first, paged), and replay — one delivery, or every failed
 * one in a time range — which sets them back to pending and hands them to
 * whichever node delivers their lane.
 */
import type { DeliveryRow, NewDelivery, Store } from '../../store/types.js';
import { GatewayError } from '../errors.js';
import type { InMemoryEventBus } from '../eventBus.js';
import type { WebhookEndpoints } from './endpoints.js';
import type { DeliveryView, WebhookScope } from './types.js';

export interface DeliveryCommandsDeps {
  store: Store;
  events: InMemoryEventBus;
  endpoints: WebhookEndpoints;
  /** New deliveries, committed: to this node's dispatcher or the node that delivers them. */
  committed(deliveries: NewDelivery[]): void;
  /** Deliveries set back to pending. */
  requeue(rows: DeliveryRow[]): void;
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

export class DeliveryCommands {
  constructor(private readonly deps: DeliveryCommandsDeps) {}

  async test(id: string, scope: WebhookScope): Promise<DeliveryView> {
    const row = this.deps.endpoints.require(id, scope);
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
    this.deps.committed([delivery]);
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
    this.deps.endpoints.require(id, scope);
    const rows = await this.deps.store.webhooks.listDeliveries(id, opts);
    return {
      items: rows.map(toDeliveryView),
      nextCursor: rows.length === opts.limit && rows.length > 0 ? rows[rows.length - 1]!.id : null,
    };
  }

  async replay(id: string, deliveryId: number, scope: WebhookScope): Promise<DeliveryView> {
    this.deps.endpoints.require(id, scope);
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
      this.deps.requeue([requeued]);
    }
    return toDeliveryView(requeued);
  }

  async replayFailed(id: string, range: { from: string; to: string }, scope: WebhookScope): Promise<{ replayed: number }> {
    this.deps.endpoints.require(id, scope);
    const rows = await this.deps.store.webhooks.requeueFailed(id, range.from, range.to, 10_000);
    this.deps.requeue(rows);
    return { replayed: rows.length };
  }
}
