/**
 * Every change of a session's row goes through here: applied in memory at
 * once, persisted in order, and — for state changes — checked against the
 * state machine, recorded with its reason and announced as
 * `connection.state`. A failed write never rejects and never ends the
 * process: it is logged with the session id, counted, and carried by the
 * session's next write.
 */
import type { Logger } from 'pino';
import type { SessionPatch, SessionRow, Store } from '../../store/types.js';
import type { InMemoryEventBus } from '../eventBus.js';
import type { FaultCounter } from '../faults.js';
import type { SessionState } from '../model.js';
import type { SessionEntry } from './sessionEntry.js';
import type { SessionRegistry } from './sessionRegistry.js';
import { assertTransition, toConnectionState } from './stateMachine.js';

export interface Why {
  /** WhatsApp close code, or null when the gateway itself caused the change. */
  code: number | null;
  reason: string;
}

export interface SessionWriterDeps {
  store: Store;
  registry: SessionRegistry;
  events: InMemoryEventBus;
  faults: FaultCounter;
  logger: Logger;
}

export class SessionWriter {
  constructor(private readonly deps: SessionWriterDeps) {}

  /** Apply a change in memory at once and persist it after the session's earlier writes. */
  patch(entry: SessionEntry, patch: SessionPatch): Promise<void> {
    const updatedAt = new Date().toISOString();
    Object.assign(entry.row, patch, { updatedAt });
    entry.writes = entry.writes.then(() => this.write(entry, { ...patch, updatedAt }));
    return entry.writes;
  }

  /**
   * Move the session to `to`. Throws InvalidTransitionError, before changing
   * anything, when the state machine does not allow it.
   */
  async transition(entry: SessionEntry, to: SessionState, why: Why, recordDisconnect = false): Promise<void> {
    const from = entry.row.state;
    if (from === to && (to !== 'connecting' || !recordDisconnect)) return;
    assertTransition(from, to);
    const patch: Partial<SessionRow> = { state: to };
    if (recordDisconnect) {
      patch.lastDisconnectCode = why.code;
      patch.lastDisconnectReason = why.reason;
      patch.lastDisconnectAt = new Date().toISOString();
    }
    const done = this.patch(entry, patch);
    this.deps.events.emit('connection.state', entry.row.id, {
      state: to,
      previous: from,
      connectionState: toConnectionState(to),
      code: why.code,
      reason: why.reason,
    });
    this.log(entry).info({ from, to, code: why.code, reason: why.reason }, 'state changed');
    await done;
  }

  /** Wait for the session's writes, and try once more what failed (shutdown, delete). */
  async flush(entry: SessionEntry): Promise<void> {
    await entry.writes;
    if (entry.unsaved !== null) {
      entry.writes = entry.writes.then(() => this.write(entry, {}));
      await entry.writes;
    }
  }

  private async write(entry: SessionEntry, patch: SessionPatch): Promise<void> {
    if (!this.deps.registry.isCurrent(entry)) return;
    const pending: SessionPatch = { ...entry.unsaved, ...patch };
    entry.unsaved = null;
    try {
      await this.deps.store.sessions.update(entry.row.id, pending);
    } catch (err) {
      entry.unsaved = pending;
      this.deps.faults.record('store_write');
      this.log(entry).error({ err }, 'could not persist a session change; it is kept in memory and retried with the next write');
    }
  }

  private log(entry: SessionEntry): Logger {
    return this.deps.logger.child({ sessionId: entry.row.id });
  }
}
