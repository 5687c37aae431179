/**
 * Linking material: the QR a user scans and the pairing code they type,
 * with their lifetimes, and the pairing-code rate limit. Waiting for a
 * session to be ready to link lives here too, so the dialects' one-call
 * "connect and give me a QR/code" flows share one implementation.
 */
import type { Logger } from 'pino';
import { LINKING_STATES } from '../../domain/sessionState.js';
import { GatewayError } from '../errors.js';
import type { InMemoryEventBus } from '../eventBus.js';
import { fromLowerLayer } from '../lowerErrors.js';
import type { PairingCodeInfo, QrInfo } from '../model.js';
import { normalizePhoneNumber } from '../phoneNumber.js';
import type { RunInBackground } from './backgroundChange.js';
import type { PairingRateLimiter } from './pairingRateLimiter.js';
import { requireState } from './sessionGuard.js';
import type { SessionEntry } from './sessionEntry.js';
import { liveQr, type SessionRegistry } from './sessionRegistry.js';
import type { SessionWriter } from './sessionWriter.js';
import { waitForSession } from './waitFor.js';

export interface LinkingDeps {
  registry: SessionRegistry;
  writer: SessionWriter;
  events: InMemoryEventBus;
  logger: Logger;
  rateLimiter: PairingRateLimiter;
  runInBackground: RunInBackground;
  sandbox: boolean;
  pairingCodeTtlMs: number;
  /** Start the session's runtime (lifecycle's connect). */
  connect(sessionId: string): Promise<unknown>;
}

/** Refusals that observers (metrics) count. */
const COUNTED_REFUSALS = new Set(['PAIRING_RATE_LIMITED', 'INVALID_PHONE_NUMBER']);

export class SessionLinking {
  private readonly refusalListeners = new Set<(sessionId: string, code: string) => void>();

  constructor(private readonly deps: LinkingDeps) {}

  /** The engine showed a new QR. */
  setQr(entry: SessionEntry, qr: string, ttlMs: number): void {
    const createdAt = new Date();
    entry.qr = { qr, ttlMs, createdAt: createdAt.toISOString(), expiresAt: new Date(createdAt.getTime() + ttlMs).toISOString() };
    this.deps.events.emit('auth.qr', entry.row.id, { qr, ttlMs, expiresAt: entry.qr.expiresAt });
  }

  /** Forget the QR and pairing code (linked, stopped, or dropped). */
  clear(entry: SessionEntry): void {
    entry.qr = null;
    entry.pairing = null;
    if (entry.pairingTimer) clearTimeout(entry.pairingTimer);
    entry.pairingTimer = null;
  }

  getQr(sessionId: string): QrInfo {
    const entry = this.deps.registry.require(sessionId);
    const qr = liveQr(entry);
    this.guard(entry, 'show a QR code');
    if (!qr) {
      throw new GatewayError('SESSION_NOT_READY', 'No QR code is available yet; wait for the auth.qr event', {
        sessionId,
        state: entry.row.state,
        expected: ['qr'],
      });
    }
    return qr;
  }

  async waitForQr(sessionId: string, timeoutMs: number): Promise<QrInfo> {
    const entry = this.deps.registry.require(sessionId);
    this.requireUnpaired(entry);
    if (!entry.runtime) await this.deps.connect(sessionId);
    const existing = liveQr(entry);
    if (existing) return existing;
    await this.waitFor(entry, () => liveQr(entry) !== null || !entry.runtime, timeoutMs);
    return this.getQr(sessionId);
  }

  async requestPairingCode(sessionId: string, phoneNumber: string): Promise<PairingCodeInfo> {
    return this.noticeRefusal(sessionId, async () => {
      const phone = normalizePhoneNumber(phoneNumber, { sandbox: this.deps.sandbox });
      const entry = this.deps.registry.require(sessionId);
      this.requireUnpaired(entry);
      // The engine needs a moment after connect before it can ask for a code;
      // a client that calls right after connect should not see a spurious 422.
      if (entry.row.state === 'connecting' && entry.runtime) {
        await this.waitFor(entry, () => LINKING_STATES.includes(entry.row.state) || !entry.runtime, 5_000).catch(() => undefined);
      }
      return entry.queue.run(() => this.issuePairingCode(entry, phone));
    });
  }

  async connectAndRequestPairingCode(sessionId: string, phoneNumber: string, timeoutMs: number): Promise<PairingCodeInfo> {
    return this.noticeRefusal(sessionId, async () => {
      const phone = normalizePhoneNumber(phoneNumber, { sandbox: this.deps.sandbox });
      const entry = this.deps.registry.require(sessionId);
      this.requireUnpaired(entry);
      if (!entry.runtime) await this.deps.connect(sessionId);
      await this.waitFor(entry, () => LINKING_STATES.includes(entry.row.state) || !entry.runtime, timeoutMs);
      return entry.queue.run(() => this.issuePairingCode(entry, phone));
    });
  }

  /** Subscribe to refused pairing-code requests (rate limited or invalid number). Returns unsubscribe. */
  onPairingRefused(listener: (sessionId: string, code: string) => void): () => void {
    this.refusalListeners.add(listener);
    return () => this.refusalListeners.delete(listener);
  }

  /** Runs on the session's queue. */
  private async issuePairingCode(entry: SessionEntry, phone: string): Promise<PairingCodeInfo> {
    const sessionId = entry.row.id;
    this.guard(entry, 'request a pairing code');
    const live = entry.pairing;
    if (live && live.phoneNumber === phone && Date.parse(live.expiresAt) > Date.now()) return live;
    const connection = entry.runtime?.current;
    if (!connection) {
      throw new GatewayError('SESSION_NOT_READY', 'The session is not connected to WhatsApp', {
        sessionId,
        state: entry.row.state,
        expected: ['qr'],
      });
    }
    await this.deps.rateLimiter.refresh(phone);
    const reservation = this.deps.rateLimiter.reserve(phone);
    let raw: string;
    try {
      raw = await connection.requestPairingCode(phone);
    } catch (err) {
      reservation.release();
      const error = fromLowerLayer(err, { sessionId, action: 'request a pairing code' });
      this.log(sessionId).warn({ err }, 'engine failed to request a pairing code');
      throw error;
    }
    // The code counts once it is logged: a restart right after the answer must not reset the number's count.
    await reservation.commit();
    const createdAt = new Date();
    const ttlMs = this.deps.pairingCodeTtlMs;
    const info: PairingCodeInfo = {
      code: formatPairingCode(raw),
      phoneNumber: phone,
      ttlMs,
      createdAt: createdAt.toISOString(),
      expiresAt: new Date(createdAt.getTime() + ttlMs).toISOString(),
    };
    this.setPairing(entry, info);
    this.deps.events.emit('auth.pairing_code', sessionId, { phoneNumber: phone, ttlMs, expiresAt: info.expiresAt });
    await this.deps.writer.transition(entry, 'pairing_code', { code: null, reason: `pairing code issued for +${phone}` });
    this.log(sessionId).info({ phoneNumber: phone }, 'pairing code issued');
    return info;
  }

  private setPairing(entry: SessionEntry, info: PairingCodeInfo): void {
    if (entry.pairingTimer) clearTimeout(entry.pairingTimer);
    entry.pairing = info;
    entry.pairingTimer = setTimeout(() => {
      entry.pairingTimer = null;
      if (entry.pairing !== info) return;
      entry.pairing = null;
      this.deps.runInBackground(
        entry,
        'pairing code expired',
        async () => {
          if (entry.row.state === 'pairing_code' && entry.runtime) {
            await this.deps.writer.transition(entry, 'qr', { code: null, reason: 'pairing code expired' });
          }
        },
        'timer',
      );
    }, info.ttlMs);
    entry.pairingTimer.unref?.();
  }

  private async noticeRefusal(sessionId: string, request: () => Promise<PairingCodeInfo>): Promise<PairingCodeInfo> {
    try {
      return await request();
    } catch (err) {
      if (err instanceof GatewayError && COUNTED_REFUSALS.has(err.code)) {
        for (const listener of this.refusalListeners) {
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

  private requireUnpaired(entry: SessionEntry): void {
    if (entry.row.meJid) throw new GatewayError('ALREADY_PAIRED', undefined, { sessionId: entry.row.id, state: entry.row.state });
  }

  private guard(entry: SessionEntry, action: string): void {
    requireState(
      { sessionId: entry.row.id, state: entry.row.state, paired: entry.row.meJid !== null },
      { states: LINKING_STATES, unpairedOnly: true, action },
    );
  }

  private waitFor(entry: SessionEntry, predicate: () => boolean, timeoutMs: number): Promise<void> {
    const { registry } = this.deps;
    return waitForSession(this.deps.events, entry.row.id, predicate, timeoutMs, () => registry.find(entry.row.id)?.row.state ?? null);
  }

  private log(sessionId: string): Logger {
    return this.deps.logger.child({ sessionId });
  }
}

/** `ABCD1234` → `ABCD-1234`, the form WhatsApp shows and users type. */
export function formatPairingCode(raw: string): string {
  const clean = raw.replace(/[^A-Za-z0-9]/g, '').toUpperCase();
  return clean.length === 8 ? `${clean.slice(0, 4)}-${clean.slice(4)}` : clean;
}
