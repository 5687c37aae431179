/**
 * End to end: the real engine pairs with the sandbox network through the
 * gateway's HTTP API, by QR and by pairing code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startE2E, type E2E } from '../support/e2e.js';

let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E();
});
afterAll(async () => e2e?.close());

async function newSession(id: string): Promise<string> {
  const res = await e2e.client.post('/api/v1/sessions', { sessionId: id });
  expect(res.status).toBe(201);
  return id;
}

describe('pairing end to end (real engine ↔ sandbox)', () => {
  it('QR: scan → connected and paired; SSE shows connection.state, auth.qr, auth.paired, connected in order; 515 is invisible', async () => {
    const id = await newSession('qr-flow');
    const sse = e2e.client.events(`/api/v1/sessions/${id}/events`);
    await new Promise((r) => setTimeout(r, 100));
    expect((await e2e.client.post(`/api/v1/sessions/${id}/connect`)).status).toBe(202);
    const qr = await e2e.client.qr(id);
    expect(qr).toContain('2@');
    const png = await fetch(`${e2e.client.baseUrl}/api/v1/sessions/${id}/auth/qr?format=png`, {
      headers: { authorization: `Bearer ${e2e.client.key}` },
    });
    expect(png.headers.get('content-type')).toContain('image/png');
    const scan = await e2e.client.post('/sandbox/phones/15550000001/scan', { qr });
    expect(scan.status).toBe(200);
    const status = await e2e.client.waitForState(id, 'connected');
    expect(status).toMatchObject({ paired: true, connected: true, connectionState: 'connected' });
    expect(status.me.phoneNumber).toBe('15550000001');
    await sse.waitFor((e) => e.type === 'connection.state' && e.data.state === 'connected');
    sse.close();
    const types = sse.events.map((e) => (e.type === 'connection.state' ? `state:${String(e.data.state)}` : e.type));
    const order = ['state:connecting', 'auth.qr', 'auth.paired', 'state:connected'].map((t) => types.indexOf(t));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(types.filter((t) => t === 'state:connected')).toHaveLength(1);
    expect(types).not.toContain('state:error');
    const devices = await e2e.client.get('/sandbox/phones/15550000001/devices');
    expect(devices.body.data.map((d: { jid: string }) => d.jid)).toContain(status.me.jid);
  });

  it('pairing code: wrong code leaves it waiting with an event; the right code links', async () => {
    const id = await newSession('code-flow');
    const sse = e2e.client.events(`/api/v1/sessions/${id}/events`);
    await e2e.client.post(`/api/v1/sessions/${id}/connect`);
    await e2e.client.qr(id);
    const phone = '15551234567'; // seed 000's example: appears on first use
    const res = await e2e.client.post(`/api/v1/sessions/${id}/auth/pairing-code`, { phoneNumber: phone });
    expect(res.status).toBe(200);
    const code: string = res.body.data.code;
    expect(code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    const wrong = await e2e.client.post(`/sandbox/phones/${phone}/link-code`, { code: code === 'AAAA-AAAA' ? 'BBBB-BBBB' : 'AAAA-AAAA' });
    expect(wrong.status).toBe(400);
    await sse.waitFor((e) => e.type === 'auth.pairing_failed');
    expect((await e2e.client.status(id)).state).toBe('pairing_code');
    const right = await e2e.client.post(`/sandbox/phones/${phone}/link-code`, { code });
    expect(right.status).toBe(200);
    const status = await e2e.client.waitForState(id, 'connected');
    expect(status.me.phoneNumber).toBe(phone);
    sse.close();
  });

  it('disconnect → inactive; connect → connected without a QR', async () => {
    const id = await newSession('reconnect');
    await e2e.client.post(`/api/v1/sessions/${id}/connect`);
    await e2e.client.post('/sandbox/phones/15550000001/scan', { qr: await e2e.client.qr(id) });
    await e2e.client.waitForState(id, 'connected');
    const off = await e2e.client.post(`/api/v1/sessions/${id}/disconnect`);
    expect(off.body.data).toMatchObject({ state: 'inactive', paired: true, active: false, connectionState: 'inactive' });
    const sse = e2e.client.events(`/api/v1/sessions/${id}/events`);
    await e2e.client.post(`/api/v1/sessions/${id}/connect`);
    await e2e.client.waitForState(id, 'connected');
    sse.close();
    expect(sse.events.some((e) => e.type === 'auth.qr')).toBe(false);
  });

  it('logout: the phone no longer lists the device, credentials are gone, logged_out', async () => {
    const id = await newSession('logout');
    await e2e.client.post(`/api/v1/sessions/${id}/connect`);
    await e2e.client.post('/sandbox/phones/15557770001/scan', { qr: await e2e.client.qr(id) });
    const { me } = await e2e.client.waitForState(id, 'connected');
    const res = await e2e.client.post(`/api/v1/sessions/${id}/logout`);
    expect(res.body.data).toMatchObject({ state: 'logged_out', paired: false });
    const devices = await e2e.client.get('/sandbox/phones/15557770001/devices');
    expect(devices.body.data.map((d: { jid: string }) => d.jid)).not.toContain(me.jid);
    expect(await e2e.gateway.store.auth.forSession(id).hasCreds()).toBe(false);
  });

  it('QR rotates when its ref expires; when the refs run out the session ends as a timeout, not a logout', async () => {
    const local = await startE2E({ overrides: { engine: { qrTimeoutMs: 1_500 }, sandbox: { qrRefTtlMs: 1_500, refsPerPairDevice: 3 } } });
    try {
      const id = 'rotate';
      await local.client.post('/api/v1/sessions', { sessionId: id });
      const sse = local.client.events(`/api/v1/sessions/${id}/events`);
      await local.client.post(`/api/v1/sessions/${id}/connect`);
      const first = await local.client.qr(id);
      await sse.waitFor((e) => e.type === 'auth.qr' && e.data.qr !== first, 10_000);
      const status = await local.client.waitForState(id, 'error', 20_000);
      expect(status.lastDisconnect).toMatchObject({ code: 408, reason: expect.stringMatching(/QR/i) });
      expect(sse.events.some((e) => e.type === 'auth.logged_out')).toBe(false);
      // The stale first QR is refused by the phone.
      const stale = await local.client.post('/sandbox/phones/15550000001/scan', { qr: first });
      expect(stale.status).toBe(400);
      sse.close();
    } finally {
      await local.close();
    }
  });
});
