/**
 * Event-loop delay samples with their wall-clock times, so one window of a
 * run (e.g. just the restore, not the app start before it) can be measured
 * alone. A 10 ms timer records how late it fires; memory is bounded.
 */
import { percentile } from './stats.js';

const INTERVAL_MS = 10;
const MAX_SAMPLES = 400_000;

export class LoopDelaySampler {
  private at: number[] = [];
  private lag: number[] = [];
  private timer: NodeJS.Timeout | null = null;

  start(): void {
    let expected = performance.now() + INTERVAL_MS;
    const tick = (): void => {
      const now = performance.now();
      this.record(Date.now(), Math.max(0, now - expected));
      expected = performance.now() + INTERVAL_MS;
      this.timer = setTimeout(tick, INTERVAL_MS);
      this.timer.unref();
    };
    this.timer = setTimeout(tick, INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** p50/p99/max delay (ms) of samples taken between `from` and `to` (epoch ms). */
  window(from: number, to: number): { p50Ms: number; p99Ms: number; maxMs: number; samples: number } {
    const lags: number[] = [];
    for (let i = 0; i < this.at.length; i++) if (this.at[i]! >= from && this.at[i]! <= to) lags.push(this.lag[i]!);
    return { p50Ms: percentile(lags, 50), p99Ms: percentile(lags, 99), maxMs: lags.length ? Math.max(...lags) : Number.NaN, samples: lags.length };
  }

  private record(at: number, lag: number): void {
    if (this.at.length >= MAX_SAMPLES) {
      this.at = this.at.slice(MAX_SAMPLES / 2);
      this.lag = this.lag.slice(MAX_SAMPLES / 2);
    }
    this.at.push(at);
    this.lag.push(lag);
  }
}
