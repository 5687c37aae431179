/** Seed 003 (GOWA): the documented login calls, replayed, plus the original's device routes and /app twins. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { basic, createDialectTestApp, json, PNG_SIGNATURE, type DialectTestApp } from './helpers.js';

const BASE = '/compat/gowa';
const QR_LINK = /^http:\/\/localhost:80\/compat\/gowa\/statics\/images\/qrcode\/scan-qr-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.png$/;

describe('gowa dialect (seed 003)', () => {
  let t: DialectTestApp;
  const auth = { authorization: basic('username', 'password') };
  beforeEach(async () => {
    t = await createDialectTestApp({ WAGATE_GOWA_USERS: 'username:password,ops:s3cret' });
  });
  afterEach(async () => t.close());

  const createDevice = async (id = 'my-device-id'): Promise<void> => {
    const res = await t.inject({ method: 'POST', url: `${BASE}/devices`, headers: auth, payload: { device_id: id } });
    expect(res.statusCode).toBe(200);
  };

  it('replays `curl -X GET /devices/my-device-id/login -u username:password`: qr_link to a PNG served without auth', async () => {
    await createDevice();
    const res = await t.inject({ method: 'GET', url: `${BASE}/devices/my-device-id/login`, headers: auth });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { code: string; message: string; results: { qr_duration: number; qr_link: string } };
    expect(body.code).toBe('SUCCESS');
    expect(body.message).toBe('QR code generated successfully');
    expect(body.results.qr_duration).toBeGreaterThan(0);
    expect(body.results.qr_link).toMatch(QR_LINK);

    const pngPath = new URL(body.results.qr_link).pathname;
    for (const url of [pngPath, pngPath.replace('/statics/images/qrcode/', '/statics/qrcode/')]) {
      const png = await t.inject({ method: 'GET', url });
      expect(png.statusCode).toBe(200);
      expect(png.headers['content-type']).toBe('image/png');
      expect(png.rawPayload.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    }
    expect(t.gw.core.sessions.get('my-device-id').state).toBe('qr');
  });

  it('builds qr_link from WAGATE_PUBLIC_URL when set', async () => {
    await t.close();
    t = await createDialectTestApp({ WAGATE_GOWA_USERS: 'username:password', WAGATE_PUBLIC_URL: 'https://wa.example.com/' });
    await createDevice();
    const res = await t.inject({ method: 'GET', url: `${BASE}/devices/my-device-id/login`, headers: auth });
    expect((res.json() as { results: { qr_link: string } }).results.qr_link).toMatch(
      /^https:\/\/wa\.example\.com\/compat\/gowa\/statics\/images\/qrcode\/scan-qr-.+\.png$/,
    );
  });

  it('removes the QR image when it expires', async () => {
    await createDevice();
    t.gw.engine.qrTtlMs = 1_000;
    const res = await t.inject({ method: 'GET', url: `${BASE}/devices/my-device-id/login`, headers: auth });
    const { qr_link: link, qr_duration: duration } = (res.json() as { results: { qr_link: string; qr_duration: number } }).results;
    expect(duration).toBe(1);
    await new Promise((r) => setTimeout(r, 1_300));
    const gone = await t.inject({ method: 'GET', url: new URL(link).pathname });
    expect(gone.statusCode).toBe(404);
  });

  it('replays `POST /devices/my-device-id/login/code?phone=628912344551`: pair_code; entering it makes the device logged_in', async () => {
    await createDevice();
    const res = await t.inject({ method: 'POST', url: `${BASE}/devices/my-device-id/login/code?phone=628912344551`, headers: auth });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { code: string; message: string; results: { pair_code: string } };
    expect(body).toMatchObject({ code: 'SUCCESS', message: 'Pairing code generated successfully' });
    expect(body.results.pair_code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    expect(await t.gw.engine.last('my-device-id').enterCode(body.results.pair_code)).toBe(true);
    await t.waitState('my-device-id', 'connected');

    const device = await t.inject({ method: 'GET', url: `${BASE}/devices/my-device-id`, headers: auth });
    expect((device.json() as { results: Record<string, unknown> }).results).toMatchObject({
      id: 'my-device-id',
      state: 'logged_in',
      jid: expect.stringContaining('628912344551'),
    });
    const status = await t.inject({ method: 'GET', url: `${BASE}/devices/my-device-id/status`, headers: auth });
    expect(status.json()).toEqual({
      code: 'SUCCESS',
      message: expect.any(String),
      results: { device_id: 'my-device-id', is_connected: true, is_logged_in: true },
    });
    // One truth: the native API sees the linked session.
    expect(t.gw.core.sessions.get('my-device-id')).toMatchObject({ state: 'connected', paired: true });
  });

  it('400 ALREADY_LOGGED_IN for QR and code once linked', async () => {
    await createDevice();
    await t.inject({ method: 'GET', url: `${BASE}/devices/my-device-id/login`, headers: auth });
    await t.gw.engine.last('my-device-id').link('628912344551');
    await t.waitState('my-device-id', 'connected');
    for (const [method, url] of [
      ['GET', `${BASE}/devices/my-device-id/login`],
      ['POST', `${BASE}/devices/my-device-id/login/code?phone=628912344551`],
    ] as const) {
      const res = await t.inject({ method, url, headers: auth });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ code: 'ALREADY_LOGGED_IN', message: 'you are already logged in.' });
    }
  });

  it('404 for an unknown device, and nothing is created', async () => {
    for (const [method, url] of [
      ['GET', `${BASE}/devices/ghost/login`],
      ['POST', `${BASE}/devices/ghost/login/code?phone=628912344551`],
      ['GET', `${BASE}/devices/ghost`],
    ] as const) {
      const res = await t.inject({ method, url, headers: auth });
      expect(res.statusCode).toBe(404);
      expect(json(res).code).toBe('DEVICE_NOT_FOUND');
    }
    expect(t.gw.core.sessions.has('ghost')).toBe(false);
  });

  it('400 when the phone is missing or not a number', async () => {
    await createDevice();
    for (const url of [`${BASE}/devices/my-device-id/login/code`, `${BASE}/devices/my-device-id/login/code?phone=abc`]) {
      const res = await t.inject({ method: 'POST', url, headers: auth });
      expect(res.statusCode).toBe(400);
      expect(json(res)).toMatchObject({ code: expect.any(String), message: expect.any(String) });
    }
  });

  it('HTTP Basic: no or wrong credentials are 401 with a challenge; every configured user is accepted', async () => {
    for (const headers of [{}, { authorization: basic('username', 'wrong') }, { authorization: basic('nobody', 'password') }, { authorization: 'Bearer x' }]) {
      const res = await t.inject({ method: 'GET', url: `${BASE}/devices`, headers });
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Basic/);
      expect(json(res)).toMatchObject({ code: 'UNAUTHORIZED' });
    }
    const ops = await t.inject({ method: 'GET', url: `${BASE}/devices`, headers: { authorization: basic('ops', 's3cret') } });
    expect(ops.statusCode).toBe(200);
  });

  it('with no users configured, any user name with the admin key as password is accepted', async () => {
    await t.close();
    t = await createDialectTestApp();
    expect((await t.inject({ method: 'GET', url: `${BASE}/devices`, headers: { authorization: basic('admin', t.adminKey) } })).statusCode).toBe(200);
    expect((await t.inject({ method: 'GET', url: `${BASE}/devices`, headers: { authorization: basic('admin', 'password') } })).statusCode).toBe(401);
  });

  it('device routes: create (generated id), list, get, logout, reconnect, delete', async () => {
    const created = await t.inject({ method: 'POST', url: `${BASE}/devices`, headers: auth, payload: {} });
    const device = (created.json() as { results: { id: string; state: string } }).results;
    expect(device).toMatchObject({ id: expect.any(String), state: 'disconnected', jid: '', created_at: expect.any(String) });
    expect(t.gw.core.sessions.get(device.id).state).toBe('created');

    const list = await t.inject({ method: 'GET', url: `${BASE}/devices`, headers: auth });
    expect((list.json() as { results: Array<{ id: string }> }).results.map((d) => d.id)).toEqual([device.id]);

    const dup = await t.inject({ method: 'POST', url: `${BASE}/devices`, headers: auth, payload: { device_id: device.id } });
    expect(dup.statusCode).toBe(409);

    const reconnect = await t.inject({ method: 'POST', url: `${BASE}/devices/${device.id}/reconnect`, headers: auth });
    expect(json(reconnect).code).toBe('SUCCESS');
    await t.waitState(device.id, 'qr');
    expect((await t.inject({ method: 'GET', url: `${BASE}/devices/${device.id}`, headers: auth })).json()).toMatchObject({ results: { state: 'connected' } });

    const logout = await t.inject({ method: 'POST', url: `${BASE}/devices/${device.id}/logout`, headers: auth });
    expect(json(logout).code).toBe('SUCCESS');
    expect(t.gw.core.sessions.get(device.id).state).toBe('logged_out');

    const removed = await t.inject({ method: 'DELETE', url: `${BASE}/devices/${device.id}`, headers: auth });
    expect(json(removed).code).toBe('SUCCESS');
    expect(t.gw.core.sessions.has(device.id)).toBe(false);
  });

  it('/app/* twins pick the device from X-Device-Id, ?device_id= or the only device', async () => {
    await createDevice('only-one');
    const viaDefault = await t.inject({ method: 'GET', url: `${BASE}/app/login`, headers: auth });
    expect(viaDefault.statusCode).toBe(200);
    expect((viaDefault.json() as { results: { qr_link: string } }).results.qr_link).toMatch(/scan-qr-.+\.png$/);

    await createDevice('second');
    const ambiguous = await t.inject({ method: 'GET', url: `${BASE}/app/status`, headers: auth });
    expect(ambiguous.statusCode).toBe(400);

    const code = await t.inject({ method: 'GET', url: `${BASE}/app/login-with-code?phone=628912344551`, headers: { ...auth, 'x-device-id': 'second' } });
    expect(code.statusCode).toBe(200);
    expect((code.json() as { results: { pair_code: string } }).results.pair_code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    expect(t.gw.core.sessions.get('second').state).toBe('pairing_code');

    const status = await t.inject({ method: 'GET', url: `${BASE}/app/status?device_id=only-one`, headers: auth });
    expect((status.json() as { results: Record<string, unknown> }).results).toEqual({ device_id: 'only-one', is_connected: true, is_logged_in: false });

    const devices = await t.inject({ method: 'GET', url: `${BASE}/app/devices`, headers: auth });
    expect((devices.json() as { results: Array<{ name: string }> }).results.map((d) => d.name).sort()).toEqual(['only-one', 'second']);

    const unknown = await t.inject({ method: 'GET', url: `${BASE}/app/status`, headers: { ...auth, 'x-device-id': 'ghost' } });
    expect(unknown.statusCode).toBe(404);
  });
});
