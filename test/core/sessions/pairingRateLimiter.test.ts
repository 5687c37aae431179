import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/core/errors.js';
import { PairingRateLimiter, type PairingRequestLog } from '../../../src/core/sessions/pairingRateLimiter.js';

function clock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

/** An in-memory pairing request log (the store's, or one shared by several nodes) and its rows. */
function memoryLog(): { rows: Array<{ phone: string; at: number }>; log: PairingRequestLog } {
  const rows: Array<{ phone: string; at: number }> = [];
  return {
    rows,
    log: {
      record: async (phone, at) => void rows.push({ phone, at }),
      since: async (since, phone) => rows.filter((r) => r.at >= since && (phone === undefined || r.phone === phone)),
    },
  };
}

function issue(limiter: PairingRateLimiter, phone: string): void {
  limiter.check(phone);
  limiter.record(phone);
}

describe('PairingRateLimiter', () => {
  it('allows three codes per number and refuses the fourth with Retry-After details', () => {
    const c = clock();
    const limiter = new PairingRateLimiter({ now: c.now });
    issue(limiter, '15551234567');
    c.advance(60_000);
    issue(limiter, '15551234567');
    c.advance(60_000);
    issue(limiter, '15551234567');
    c.advance(60_000);
    let error: unknown;
    try {
      limiter.check('15551234567');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(GatewayError);
    const e = error as GatewayError;
    expect(e.code).toBe('PAIRING_RATE_LIMITED');
    expect(e.status).toBe(429);
    // The first code leaves the window 7 minutes from now.
    expect(e.retryAfterSeconds).toBe(420);
    expect(e.details).toEqual({ phoneNumber: '15551234567', limit: 3, windowSeconds: 600, retryAfterSeconds: 420 });
  });

  it('counts per phone number, not per session or globally', () => {
    const limiter = new PairingRateLimiter({ now: clock().now });
    for (let i = 0; i < 3; i++) issue(limiter, '15551234567');
    expect(() => limiter.check('15551234567')).toThrow(GatewayError);
    expect(() => limiter.check('15557654321')).not.toThrow();
  });

  it('allows a new code once the oldest leaves the window', () => {
    const c = clock();
    const limiter = new PairingRateLimiter({ now: c.now });
    for (let i = 0; i < 3; i++) issue(limiter, '447911123456');
    c.advance(10 * 60_000 - 1);
    expect(() => limiter.check('447911123456')).toThrow(GatewayError);
    c.advance(1);
    expect(() => limiter.check('447911123456')).not.toThrow();
  });

  it('checking alone does not use up codes', () => {
    const limiter = new PairingRateLimiter({ now: clock().now });
    for (let i = 0; i < 10; i++) limiter.check('15551234567');
    issue(limiter, '15551234567');
  });

  it('honours a custom limit and window', () => {
    const c = clock();
    const limiter = new PairingRateLimiter({ limit: 1, windowMs: 5_000, now: c.now });
    issue(limiter, '15551234567');
    try {
      limiter.check('15551234567');
      expect.unreachable();
    } catch (err) {
      expect((err as GatewayError).retryAfterSeconds).toBe(5);
      expect((err as GatewayError).details).toMatchObject({ limit: 1, windowSeconds: 5 });
    }
    c.advance(5_000);
    expect(() => limiter.check('15551234567')).not.toThrow();
  });

  it('forgets numbers whose codes all expired (memory stays bounded)', () => {
    const c = clock();
    const limiter = new PairingRateLimiter({ now: c.now });
    for (let i = 0; i < 1000; i++) issue(limiter, `1555${String(i).padStart(7, '0')}`);
    expect(limiter.size).toBe(1000);
    c.advance(10 * 60_000 + 1);
    issue(limiter, '15559999999');
    expect(limiter.size).toBe(1);
  });

  it('counts the codes another node issued (a shared log) once it refreshes, its own not twice', async () => {
    const c = clock();
    const { log: shared } = memoryLog();
    const a = new PairingRateLimiter({ now: c.now, log: shared });
    const b = new PairingRateLimiter({ now: c.now, log: shared });
    issue(a, '15551234567');
    c.advance(1_000);
    issue(b, '15551234567');
    c.advance(1_000);
    await a.refresh('15551234567');
    issue(a, '15551234567');
    await b.refresh('15551234567');
    expect(() => b.check('15551234567')).toThrow(GatewayError);
    await a.refresh('15551234567');
    expect(() => a.check('15551234567')).toThrow(GatewayError);
    // Another number is untouched.
    await b.refresh('15559999999');
    expect(() => b.check('15559999999')).not.toThrow();
  });

  it('codes issued in the same millisecond each count, after a restart and a refresh too', async () => {
    const c = clock();
    const { rows: log, log: stored } = memoryLog();
    const before = new PairingRateLimiter({ now: c.now, log: stored });
    for (let i = 0; i < 3; i++) await before.reserve('15551234567').commit();
    expect(log).toHaveLength(3);
    // The next start reads the log back, then refreshes before its check, as a request does.
    const after = new PairingRateLimiter({ now: c.now, log: stored });
    await after.load();
    await after.refresh('15551234567');
    expect(() => after.check('15551234567')).toThrow(GatewayError);
  });
});
