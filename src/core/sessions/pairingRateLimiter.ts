/**
 * At most `limit` pairing codes per phone number per window, across all
 * sessions. WhatsApp blocks numbers that ask for codes too often, so the
 * gateway refuses before the network does.
 *
 * A request *reserves* a place before it asks WhatsApp, synchronously, so
 * concurrent requests cannot all pass the check while the first is still
 * waiting for the network; the place is committed when a code was issued
 * and released when none was. Committed codes are written to a log (the
 * store), so a restart does not reset the count, and `refresh` reads
 * them back before a check, so codes other nodes issued count too.
 */
import { GatewayError } from '../errors.js';

/** Where issued codes are kept across restarts. */
export interface PairingRequestLog {
  record(phone: string, at: number): Promise<void>;
  /** Every code issued at or after `since` (epoch ms), of one number when `phone` is given. */
  since(since: number, phone?: string): Promise<Array<{ phone: string; at: number }>>;
}

export interface PairingRateLimiterOptions {
  /** Codes allowed per phone number per window (default 3). */
  limit?: number;
  /** Window length in ms (default 10 minutes). */
  windowMs?: number;
  now?: () => number;
  log?: PairingRequestLog;
  /** Told when a committed code could not be written to the log (it still counts in memory). */
  onLogFailure?: (err: unknown) => void;
}

export interface PairingReservation {
  /** A code was issued: it counts against the number from now on; resolves once the log has it (never rejects). */
  commit(): Promise<void>;
  /** No code was issued: give the place back. */
  release(): void;
}

export class PairingRateLimiter {
  readonly limit: number;
  readonly windowMs: number;
  private readonly now: () => number;
  /** phone → times codes were issued, oldest first. */
  private readonly issued = new Map<string, number[]>();
  /** phone → requests waiting for WhatsApp right now. */
  private readonly inFlight = new Map<string, number>();
  private lastSweep: number;

  constructor(private readonly opts: PairingRateLimiterOptions = {}) {
    this.limit = opts.limit ?? 3;
    this.windowMs = opts.windowMs ?? 10 * 60_000;
    this.now = opts.now ?? Date.now;
    this.lastSweep = this.now();
  }

  /** Read the codes of the current window from the log (at start). */
  async load(): Promise<void> {
    if (!this.opts.log) return;
    const rows = await this.opts.log.since(this.now() - this.windowMs);
    for (const { phone, at } of rows.sort((a, b) => a.at - b.at)) {
      const times = this.issued.get(phone) ?? [];
      times.push(at);
      this.issued.set(phone, times);
    }
  }

  /**
   * Before a check with many nodes: add the codes other nodes issued for this
   * number (the log is shared). Times already known (this node's) are not
   * counted twice: per time, the larger of the two counts (codes issued in
   * the same millisecond are several codes). A log that cannot be read
   * leaves the local count.
   */
  async refresh(phone: string): Promise<void> {
    if (!this.opts.log) return;
    const now = this.now();
    let rows: Array<{ phone: string; at: number }>;
    try {
      rows = await this.opts.log.since(now - this.windowMs, phone);
    } catch {
      return;
    }
    const local = countByTime(this.recent(phone, now));
    const logged = countByTime(rows.filter((row) => row.phone === phone && row.at > now - this.windowMs).map((row) => row.at));
    for (const [at, n] of logged) local.set(at, Math.max(n, local.get(at) ?? 0));
    const times = [...local].flatMap(([at, n]) => Array<number>(n).fill(at)).sort((a, b) => a - b);
    if (times.length > 0) this.issued.set(phone, times);
  }

  /** Throws PAIRING_RATE_LIMITED (with retryAfterSeconds) when the number used up its codes. */
  check(phone: string): void {
    const now = this.now();
    const times = this.recent(phone, now);
    if (times.length + (this.inFlight.get(phone) ?? 0) < this.limit) return;
    // With only in-flight requests in the way, the earliest a place frees is when one of them fails.
    const oldest = times[0] ?? now;
    const retryAfterSeconds = Math.max(1, Math.ceil((oldest + this.windowMs - now) / 1000));
    throw new GatewayError(
      'PAIRING_RATE_LIMITED',
      `At most ${this.limit} pairing codes per phone number every ${Math.round(this.windowMs / 60_000)} minutes; ` +
        `try again in ${retryAfterSeconds} seconds`,
      { phoneNumber: phone, limit: this.limit, windowSeconds: Math.round(this.windowMs / 1000), retryAfterSeconds },
      { retryAfterSeconds },
    );
  }

  /** Check and hold a place in one step (no await between them). */
  reserve(phone: string): PairingReservation {
    this.check(phone);
    this.inFlight.set(phone, (this.inFlight.get(phone) ?? 0) + 1);
    let settled = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      const left = (this.inFlight.get(phone) ?? 1) - 1;
      if (left <= 0) this.inFlight.delete(phone);
      else this.inFlight.set(phone, left);
      return true;
    };
    return {
      commit: () => (settle() ? this.record(phone) : Promise.resolve()),
      release: () => {
        settle();
      },
    };
  }

  /** Count one issued code for this number; resolves once the log has it (a failed write is told, never thrown). */
  record(phone: string): Promise<void> {
    const now = this.now();
    const times = this.recent(phone, now);
    times.push(now);
    this.issued.set(phone, times);
    this.sweep(now);
    return this.opts.log?.record(phone, now).catch((err: unknown) => this.opts.onLogFailure?.(err)) ?? Promise.resolve();
  }

  /** Numbers currently tracked (for tests and metrics). */
  get size(): number {
    return this.issued.size;
  }

  private recent(phone: string, now: number): number[] {
    const times = this.issued.get(phone);
    if (times === undefined) return [];
    const cutoff = now - this.windowMs;
    const kept = times.filter((t) => t > cutoff);
    if (kept.length === 0) this.issued.delete(phone);
    else this.issued.set(phone, kept);
    return kept;
  }

  /** Drop numbers whose codes all left the window; at most once per window. */
  private sweep(now: number): void {
    if (now - this.lastSweep < this.windowMs) return;
    this.lastSweep = now;
    const cutoff = now - this.windowMs;
    for (const [phone, times] of this.issued) {
      if (times[times.length - 1]! <= cutoff) this.issued.delete(phone);
    }
  }
}

function countByTime(times: number[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const at of times) counts.set(at, (counts.get(at) ?? 0) + 1);
  return counts;
}
