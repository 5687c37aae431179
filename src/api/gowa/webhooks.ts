/**
 * GOWA's webhooks: the URLs of its WHATSAPP_WEBHOOK setting (here
 * WAGATE_GOWA_WEBHOOK, or GOWA's own name) receive every session's events in
 * GOWA's vocabulary, signed `X-Hub-Signature-256: sha256=<hex HMAC-SHA256>`
 * with WHATSAPP_WEBHOOK_SECRET (GOWA's default `secret` when unset).
 * Delivery itself (outbox, order, retries) is the core's.
 */
import { createHmac } from 'node:crypto';
import type { GatewayEvent } from '../../core/model.js';
import type { DialectWebhookInput, WebhookFormat } from '../../core/webhooks/types.js';
import type { DialectEvent } from '../types.js';

export const GOWA_FORMAT = 'gowa';
/** GOWA signs with this when no secret is configured. */
export const GOWA_DEFAULT_SECRET = 'secret';

export function gowaWebhookFormat(render: (event: GatewayEvent) => DialectEvent | null): WebhookFormat {
  return {
    render(event) {
      const rendered = render(event);
      if (rendered === null) return null;
      return JSON.stringify({ event: rendered.event, device_id: event.sessionId, payload: rendered.payload, timestamp: event.createdAt });
    },
    headers(body, secret) {
      return { 'X-Hub-Signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` };
    },
  };
}

/** One global subscription per configured URL. */
export function gowaWebhooks(urls: readonly string[], secret: string | undefined): DialectWebhookInput[] {
  return urls.map((url) => ({ url, format: GOWA_FORMAT, sessionId: null, secret: secret ?? GOWA_DEFAULT_SECRET }));
}
