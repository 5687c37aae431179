/**
 * Wrong API keys are throttled per client address on every surface; the
 * right key is never throttled, and a missing key does not count.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WRONG_KEYS_PER_WINDOW } from '../../../src/api/http/authThrottle.js';
import { startDashboard, type DashboardGateway } from '../../dashboard/dashboardHarness.js';
import { basic, createDialectTestApp, type DialectTestApp } from '../dialects/helpers.js';

const WRONG = 'wg_this_is_not_a_key_0000000000000000';

describe('wrong-key throttle', () => {
  let t: DialectTestApp;
  beforeEach(async () => {
    t = await createDialectTestApp();
  });
  afterEach(async () => t.close());

  const native = (key: string, remoteAddress = '10.0.0.1') =>
    t.inject({ method: 'GET', url: '/api/v1/sessions', headers: { authorization: `Bearer ${key}` }, remoteAddress });

  it('native: 200 wrong keys in a row are not 200 × 401; past the limit they get 429 with Retry-After', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 200; i++) statuses.push((await native(WRONG)).statusCode);
    expect(statuses.slice(0, WRONG_KEYS_PER_WINDOW).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(WRONG_KEYS_PER_WINDOW).every((s) => s === 429)).toBe(true);
    const limited = await native(WRONG);
    expect(limited.json()).toEqual({ error: { code: 'AUTH_RATE_LIMITED', message: expect.stringMatching(/try again in \d+ seconds/) } });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('the right key is never throttled, even from the address that sent the wrong ones', async () => {
    for (let i = 0; i <= WRONG_KEYS_PER_WINDOW; i++) await native(WRONG);
    expect((await native(WRONG)).statusCode).toBe(429);
    expect((await native(t.adminKey)).statusCode).toBe(200);
    expect((await native(WRONG)).statusCode).toBe(429);
  });

  it('counts per address: another client is not held back', async () => {
    for (let i = 0; i <= WRONG_KEYS_PER_WINDOW; i++) await native(WRONG, '10.0.0.1');
    expect((await native(WRONG, '10.0.0.1')).statusCode).toBe(429);
    expect((await native(WRONG, '10.0.0.2')).statusCode).toBe(401);
  });

  it('a missing key does not count', async () => {
    for (let i = 0; i < WRONG_KEYS_PER_WINDOW * 2; i++) {
      expect((await t.inject({ method: 'GET', url: '/api/v1/sessions', remoteAddress: '10.0.0.1' })).statusCode).toBe(401);
    }
    expect((await native(WRONG)).statusCode).toBe(401);
  });

  it('one count across surfaces; each answers 429 in its own envelope', async () => {
    for (let i = 0; i < WRONG_KEYS_PER_WINDOW; i++) {
      expect((await t.inject({ method: 'GET', url: '/compat/waha/api/sessions', headers: { 'x-api-key': WRONG }, remoteAddress: '10.0.0.1' })).statusCode).toBe(401);
    }
    const waha = await t.inject({ method: 'GET', url: '/compat/waha/api/sessions', headers: { 'x-api-key': WRONG }, remoteAddress: '10.0.0.1' });
    expect(waha.statusCode).toBe(429);
    expect(waha.json()).toEqual({ message: expect.stringContaining('Too many wrong API keys'), error: 'Too Many Requests', statusCode: 429 });
    expect(waha.headers['retry-after']).toBeDefined();

    const gowa = await t.inject({ method: 'GET', url: '/compat/gowa/devices', headers: { authorization: basic('admin', WRONG) }, remoteAddress: '10.0.0.1' });
    expect(gowa.statusCode).toBe(429);
    expect(gowa.json()).toMatchObject({ code: 'AUTH_RATE_LIMITED' });
    expect(gowa.json()).not.toHaveProperty('results'); // GOWA's handlers leave an empty results out

    const wawp = await t.inject({ method: 'GET', url: `/compat/wawp/v2/session/info?access_token=${WRONG}&instance_id=x`, remoteAddress: '10.0.0.1' });
    expect(wawp.statusCode).toBe(429);
    expect(wawp.json()).toMatchObject({ error: 'auth_rate_limited', statusCode: 429 });

    const bridge = await t.inject({ method: 'GET', url: '/compat/bridge/session/qr', headers: { 'x-admin-token': WRONG }, remoteAddress: '10.0.0.1' });
    expect(bridge.statusCode).toBe(429);
    expect(bridge.json()).toEqual({ error: expect.stringContaining('Too many wrong API keys') });

    // The right key on each surface still gets in.
    expect((await t.inject({ method: 'GET', url: '/compat/waha/api/sessions', headers: { 'x-api-key': t.adminKey }, remoteAddress: '10.0.0.1' })).statusCode).toBe(200);
    expect((await t.inject({ method: 'GET', url: '/compat/gowa/devices', headers: { authorization: basic('admin', t.adminKey) }, remoteAddress: '10.0.0.1' })).statusCode).toBe(200);
  });
});

describe('dashboard sign-in throttle', () => {
  let d: DashboardGateway;
  beforeEach(async () => {
    d = await startDashboard();
  });
  afterEach(async () => d.close());

  const signIn = (apiKey: string) =>
    d.app.inject({ method: 'POST', url: '/dashboard/api/sign-in', payload: { apiKey }, remoteAddress: '10.0.0.9' });

  it('backs off wrong keys with 429 and Retry-After, but the right key still signs in', async () => {
    for (let i = 0; i < WRONG_KEYS_PER_WINDOW; i++) expect((await signIn(WRONG)).statusCode).toBe(401);
    const limited = await signIn(WRONG);
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toMatchObject({ error: { code: 'AUTH_RATE_LIMITED', details: { retryAfterSeconds: expect.any(Number) } } });
    expect(limited.headers['retry-after']).toBeDefined();

    const right = await signIn(d.gw.adminKey);
    expect(right.statusCode).toBe(200);
    expect(right.json()).toHaveProperty('csrfToken');
    // Signing in does not reset the count for the guesser's next wrong key.
    expect((await signIn(WRONG)).statusCode).toBe(429);
  });
});
