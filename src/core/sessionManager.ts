/**
 * Owns every session: its persisted row, its runtime (engine connection) and
 * its linking material (QR, pairing code). All state changes go through
 * `transition`, which checks the state machine, persists the row, records
 * the reason and emits `connection.state`. Operations on one session are
 * serialised; different sessions never wait on each other.
 */
import type { Logger } from 'pino';
import type { Engine, EngineIdentity } from '../engine/types.js';
import type { SessionRow, Store } from '../store/types.js';
import { GatewayError } from './errors.js';
import type { InMemoryEventBus } from './eventBus.js';
import type { SessionService } from './gateway.js';
import type {
  CreateSessionInput,
  GroupInfo,
  PairingCodeInfo,
  QrInfo,
  SessionState,
  SessionView,
} from './model.js';
import { PairingRateLimiter } from './pairingRateLimiter.js';
import { normalizePhoneNumber } from './phoneNumber.js';
import type { BackoffOptions } from './reconnectPolicy.js';
import { DEFAULT_RESTORE_CONCURRENCY, DEFAULT_RESTORE_LOOP_DELAY_MS, runPaced, type PaceResult } from './restorePacer.js';
import { SerialQueue } from './serialQueue.js';
import { requireState } from './sessionGuard.js';
import { assertValidSessionId } from './sessionId.js';
import { SessionRuntime } from './sessionRuntime.js';
import { freshSessionRow } from './sessionRow.js';
import { toSessionView } from './sessionView.js';
import { assertTransition, LINKING_STATES } from './stateMachine.js';
import { uuidv7 } from './uuid.js';

export interface SessionManagerOptions {
  store: Store;
  engine: Engine;
  events: InMemoryEventBus;
  logger: Logger;
  sandbox: boolean;
  /** Most sessions restoring at once. */
  restoreConcurrency?: number;
  /** Event-loop delay (ms) the restore paces itself to; 0 = always `restoreConcurrency` at once. */
  restoreLoopDelayMs?: number;
  /** How long a pairing code is shown as valid. */
  pairingCodeTtlMs?: number;
  /** How long connect-and-wait helpers wait for the engine to reach a linking state. */
  readyTimeoutMs?: number;
  backoff?: BackoffOptions;
  rateLimiter?: PairingRateLimiter;
  defaultDeviceBrowser?: string;
}

interface Transient {
  runtime: SessionRuntime | null;
  qr: QrInfo | null;
  pairing: PairingCodeInfo | null;
  pairingTimer: NodeJS.Timeout | null;
  queue: SerialQueue;
  /** Row writes are chained so they land in order. */
  writes: Promise<void>;
}

interface Entry extends Transient {
  row: SessionRow;
}

const TERMINAL_FOR_RESTORE: SessionState[] = ['connected', 'logged_out', 'conflict', 'error', 'inactive', 'created'];
const TRANSIENT_STATES: SessionState[] = ['connecting', 'qr', 'pairing_code', 'connected'];

export class SessionManager implements SessionService {
  private readonly entries = new Map<string, Entry>();
  private readonly rateLimiter: PairingRateLimiter;
  private readonly pairingCodeTtlMs: number;
  private readonly readyTimeoutMs: number;
  private shuttingDown = false;
  /** Observers of refused pairing-code requests (metrics); they never change the outcome. */
  private readonly pairingRefusedListeners = new Set<(sessionId: string, code: string) => void>();

  constructor(private readonly opts: SessionManagerOptions) {
    this.rateLimiter = opts.rateLimiter ?? new PairingRateLimiter();
    this.pairingCodeTtlMs = opts.pairingCodeTtlMs ?? 120_000;
    this.readyTimeoutMs = opts.readyTimeoutMs ?? 15_000;
  }

  /**
   * Load every session from the store. A session that was running when the
   * process stopped is `inactive` (paired) or `created` (never linked) until
   * restore brings it back.
   */
  async load(): Promise<void> {
    const rows = await this.opts.store.sessions.list();
    for (const row of rows) {
      const entry = this.newEntry(row);
      this.entries.set(row.id, entry);
      if (TRANSIENT_STATES.includes(row.state)) {
        const state: SessionState = row.meJid ? 'inactive' : 'created';
        await this.patch(entry, { state });
      }
    }
  }

  /**
   * Reconnect every paired session that should be connected, a bounded
   * number at a time; the bound follows measured event-loop delay.
   */
  async restore(): Promise<PaceResult> {
    const toRestore = [...this.entries.values()].filter((e) => e.row.meJid !== null && e.row.wantConnected);
    const log = this.opts.logger;
    const pacing = {
      max: this.opts.restoreConcurrency ?? DEFAULT_RESTORE_CONCURRENCY,
      targetDelayMs: this.opts.restoreLoopDelayMs ?? DEFAULT_RESTORE_LOOP_DELAY_MS,
    };
    log.info({ sessions: toRestore.length, maxConcurrency: pacing.max, loopDelayTargetMs: pacing.targetDelayMs }, 'restoring sessions');
    const started = Date.now();
    const result = await runPaced(toRestore, pacing, async (entry) => {
      if (this.shuttingDown || !this.entries.has(entry.row.id)) return;
      await this.connect(entry.row.id, 'restore after start');
      await this.waitForState(entry.row.id, TERMINAL_FOR_RESTORE, 60_000).catch(() => undefined);
    });
    log.info(
      { ...result, ms: Date.now() - started },
      `restored ${result.started} sessions; in flight max ${result.maxInFlight}`,
    );
    return result;
  }

  // ---- queries ---------------------------------------------------------------------------

  list(): SessionView[] {
    return [...this.entries.values()].map((e) => this.view(e));
  }

  get(sessionId: string): SessionView {
    return this.view(this.entry(sessionId));
  }

  has(sessionId: string): boolean {
    return this.entries.has(sessionId);
  }

  getQr(sessionId: string): QrInfo {
    const entry = this.entry(sessionId);
    const qr = this.liveQr(entry);
    this.guard(entry, { states: LINKING_STATES, unpairedOnly: true, action: 'show a QR code' });
    if (!qr) {
      throw new GatewayError('SESSION_NOT_READY', 'No QR code is available yet; wait for the auth.qr event', {
        sessionId,
        state: entry.row.state,
        expected: ['qr'],
      });
    }
    return qr;
  }

  connectionKey(sessionId: string): string | null {
    return this.entry(sessionId).runtime?.current?.noiseKey ?? null;
  }

  /** Epoch ms of the last frame the session's connection received, when the engine reports it. */
  lastFrameAt(sessionId: string): number | null {
    return this.entries.get(sessionId)?.runtime?.current?.lastFrameAt?.() ?? null;
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  async create(input: CreateSessionInput): Promise<SessionView> {
    this.assertRunning();
    const id = input.sessionId ?? uuidv7();
    assertValidSessionId(id);
    if (this.entries.has(id)) throw new GatewayError('SESSION_EXISTS', undefined, { sessionId: id });
    const row = freshSessionRow(id, {
      displayName: input.displayName ?? null,
      deviceBrowser: input.deviceBrowser ?? this.opts.defaultDeviceBrowser ?? 'Chrome',
    });
    await this.opts.store.sessions.create(row);
    const entry = this.newEntry(row);
    this.entries.set(id, entry);
    this.opts.events.emit('session.created', id, { session: this.view(entry) });
    this.log(id).info('session created');
    return this.view(entry);
  }

  async delete(sessionId: string): Promise<void> {
    const entry = this.entry(sessionId);
    await entry.queue.run(async () => {
      if (entry.row.meJid) await this.unlink(entry, 'session deleted');
      await entry.runtime?.stop();
      entry.runtime = null;
      this.clearLinking(entry);
      await entry.writes;
      await this.opts.events.flush();
      this.entries.delete(sessionId);
      await this.opts.store.sessions.delete(sessionId);
      this.opts.events.emit('session.deleted', sessionId, { sessionId });
      this.log(sessionId).info('session deleted');
    });
  }

  async connect(sessionId: string, reason = 'connect requested'): Promise<SessionView> {
    this.assertRunning();
    const entry = this.entry(sessionId);
    return entry.queue.run(async () => {
      if (entry.runtime) return this.view(entry);
      const auth = this.opts.store.auth.forSession(sessionId);
      // An unlinked session starts from clean credentials: leftovers of an
      // earlier attempt (a half-done pairing code) would make the engine try
      // to log in as a device that does not exist.
      if (!entry.row.meJid) await auth.wipe();
      const runtime = new SessionRuntime({
        sessionId,
        engine: this.opts.engine,
        auth,
        deviceBrowser: entry.row.deviceBrowser,
        logger: this.log(sessionId),
        isPaired: () => entry.row.meJid !== null,
        backoff: this.opts.backoff,
        hooks: this.runtimeHooks(entry),
      });
      entry.runtime = runtime;
      await this.patch(entry, { wantConnected: true });
      await runtime.start(reason);
      return this.view(entry);
    });
  }

  async disconnect(sessionId: string): Promise<SessionView> {
    const entry = this.entry(sessionId);
    return entry.queue.run(async () => {
      const runtime = entry.runtime;
      entry.runtime = null;
      await runtime?.stop();
      this.clearLinking(entry);
      const next: SessionState = entry.row.meJid ? 'inactive' : 'created';
      const wasRunning = runtime !== null;
      if (entry.row.state !== next && wasRunning) {
        await this.transition(entry, next, { code: null, reason: 'disconnect requested' }, true);
      }
      await this.patch(entry, { wantConnected: false });
      return this.view(entry);
    });
  }

  async logout(sessionId: string): Promise<SessionView> {
    const entry = this.entry(sessionId);
    return entry.queue.run(async () => {
      await this.unlink(entry, 'logout requested');
      return this.view(entry);
    });
  }

  // ---- linking ---------------------------------------------------------------------------------

  async waitForQr(sessionId: string, timeoutMs: number): Promise<QrInfo> {
    const entry = this.entry(sessionId);
    if (entry.row.meJid) throw new GatewayError('ALREADY_PAIRED', undefined, { sessionId, state: entry.row.state });
    if (!entry.runtime) await this.connect(sessionId);
    const existing = this.liveQr(entry);
    if (existing) return existing;
    await this.waitFor(sessionId, () => this.liveQr(entry) !== null || !entry.runtime, timeoutMs);
    return this.getQr(sessionId);
  }

  async requestPairingCode(sessionId: string, phoneNumber: string): Promise<PairingCodeInfo> {
    return this.noticePairingRefusal(sessionId, () => this.requestPairingCodeNow(sessionId, phoneNumber));
  }

  async connectAndRequestPairingCode(sessionId: string, phoneNumber: string, timeoutMs: number): Promise<PairingCodeInfo> {
    return this.noticePairingRefusal(sessionId, () => this.connectAndRequestPairingCodeNow(sessionId, phoneNumber, timeoutMs));
  }

  /** Subscribe to refused pairing-code requests (rate limited or invalid number). Returns unsubscribe. */
  onPairingRefused(listener: (sessionId: string, code: string) => void): () => void {
    this.pairingRefusedListeners.add(listener);
    return () => this.pairingRefusedListeners.delete(listener);
  }

  private async noticePairingRefusal(sessionId: string, request: () => Promise<PairingCodeInfo>): Promise<PairingCodeInfo> {
    try {
      return await request();
    } catch (err) {
      if (err instanceof GatewayError && (err.code === 'PAIRING_RATE_LIMITED' || err.code === 'INVALID_PHONE_NUMBER')) {
        for (const listener of this.pairingRefusedListeners) {
          try {
            listener(sessionId, err.code);
          } catch {
            // an observer's failure must not replace the caller's error
          }
        }
      }
      throw err;
    }
  }

  private async requestPairingCodeNow(sessionId: string, phoneNumber: string): Promise<PairingCodeInfo> {
    const phone = normalizePhoneNumber(phoneNumber, { sandbox: this.opts.sandbox });
    const entry = this.entry(sessionId);
    if (entry.row.meJid) throw new GatewayError('ALREADY_PAIRED', undefined, { sessionId, state: entry.row.state });
    // The engine needs a moment after connect before it can ask for a code;
    // a client that calls right after connect should not see a spurious 422.
    if (entry.row.state === 'connecting' && entry.runtime) {
      await this.waitFor(sessionId, () => LINKING_STATES.includes(entry.row.state) || !entry.runtime, 5_000).catch(
        () => undefined,
      );
    }
    return entry.queue.run(() => this.issuePairingCode(entry, phone));
  }

  private async connectAndRequestPairingCodeNow(sessionId: string, phoneNumber: string, timeoutMs: number): Promise<PairingCodeInfo> {
    const phone = normalizePhoneNumber(phoneNumber, { sandbox: this.opts.sandbox });
    const entry = this.entry(sessionId);
    if (entry.row.meJid) throw new GatewayError('ALREADY_PAIRED', undefined, { sessionId, state: entry.row.state });
    if (!entry.runtime) await this.connect(sessionId);
    await this.waitFor(sessionId, () => LINKING_STATES.includes(entry.row.state) || !entry.runtime, timeoutMs);
    return entry.queue.run(() => this.issuePairingCode(entry, phone));
  }

  async waitForState(sessionId: string, states: SessionState[], timeoutMs: number): Promise<SessionView> {
    const entry = this.entry(sessionId);
    await this.waitFor(sessionId, () => states.includes(entry.row.state), timeoutMs);
    return this.view(entry);
  }

  // ---- using a connected session --------------------------------------------------------------

  async groups(sessionId: string): Promise<GroupInfo[]> {
    const connection = this.connectedEngine(sessionId, 'list groups');
    return this.engineCall(sessionId, 'list groups', () => connection.groups());
  }

  async sendText(sessionId: string, to: string, text: string): Promise<{ messageId: string }> {
    const connection = this.connectedEngine(sessionId, 'send a message');
    const recipient = to.includes('@') ? to : normalizePhoneNumber(to, { sandbox: this.opts.sandbox });
    const messageId = await this.engineCall(sessionId, 'send a message', () => connection.sendText(recipient, text));
    return { messageId };
  }

  /** Close every connection without logging out; restore reconnects them next start. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    await Promise.all(
      [...this.entries.values()].map(async (entry) => {
        const runtime = entry.runtime;
        entry.runtime = null;
        this.clearLinking(entry);
        await runtime?.stop().catch(() => undefined);
        if (TRANSIENT_STATES.includes(entry.row.state)) {
          await this.patch(entry, { state: entry.row.meJid ? 'inactive' : 'created' }).catch(() => undefined);
        }
        await entry.writes;
      }),
    );
    await this.opts.events.flush();
  }

  /** Counts by state (health, metrics). */
  countByState(): Record<SessionState, number> {
    const counts: Record<SessionState, number> = {
      created: 0,
      connecting: 0,
      qr: 0,
      pairing_code: 0,
      connected: 0,
      inactive: 0,
      logged_out: 0,
      conflict: 0,
      error: 0,
    };
    for (const entry of this.entries.values()) counts[entry.row.state] += 1;
    return counts;
  }

  // ---- internals ------------------------------------------------------------------------------

  private runtimeHooks(entry: Entry): ConstructorParameters<typeof SessionRuntime>[0]['hooks'] {
    const id = entry.row.id;
    const still = (): boolean => this.entries.get(id) === entry && entry.runtime !== null;
    return {
      connecting: (reason) => {
        if (!still()) return;
        void this.transition(entry, 'connecting', { code: null, reason });
      },
      qr: (qr, ttlMs) => {
        if (!still()) return;
        const createdAt = new Date();
        entry.qr = {
          qr,
          ttlMs,
          createdAt: createdAt.toISOString(),
          expiresAt: new Date(createdAt.getTime() + ttlMs).toISOString(),
        };
        this.opts.events.emit('auth.qr', id, { qr, ttlMs, expiresAt: entry.qr.expiresAt });
        if (entry.row.state !== 'pairing_code') void this.transition(entry, 'qr', { code: null, reason: 'waiting for a QR scan' });
      },
      paired: (identity) => {
        if (!still()) return;
        this.clearLinking(entry);
        void this.recordPaired(entry, identity);
      },
      open: (identity) => {
        if (!still()) return;
        this.clearLinking(entry);
        void this.recordOpen(entry, identity);
      },
      pairingFailed: (reason) => {
        if (!still()) return;
        this.log(id).warn({ reason }, 'pairing code was not accepted');
        this.opts.events.emit('auth.pairing_failed', id, {
          reason,
          phoneNumber: entry.pairing?.phoneNumber ?? null,
          stillWaiting: true,
        });
      },
      retrying: (code, reason, delayMs, attempt) => {
        if (!still()) return;
        this.log(id).info({ code, reason, delayMs, attempt }, 'connection closed; reconnecting');
        this.clearLinking(entry);
        void this.transition(entry, 'connecting', { code, reason: `${reason}; reconnecting in ${delayMs} ms` }, true);
      },
      ended: (decision, code, reason) => {
        if (!still()) return;
        entry.runtime = null;
        this.clearLinking(entry);
        void entry.queue.run(() => this.onEnded(entry, decision.action, code, decision.action === 'give_up' ? decision.reason : reason));
      },
    };
  }

  private async onEnded(entry: Entry, action: 'logged_out' | 'conflict' | 'give_up', code: number, reason: string): Promise<void> {
    const log = this.log(entry.row.id);
    if (action === 'logged_out') {
      log.warn({ code, reason }, 'logged out by WhatsApp; credentials wiped');
      await this.wipeLink(entry, { code, reason }, 'removed from the phone or by WhatsApp');
      return;
    }
    if (action === 'conflict') {
      log.warn({ code, reason }, 'connection replaced by another client; not reconnecting');
      await this.transition(entry, 'conflict', { code, reason }, true);
      return;
    }
    log.info({ code, reason }, 'giving up');
    await this.transition(entry, 'error', { code, reason }, true);
    await this.patch(entry, { wantConnected: false });
  }

  private async recordPaired(entry: Entry, identity: EngineIdentity): Promise<void> {
    await this.patch(entry, { meJid: identity.jid, meLid: identity.lid, meName: identity.name });
    this.opts.events.emit('auth.paired', entry.row.id, {
      me: this.view(entry).me,
    });
    this.log(entry.row.id).info({ jid: identity.jid }, 'device linked');
    if (entry.row.state !== 'connecting') {
      await this.transition(entry, 'connecting', { code: null, reason: 'linked; logging in' });
    }
  }

  private async recordOpen(entry: Entry, identity: EngineIdentity): Promise<void> {
    const now = new Date().toISOString();
    await this.patch(entry, {
      meJid: identity.jid,
      meLid: identity.lid ?? entry.row.meLid,
      meName: identity.name ?? entry.row.meName,
      lifetimeStatus: 'connected',
      connectedAt: now,
      wantConnected: true,
    });
    await this.transition(entry, 'connected', { code: null, reason: 'logged in' });
  }

  private async issuePairingCode(entry: Entry, phone: string): Promise<PairingCodeInfo> {
    const sessionId = entry.row.id;
    this.guard(entry, { states: LINKING_STATES, unpairedOnly: true, action: 'request a pairing code' });
    const live = entry.pairing;
    if (live && live.phoneNumber === phone && Date.parse(live.expiresAt) > Date.now()) return live;
    this.rateLimiter.check(phone);
    const connection = entry.runtime?.current;
    if (!connection) {
      throw new GatewayError('SESSION_NOT_READY', 'The session is not connected to WhatsApp', {
        sessionId,
        state: entry.row.state,
        expected: ['qr'],
      });
    }
    const raw = await this.engineCall(sessionId, 'request a pairing code', () => connection.requestPairingCode(phone));
    this.rateLimiter.record(phone);
    const createdAt = new Date();
    const info: PairingCodeInfo = {
      code: formatPairingCode(raw),
      phoneNumber: phone,
      ttlMs: this.pairingCodeTtlMs,
      createdAt: createdAt.toISOString(),
      expiresAt: new Date(createdAt.getTime() + this.pairingCodeTtlMs).toISOString(),
    };
    this.setPairing(entry, info);
    this.opts.events.emit('auth.pairing_code', sessionId, {
      phoneNumber: phone,
      ttlMs: info.ttlMs,
      expiresAt: info.expiresAt,
    });
    await this.transition(entry, 'pairing_code', { code: null, reason: `pairing code issued for +${phone}` });
    this.log(sessionId).info({ phoneNumber: phone }, 'pairing code issued');
    return info;
  }

  private setPairing(entry: Entry, info: PairingCodeInfo): void {
    if (entry.pairingTimer) clearTimeout(entry.pairingTimer);
    entry.pairing = info;
    entry.pairingTimer = setTimeout(() => {
      entry.pairingTimer = null;
      if (entry.pairing !== info) return;
      entry.pairing = null;
      if (entry.row.state === 'pairing_code' && entry.runtime) {
        void this.transition(entry, 'qr', { code: null, reason: 'pairing code expired' });
      }
    }, info.ttlMs);
    entry.pairingTimer.unref?.();
  }

  /** Unlink on WhatsApp's side when we can, then wipe credentials locally in any case. */
  private async unlink(entry: Entry, reason: string): Promise<void> {
    const log = this.log(entry.row.id);
    let runtime = entry.runtime;
    if (entry.row.meJid) {
      if (!runtime) {
        // Inactive: connect briefly so WhatsApp removes the device from the phone's list too.
        runtime = new SessionRuntime({
          sessionId: entry.row.id,
          engine: this.opts.engine,
          auth: this.opts.store.auth.forSession(entry.row.id),
          deviceBrowser: entry.row.deviceBrowser,
          logger: log,
          isPaired: () => true,
          backoff: { baseMs: 60_000, maxMs: 60_000 },
          hooks: silentHooks,
        });
        await runtime.start('logging out');
      }
      const open = await runtime.waitOpen(this.readyTimeoutMs);
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
    this.clearLinking(entry);
    await this.wipeLink(entry, { code: null, reason }, reason);
  }

  private async wipeLink(entry: Entry, why: { code: number | null; reason: string }, eventReason: string): Promise<void> {
    await this.opts.store.auth.forSession(entry.row.id).wipe();
    await this.patch(entry, { meJid: null, meLid: null, meName: null, wantConnected: false });
    this.opts.events.emit('auth.logged_out', entry.row.id, { code: why.code, reason: eventReason });
    await this.transition(entry, 'logged_out', why, true);
  }

  private async transition(
    entry: Entry,
    to: SessionState,
    why: { code: number | null; reason: string },
    recordDisconnect = false,
  ): Promise<void> {
    const from = entry.row.state;
    if (from === to && to !== 'connecting') return;
    if (from === to && to === 'connecting' && !recordDisconnect) return;
    assertTransition(from, to);
    const now = new Date().toISOString();
    const patch: Partial<SessionRow> = { state: to };
    if (recordDisconnect) {
      patch.lastDisconnectCode = why.code;
      patch.lastDisconnectReason = why.reason;
      patch.lastDisconnectAt = now;
    }
    const done = this.patch(entry, patch);
    this.opts.events.emit('connection.state', entry.row.id, {
      state: to,
      previous: from,
      connectionState: this.view(entry).connectionState,
      code: why.code,
      reason: why.reason,
    });
    this.log(entry.row.id).info({ from, to, code: why.code, reason: why.reason }, 'state changed');
    await done;
  }

  /** Apply a change in memory at once and persist it in order. */
  private patch(entry: Entry, patch: Partial<SessionRow>): Promise<void> {
    const updatedAt = new Date().toISOString();
    Object.assign(entry.row, patch, { updatedAt });
    const id = entry.row.id;
    const write = entry.writes.then(() =>
      this.entries.get(id) === entry ? this.opts.store.sessions.update(id, { ...patch, updatedAt }) : undefined,
    );
    entry.writes = write.catch((err: unknown) => {
      this.log(id).error({ err }, 'could not persist session change');
    });
    return entry.writes;
  }

  private waitFor(sessionId: string, predicate: () => boolean, timeoutMs: number): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        unsubscribe();
        const entry = this.entries.get(sessionId);
        reject(
          new GatewayError('TIMEOUT', 'The session did not get ready in time', {
            sessionId,
            state: entry?.row.state ?? null,
            waitedMs: timeoutMs,
          }),
        );
      }, timeoutMs);
      const unsubscribe = this.opts.events.subscribe(sessionId, () => {
        if (!predicate()) return;
        clearTimeout(timer);
        unsubscribe();
        resolve();
      });
    });
  }

  private connectedEngine(sessionId: string, action: string): NonNullable<SessionRuntime['current']> {
    const entry = this.entry(sessionId);
    this.guard(entry, { states: ['connected'], action });
    const connection = entry.runtime?.current;
    if (!connection) {
      throw new GatewayError('SESSION_NOT_READY', `Cannot ${action}: the session is not connected`, {
        sessionId,
        state: entry.row.state,
        expected: ['connected'],
      });
    }
    return connection;
  }

  private async engineCall<T>(sessionId: string, action: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      this.log(sessionId).warn({ err }, `engine failed to ${action}`);
      throw new GatewayError('ENGINE_ERROR', `WhatsApp did not ${action}: ${err instanceof Error ? err.message : String(err)}`, {
        sessionId,
      }, { cause: err });
    }
  }

  private guard(entry: Entry, expectation: Parameters<typeof requireState>[1]): void {
    requireState({ sessionId: entry.row.id, state: entry.row.state, paired: entry.row.meJid !== null }, expectation);
  }

  private liveQr(entry: Entry): QrInfo | null {
    if (!entry.qr || !LINKING_STATES.includes(entry.row.state)) return null;
    return entry.qr;
  }

  private clearLinking(entry: Entry): void {
    entry.qr = null;
    entry.pairing = null;
    if (entry.pairingTimer) clearTimeout(entry.pairingTimer);
    entry.pairingTimer = null;
  }

  private entry(sessionId: string): Entry {
    const entry = this.entries.get(sessionId);
    if (!entry) {
      assertValidSessionId(sessionId);
      throw new GatewayError('SESSION_NOT_FOUND', `No session with id "${sessionId}"`, { sessionId });
    }
    return entry;
  }

  private view(entry: Entry): SessionView {
    return toSessionView(entry.row, { active: entry.runtime !== null, qrAvailable: this.liveQr(entry) !== null });
  }

  private newEntry(row: SessionRow): Entry {
    return { row, runtime: null, qr: null, pairing: null, pairingTimer: null, queue: new SerialQueue(), writes: Promise.resolve() };
  }

  private assertRunning(): void {
    if (this.shuttingDown) throw new GatewayError('SHUTTING_DOWN');
  }

  private log(sessionId: string): Logger {
    return this.opts.logger.child({ sessionId });
  }
}

const silentHooks: ConstructorParameters<typeof SessionRuntime>[0]['hooks'] = {
  connecting: () => undefined,
  qr: () => undefined,
  paired: () => undefined,
  open: () => undefined,
  pairingFailed: () => undefined,
  retrying: () => undefined,
  ended: () => undefined,
};

/** `ABCD1234` → `ABCD-1234`, the form WhatsApp shows and users type. */
export function formatPairingCode(raw: string): string {
  const clean = raw.replace(/[^A-Za-z0-9]/g, '').toUpperCase();
  return clean.length === 8 ? `${clean.slice(0, 4)}-${clean.slice(4)}` : clean;
}
