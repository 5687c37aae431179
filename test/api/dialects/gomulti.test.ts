/** Seed 002 (go-whatsapp-multi-session): the documented call and responses, plus the original's device routes. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signJwt } from '../../../src/api/compat-shared/jwt.js';
import { createDialectTestApp, json, type DialectTestApp } from './helpers.js';

const BASE = '/compat/gomulti';

interface Device {
  device_id: string;
  device_secret: string;
  device_name: string;
  token: string;
}

describe('gomulti dialect (seed 002)', () => {
  let t: DialectTestApp;
  beforeEach(async () => {
    t = await createDialectTestApp();
  });
  afterEach(async () => t.close());

  const createDevice = async (name = 'Sales phone'): Promise<Device> => {
    const res = await t.inject({ method: 'POST', url: `${BASE}/devices`, headers: { 'x-api-key': t.adminKey }, payload: { device_name: name } });
    expect(res.statusCode).toBe(201);
    return (res.json() as { data: Device }).data;
  };

  it('POST /devices with the admin X-API-Key creates a device: 201 with id, secret, name and token', async () => {
    const res = await t.inject({ method: 'POST', url: `${BASE}/devices`, headers: { 'x-api-key': t.adminKey }, payload: { device_name: 'Sales phone' } });
    expect(res.statusCode).toBe(201);
    const body = res.json() as { status: boolean; code: number; data: Device };
    expect(body.status).toBe(true);
    expect(body.code).toBe(201);
    expect(Object.keys(body.data).sort()).toEqual(['device_id', 'device_name', 'device_secret', 'token']);
    expect(body.data.device_name).toBe('Sales phone');
    expect(body.data.token.split('.')).toHaveLength(3);
    // The device is a core session, visible with the same state in the native API.
    expect(t.gw.core.sessions.get(body.data.device_id)).toMatchObject({ state: 'created', displayName: 'Sales phone' });
  });

  it('POST /devices without the admin key is 401 "Invalid or missing authentication" and creates nothing', async () => {
    for (const headers of [{}, { 'x-api-key': 'nope' }]) {
      const res = await t.inject({ method: 'POST', url: `${BASE}/devices`, headers, payload: {} });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ status: false, code: 401, message: 'Unauthorized', error: 'Invalid or missing authentication' });
    }
    expect(t.gw.core.sessions.list()).toHaveLength(0);
  });

  it('replays the seed curl: raw token in Authorization, {"phone"} → 200 with pair_code and timeout; the code links the device', async () => {
    const device = await createDevice();
    const res = await t.inject({
      method: 'POST',
      url: `${BASE}/devices/me/login-code`,
      headers: { authorization: device.token, 'content-type': 'application/json' },
      payload: '{"phone":"6281234567890"}',
    });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { data: { pair_code: string; timeout: number } };
    expect(body).toEqual({
      status: true,
      code: 200,
      message: 'Pairing code generated successfully',
      data: { pair_code: expect.stringMatching(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/), timeout: 120 },
    });
    expect(await t.gw.engine.last(device.device_id).enterCode(body.data.pair_code)).toBe(true);
    await t.waitState(device.device_id, 'connected');

    const me = await t.inject({ method: 'GET', url: `${BASE}/devices/me`, headers: { authorization: `Bearer ${device.token}` } });
    expect(me.statusCode).toBe(200);
    expect((me.json() as { data: Record<string, unknown> }).data).toMatchObject({
      device_id: device.device_id,
      device_name: 'Sales phone',
      whatsmeow_jid: expect.stringContaining('6281234567890'),
      status: 'active',
    });
    const status = await t.inject({ method: 'GET', url: `${BASE}/devices/me/status`, headers: { authorization: `Bearer ${device.token}` } });
    expect((status.json() as { data: Record<string, unknown> }).data).toMatchObject({ connected: true, is_connected: true, is_logged_in: true });
  });

  it('400 exactly as the seed when the phone is missing', async () => {
    const device = await createDevice();
    const res = await t.inject({ method: 'POST', url: `${BASE}/devices/me/login-code`, headers: { authorization: `Bearer ${device.token}` }, payload: {} });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ status: false, code: 400, message: 'Bad request', error: 'Phone number is required' });
    expect(t.gw.core.sessions.get(device.device_id).state).toBe('created');
  });

  it('401 exactly as the seed for a missing, forged or expired token', async () => {
    const device = await createDevice();
    const missing = await t.inject({ method: 'POST', url: `${BASE}/devices/me/login-code`, payload: { phone: '6281234567890' } });
    expect(missing.statusCode).toBe(401);
    expect(missing.json()).toEqual({ status: false, code: 401, message: 'Unauthorized', error: 'Invalid or missing authentication' });

    const [h, p] = device.token.split('.');
    const forged = `${h}.${p}.${Buffer.from('x'.repeat(32)).toString('base64url')}`;
    // Same claims as the real token (so only the expiry is wrong), minted an hour ago for a minute.
    const claims = JSON.parse(Buffer.from(p as string, 'base64url').toString('utf8')) as Record<string, unknown>;
    const secret = t.gw.core.deriveSecret('gomulti-jwt');
    const expired = signJwt(secret, { ...claims, exp: undefined, iat: undefined }, 60, Date.now() - 3_600_000);
    const fresh = signJwt(secret, { ...claims, exp: undefined, iat: undefined }, 60);
    expect((await t.inject({ method: 'GET', url: `${BASE}/devices/me`, headers: { authorization: fresh } })).statusCode).toBe(200);
    for (const token of [forged, expired, 'not-a-jwt']) {
      const res = await t.inject({ method: 'POST', url: `${BASE}/devices/me/login-code`, headers: { authorization: `Bearer ${token}` }, payload: { phone: '6281234567890' } });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ status: false, code: 401, message: 'Unauthorized', error: 'Invalid or expired JWT token' });
    }
    expect(t.gw.core.sessions.get(device.device_id).state).toBe('created');
  });

  it('500 "Failed to generate pairing code" when WhatsApp will not give a code', async () => {
    const device = await createDevice();
    const auth = { authorization: `Bearer ${device.token}` };
    await t.inject({ method: 'POST', url: `${BASE}/devices/me/login?output=json`, headers: auth });
    t.gw.engine.last(device.device_id).requestPairingCode = async () => {
      throw new Error('stream errored');
    };
    const res = await t.inject({ method: 'POST', url: `${BASE}/devices/me/login-code`, headers: auth, payload: { phone: '6281234567890' } });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ status: false, code: 500, message: 'Internal server error', error: 'Failed to generate pairing code' });
  });

  it('POST /devices/token mints a new token and revokes the older ones; a wrong secret is 401', async () => {
    const device = await createDevice();
    const res = await t.inject({ method: 'POST', url: `${BASE}/devices/token`, payload: { device_id: device.device_id, device_secret: device.device_secret } });
    expect(res.statusCode).toBe(200);
    const fresh = (res.json() as { data: { token: string } }).data.token;
    expect((await t.inject({ method: 'GET', url: `${BASE}/devices/me`, headers: { authorization: `Bearer ${fresh}` } })).statusCode).toBe(200);
    const old = await t.inject({ method: 'GET', url: `${BASE}/devices/me`, headers: { authorization: `Bearer ${device.token}` } });
    expect(old.statusCode).toBe(401);
    expect(json(old).error).toBe('Invalid or expired JWT token');

    const other = await createDevice('Other');
    for (const payload of [
      { device_id: device.device_id, device_secret: 'wrong' },
      { device_id: device.device_id, device_secret: other.device_secret },
    ]) {
      const bad = await t.inject({ method: 'POST', url: `${BASE}/devices/token`, payload });
      expect(bad.statusCode).toBe(401);
      expect(json(bad).status).toBe(false);
    }
    const missing = await t.inject({ method: 'POST', url: `${BASE}/devices/token`, payload: { device_id: device.device_id } });
    expect(missing.statusCode).toBe(400);
  });

  it('GET and POST /devices/me/login give the QR as a PNG data URL (?output=json) or an HTML page', async () => {
    const device = await createDevice();
    const auth = { authorization: `Bearer ${device.token}` };
    for (const method of ['GET', 'POST'] as const) {
      const res = await t.inject({ method, url: `${BASE}/devices/me/login?output=json`, headers: auth });
      expect(res.statusCode).toBe(200);
      const data = (res.json() as { data: { QRCode: string; Timeout: number } }).data;
      expect(data.QRCode).toMatch(/^data:image\/png;base64,[A-Za-z0-9+/=]+$/);
      expect(data.Timeout).toBeGreaterThan(0);
    }
    const page = await t.inject({ method: 'GET', url: `${BASE}/devices/me/login`, headers: auth });
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('data:image/png;base64,');
    expect(t.gw.core.sessions.get(device.device_id).state).toBe('qr');
  });

  it('reconnect and logout answer as the original; logout wipes the link', async () => {
    const device = await createDevice();
    const auth = { authorization: `Bearer ${device.token}` };
    await t.inject({ method: 'GET', url: `${BASE}/devices/me/login?output=json`, headers: auth });
    await t.gw.engine.last(device.device_id).link('6281234567890');
    await t.waitState(device.device_id, 'connected');

    const logout = await t.inject({ method: 'DELETE', url: `${BASE}/devices/me/session`, headers: auth });
    expect(logout.statusCode).toBe(200);
    expect(logout.json()).toEqual({ status: true, code: 200, message: 'Success logout device' });
    expect(t.gw.core.sessions.get(device.device_id)).toMatchObject({ state: 'logged_out', paired: false });
    const me = await t.inject({ method: 'GET', url: `${BASE}/devices/me`, headers: auth });
    expect((me.json() as { data: { status: string } }).data.status).toBe('logged_out');

    const reconnect = await t.inject({ method: 'POST', url: `${BASE}/devices/me/reconnect`, headers: auth });
    expect(reconnect.json()).toEqual({ status: true, code: 200, message: 'Success reconnect device' });
    await t.waitState(device.device_id, 'qr');
  });

  it('a device token keeps working after a restart (no store of the dialect own)', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'wagate-gomulti-'));
    try {
      await t.close();
      t = await createDialectTestApp({}, { dataDir });
      const device = await createDevice();
      await t.close();
      t = await createDialectTestApp({}, { dataDir });
      const res = await t.inject({ method: 'GET', url: `${BASE}/devices/me`, headers: { authorization: device.token } });
      expect(res.statusCode).toBe(200);
      expect((res.json() as { data: { device_id: string } }).data.device_id).toBe(device.device_id);
    } finally {
      await t.close();
      t = await createDialectTestApp();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('unknown routes answer 404 in the gomulti envelope', async () => {
    const res = await t.inject({ method: 'GET', url: `${BASE}/nothing` });
    expect(res.statusCode).toBe(404);
    expect(json(res)).toMatchObject({ status: false, code: 404 });
  });
});
