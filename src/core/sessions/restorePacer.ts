/**
 * Restores sessions a bounded number at a time. A slot is held until the
 * session settles (connected, or failed), not just until the socket opens:
 * that is what keeps a restart of many sessions from flooding the event
 * loop and WhatsApp with simultaneous handshakes.
 *
 * The bound adapts to measured event-loop delay (AIMD): it starts modest,
 * grows by one each window whose delay is within the target and halves
 * (never below 1) on a window above it, up to the configured maximum. A
 * target of 0 means fixed pacing at the maximum.
 */
import { loopDelaySource, type DelaySource } from './loopDelayProbe.js';

export const DEFAULT_RESTORE_CONCURRENCY = 32;
export const DEFAULT_RESTORE_LOOP_DELAY_MS = 50;
/** Where an adaptive limit starts (or the maximum, if lower). */
const INITIAL_LIMIT = 4;

export interface LimitRule {
  min: number;
  max: number;
  /** Delay (ms) above which the limit shrinks; 0 = fixed at `max`. */
  targetMs: number;
}

/** `n` as a whole number within [min, max] of the rule, never below 1. */
function withinRule(n: number, rule: LimitRule): number {
  const max = Math.max(1, Math.floor(rule.max));
  const min = Math.min(max, Math.max(1, Math.floor(rule.min)));
  return Math.min(max, Math.max(min, Math.floor(n)));
}

/** Additive increase while `delayMs` ≤ target, multiplicative decrease (halve) above; within [min, max]. */
export function nextLimit(current: number, delayMs: number, rule: LimitRule): number {
  if (rule.targetMs <= 0) return withinRule(rule.max, rule);
  return withinRule(delayMs > rule.targetMs ? current / 2 : current + 1, rule);
}

export interface Pacing {
  /** Most in flight at once. */
  max: number;
  /** Event-loop delay target (ms); 0 = fixed pacing at `max`. */
  targetDelayMs: number;
  /** The limit never halves below this (default 1). */
  min?: number;
  /** Where the limit starts (default min(4, max)). */
  initial?: number;
  /** Reports each window's delay; defaults to a real event-loop probe. */
  delay?: DelaySource;
}

export interface PaceResult {
  started: number;
  maxInFlight: number;
  /** The limit when the last item was started. */
  finalLimit: number;
  /** How often the adaptive limit moved. */
  limitChanges: number;
  /** Worst window delay seen while pacing (ms; 0 when fixed). */
  peakDelayMs: number;
}

/** Runs `task` once per item, at most `pacing` (a fixed number, or adaptive {@link Pacing}) at a time. */
export function runPaced<T>(
  items: readonly T[],
  pacing: number | Pacing,
  task: (item: T) => Promise<void>,
): Promise<PaceResult> {
  const p: Pacing = typeof pacing === 'number' ? { max: pacing, targetDelayMs: 0 } : pacing;
  const rule: LimitRule = { min: p.min ?? 1, max: p.max, targetMs: p.targetDelayMs };
  const adaptive = rule.targetMs > 0;
  let limit = withinRule(adaptive ? (p.initial ?? INITIAL_LIMIT) : p.max, rule);
  let next = 0;
  let inFlight = 0;
  let settled = 0;
  let maxInFlight = 0;
  let limitChanges = 0;
  let peakDelayMs = 0;
  let stopProbe: (() => void) | null = null;
  const result = (): PaceResult => ({ started: items.length, maxInFlight, finalLimit: limit, limitChanges, peakDelayMs });

  return new Promise((resolve) => {
    if (items.length === 0) return resolve(result());
    const stop = (): void => {
      stopProbe?.();
      stopProbe = null;
    };
    const runOne = async (item: T): Promise<void> => {
      try {
        await task(item);
      } catch {
        // A session that fails to restore must not stop the others; the
        // session itself records why.
      } finally {
        inFlight -= 1;
        settled += 1;
        if (settled < items.length) pump();
        else {
          stop();
          resolve(result());
        }
      }
    };
    const pump = (): void => {
      while (next < items.length && inFlight < limit) {
        const item = items[next++]!;
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        // Once everything has started, the limit no longer matters.
        if (next === items.length) stop();
        void runOne(item);
      }
    };
    if (adaptive && items.length > limit) {
      let active = true;
      const stopSource = (p.delay ?? loopDelaySource())((delayMs) => {
        if (!active) return;
        peakDelayMs = Math.max(peakDelayMs, Math.round(delayMs));
        const changed = nextLimit(limit, delayMs, rule);
        if (changed !== limit) limitChanges += 1;
        limit = changed;
        pump();
      });
      stopProbe = () => {
        active = false;
        stopSource();
      };
    }
    pump();
  });
}
