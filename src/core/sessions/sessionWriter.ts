/**
 * Every change of a session's row goes through here: applied in memory at
 * once, persisted in order on the session's persistence chain (shared with
 * its events), and — for state changes — checked against the state machine,
 * recorded with its reason and announced as `connection.state`, the event
 * committed in the same transaction as the row change (so a webhook for it
 * exists exactly when the change does). A failed write never rejects and
 * never ends the process: it is logged with the session id, counted, and
 * carried by the session's next write.
 */
import type { Logger } from 'pino';
import { isStoreError } from '../../store/errors.js';
import type { EventBatch, SessionPatch, SessionRow, Store } from '../../store/types.js';
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
  /**
   * Cluster mode: only the owner writes a session, every write conditional
   * on its epoch; a refused (fenced) write tells `onFenced`, which drops the
   * session here. Changes to a session this node does not own are ignored.
   */
  cluster?: { onFenced(entry: SessionEntry): void };
}

export class SessionWriter {
  constructor(private readonly deps: SessionWriterDeps) {}

  /** Apply a change in memory at once and persist it after the session's earlier writes. */
  patch(entry: SessionEntry, patch: SessionPatch): Promise<void> {
    if (!this.owns(entry)) return Promise.resolve();
    const updatedAt = new Date().toISOString();
    Object.assign(entry.row, patch, { updatedAt });
    entry.writes = this.deps.events.enqueue(entry.row.id, () => this.write(entry, { ...patch, updatedAt }));
    return entry.writes;
  }

  /**
   * Move the session to `to`. Throws InvalidTransitionError, before changing
   * anything, when the state machine does not allow it. `also`: other columns
   * changed in the same write (applied alone when the state does not change).
   */
  async transition(entry: SessionEntry, to: SessionState, why: Why, recordDisconnect = false, also?: SessionPatch): Promise<void> {
    const from = entry.row.state;
    if (!this.owns(entry)) return;
    if (from === to && (to !== 'connecting' || !recordDisconnect)) {
      if (also) await this.patch(entry, also);
      return;
    }
    assertTransition(from, to);
    const patch: Partial<SessionRow> = { ...also, state: to };
    if (recordDisconnect) {
      patch.lastDisconnectCode = why.code;
      patch.lastDisconnectReason = why.reason;
      patch.lastDisconnectAt = new Date().toISOString();
    }
    const updatedAt = new Date().toISOString();
    Object.assign(entry.row, patch, { updatedAt });
    // The bus queues the write on the session's chain and hands it the event's batch.
    const written = new Promise<void>((resolve) => {
      this.deps.events.emit(
        'connection.state',
        entry.row.id,
        { state: to, previous: from, connectionState: toConnectionState(to), code: why.code, reason: why.reason },
        (batch) => this.write(entry, { ...patch, updatedAt }, batch).finally(resolve),
      );
    });
    entry.writes = written;
    this.log(entry).info({ from, to, code: why.code, reason: why.reason }, 'state changed');
    await written;
  }

  /** Wait for the session's writes, and try once more what failed (shutdown, delete). */
  async flush(entry: SessionEntry): Promise<void> {
    await entry.writes;
    if (entry.unsaved !== null) {
      entry.writes = this.deps.events.enqueue(entry.row.id, () => this.write(entry, {}));
      await entry.writes;
    }
  }

  /** Never rejects. `batch` = the event(s) that describe this change, committed with it. */
  private async write(entry: SessionEntry, patch: SessionPatch, batch?: EventBatch): Promise<void> {
    const { events } = this.deps;
    if (!this.deps.registry.isCurrent(entry)) {
      // The session is gone; its event still tells subscribers what happened.
      if (batch) await events.commit(batch).catch((err: unknown) => this.log(entry).warn({ err }, 'could not persist event'));
      return;
    }
    const pending: SessionPatch = { ...entry.unsaved, ...patch };
    entry.unsaved = null;
    const fence = entry.lease ?? undefined;
    if (this.deps.cluster && !fence) return;
    try {
      if (batch && batch.events.length > 0) await events.commit(batch, { sessionId: entry.row.id, patch: pending, fence });
      else await this.deps.store.sessions.update(entry.row.id, pending, fence);
    } catch (err) {
      if (isStoreError(err) && err.code === 'FENCED') {
        // Another node owns the session now: nothing of this node's may land; it lets the session go.
        this.log(entry).warn({ epoch: fence?.epoch }, 'write refused: another node took the session over; dropping it here');
        this.deps.cluster?.onFenced(entry);
        return;
      }
      entry.unsaved = pending;
      this.deps.faults.record('store_write');
      this.log(entry).error({ err }, 'could not persist a session change; it is kept in memory and retried with the next write');
      // The event is still worth keeping on its own (a failed row write may be a constraint, not the disk).
      if (batch && batch.events.length > 0) {
        await events.commit(batch).catch((e: unknown) => this.log(entry).warn({ err: e }, 'could not persist event'));
      }
    }
  }

  /** Single node: always. Cluster mode: only while this node holds the session's lease. */
  owns(entry: SessionEntry): boolean {
    return !this.deps.cluster || entry.lease !== null;
  }

  private log(entry: SessionEntry): Logger {
    return this.deps.logger.child({ sessionId: entry.row.id });
  }
}
