import { describe, expect, it } from 'vitest';
import { runPaced } from '../../src/core/restorePacer.js';

describe('runPaced', () => {
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
});
