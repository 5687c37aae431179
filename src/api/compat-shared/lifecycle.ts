/**
 * The session lifecycle verbs the dialects share, on top of the core's
 * SessionService, with the originals' forgiving semantics: stopping a
 * stopped session, or logging out one that was never linked, is not an
 * error but an answer with the session as it is.
 */
import type { SessionService } from '../../core/gateway.js';
import type { SessionView } from '../../core/model.js';

/** Start (or reconnect) the session; idempotent in the core. */
export async function startSession(sessions: SessionService, sessionId: string): Promise<SessionView> {
  return sessions.connect(sessionId);
}

/** Disconnect only when a runtime is running; otherwise the session as it is. */
export async function stopIfRunning(sessions: SessionService, sessionId: string): Promise<SessionView> {
  const view = sessions.get(sessionId);
  return view.active ? sessions.disconnect(sessionId) : view;
}

/** Stop when running, then start again. */
export async function restartSession(sessions: SessionService, sessionId: string): Promise<SessionView> {
  await stopIfRunning(sessions, sessionId);
  return startSession(sessions, sessionId);
}

/** Unlink only when linked or running; otherwise the session as it is. */
export async function logoutIfLinked(sessions: SessionService, sessionId: string): Promise<SessionView> {
  const view = sessions.get(sessionId);
  return view.paired || view.active ? sessions.logout(sessionId) : view;
}
