/**
 * Measures event-loop delay in short windows: a timer that should fire every
 * `resolutionMs` records how late it fires, and each `windowMs` the worst
 * lateness of that window is reported (with ~20 samples a window, its p99 is
 * its max). A lightweight drift sampler rather than `monitorEventLoopDelay`,
 * whose `reset()` drops the delay of a block straddling it. Both timers are
 * unref'd and cleared by the returned stop function.
 */

/** Calls `onWindow` with the worst delay (ms) of each recent window until stopped. */
export type DelaySource = (onWindow: (delayMs: number) => void) => () => void;

export interface LoopDelayProbeOptions {
  /** How often the delay is sampled. */
  resolutionMs?: number;
  /** How often a window's worst delay is reported. */
  windowMs?: number;
}

export function loopDelaySource(opts: LoopDelayProbeOptions = {}): DelaySource {
  const resolutionMs = opts.resolutionMs ?? 10;
  const windowMs = opts.windowMs ?? 200;
  return (onWindow) => {
    let last = performance.now();
    let worst = 0;
    const sampler = setInterval(() => {
      const now = performance.now();
      worst = Math.max(worst, now - last - resolutionMs);
      last = now;
    }, resolutionMs);
    const reporter = setInterval(() => {
      // A block the sampler has not fired after yet counts in this window
      // (and, with `last` moved on, not again in the next).
      const now = performance.now();
      const delay = Math.max(worst, now - last - resolutionMs, 0);
      last = now;
      worst = 0;
      onWindow(delay);
    }, windowMs);
    sampler.unref();
    reporter.unref();
    return () => {
      clearInterval(sampler);
      clearInterval(reporter);
    };
  };
}
