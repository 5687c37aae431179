/**
 * The first frame of an event stream: where things stand when the client
 * connects (one session's view, or every session's), so a client that
 * connects late does not wait for the next change to learn the state.
 *
 * It carries the id of the last event handed out before it: every event
 * after the snapshot has a higher id, and a client that resumes with the
 * snapshot's id (Last-Event-ID) misses nothing.
 */
import type { GatewayCore } from '../../core/gateway.js';
import type { SessionView } from '../../core/model.js';

export const SESSION_SNAPSHOT = 'session.snapshot';
export const SESSIONS_SNAPSHOT = 'sessions.snapshot';

export interface StreamSnapshot {
  id: number;
  type: typeof SESSION_SNAPSHOT | typeof SESSIONS_SNAPSHOT;
  /** The session, or null on the all-sessions stream. */
  sessionId: string | null;
  /** The session's last durable seq (0 on the all-sessions stream). */
  seq: number;
  createdAt: string;
  data: {
    /** True when the stream resumed after an id whose later events are no longer all buffered. */
    missedEvents: boolean;
    session?: SessionView;
    sessions?: SessionView[];
  };
}

/** One session's snapshot. Throws SESSION_NOT_FOUND (call it before the stream opens). */
export function sessionSnapshot(core: GatewayCore, sessionId: string, missedEvents: boolean): StreamSnapshot {
  const session = core.sessions.get(sessionId);
  const { id, seq } = core.events.position(sessionId);
  return { id, type: SESSION_SNAPSHOT, sessionId, seq, createdAt: new Date().toISOString(), data: { missedEvents, session } };
}

/** Every session's snapshot, for the all-sessions stream. */
export function allSessionsSnapshot(core: GatewayCore, missedEvents: boolean): StreamSnapshot {
  const { id } = core.events.position();
  return {
    id,
    type: SESSIONS_SNAPSHOT,
    sessionId: null,
    seq: 0,
    createdAt: new Date().toISOString(),
    data: { missedEvents, sessions: core.sessions.list() },
  };
}
