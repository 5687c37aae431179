import { describe, expect, it } from 'vitest';
import { backoffDelay, decideOnClose } from '../../../src/core/sessions/reconnectPolicy.js';

describe('close decisions', () => {
  it('401 is a logout, never retried', () => {
    expect(decideOnClose(401, { paired: true, loggedOut: true })).toEqual({ action: 'logged_out' });
    expect(decideOnClose(401, { paired: true, loggedOut: false })).toEqual({ action: 'logged_out' });
  });
  it('440 is a conflict, never retried', () => {
    expect(decideOnClose(440, { paired: true, loggedOut: false })).toEqual({ action: 'conflict' });
  });
  it('408 while unpaired means the QR codes ran out: give up with a reason, not a logout', () => {
    const decision = decideOnClose(408, { paired: false, loggedOut: false });
    expect(decision.action).toBe('give_up');
  });
  it('drops, 408 when paired, 428, 500 and 503 are retried', () => {
    for (const code of [408, 428, 500, 503]) expect(decideOnClose(code, { paired: true, loggedOut: false })).toEqual({ action: 'retry' });
    expect(decideOnClose(503, { paired: false, loggedOut: false })).toEqual({ action: 'retry' });
  });
});

describe('backoff', () => {
  it('grows exponentially, is capped, and jitters within the upper half of each step', () => {
    const low = { baseMs: 1000, maxMs: 60_000, random: () => 0 };
    const high = { baseMs: 1000, maxMs: 60_000, random: () => 0.999999 };
    expect(backoffDelay(0, low)).toBe(500);
    expect(backoffDelay(0, high)).toBe(1000);
    expect(backoffDelay(3, low)).toBe(4000);
    expect(backoffDelay(3, high)).toBe(8000);
    expect(backoffDelay(20, high)).toBe(60_000);
    expect(backoffDelay(20, low)).toBe(30_000);
  });
});
