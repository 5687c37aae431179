/**
 * Gateway events as WAHA's webhooks name them. WAHA reports the session
 * lifecycle with one event, `session.status`, payload `{name, status}`, sent
 * when the WAHA status changes. It has no webhook for a QR (clients fetch
 * /auth/qr once the status is SCAN_QR_CODE), a pairing code, or a session
 * being created or deleted, so those render as null.
 */
import type { GatewayEvent } from '../../core/model.js';
import { isSessionState } from '../../domain/sessionState.js';
import { wahaStatus, type WahaStatus } from '../compat-shared/wahaStatus.js';
import type { DialectEvent } from '../types.js';

function statusOf(value: unknown): WahaStatus | undefined {
  return isSessionState(value) ? wahaStatus(value) : undefined;
}

export function renderWahaEvent(event: GatewayEvent): DialectEvent | null {
  if (event.type !== 'connection.state') return null;
  const status = statusOf(event.data.state);
  if (status === undefined) return null;
  // Several of our states are one WAHA status (qr → pairing_code): WAHA sends only changes.
  if (statusOf(event.data.previous) === status) return null;
  return { event: 'session.status', payload: { name: event.sessionId, status } };
}
