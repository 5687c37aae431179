/**
 * End to end through each dialect: the real engine against the sandbox. A
 * pairing code obtained the dialect's way is entered on a sandbox phone and
 * the session ends linked, as the native API sees it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startE2E, type E2E } from '../../support/e2e.js';
import { basic } from './helpers.js';

let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E({ env: { WAGATE_GOWA_USERS: 'username:password' } });
});
afterAll(async () => e2e?.close());

async function raw(method: string, url: string, headers: Record<string, string> = {}, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(e2e.client.baseUrl + url, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Enter the code on the sandbox phone and wait until the session is linked. */
async function enterAndExpectLinked(sessionId: string, phone: string, code: string): Promise<void> {
  const entered = await e2e.client.post(`/sandbox/phones/${phone}/link-code`, { code });
  expect(entered.status).toBe(200);
  const status = await e2e.client.waitForState(sessionId, 'connected');
  expect(status).toMatchObject({ paired: true, connected: true });
  expect(status.me.phoneNumber).toBe(phone);
}

describe('dialects end to end (real engine ↔ sandbox)', () => {
  it('bridge: POST /session/pairing-code → code entered on the phone → {"connected": true}', async () => {
    const phone = '15554440001';
    const res = await raw('POST', '/compat/bridge/session/pairing-code', { 'x-admin-token': e2e.client.key }, { number: `+${phone}` });
    expect(res.status).toBe(200);
    expect(res.body.code).toMatch(/^[A-Z0-9]{8}$/);
    await enterAndExpectLinked('default', phone, res.body.code);
    expect((await raw('GET', '/compat/bridge/session/status')).body).toEqual({ connected: true });
  });

  it('gomulti: create a device, POST /devices/me/login-code with its token → linked, status active', async () => {
    const phone = '15554440002';
    const created = await raw('POST', '/compat/gomulti/devices', { 'x-api-key': e2e.client.key }, { device_name: 'e2e' });
    expect(created.status).toBe(201);
    const { device_id: deviceId, token } = created.body.data;
    const res = await raw('POST', '/compat/gomulti/devices/me/login-code', { authorization: token }, { phone });
    expect(res.status).toBe(200);
    expect(res.body.data.pair_code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    await enterAndExpectLinked(deviceId, phone, res.body.data.pair_code);
    const me = await raw('GET', '/compat/gomulti/devices/me', { authorization: `Bearer ${token}` });
    expect(me.body.data.status).toBe('active');
  });

  it('gowa: POST /devices/{id}/login/code?phone= → linked, state logged_in', async () => {
    const phone = '15554440003';
    const auth = { authorization: basic('username', 'password') };
    expect((await raw('POST', '/compat/gowa/devices', auth, { device_id: 'gowa-e2e' })).status).toBe(200);
    const res = await raw('POST', `/compat/gowa/devices/gowa-e2e/login/code?phone=${phone}`, auth);
    expect(res.status).toBe(200);
    await enterAndExpectLinked('gowa-e2e', phone, res.body.results.pair_code);
    const device = await raw('GET', '/compat/gowa/devices/gowa-e2e', auth);
    expect(device.body.results.state).toBe('logged_in');
  });

  it('wawp: create, start, request-code in SCAN_QR_CODE → linked, WORKING', async () => {
    const phone = '15554440004';
    const created = await raw('POST', `/compat/wawp/v2/session/create?access_token=${e2e.client.key}`);
    const id: string = created.body.instance_id;
    const qs = `access_token=${e2e.client.key}&instance_id=${id}`;
    await raw('POST', `/compat/wawp/v2/session/start?${qs}`);
    await e2e.client.waitForState(id, 'qr');
    const res = await raw('POST', `/compat/wawp/v2/auth/request-code?${qs}`, {}, { phone_number: phone });
    expect(res.status).toBe(200);
    await enterAndExpectLinked(id, phone, res.body.code);
    expect((await raw('GET', `/compat/wawp/v2/session/info?${qs}`)).body.status).toBe('WORKING');
  });

  it('waha: POST /api/sessions (starts), request-code → linked, WORKING', async () => {
    const phone = '15554440005';
    const key = { 'x-api-key': e2e.client.key };
    expect((await raw('POST', '/compat/waha/api/sessions', key, { name: 'waha-e2e' })).status).toBe(201);
    await e2e.client.waitForState('waha-e2e', 'qr');
    const res = await raw('POST', '/compat/waha/api/waha-e2e/auth/request-code', key, { phoneNumber: phone });
    expect(res.status).toBe(201);
    await enterAndExpectLinked('waha-e2e', phone, res.body.code);
    expect((await raw('GET', '/compat/waha/api/sessions/waha-e2e', key)).body.status).toBe('WORKING');
  });
});
