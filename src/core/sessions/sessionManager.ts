/**
 * The session service the API layers call: a thin front over the session
 * modules, each with one job — the registry (lookup), the writer (state
 * changes and persistence), lifecycle commands, linking material, restore,
 * and the live-connection lookup that services using a session build on.
 *
 * ~330 lines because it is the facade: one short delegating method per
 * command the API calls, no logic of its own to split off.
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
import { runPaced, type PaceResult } from './restorePacer.js';
import { SessionRegistry } from './sessionRegistry.js';
import type { TrafficEvent } from './sessionRuntime.js';
import { SessionWriter } from './sessionWriter.js';
import { waitForSession } from './waitFor.js';
import type { SessionEntry } from './sessionEntry.js';
import { RUNNING_STATES } from '../../domain/sessionState.js';

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
  /** Cluster mode (PostgreSQL): only the owning node writes a session; see src/core/cluster. */
  clustered?: boolean;
}

/**
 * How commands find their session's owner in cluster mode: claimed for this
 * node when no live node holds it, else SESSION_OWNED_ELSEWHERE (the HTTP
 * layer forwards commands to the owner before they get here).
 */
export interface SessionOwnership {
  ensureLocal(sessionId: string): Promise<void>;
  /** Load every session (with its owner) instead of the single-node load. */
  load(): Promise<void>;
}

export class SessionManager implements SessionService {
  readonly registry = new SessionRegistry();
  readonly live: LiveConnections;
  private readonly trafficListeners = new Set<(sessionId: string, event: TrafficEvent) => void>();
  private readonly lifecycle: SessionLifecycle;
  private readonly linking: SessionLinking;
  private readonly restoreDeps: RestoreDeps;
  readonly writer: SessionWriter;
  private ownership: SessionOwnership | null = null;

  constructor(private readonly opts: SessionManagerOptions) {
    const { store, events, faults, logger, engine } = opts;
    const registry = this.registry;
    const writer = new SessionWriter({
      store,
      registry,
      events,
      faults,
      logger,
      ...(opts.clustered ? { cluster: { onFenced: (entry: SessionEntry) => this.dropInBackground(entry, 'fenced') } } : {}),
    });
    this.writer = writer;
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
      clustered: opts.clustered ?? false,
      onFenced: (entry) => this.dropInBackground(entry, 'fenced'),
    });
    this.live = new LiveConnections(registry, events, logger, opts.clustered ?? false);
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

  /** Cluster mode: the ownership module (set once, before load). */
  attachOwnership(ownership: SessionOwnership): void {
    this.ownership = ownership;
  }

  /** Load every session from the store (before serving). */
  load(): Promise<void> {
    return this.ownership ? this.ownership.load() : loadSessions(this.restoreDeps);
  }

  /** Reconnect the paired sessions that should be connected, paced (cluster mode: the balancer does). */
  restore(): Promise<PaceResult> {
    if (this.ownership) return runPaced([], 1, async () => undefined);
    return restoreSessions(this.restoreDeps);
  }

  /**
   * Reconnect a paired session this node owns (cluster: after a claim), without the
   * ownership check; nothing when a command before it (logout, disconnect) made it unwanted.
   */
  connectOwned(sessionId: string, reason: string): Promise<SessionView> {
    return this.lifecycle.connect(sessionId, reason, { resume: true });
  }

  /**
   * Let go of a session at once, writing nothing (its lease is gone: another
   * node may own it now). The connection is closed before this resolves.
   */
  /** dropLocal for callers that do not wait (a fenced write, another node's change): a failure is logged and counted. */
  dropInBackground(entry: SessionEntry, why: string): void {
    this.dropLocal(entry, why).catch((err: unknown) => {
      this.opts.faults.record('engine_event');
      this.opts.logger.child({ sessionId: entry.row.id }).error({ err, why }, 'could not drop the session on this node');
    });
  }

  async dropLocal(entry: SessionEntry, why: string): Promise<void> {
    if (entry.lease === null && entry.runtime === null) return;
    entry.lease = null;
    const runtime = entry.runtime;
    entry.runtime = null;
    this.linking.clear(entry);
    if (runtime) this.opts.logger.child({ sessionId: entry.row.id }).warn({ why }, 'session dropped by this node');
    await runtime?.stop().catch(() => undefined);
  }

  /**
   * Hand a session over cleanly (drain, rebalance): close its connection and
   * record it inactive under this node's fence, then stop owning it. The
   * caller releases it in the database afterwards.
   */
  async handOver(entry: SessionEntry): Promise<void> {
    await entry.queue.run(async () => {
      const runtime = entry.runtime;
      entry.runtime = null;
      this.linking.clear(entry);
      await runtime?.stop().catch(() => undefined);
      if (RUNNING_STATES.includes(entry.row.state)) await this.writer.patch(entry, { state: entry.row.meJid ? 'inactive' : 'created' });
      await this.writer.flush(entry);
      await this.opts.events.stored(entry.row.id);
      entry.lease = null;
    });
  }

  private async local(sessionId: string): Promise<void> {
    if (this.ownership) await this.ownership.ensureLocal(sessionId);
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

  async delete(sessionId: string): Promise<void> {
    await this.local(sessionId);
    return this.lifecycle.delete(sessionId);
  }

  async connect(sessionId: string): Promise<SessionView> {
    await this.local(sessionId);
    return this.lifecycle.connect(sessionId);
  }

  async disconnect(sessionId: string): Promise<SessionView> {
    await this.local(sessionId);
    return this.lifecycle.disconnect(sessionId);
  }

  async logout(sessionId: string): Promise<SessionView> {
    await this.local(sessionId);
    return this.lifecycle.logout(sessionId);
  }

  shutdown(): Promise<void> {
    return this.lifecycle.shutdown();
  }

  getQr(sessionId: string): QrInfo {
    return this.linking.getQr(sessionId);
  }

  async waitForQr(sessionId: string, timeoutMs: number): Promise<QrInfo> {
    await this.local(sessionId);
    return this.linking.waitForQr(sessionId, timeoutMs);
  }

  async requestPairingCode(sessionId: string, phoneNumber: string): Promise<PairingCodeInfo> {
    await this.local(sessionId);
    return this.linking.requestPairingCode(sessionId, phoneNumber);
  }

  async connectAndRequestPairingCode(sessionId: string, phoneNumber: string, timeoutMs: number): Promise<PairingCodeInfo> {
    await this.local(sessionId);
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
