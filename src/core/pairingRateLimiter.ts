/**
 * At most `limit` pairing codes per phone number per window, across all
 * sessions. WhatsApp blocks numbers that ask for codes too often, so the
 * gateway refuses before the network does. Sliding window of timestamps per
 * number; entries older than the window are pruned, so memory stays bounded
 * by the numbers seen in the last window.
 */
import { GatewayError } from './errors.js';

export interface PairingRateLimiterOptions {
  /** Codes allowed per phone number per window (default 3). */
  limit?: number;
  /** Window length in ms (default 10 minutes). */
  windowMs?: number;
  now?: () => number;
}

export class PairingRateLimiter {
  readonly limit: number;
  readonly windowMs: number;
  private readonly now: () => number;
  /** phone → times codes were issued, oldest first. */
  private readonly issued = new Map<string, number[]>();
  private lastSweep: number;

  constructor(opts: PairingRateLimiterOptions = {}) {
    this.limit = opts.limit ?? 3;
    this.windowMs = opts.windowMs ?? 10 * 60_000;
    this.now = opts.now ?? Date.now;
    this.lastSweep = this.now();
  }

  /** Throws PAIRING_RATE_LIMITED (with retryAfterSeconds) when the number used up its codes. */
  check(phone: string): void {
    const now = this.now();
    const times = this.recent(phone, now);
    if (times.length < this.limit) return;
    const oldest = times[0] as number;
    const retryAfterSeconds = Math.max(1, Math.ceil((oldest + this.windowMs - now) / 1000));
    throw new GatewayError(
      'PAIRING_RATE_LIMITED',
      `At most ${this.limit} pairing codes per phone number every ${Math.round(this.windowMs / 60_000)} minutes; ` +
        `try again in ${retryAfterSeconds} seconds`,
      { phoneNumber: phone, limit: this.limit, windowSeconds: Math.round(this.windowMs / 1000), retryAfterSeconds },
      { retryAfterSeconds },
    );
  }

  /** Count one issued code for this number. */
  record(phone: string): void {
    const now = this.now();
    const times = this.recent(phone, now);
    times.push(now);
    this.issued.set(phone, times);
    this.sweep(now);
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
