/**
 * What an endpoint can subscribe to (every webhook event type, or "*"), and
 * the native body it receives: the gateway event as SSE shows it.
 */
import { GatewayError } from '../errors.js';
import { WEBHOOK_EVENT_TYPES, type GatewayEvent } from '../model.js';

export const SUBSCRIBABLE: ReadonlySet<string> = new Set<string>(WEBHOOK_EVENT_TYPES);

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

export function checkEvents(events: readonly string[]): string[] {
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

