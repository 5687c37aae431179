/**
 * One running session: owns its engine connection and the reconnect policy
 * (exponential backoff with jitter, no loop on 401/440). It reports what
 * happens through hooks; the session modules turn those into state
 * transitions and events, on the session's queue. The engine restarts after 515 by itself, so a
 * runtime never sees it as a close.
 */
import type { Logger } from 'pino';
import type { Engine, EngineConnection, EngineEvent, EngineIdentity } from '../../engine/types.js';

/** Engine events about messages: not the session's life, so they pass through untouched. */
export type TrafficEvent = Extract<EngineEvent, { type: 'message' | 'message_status' }>;
import type { AuthStore } from '../../store/types.js';
import { backoffDelay, decideOnClose, DEFAULT_BACKOFF, type BackoffOptions, type CloseDecision } from './reconnectPolicy.js';

export interface RuntimeHooks {
  /** A reconnection attempt started (after a drop and its backoff). */
  connecting(reason: string): void;
  qr(qr: string, ttlMs: number): void;
  paired(identity: EngineIdentity): void;
  open(identity: EngineIdentity): void;
  pairingFailed(reason: string): void;
  /** The connection closed and will be retried after delayMs. */
  retrying(code: number, reason: string, delayMs: number, attempt: number): void;
  /** The connection closed for good (logged out, replaced, gave up). The runtime is finished. */
  ended(decision: Exclude<CloseDecision, { action: 'retry' }>, code: number, reason: string): void;
  /** A message arrived, or a message we sent changed status. */
  traffic(event: TrafficEvent): void;
}

export interface RuntimeDeps {
  sessionId: string;
  engine: Engine;
  auth: AuthStore;
  deviceBrowser: string;
  logger: Logger;
  hooks: RuntimeHooks;
  isPaired: () => boolean;
  backoff?: BackoffOptions;
}

export class SessionRuntime {
  private connection: EngineConnection | null = null;
  private unsubscribe: (() => void) | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private attempt = 0;
  private stopped = false;
  /** Set while we close on purpose, so our own close is not mistaken for a drop. */
  private closingOnPurpose = false;
  private openWaiters: Array<(ok: boolean) => void> = [];
  private isOpen = false;

  constructor(private readonly deps: RuntimeDeps) {}

  get current(): EngineConnection | null {
    return this.connection;
  }

  get connected(): boolean {
    return this.isOpen;
  }

  /** Open the first connection. The caller has already recorded the session as connecting. */
  async start(): Promise<void> {
    await this.open();
  }

  /** Close without logging out (credentials stay valid); no more hooks fire. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clearRetry();
    await this.closeConnection();
    this.resolveOpenWaiters(false);
  }

  /** Resolves true once the connection is open, false if it ends or times out first. */
  waitOpen(timeoutMs: number): Promise<boolean> {
    if (this.isOpen) return Promise.resolve(true);
    if (this.stopped) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.openWaiters = this.openWaiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        resolve(ok);
      };
      this.openWaiters.push(done);
    });
  }

  /** Unlink the device on WhatsApp's side. The runtime is finished afterwards; no hooks fire. */
  async logout(): Promise<void> {
    this.stopped = true;
    this.clearRetry();
    const connection = this.connection;
    if (!connection) return;
    this.closingOnPurpose = true;
    try {
      await connection.logout();
    } finally {
      await this.closeConnection();
      this.resolveOpenWaiters(false);
    }
  }

  private async open(): Promise<void> {
    if (this.stopped) return;
    const { engine, auth, deviceBrowser, logger, sessionId } = this.deps;
    try {
      const connection = await engine.connect({ sessionId, auth, deviceBrowser, logger });
      if (this.stopped) {
        await connection.close();
        return;
      }
      this.connection = connection;
      this.closingOnPurpose = false;
      this.unsubscribe = connection.on((event) => this.onEngineEvent(connection, event));
    } catch (err) {
      // Engine start failures (e.g. store read errors) are retried like drops.
      logger.warn({ err, sessionId }, 'engine failed to start a connection');
      this.onClose(500, err instanceof Error ? err.message : 'engine failed to start', false);
    }
  }

  private onEngineEvent(connection: EngineConnection, event: EngineEvent): void {
    if (connection !== this.connection || this.stopped) return; // a stale socket
    const { hooks } = this.deps;
    switch (event.type) {
      case 'qr':
        hooks.qr(event.qr, event.ttlMs);
        break;
      case 'paired':
        hooks.paired(event.identity);
        break;
      case 'restarting':
        this.deps.logger.debug({ sessionId: this.deps.sessionId, code: event.code }, 'engine restarting (normal after pairing)');
        break;
      case 'open':
        this.attempt = 0;
        this.isOpen = true;
        hooks.open(event.identity);
        this.resolveOpenWaiters(true);
        break;
      case 'pairing_failed':
        hooks.pairingFailed(event.reason);
        break;
      case 'message':
      case 'message_status':
        hooks.traffic(event);
        break;
      case 'close':
        if (this.closingOnPurpose) return;
        this.onClose(event.code, event.reason, event.loggedOut);
        break;
    }
  }

  private onClose(code: number, reason: string, loggedOut: boolean): void {
    this.isOpen = false;
    this.detach();
    const decision = decideOnClose(code, { paired: this.deps.isPaired(), loggedOut });
    if (decision.action === 'retry') {
      const delayMs = backoffDelay(this.attempt, this.deps.backoff ?? DEFAULT_BACKOFF);
      this.attempt += 1;
      this.deps.hooks.retrying(code, reason, delayMs, this.attempt);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        if (this.stopped) return;
        this.deps.hooks.connecting(`reconnecting (attempt ${this.attempt})`);
        this.open().catch((err: unknown) => this.deps.logger.error({ err, sessionId: this.deps.sessionId }, 'reconnect failed to start'));
      }, delayMs);
      this.retryTimer.unref?.();
      return;
    }
    this.stopped = true;
    this.resolveOpenWaiters(false);
    this.deps.hooks.ended(decision, code, reason);
  }

  private detach(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.connection = null;
  }

  private async closeConnection(): Promise<void> {
    const connection = this.connection;
    this.isOpen = false;
    this.detach();
    if (!connection) return;
    this.closingOnPurpose = true;
    try {
      await connection.close();
    } catch (err) {
      this.deps.logger.debug({ err, sessionId: this.deps.sessionId }, 'error while closing connection');
    }
  }

  private clearRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private resolveOpenWaiters(ok: boolean): void {
    const waiters = this.openWaiters;
    this.openWaiters = [];
    for (const w of waiters) w(ok);
  }
}
