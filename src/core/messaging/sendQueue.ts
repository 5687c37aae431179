/**
 * The per-session send queue. Accepted messages are rows in the store with
 * status `pending`; this worker sends them in order while the session is
 * connected, and stops when it is not (a reconnect starts it again).
 * Every message keeps the WhatsApp id it was given at acceptance, so one
 * resent after a crash is the same message, not a second one.
 */
import type { Logger } from 'pino';
import { isEngineError } from '../../engine/errors.js';
import type { MessageRepo } from '../../store/types.js';
import type { FaultCounter } from '../faults.js';
import type { LiveConnections } from '../sessions/liveConnection.js';
import { fromQueued } from './messageRecords.js';
import { SendBacklog, type Reservation } from './sendBacklog.js';

/** Attempts before a message that WhatsApp keeps refusing is given up. */
const MAX_ATTEMPTS = 3;

export interface SendQueueDeps {
  repo: MessageRepo;
  live: LiveConnections;
  logger: Logger;
  faults: FaultCounter;
  /** Messages per minute per session; 0 = as fast as WhatsApp takes them. */
  ratePerMinute: number;
  /** Most messages a session may have waiting to be sent; past it a send is refused (0 = no bound). */
  maxPending: number;
  onSent(sessionId: string, messageId: string, timestamp: number): Promise<void>;
  onFailed(sessionId: string, messageId: string, reason: string, attempts: number): Promise<void>;
  onAttemptFailed(sessionId: string, messageId: string, attempts: number): Promise<void>;
}

export class SendQueue {
  /** Sessions whose worker is running, with a flag to run again when it finishes. */
  private readonly running = new Map<string, { again: boolean }>();
  /** Callers waiting for one message's first attempt (the send route's short wait). */
  private readonly attempted = new Map<string, Array<() => void>>();
  private lastSent = new Map<string, number>();
  private readonly backlog: SendBacklog;

  constructor(private readonly deps: SendQueueDeps) {
    this.backlog = new SendBacklog({
      limit: deps.maxPending,
      ratePerMinute: deps.ratePerMinute,
      pendingIds: (sessionId) => deps.repo.pendingIds(sessionId),
    });
  }

  /**
   * Hold a place in the session's backlog for a message about to be stored;
   * SEND_BACKLOG_FULL when it has as many waiting as it may. Call accepted(id)
   * once the row is stored, release() when nothing was.
   */
  reserve(sessionId: string): Promise<Reservation> {
    return this.backlog.reserve(sessionId);
  }

  /** The session was deleted, its messages with it. */
  forget(sessionId: string): void {
    this.backlog.forget(sessionId);
    this.lastSent.delete(sessionId);
  }

  /** Make sure the session's worker runs (after an accept, or a reconnect). */
  kick(sessionId: string): void {
    const state = this.running.get(sessionId);
    if (state) {
      state.again = true;
      return;
    }
    this.running.set(sessionId, { again: false });
    this.work(sessionId)
      .catch((err: unknown) => {
        this.deps.faults.record('store_write');
        this.deps.logger.child({ sessionId }).error({ err }, 'send queue stopped on an error; it resumes with the next message or reconnect');
      })
      .finally(() => {
        const again = this.running.get(sessionId)?.again === true;
        this.running.delete(sessionId);
        if (again) this.kick(sessionId);
      });
  }

  /** Resolves once this message was tried (sent, failed, or put back to wait for a reconnect), or after `timeoutMs`. */
  waitForAttempt(sessionId: string, messageId: string, timeoutMs: number): Promise<void> {
    const key = `${sessionId}\u0000${messageId}`;
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const list = this.attempted.get(key)?.filter((w) => w !== done) ?? [];
        if (list.length === 0) this.attempted.delete(key);
        else this.attempted.set(key, list);
        resolve();
      }, timeoutMs);
      timer.unref?.();
      this.attempted.set(key, [...(this.attempted.get(key) ?? []), done]);
      // Nobody is working on it (not connected): it waits for a reconnect, so do not hold the caller.
      if (!this.running.has(sessionId)) this.wake(sessionId, messageId);
    });
  }

  private wake(sessionId: string, messageId: string): void {
    const key = `${sessionId}\u0000${messageId}`;
    const waiters = this.attempted.get(key);
    this.attempted.delete(key);
    for (const w of waiters ?? []) w();
  }

  private async work(sessionId: string): Promise<void> {
    const log = this.deps.logger.child({ sessionId });
    for (;;) {
      const state = this.running.get(sessionId);
      if (state) state.again = false;
      const mark = this.backlog.mark();
      const pending = await this.deps.repo.pending(sessionId);
      this.backlog.reconcile(sessionId, pending.map((r) => r.id), mark);
      if (pending.length === 0) return;
      for (const row of pending) {
        let connection;
        try {
          connection = this.deps.live.require(sessionId, 'send a message');
        } catch {
          for (const waiting of pending) this.wake(sessionId, waiting.id);
          return; // not connected: the next connect kicks the queue again
        }
        await this.pace(sessionId);
        const queued = fromQueued(row.payload ?? '{}');
        try {
          const sent = await connection.send(row.chatJid, queued.content, {
            messageId: row.id,
            ...(queued.replyTo ? { replyTo: queued.replyTo } : {}),
            ...(queued.mentions ? { mentions: queued.mentions } : {}),
          });
          this.lastSent.set(sessionId, Date.now());
          await this.deps.onSent(sessionId, row.id, sent.timestamp);
          this.backlog.done(sessionId, row.id, true);
          this.wake(sessionId, row.id);
        } catch (err) {
          if (isEngineError(err) && err.code === 'NOT_CONNECTED') {
            for (const waiting of pending) this.wake(sessionId, waiting.id);
            return;
          }
          this.wake(sessionId, row.id);
          const attempts = row.attempts + 1;
          const reason = err instanceof Error ? err.message : String(err);
          log.warn({ err, messageId: row.id, attempts }, 'sending a message failed');
          if (attempts >= MAX_ATTEMPTS) {
            await this.deps.onFailed(sessionId, row.id, reason, attempts);
            this.backlog.done(sessionId, row.id, false);
          } else {
            await this.deps.onAttemptFailed(sessionId, row.id, attempts);
            await new Promise((resolve) => setTimeout(resolve, 250 * attempts));
          }
        }
      }
    }
  }

  private async pace(sessionId: string): Promise<void> {
    if (this.deps.ratePerMinute <= 0) return;
    const gap = 60_000 / this.deps.ratePerMinute;
    const last = this.lastSent.get(sessionId);
    const wait = last === undefined ? 0 : last + gap - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
