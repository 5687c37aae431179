/**
 * Session lifecycle commands: create, connect, disconnect, log out, delete,
 * shut down. Each runs on the session's queue, checks that it can do what
 * it is asked before it changes anything, and records every state change
 * through the SessionWriter.
 */
import type { Logger } from 'pino';
import type { Engine } from '../../engine/types.js';
import type { AuthStore, Store } from '../../store/types.js';
import { fencedAuth, NO_LEASE } from './fencedAuth.js';
import { freshAuth } from './freshAuth.js';
import { GatewayError } from '../errors.js';
import type { InMemoryEventBus } from '../eventBus.js';
import { fromLowerLayer } from '../lowerErrors.js';
import type { CreateSessionInput, SessionState, SessionView } from '../model.js';
import { uuidv7 } from '../uuid.js';
import { engineHooks, type EndAction, type EngineHookDeps } from './engineHooks.js';
import type { SessionLinking } from './linking.js';
import type { BackoffOptions } from './reconnectPolicy.js';
import { newSessionEntry, type SessionEntry } from './sessionEntry.js';
import { assertValidSessionId } from './sessionId.js';
import type { SessionRegistry } from './sessionRegistry.js';
import { freshSessionRow } from './sessionRow.js';
import { SessionRuntime, type RuntimeHooks } from './sessionRuntime.js';
import type { SessionWriter, Why } from './sessionWriter.js';
import { RUNNING_STATES } from '../../domain/sessionState.js';

/** Sessions a 2-core machine holds connected with room to spare (bench: 1000 connected in ~411 MB). */
export const DEFAULT_MAX_SESSIONS = 2000;

export interface LifecycleDeps extends Omit<EngineHookDeps, 'onEnded'> {
  store: Store;
  engine: Engine;
  /** How long a logout waits for an inactive session to reach WhatsApp. */
  readyTimeoutMs: number;
  backoff?: BackoffOptions;
  defaultDeviceBrowser?: string;
  /** Most sessions held at once; create refuses above it (SESSION_LIMIT_REACHED). 0 = no cap. */
  maxSessions?: number;
  /** Cluster mode: credential and key writes are conditional on the session's lease. */
  clustered: boolean;
  /** A credential or key write was refused: another node owns the session now. */
  onFenced(entry: SessionEntry): void;
}

export class SessionLifecycle {
  private shuttingDown = false;
  private creating = 0;

  constructor(private readonly deps: LifecycleDeps) {}

  async create(input: CreateSessionInput): Promise<SessionView> {
    this.assertRunning();
    const id = input.sessionId ?? uuidv7();
    assertValidSessionId(id);
    const { registry } = this.deps;
    if (registry.has(id)) throw new GatewayError('SESSION_EXISTS', undefined, { sessionId: id });
    this.assertRoomForOneMore();
    const row = freshSessionRow(id, {
      displayName: input.displayName ?? null,
      deviceBrowser: input.deviceBrowser ?? this.deps.defaultDeviceBrowser ?? 'Chrome',
    });
    // Creates in flight count against the cap, so concurrent ones cannot overshoot it.
    this.creating += 1;
    try {
      await this.deps.store.sessions.create(row);
    } catch (err) {
      throw fromLowerLayer(err, { sessionId: id, action: 'create the session' });
    } finally {
      this.creating -= 1;
    }
    // A concurrent create of the same id lost the race in the store (DUPLICATE), not here. An entry
    // present now is this very row, mirrored from the database's change notice (cluster mode).
    let entry = registry.find(id);
    if (entry) Object.assign(entry.row, row);
    else {
      entry = newSessionEntry(row);
      registry.add(entry);
    }
    this.deps.events.emit('session.created', id, { session: registry.view(entry) });
    await this.deps.events.stored(id);
    this.log(id).info('session created');
    return registry.view(entry);
  }

  /** `resume`: only a paired session that still wants a connection (checked on the queue, after any command before it). */
  async connect(sessionId: string, reason = 'connect requested', opts: { resume?: boolean } = {}): Promise<SessionView> {
    this.assertRunning();
    const { registry, writer } = this.deps;
    const entry = registry.require(sessionId);
    return entry.queue.run(async () => {
      if (entry.runtime) return registry.view(entry);
      if (opts.resume && (!entry.row.wantConnected || entry.row.meJid === null)) return registry.view(entry);
      this.assertRunning();
      // An unlinked session starts from clean credentials: leftovers of an
      // earlier attempt (a half-done pairing code) would make the engine try
      // to log in as a device that does not exist. freshAuth replaces them
      // with the engine's first credential write instead of wiping first.
      const auth = entry.row.meJid ? this.authOf(entry) : freshAuth(this.authOf(entry));
      let runtime: SessionRuntime | null = null;
      runtime = new SessionRuntime({
        sessionId,
        engine: this.deps.engine,
        auth,
        deviceBrowser: entry.row.deviceBrowser,
        logger: this.log(sessionId),
        isPaired: () => entry.row.meJid !== null,
        backoff: this.deps.backoff,
        hooks: engineHooks({ ...this.deps, onEnded: (e, action, code, why) => this.onEnded(e, action, code, why) }, entry, () => runtime),
      });
      // One write: the state change, its event and wantConnected.
      await writer.transition(entry, 'connecting', { code: null, reason }, false, { wantConnected: true });
      entry.runtime = runtime;
      await runtime.start();
      return registry.view(entry);
    });
  }

  async disconnect(sessionId: string): Promise<SessionView> {
    const { registry, writer, linking } = this.deps;
    const entry = registry.require(sessionId);
    return entry.queue.run(async () => {
      const runtime = entry.runtime;
      entry.runtime = null;
      await runtime?.stop();
      linking.clear(entry);
      const next: SessionState = entry.row.meJid ? 'inactive' : 'created';
      if (runtime !== null && entry.row.state !== next) {
        await writer.transition(entry, next, { code: null, reason: 'disconnect requested' }, true);
      }
      await writer.patch(entry, { wantConnected: false });
      return registry.view(entry);
    });
  }

  /**
   * Unlink and wipe credentials → logged_out. A session that is neither
   * linked nor running has nothing to log out: the call changes nothing
   * and answers with the session as it is.
   */
  async logout(sessionId: string): Promise<SessionView> {
    const { registry } = this.deps;
    const entry = registry.require(sessionId);
    return entry.queue.run(async () => {
      if (entry.row.meJid !== null || entry.runtime !== null) await this.unlink(entry, 'logout requested');
      return registry.view(entry);
    });
  }

  async delete(sessionId: string): Promise<void> {
    const { registry, writer, linking, events } = this.deps;
    const entry = registry.require(sessionId);
    await entry.queue.run(async () => {
      if (entry.row.meJid) await this.unlink(entry, 'session deleted');
      await entry.runtime?.stop();
      entry.runtime = null;
      linking.clear(entry);
      await writer.flush(entry);
      await events.stored(sessionId);
      await this.deps.store.sessions.delete(sessionId);
      registry.remove(entry);
      events.emit('session.deleted', sessionId, { sessionId });
      // Answer only once the event is stored: a kill -9 after the answer must not lose its webhook.
      await events.stored(sessionId);
      this.log(sessionId).info('session deleted');
    });
  }

  /** Close every connection without logging out; restore reconnects them next start. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    const { registry, writer, linking } = this.deps;
    await Promise.all(
      registry.all().map(async (entry) => {
        const runtime = entry.runtime;
        entry.runtime = null;
        linking.clear(entry);
        await runtime?.stop().catch(() => undefined);
        if (RUNNING_STATES.includes(entry.row.state)) {
          await writer.patch(entry, { state: entry.row.meJid ? 'inactive' : 'created' });
        }
        await writer.flush(entry);
      }),
    );
    await this.deps.events.flush();
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** The runtime ended for good (runs on the session's queue). */
  private async onEnded(entry: SessionEntry, action: EndAction, code: number, reason: string): Promise<void> {
    const log = this.log(entry.row.id);
    if (action === 'logged_out') {
      log.warn({ code, reason }, 'logged out by WhatsApp; credentials wiped');
      await this.wipeLink(entry, { code, reason }, 'removed from the phone or by WhatsApp');
      return;
    }
    if (action === 'conflict') {
      log.warn({ code, reason }, 'connection replaced by another client; not reconnecting');
      await this.deps.writer.transition(entry, 'conflict', { code, reason }, true);
      return;
    }
    log.info({ code, reason }, 'giving up');
    await this.deps.writer.transition(entry, 'error', { code, reason }, true);
    await this.deps.writer.patch(entry, { wantConnected: false });
  }

  /** Unlink on WhatsApp's side when we can, then wipe credentials locally in any case. */
  private async unlink(entry: SessionEntry, reason: string): Promise<void> {
    const log = this.log(entry.row.id);
    let runtime = entry.runtime;
    if (entry.row.meJid) {
      if (!runtime) {
        // Inactive: connect briefly so WhatsApp removes the device from the phone's list too.
        runtime = new SessionRuntime({
          sessionId: entry.row.id,
          engine: this.deps.engine,
          auth: this.authOf(entry),
          deviceBrowser: entry.row.deviceBrowser,
          logger: log,
          isPaired: () => true,
          backoff: { baseMs: 60_000, maxMs: 60_000 },
          hooks: silentHooks,
        });
        await runtime.start();
      }
      const open = await runtime.waitOpen(this.deps.readyTimeoutMs);
      if (open) {
        await runtime.logout().catch((err: unknown) => log.warn({ err }, 'engine logout failed'));
      } else {
        log.warn('could not reach WhatsApp to unlink the device; wiping local credentials only');
        await runtime.stop();
      }
    } else {
      await runtime?.stop();
    }
    entry.runtime = null;
    this.deps.linking.clear(entry);
    await this.wipeLink(entry, { code: null, reason }, reason);
  }

  private async wipeLink(entry: SessionEntry, why: Why, eventReason: string): Promise<void> {
    // Unlinked first, then wiped: a kill in between leaves an unlinked session with leftover credentials,
    // which its next connect replaces, never a linked one without them.
    await this.deps.writer.patch(entry, { meJid: null, meLid: null, meName: null, wantConnected: false });
    await this.authOf(entry).wipe();
    this.deps.events.emit('auth.logged_out', entry.row.id, { code: why.code, reason: eventReason });
    await this.deps.writer.transition(entry, 'logged_out', why, true);
  }

  /** The session's credentials; in cluster mode every write is fenced by this node's lease. */
  private authOf(entry: SessionEntry): AuthStore {
    if (!this.deps.clustered) return this.deps.store.auth.forSession(entry.row.id);
    return fencedAuth(
      this.deps.store.auth.forSession(entry.row.id, () => entry.lease ?? NO_LEASE),
      () => this.deps.onFenced(entry),
    );
  }

  private assertRoomForOneMore(): void {
    const max = this.deps.maxSessions ?? DEFAULT_MAX_SESSIONS;
    if (max > 0 && this.deps.registry.size + this.creating >= max) {
      throw new GatewayError(
        'SESSION_LIMIT_REACHED',
        `The gateway holds its maximum of ${max} sessions; delete one, or raise WAGATE_MAX_SESSIONS`,
        { limit: max },
      );
    }
  }

  private assertRunning(): void {
    if (this.shuttingDown) throw new GatewayError('SHUTTING_DOWN');
  }

  private log(sessionId: string): Logger {
    return this.deps.logger.child({ sessionId });
  }
}

const silentHooks: RuntimeHooks = {
  connecting: () => undefined,
  qr: () => undefined,
  paired: () => undefined,
  open: () => undefined,
  pairingFailed: () => undefined,
  retrying: () => undefined,
  ended: () => undefined,
  traffic: () => undefined,
};
