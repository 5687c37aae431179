/**
 * Behind a TLS proxy (WAGATE_TRUST_PROXY): the dashboard cookie is Secure
 * when the trusted proxy says the client used HTTPS, and sign-in limits count
 * the client's address, not the proxy's. Without the setting, forwarded
 * headers change nothing (a client cannot spoof them).
 */
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_ADMIN_KEY } from '../support/harness.js';
import { startDashboard, type DashboardGateway } from './dashboardHarness.js';

let gateway: DashboardGateway | undefined;
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});

async function signInCookie(app: FastifyInstance, headers: Record<string, string>, remoteAddress = '127.0.0.1'): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/dashboard/api/sign-in', payload: { apiKey: TEST_ADMIN_KEY }, headers, remoteAddress });
  expect(res.statusCode).toBe(200);
  return String(res.headers['set-cookie']);
}

async function failSignIn(app: FastifyInstance, forwardedFor: string): Promise<number> {
  const res = await app.inject({
    method: 'POST',
    url: '/dashboard/api/sign-in',
    payload: { apiKey: 'wg_wrong' },
    headers: { 'x-forwarded-for': forwardedFor },
  });
  return res.statusCode;
}

describe('WAGATE_TRUST_PROXY', () => {
  it('set to the proxy: X-Forwarded-Proto https makes the dashboard cookie Secure', async () => {
    gateway = await startDashboard({ trustProxy: '127.0.0.1' });
    expect(await signInCookie(gateway.app, { 'x-forwarded-proto': 'https' })).toMatch(/; Secure$/);
    expect(await signInCookie(gateway.app, { 'x-forwarded-proto': 'http' })).not.toContain('Secure');
  });

  it('set to another address: the headers of a client that is not the proxy are ignored', async () => {
    gateway = await startDashboard({ trustProxy: '10.0.0.0/8' });
    expect(await signInCookie(gateway.app, { 'x-forwarded-proto': 'https' }, '192.0.2.7')).not.toContain('Secure');
    expect(await signInCookie(gateway.app, { 'x-forwarded-proto': 'https' }, '10.1.2.3')).toMatch(/; Secure$/);
  });

  it('unset: X-Forwarded-Proto is not believed, the cookie is not Secure', async () => {
    gateway = await startDashboard();
    expect(await signInCookie(gateway.app, { 'x-forwarded-proto': 'https' })).not.toContain('Secure');
  });

  it('set: failed sign-ins are counted per client behind the proxy', async () => {
    gateway = await startDashboard({ trustProxy: 'loopback' });
    for (let i = 0; i < 10; i++) expect(await failSignIn(gateway.app, '203.0.113.1')).toBe(401);
    expect(await failSignIn(gateway.app, '203.0.113.1')).toBe(429);
    expect(await failSignIn(gateway.app, '203.0.113.2')).toBe(401);
  });

  it('unset: a client cannot escape the sign-in limit by sending another X-Forwarded-For', async () => {
    gateway = await startDashboard();
    for (let i = 0; i < 10; i++) expect(await failSignIn(gateway.app, `203.0.113.${i}`)).toBe(401);
    expect(await failSignIn(gateway.app, '203.0.113.99')).toBe(429);
  });
});
