/**
 * Counts wrong one-time codes across every guarded action: after
 * `maxWrong` wrong codes the guard locks for `lockMs`, so a stolen admin key
 * cannot brute-force a 6-digit code (10^6 guesses at 5 per 15 minutes).
 */
import { GatewayError } from '../../../core/errors.js';

export interface AttemptLimiterOptions {
  maxWrong?: number;
  lockMs?: number;
  now: () => number;
}

export class AttemptLimiter {
  private wrong = 0;
  private lockedUntil = 0;
  private readonly maxWrong: number;
  private readonly lockMs: number;
  private readonly now: () => number;

  constructor(opts: AttemptLimiterOptions) {
    this.maxWrong = opts.maxWrong ?? 5;
    this.lockMs = opts.lockMs ?? 15 * 60 * 1000;
    this.now = opts.now;
  }

  /** Seconds left on the lock, 0 when unlocked. */
  lockedForSeconds(): number {
    const left = this.lockedUntil - this.now();
    return left > 0 ? Math.ceil(left / 1000) : 0;
  }

  /** Throws OTP_LOCKED while locked. */
  assertUnlocked(): void {
    const seconds = this.lockedForSeconds();
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
  recordWrong(): number {
    this.wrong += 1;
    if (this.wrong >= this.maxWrong) {
      this.wrong = 0;
      this.lockedUntil = this.now() + this.lockMs;
      return 0;
    }
    return this.maxWrong - this.wrong;
  }

  recordSuccess(): void {
    this.wrong = 0;
  }
}

export function formatWait(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}
