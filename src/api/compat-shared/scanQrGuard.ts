/**
 * WAHA and Wawp answer QR and code requests only in SCAN_QR_CODE. Like WAHA,
 * give a session that is still STARTING a few seconds to settle first.
 */
import { GatewayError } from '../../core/errors.js';
import type { SessionService } from '../../core/gateway.js';
import { LINKING_STATES, type SessionView } from '../../core/model.js';
import { settleStarting } from './sessions.js';
import { STARTING_SETTLE_MS } from './timing.js';
import { wahaStatus } from './wahaStatus.js';

export async function requireScanQrCode(sessions: SessionService, sessionId: string): Promise<SessionView> {
  const view = await settleStarting(sessions, sessionId, STARTING_SETTLE_MS);
  if (wahaStatus(view.state) !== 'SCAN_QR_CODE') {
    throw new GatewayError('SESSION_NOT_READY', undefined, { state: view.state, expected: [...LINKING_STATES] });
  }
  return view;
}
