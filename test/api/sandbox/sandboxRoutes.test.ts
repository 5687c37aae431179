/**
 * The sandbox control API through the gateway: only in sandbox mode, admin
 * key only, and every bad input is a clear 4xx that links nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayClient, startE2E, type E2E } from '../../support/e2e.js';

let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E();
});
afterAll(async () => e2e?.close());

describe('/sandbox control API', () => {
  it('creates simulated phones (201) and refuses duplicates and bad numbers', async () => {
    const created = await e2e.client.post('/sandbox/phones', { phoneNumber: '+1 555 010 0001', name: 'Alice' });
    expect(created.status).toBe(201);
    expect(created.body.data).toMatchObject({ phoneNumber: '15550100001', name: 'Alice' });
    expect((await e2e.client.post('/sandbox/phones', { phoneNumber: '15550100001' })).status).toBe(400);
    const bad = await e2e.client.post('/sandbox/phones', { phoneNumber: 'not-a-number' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('INVALID_PHONE_NUMBER');
    const list = await e2e.client.get('/sandbox/phones');
    expect(list.body.data.map((p: { phoneNumber: string }) => p.phoneNumber)).toContain('15550100001');
  });

  it('the default simulated phone exists and has no devices yet', async () => {
    const res = await e2e.client.get('/sandbox/phones/15550000001/devices');
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual([]);
  });

  it('a malformed QR is 400 with the reason, and nothing is linked', async () => {
    const res = await e2e.client.post('/sandbox/phones/15550000001/scan', { qr: 'hello' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_QR');
    expect(res.body.error.message.length).toBeGreaterThan(5);
    expect((await e2e.client.get('/sandbox/phones/15550000001/devices')).body.data).toEqual([]);
  });

  it('a code with no pending pairing is 400', async () => {
    const res = await e2e.client.post('/sandbox/phones/15550000001/link-code', { code: 'ABCD-1234' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_PAIRING_CODE');
  });

  it('unknown phone → 404; unknown device → 404', async () => {
    expect((await e2e.client.get('/sandbox/phones/15559999999/devices')).status).toBe(404);
    expect((await e2e.client.call('DELETE', '/sandbox/phones/15550000001/devices/42')).status).toBe(404);
  });

  it('a fault for a session without a live connection is 422; unknown session 404; bad kind 400', async () => {
    await e2e.client.post('/api/v1/sessions', { sessionId: 'idle' });
    expect((await e2e.client.post('/sandbox/connections/idle/fault', { kind: 'drop' })).status).toBe(422);
    expect((await e2e.client.post('/sandbox/connections/nope/fault', { kind: 'drop' })).status).toBe(404);
    expect((await e2e.client.post('/sandbox/connections/idle/fault', { kind: 'meteor' })).status).toBe(400);
  });

  it('needs the admin key: none → 401, a session key → 403', async () => {
    const anonymous = new GatewayClient(e2e.client.baseUrl, 'wrong');
    expect((await anonymous.get('/sandbox/phones')).status).toBe(401);
    await e2e.client.post('/api/v1/sessions', { sessionId: 'scoped' });
    const key = (await e2e.client.post('/api/v1/sessions/scoped/keys', { label: 't' })).body.data.key as string;
    expect((await new GatewayClient(e2e.client.baseUrl, key).get('/sandbox/phones')).status).toBe(403);
  });

  it('/health says it is a sandbox', async () => {
    const res = await fetch(`${e2e.client.baseUrl}/health`);
    const body = (await res.json()) as { sandbox: unknown };
    expect(body.sandbox).toBeTruthy();
  });
});

describe('/sandbox outside sandbox mode', () => {
  it('is 404', async () => {
    const real = await startE2E({ env: { WAGATE_SANDBOX: '0', WAGATE_WA_URL: 'ws://127.0.0.1:9/ws/chat' } });
    try {
      expect((await real.client.get('/sandbox/phones')).status).toBe(404);
      const health = (await (await fetch(`${real.client.baseUrl}/health`)).json()) as { sandbox: unknown };
      expect(health.sandbox).toBe(false);
    } finally {
      await real.close();
    }
  });
});
