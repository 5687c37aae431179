/**
 * The session service the API layers call: a thin front over the session
 * modules, each with one job — the registry (lookup), the writer (state
 * changes and persistence), lifecycle commands, linking material, restore,
 * and the live-connection lookup that services using a session build on.
 */
import type { Logger } from 'pino';
import type { Engine } from '../../engine/types.js';
import type { Store } from '../../store/types.js';
import type { InMemoryEventBus } from '../eventBus.js';
import type { FaultCounter } from '../faults.js';
import type { SessionService } from '../gateway.js';
import type {
  CreateSessionInput,
  GroupDetails,
  GroupInfo,
  PairingCodeInfo,
  QrInfo,
  SessionState,
  SessionView,
} from '../model.js';
import { normalizePhoneNumber } from '../phoneNumber.js';
import { backgroundRunner } from './backgroundChange.js';
import { SessionLifecycle } from './lifecycle.js';
import { SessionLinking } from './linking.js';
import { LiveConnections } from './liveConnection.js';
import { PairingRateLimiter } from './pairingRateLimiter.js';
import type { BackoffOptions } from './reconnectPolicy.js';
import { loadSessions, restoreSessions, type RestoreDeps } from './restore.js';
import type { PaceResult } from './restorePacer.js';
import { SessionRegistry } from './sessionRegistry.js';
import type { TrafficEvent } from './sessionRuntime.js';
import { SessionWriter } from './sessionWriter.js';
import { waitForSession } from './waitFor.js';

export interface SessionManagerOptions {
  store: Store;
  engine: Engine;
  events: InMemoryEventBus;
  faults: FaultCounter;
  logger: Logger;
  sandbox: boolean;
  /** Most sessions restoring at once. */
  restoreConcurrency?: number;
  /** Event-loop delay (ms) the restore paces itself to; 0 = always `restoreConcurrency` at once. */
  restoreLoopDelayMs?: number;
  /** How long a pairing code is shown as valid. */
  pairingCodeTtlMs?: number;
  /** How long a logout waits for an inactive session to reach WhatsApp. */
  readyTimeoutMs?: number;
  backoff?: BackoffOptions;
  rateLimiter?: PairingRateLimiter;
  defaultDeviceBrowser?: string;
  /** Most sessions held at once (0 = no cap). */
  maxSessions?: number;
}

export class SessionManager implements SessionService {
  readonly registry = new SessionRegistry();
  readonly live: LiveConnections;
  private readonly trafficListeners = new Set<(sessionId: string, event: TrafficEvent) => void>();
  private readonly lifecycle: SessionLifecycle;
  private readonly linking: SessionLinking;
  private readonly restoreDeps: RestoreDeps;

  constructor(private readonly opts: SessionManagerOptions) {
    const { store, events, faults, logger, engine } = opts;
    const registry = this.registry;
    const writer = new SessionWriter({ store, registry, events, faults, logger });
    const runInBackground = backgroundRunner({ logger, faults });
    this.linking = new SessionLinking({
      registry,
      writer,
      events,
      logger,
      runInBackground,
      rateLimiter: opts.rateLimiter ?? new PairingRateLimiter(),
      sandbox: opts.sandbox,
      pairingCodeTtlMs: opts.pairingCodeTtlMs ?? 120_000,
      connect: (sessionId) => this.connect(sessionId),
    });
    this.lifecycle = new SessionLifecycle({
      onTraffic: (sessionId, event) => {
        for (const listener of this.trafficListeners) {
          try {
            listener(sessionId, event);
          } catch (err) {
            faults.record('engine_event');
            logger.child({ sessionId }).error({ err, event: event.type }, 'a message handler failed');
          }
        }
      },
      registry,
      writer,
      linking: this.linking,
      events,
      logger,
      runInBackground,
      store,
      engine,
      readyTimeoutMs: opts.readyTimeoutMs ?? 15_000,
      backoff: opts.backoff,
      defaultDeviceBrowser: opts.defaultDeviceBrowser,
      maxSessions: opts.maxSessions,
    });
    this.live = new LiveConnections(registry, logger);
    this.restoreDeps = {
      store,
      registry,
      writer,
      logger,
      connect: (sessionId, reason) => this.lifecycle.connect(sessionId, reason),
      waitForState: (sessionId, states, timeoutMs) => this.waitForState(sessionId, states, timeoutMs),
      isShuttingDown: () => this.lifecycle.isShuttingDown,
      restoreConcurrency: opts.restoreConcurrency,
      restoreLoopDelayMs: opts.restoreLoopDelayMs,
    };
  }

  /** Load every session from the store (before serving). */
  load(): Promise<void> {
    return loadSessions(this.restoreDeps);
  }

  /** Reconnect the paired sessions that should be connected, paced. */
  restore(): Promise<PaceResult> {
    return restoreSessions(this.restoreDeps);
  }

  list(): SessionView[] {
    return this.registry.all().map((entry) => this.registry.view(entry));
  }

  get(sessionId: string): SessionView {
    return this.registry.view(this.registry.require(sessionId));
  }

  has(sessionId: string): boolean {
    return this.registry.has(sessionId);
  }

  countByState(): Record<SessionState, number> {
    return this.registry.countByState();
  }

  create(input: CreateSessionInput): Promise<SessionView> {
    return this.lifecycle.create(input);
  }

  delete(sessionId: string): Promise<void> {
    return this.lifecycle.delete(sessionId);
  }

  connect(sessionId: string): Promise<SessionView> {
    return this.lifecycle.connect(sessionId);
  }

  disconnect(sessionId: string): Promise<SessionView> {
    return this.lifecycle.disconnect(sessionId);
  }

  logout(sessionId: string): Promise<SessionView> {
    return this.lifecycle.logout(sessionId);
  }

  shutdown(): Promise<void> {
    return this.lifecycle.shutdown();
  }

  getQr(sessionId: string): QrInfo {
    return this.linking.getQr(sessionId);
  }

  waitForQr(sessionId: string, timeoutMs: number): Promise<QrInfo> {
    return this.linking.waitForQr(sessionId, timeoutMs);
  }

  requestPairingCode(sessionId: string, phoneNumber: string): Promise<PairingCodeInfo> {
    return this.linking.requestPairingCode(sessionId, phoneNumber);
  }

  connectAndRequestPairingCode(sessionId: string, phoneNumber: string, timeoutMs: number): Promise<PairingCodeInfo> {
    return this.linking.connectAndRequestPairingCode(sessionId, phoneNumber, timeoutMs);
  }

  /** Subscribe to messages and receipts of every session. Returns unsubscribe. */
  onTraffic(listener: (sessionId: string, event: TrafficEvent) => void): () => void {
    this.trafficListeners.add(listener);
    return () => this.trafficListeners.delete(listener);
  }

  /** Subscribe to refused pairing-code requests (rate limited or invalid number). Returns unsubscribe. */
  onPairingRefused(listener: (sessionId: string, code: string) => void): () => void {
    return this.linking.onPairingRefused(listener);
  }

  async waitForState(sessionId: string, states: SessionState[], timeoutMs: number): Promise<SessionView> {
    const entry = this.registry.require(sessionId);
    const registry = this.registry;
    await waitForSession(
      this.opts.events,
      sessionId,
      () => states.includes(entry.row.state),
      timeoutMs,
      () => registry.find(sessionId)?.row.state ?? null,
    );
    return registry.view(entry);
  }

  groups(sessionId: string): Promise<GroupInfo[]> {
    return this.live.call(sessionId, 'list groups', (connection) => connection.groups());
  }

  async group(sessionId: string, groupId: string): Promise<GroupDetails> {
    const jid = groupId.includes('@') ? groupId : `${groupId}@g.us`;
    const meta = await this.live.call(sessionId, 'fetch the group', (connection) => connection.groupMetadata(jid));
    return { ...meta, createdAt: meta.createdAt === null ? null : new Date(meta.createdAt * 1000).toISOString() };
  }

  async sendText(sessionId: string, to: string, text: string): Promise<{ messageId: string }> {
    this.live.require(sessionId, 'send a message');
    const recipient = to.includes('@') ? to : normalizePhoneNumber(to, { sandbox: this.opts.sandbox });
    const messageId = await this.live.call(sessionId, 'send a message', (connection) => connection.sendText(recipient, text));
    return { messageId };
  }

  connectionKey(sessionId: string): string | null {
    return this.live.connectionKey(sessionId);
  }

  lastFrameAt(sessionId: string): number | null {
    return this.live.lastFrameAt(sessionId);
  }
}
