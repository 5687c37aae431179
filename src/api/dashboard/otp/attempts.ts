/**
 * Counts wrong one-time codes across every guarded action, in the gateway's
 * shared state so every node counts the same: after `maxWrong` wrong codes
 * (within `lockMs` of the first) the guard locks for `lockMs`, so a stolen
 * admin key cannot brute-force a 6-digit code (10^6 guesses at 5 per 15
 * minutes), not even by spreading guesses over several nodes.
 */
import { GatewayError } from '../../../core/errors.js';
import type { SharedState } from '../../../core/gateway.js';

export interface AttemptLimiterOptions {
  shared: SharedState;
  maxWrong?: number;
  lockMs?: number;
  now: () => number;
}

const WRONG_KEY = 'dashboard.otp.wrong';
const LOCK_KEY = 'dashboard.otp.lock';

export class AttemptLimiter {
  private readonly maxWrong: number;
  private readonly lockMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: AttemptLimiterOptions) {
    this.maxWrong = opts.maxWrong ?? 5;
    this.lockMs = opts.lockMs ?? 15 * 60 * 1000;
    this.now = opts.now;
  }

  /** Seconds left on the lock, 0 when unlocked. */
  async lockedForSeconds(): Promise<number> {
    const now = this.now();
    const lock = await this.opts.shared.get(LOCK_KEY, now);
    const left = (lock?.expiresAt ?? 0) - now;
    return left > 0 ? Math.ceil(left / 1000) : 0;
  }

  /** Throws OTP_LOCKED while locked. */
  async assertUnlocked(): Promise<void> {
    const seconds = await this.lockedForSeconds();
    if (seconds > 0) {
      throw new GatewayError(
        'OTP_LOCKED',
        `Too many wrong one-time codes; try again in ${formatWait(seconds)}`,
        { retryAfterSeconds: seconds },
        { retryAfterSeconds: seconds },
      );
    }
  }

  /** Records a wrong code; returns how many tries are left before the lock. */
  async recordWrong(): Promise<number> {
    const now = this.now();
    const { n } = await this.opts.shared.increment(WRONG_KEY, now + this.lockMs, now);
    if (n >= this.maxWrong) {
      await this.opts.shared.put(LOCK_KEY, { expiresAt: now + this.lockMs });
      await this.opts.shared.delete(WRONG_KEY);
      return 0;
    }
    return this.maxWrong - n;
  }

  async recordSuccess(): Promise<void> {
    await this.opts.shared.delete(WRONG_KEY);
  }
}

export function formatWait(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}
