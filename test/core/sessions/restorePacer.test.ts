import { describe, expect, it, vi } from 'vitest';
import { loopDelaySource, type DelaySource } from '../../../src/core/sessions/loopDelayProbe.js';
import { nextLimit, runPaced, type LimitRule } from '../../../src/core/sessions/restorePacer.js';

/** Lets the pacer's callbacks (task settled → next item started) run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A delay source the test drives window by window. */
function manualDelay() {
  let onWindow: ((delayMs: number) => void) | null = null;
  let starts = 0;
  let stops = 0;
  const source: DelaySource = (cb) => {
    starts += 1;
    onWindow = cb;
    return () => {
      stops += 1;
      onWindow = null;
    };
  };
  return {
    source,
    window(delayMs: number): void {
      onWindow?.(delayMs);
    },
    get starts() {
      return starts;
    },
    get stops() {
      return stops;
    },
    get running() {
      return onWindow !== null;
    },
  };
}

/** Tasks that stay in flight until the test releases them. */
function heldTasks() {
  const running: number[] = [];
  const gates = new Map<number, () => void>();
  const runs = new Map<number, number>();
  let peak = 0;
  return {
    task: (item: number): Promise<void> =>
      new Promise<void>((resolve) => {
        runs.set(item, (runs.get(item) ?? 0) + 1);
        running.push(item);
        peak = Math.max(peak, running.length);
        gates.set(item, () => {
          running.splice(running.indexOf(item), 1);
          resolve();
        });
      }),
    async release(n = Infinity): Promise<void> {
      for (const item of running.slice(0, n)) gates.get(item)!();
      await settle();
    },
    get inFlight() {
      return running.length;
    },
    get peak() {
      return peak;
    },
    runs,
  };
}

describe('nextLimit', () => {
  const rule: LimitRule = { min: 1, max: 8, targetMs: 50 };

  it('grows by one while the delay is within the target, up to the max', () => {
    const seen: number[] = [];
    let limit = 2;
    for (let i = 0; i < 10; i++) seen.push((limit = nextLimit(limit, 10, rule)));
    expect(seen).toEqual([3, 4, 5, 6, 7, 8, 8, 8, 8, 8]);
    expect(nextLimit(4, 50, rule)).toBe(5);
  });

  it('halves above the target, never below 1 (or the min)', () => {
    const seen: number[] = [];
    let limit = 8;
    for (let i = 0; i < 6; i++) seen.push((limit = nextLimit(limit, 51, rule)));
    expect(seen).toEqual([4, 2, 1, 1, 1, 1]);
    expect(nextLimit(5, 200, rule)).toBe(2);
    expect(nextLimit(8, 200, { ...rule, min: 3 })).toBe(4);
    expect(nextLimit(4, 200, { ...rule, min: 3 })).toBe(3);
    expect(nextLimit(1, 200, { ...rule, min: 0 })).toBe(1);
  });

  it('stays within [1, max] whatever the delays and the starting point', () => {
    const delays = [0, 300, 10, 10, 10, 1000, 49, 51, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 75, 5];
    for (const start of [-3, 0, 1, 4, 8, 100]) {
      let limit = start;
      for (const d of delays) {
        limit = nextLimit(limit, d, rule);
        expect(limit).toBeGreaterThanOrEqual(1);
        expect(limit).toBeLessThanOrEqual(8);
      }
    }
    expect(nextLimit(5, 0, { min: 1, max: 0, targetMs: 50 })).toBe(1);
  });

  it('target 0 means fixed at the max, whatever the delay', () => {
    for (const [current, delay] of [[1, 0], [3, 500], [8, 10], [20, 0]] as const) {
      expect(nextLimit(current, delay, { min: 1, max: 8, targetMs: 0 })).toBe(8);
    }
  });
});

describe('runPaced (fixed)', () => {
  it('never runs more than the limit at once and runs everything', async () => {
    let inFlight = 0;
    let peak = 0;
    const done: number[] = [];
    const result = await runPaced([...Array(25).keys()], 4, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 1 + (n % 3)));
      inFlight--;
      done.push(n);
    });
    expect(peak).toBe(4);
    expect(result.maxInFlight).toBe(4);
    expect(result).toMatchObject({ started: 25, finalLimit: 4, limitChanges: 0 });
    expect(done.sort((a, b) => a - b)).toEqual([...Array(25).keys()]);
  });

  it('a failing item does not stop the others', async () => {
    const done: number[] = [];
    await runPaced([1, 2, 3], 1, async (n) => {
      if (n === 2) throw new Error('boom');
      done.push(n);
    });
    expect(done).toEqual([1, 3]);
  });

  it('resolves at once for no items', async () => {
    const delay = manualDelay();
    expect(await runPaced([], { max: 8, targetDelayMs: 50, delay: delay.source }, async () => undefined)).toMatchObject({
      started: 0,
      maxInFlight: 0,
    });
    expect(delay.starts).toBe(0);
  });
});

describe('runPaced (adaptive)', () => {
  const items = [...Array(60).keys()];

  it('starts modest and grows under low delay up to the max, never beyond', async () => {
    const delay = manualDelay();
    const tasks = heldTasks();
    const run = runPaced(items, { max: 10, targetDelayMs: 50, delay: delay.source }, tasks.task);
    await settle();
    expect(tasks.inFlight).toBe(4);
    const inFlight: number[] = [];
    for (let i = 0; i < 12; i++) {
      delay.window(5);
      await settle();
      inFlight.push(tasks.inFlight);
    }
    expect(inFlight).toEqual([5, 6, 7, 8, 9, 10, 10, 10, 10, 10, 10, 10]);
    // Settling sessions are replaced up to the limit, not beyond.
    await tasks.release(3);
    expect(tasks.inFlight).toBe(10);

    while (tasks.runs.size < items.length) {
      delay.window(0);
      await tasks.release();
    }
    await tasks.release();
    const result = await run;
    expect(tasks.peak).toBe(10);
    expect(result).toMatchObject({ started: 60, maxInFlight: 10, finalLimit: 10, limitChanges: 6, peakDelayMs: 5 });
  });

  it('shrinks under high delay (halving, down to 1) and starts nothing new until under the new limit', async () => {
    const delay = manualDelay();
    const tasks = heldTasks();
    const run = runPaced(items, { max: 8, targetDelayMs: 50, initial: 8, delay: delay.source }, tasks.task);
    await settle();
    expect(tasks.inFlight).toBe(8);

    delay.window(120); // 8 → 4
    await tasks.release(1);
    expect(tasks.inFlight).toBe(7); // over the new limit: nothing started
    await tasks.release(3);
    expect(tasks.inFlight).toBe(4);
    await tasks.release(1);
    expect(tasks.inFlight).toBe(4); // back at the limit: one out, one in

    for (let i = 0; i < 5; i++) delay.window(500); // 4 → 2 → 1 → 1 …
    await tasks.release(4);
    expect(tasks.inFlight).toBe(1);
    for (let i = 0; i < 5; i++) {
      await tasks.release(1);
      expect(tasks.inFlight).toBe(1);
    }

    delay.window(10); // 1 → 2
    await settle();
    expect(tasks.inFlight).toBe(2);

    while (tasks.runs.size < items.length) await tasks.release();
    await tasks.release();
    const result = await run;
    expect(result).toMatchObject({ started: 60, maxInFlight: 8, finalLimit: 2, limitChanges: 4, peakDelayMs: 500 });
  });

  it('with a floor (a cluster take-over), high delay halves the limit no lower than the floor', async () => {
    const delay = manualDelay();
    const tasks = heldTasks();
    const run = runPaced(items, { max: 32, targetDelayMs: 50, initial: 16, min: 8, delay: delay.source }, tasks.task);
    await settle();
    expect(tasks.inFlight).toBe(16);
    for (let i = 0; i < 5; i++) delay.window(500); // 16 → 8 → 8 …
    await tasks.release(8);
    expect(tasks.inFlight).toBe(8);
    await tasks.release(1);
    expect(tasks.inFlight).toBe(8);
    while (tasks.runs.size < items.length) await tasks.release();
    await tasks.release();
    expect((await run).finalLimit).toBe(8);
  });

  it('runs every item exactly once when tasks throw or reject, and stops the delay source', async () => {
    const delay = manualDelay();
    const runs = new Map<number, number>();
    let window = 0;
    const result = await runPaced(items, { max: 6, targetDelayMs: 50, delay: delay.source }, (n) => {
      runs.set(n, (runs.get(n) ?? 0) + 1);
      // Alternate low and high delay windows while items run.
      delay.window(window++ % 3 === 0 ? 400 : 1);
      if (n % 5 === 0) throw new Error('sync failure');
      if (n % 3 === 0) return Promise.reject(new Error('async failure'));
      return settle();
    });
    expect([...runs.keys()].sort((a, b) => a - b)).toEqual(items);
    expect([...runs.values()].every((count) => count === 1)).toBe(true);
    expect(result.started).toBe(60);
    expect(result.maxInFlight).toBeLessThanOrEqual(6);
    expect(result.maxInFlight).toBeGreaterThanOrEqual(1);
    expect(delay.starts).toBe(1);
    expect(delay.stops).toBe(1);
    expect(delay.running).toBe(false);
  });

  it('stops measuring once everything has started, and does not measure when there is nothing to pace', async () => {
    const delay = manualDelay();
    const tasks = heldTasks();
    const run = runPaced([...Array(6).keys()], { max: 8, targetDelayMs: 50, delay: delay.source }, tasks.task);
    await settle();
    expect(delay.running).toBe(true);
    delay.window(1);
    delay.window(1);
    await settle();
    expect(tasks.inFlight).toBe(6);
    expect(delay.running).toBe(false);
    await tasks.release();
    await run;

    const few = manualDelay();
    await runPaced([1, 2, 3], { max: 8, targetDelayMs: 50, delay: few.source }, async () => undefined);
    expect(few.starts).toBe(0);
  });

  it('target 0 is fixed pacing at the max: no measuring, delays ignored', async () => {
    const delay = manualDelay();
    const tasks = heldTasks();
    const run = runPaced(items, { max: 7, targetDelayMs: 0, delay: delay.source }, tasks.task);
    await settle();
    expect(tasks.inFlight).toBe(7);
    expect(delay.starts).toBe(0);
    delay.window(1000);
    await tasks.release(2);
    expect(tasks.inFlight).toBe(7);
    while (tasks.runs.size < items.length) await tasks.release();
    await tasks.release();
    expect(await run).toMatchObject({ started: 60, maxInFlight: 7, finalLimit: 7, limitChanges: 0, peakDelayMs: 0 });
    expect([...tasks.runs.values()].every((count) => count === 1)).toBe(true);
  });
});

describe('loopDelaySource', () => {
  it('is what runPaced measures with by default, and is stopped when the run ends', async () => {
    const set = vi.spyOn(globalThis, 'setInterval');
    const clear = vi.spyOn(globalThis, 'clearInterval');
    try {
      const runs: number[] = [];
      const result = await runPaced([...Array(20).keys()], { max: 8, targetDelayMs: 50 }, async (n) => {
        runs.push(n);
        await new Promise((r) => setTimeout(r, 1));
      });
      expect(runs.sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
      expect(result.maxInFlight).toBeLessThanOrEqual(8);
      const timers = set.mock.results.map((r) => r.value as NodeJS.Timeout);
      expect(timers).toHaveLength(2);
      expect(clear.mock.calls.map(([t]) => t)).toEqual(expect.arrayContaining(timers));
    } finally {
      set.mockRestore();
      clear.mockRestore();
    }
  });

  it('reports a blocked event loop in the next window and clears its timers when stopped', async () => {
    const set = vi.spyOn(globalThis, 'setInterval');
    const clear = vi.spyOn(globalThis, 'clearInterval');
    try {
      const windows: number[] = [];
      let waiting: (() => void) | null = null;
      const stop = loopDelaySource({ resolutionMs: 5, windowMs: 20 })((delayMs) => {
        windows.push(delayMs);
        waiting?.();
      });
      const timers = set.mock.results.map((r) => r.value as NodeJS.Timeout);
      expect(timers).toHaveLength(2);
      expect(timers.every((t) => !t.hasRef())).toBe(true);
      const block = Date.now() + 120;
      while (Date.now() < block) {
        // Keep the event loop busy.
      }
      await new Promise<void>((resolve) => (waiting = resolve));
      stop();
      expect(windows.at(-1)).toBeGreaterThanOrEqual(100);
      expect(clear.mock.calls.map(([t]) => t)).toEqual(expect.arrayContaining(timers));
    } finally {
      set.mockRestore();
      clear.mockRestore();
    }
  });
});
