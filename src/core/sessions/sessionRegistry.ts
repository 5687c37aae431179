/**
 * The sessions this process knows, by id: the one lookup every other
 * session module goes through, so "no such session" is answered the same
 * way everywhere.
 */
import type { SessionState } from '../../domain/sessionState.js';
import { zeroCountsByState } from '../../domain/sessionState.js';
import { GatewayError } from '../errors.js';
import type { SessionView } from '../model.js';
import type { SessionEntry } from './sessionEntry.js';
import { assertValidSessionId } from './sessionId.js';
import { toSessionView } from './sessionView.js';
import { LINKING_STATES, RUNNING_STATES } from '../../domain/sessionState.js';

export class SessionRegistry {
  private readonly entries = new Map<string, SessionEntry>();

  has(sessionId: string): boolean {
    return this.entries.has(sessionId);
  }

  find(sessionId: string): SessionEntry | undefined {
    return this.entries.get(sessionId);
  }

  /** The entry, or SESSION_NOT_FOUND (INVALID_SESSION_ID for an id that could never exist). */
  require(sessionId: string): SessionEntry {
    const entry = this.entries.get(sessionId);
    if (!entry) {
      assertValidSessionId(sessionId);
      throw new GatewayError('SESSION_NOT_FOUND', `No session with id "${sessionId}"`, { sessionId });
    }
    return entry;
  }

  add(entry: SessionEntry): void {
    this.entries.set(entry.row.id, entry);
  }

  remove(entry: SessionEntry): void {
    if (this.entries.get(entry.row.id) === entry) this.entries.delete(entry.row.id);
  }

  /** False once the session was deleted (or replaced by a new one with the same id). */
  isCurrent(entry: SessionEntry): boolean {
    return this.entries.get(entry.row.id) === entry;
  }

  get size(): number {
    return this.entries.size;
  }

  all(): SessionEntry[] {
    return [...this.entries.values()];
  }

  countByState(): Record<SessionState, number> {
    const counts = zeroCountsByState();
    for (const entry of this.entries.values()) counts[entry.row.state] += 1;
    return counts;
  }

  view(entry: SessionEntry): SessionView {
    // Cluster mode: a session another node runs is active there; its QR is served by that node.
    const remote = entry.lease === null && entry.ownerNode !== null;
    const active = entry.runtime !== null || (remote && RUNNING_STATES.includes(entry.row.state));
    const qrAvailable = liveQr(entry) !== null || (remote && entry.row.state === 'qr');
    return toSessionView(entry.row, { active, qrAvailable });
  }
}

/** The QR a user may scan now: only while the session waits for linking. */
export function liveQr(entry: SessionEntry): SessionEntry['qr'] {
  if (!entry.qr || !LINKING_STATES.includes(entry.row.state)) return null;
  return entry.qr;
}
