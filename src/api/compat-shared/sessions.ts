/** Session helpers several dialects share, all on top of the core's SessionService. */
import { isGatewayError } from '../../core/errors.js';
import type { SessionService } from '../../core/gateway.js';
import { SESSION_STATES, type SessionView } from '../../core/model.js';

/** The session, created when it does not exist yet (tolerates a concurrent create). */
export async function ensureSession(sessions: SessionService, sessionId: string): Promise<SessionView> {
  if (!sessions.has(sessionId)) {
    try {
      await sessions.create({ sessionId });
    } catch (err) {
      if (!(isGatewayError(err) && err.code === 'SESSION_EXISTS')) throw err;
    }
  }
  return sessions.get(sessionId);
}

/**
 * Wait up to timeoutMs for the session to leave `connecting`, as WAHA does
 * before judging a status; returns the view either way.
 */
export async function settleStarting(sessions: SessionService, sessionId: string, timeoutMs: number): Promise<SessionView> {
  const view = sessions.get(sessionId);
  if (view.state !== 'connecting') return view;
  const settled = SESSION_STATES.filter((state) => state !== 'connecting');
  try {
    return await sessions.waitForState(sessionId, settled, timeoutMs);
  } catch (err) {
    if (isGatewayError(err) && err.code === 'TIMEOUT') return sessions.get(sessionId);
    throw err;
  }
}

/** Seconds left until an ISO time (at least 1), for `timeout`-style fields. */
export function secondsUntil(iso: string, now = Date.now()): number {
  return Math.max(1, Math.ceil((Date.parse(iso) - now) / 1000));
}
