/**
 * WAHA's webhooks: a session's `config.webhooks` (POST/PUT /api/sessions)
 * become subscriptions that get WAHA's event shapes
 * (`{id, timestamp, event, session, metadata, engine, payload}`) and, when
 * `hmac.key` is given, `X-Webhook-Hmac` (hex HMAC-SHA512 of the body).
 * Delivery itself (outbox, order, retries) is the core's.
 */
import { createHmac } from 'node:crypto';
import { GatewayError } from '../../core/errors.js';
import type { DialectWebhookInput, WebhookFormat } from '../../core/webhooks/types.js';
import { renderWahaEvents } from './events.js';

export const WAHA_FORMAT = 'waha';

export const wahaWebhookFormat: WebhookFormat = {
  render(event, options) {
    // One incoming message is both WAHA's `message` and `message.any`: the first the subscription asked for is sent.
    const events = Array.isArray(options?.events) ? (options.events as unknown[]) : ['*'];
    const rendered = renderWahaEvents(event).find((r) => events.includes('*') || events.includes(r.event));
    if (rendered === undefined) return null;
    return JSON.stringify({
      id: `evt_${event.id}`,
      timestamp: Date.parse(event.createdAt),
      event: rendered.event,
      session: event.sessionId,
      metadata: (options?.metadata as Record<string, unknown> | undefined) ?? {},
      engine: 'NOWEB',
      payload: rendered.payload,
    });
  },
  headers(body, secret, ctx) {
    const headers: Record<string, string> = {
      'X-Webhook-Request-Id': ctx.eventId,
      'X-Webhook-Timestamp': String(ctx.timestamp * 1000),
    };
    if (secret !== '') {
      headers['X-Webhook-Hmac'] = createHmac('sha512', secret).update(body).digest('hex');
      headers['X-Webhook-Hmac-Algorithm'] = 'sha512';
    }
    return headers;
  },
};

function invalid(message: string): GatewayError {
  return new GatewayError('VALIDATION_FAILED', message, { field: 'config.webhooks' });
}

/** `config.webhooks` of a WAHA session body as subscriptions; undefined when the body has none. */
export function wahaWebhooksOf(config: unknown): DialectWebhookInput[] | undefined {
  const list = (config as { webhooks?: unknown } | undefined)?.webhooks;
  if (list === undefined || list === null) return undefined;
  if (!Array.isArray(list)) throw invalid('config.webhooks must be an array of {url, events, hmac}');
  const metadata = (config as { metadata?: unknown }).metadata;
  return list.map((item: unknown, i) => {
    const w = item as { url?: unknown; events?: unknown; hmac?: { key?: unknown } | null };
    if (typeof w?.url !== 'string' || w.url === '') throw invalid(`config.webhooks[${i}].url is required`);
    const events = w.events === undefined ? ['*'] : w.events;
    if (!Array.isArray(events) || events.some((e) => typeof e !== 'string')) throw invalid(`config.webhooks[${i}].events must be a list of event names`);
    const key = w.hmac?.key;
    if (key !== undefined && key !== null && typeof key !== 'string') throw invalid(`config.webhooks[${i}].hmac.key must be a string`);
    return {
      url: w.url,
      format: WAHA_FORMAT,
      sessionId: null,
      secret: typeof key === 'string' ? key : '',
      options: { events, ...(metadata && typeof metadata === 'object' ? { metadata } : {}) },
    };
  });
}
