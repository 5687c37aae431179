/**
 * Events as the dashboard page may see them: the QR payload is removed,
 * because revealing a QR goes through the one-time-code guard (the page
 * fetches the QR itself when an `auth.qr` event says there is a new one).
 */
import type { GatewayEvent } from '../../core/model.js';

export function publicEvent(event: GatewayEvent): GatewayEvent {
  if (!('qr' in event.data)) return event;
  const { qr: _hidden, ...data } = event.data;
  return { ...event, data };
}
