/** WAHA: the session API, QR forms and request-code with the shapes and status codes of the original. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDialectTestApp, json, PNG_SIGNATURE, type DialectTestApp } from './helpers.js';

const BASE = '/compat/waha';

describe('waha dialect', () => {
  let t: DialectTestApp;
  let key: Record<string, string>;
  beforeEach(async () => {
    t = await createDialectTestApp();
    key = { 'x-api-key': t.adminKey };
  });
  afterEach(async () => t.close());

  const startDefault = async (): Promise<void> => {
    const res = await t.inject({ method: 'POST', url: `${BASE}/api/sessions`, headers: key, payload: { name: 'default' } });
    expect(res.statusCode).toBe(201);
    await t.waitState('default', 'qr');
  };

  it('401 {"message":"Unauthorized","statusCode":401} without a valid key; the header and ?x-api-key= both work', async () => {
    for (const headers of [{}, { 'x-api-key': 'wrong' }]) {
      const res = await t.inject({ method: 'GET', url: `${BASE}/api/sessions`, headers });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ message: 'Unauthorized', statusCode: 401 });
    }
    expect((await t.inject({ method: 'GET', url: `${BASE}/api/sessions`, headers: key })).statusCode).toBe(200);
    expect((await t.inject({ method: 'GET', url: `${BASE}/api/sessions?x-api-key=${t.adminKey}` })).statusCode).toBe(200);
  });

  it('POST /api/sessions → 201 session object, started by default; visible with the same state in the core', async () => {
    const res = await t.inject({ method: 'POST', url: `${BASE}/api/sessions`, headers: key, payload: { name: 'default' } });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      name: 'default',
      status: expect.stringMatching(/^(STARTING|SCAN_QR_CODE)$/),
      me: null,
      engine: { engine: 'NOWEB' },
      timestamps: { activity: expect.any(Number) },
    });
    await t.waitState('default', 'qr');
    const got = await t.inject({ method: 'GET', url: `${BASE}/api/sessions/default`, headers: key });
    expect(json(got).status).toBe('SCAN_QR_CODE');

    const stopped = await t.inject({ method: 'POST', url: `${BASE}/api/sessions`, headers: key, payload: { name: 'later', start: false } });
    expect(json(stopped).status).toBe('STOPPED');
    expect(t.gw.core.sessions.get('later').state).toBe('created');
  });

  it('an existing name → 422 with the original message; unknown session → 404 "Session not found"', async () => {
    await startDefault();
    const dup = await t.inject({ method: 'POST', url: `${BASE}/api/sessions`, headers: key, payload: { name: 'default' } });
    expect(dup.statusCode).toBe(422);
    expect(dup.json()).toEqual({ message: "Session 'default' already exists. Use PUT to update it.", error: 'Unprocessable Entity', statusCode: 422 });
    const missing = await t.inject({ method: 'GET', url: `${BASE}/api/sessions/ghost`, headers: key });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ message: 'Session not found', error: 'Not Found', statusCode: 404 });
    const bad = await t.inject({ method: 'POST', url: `${BASE}/api/sessions`, headers: key, payload: { name: 'no spaces allowed' } });
    expect(bad.statusCode).toBe(400);
    expect(json(bad)).toMatchObject({ error: 'Bad Request', statusCode: 400 });
  });

  it('GET /api/sessions hides STOPPED sessions unless ?all=true', async () => {
    await startDefault();
    await t.inject({ method: 'POST', url: `${BASE}/api/sessions`, headers: key, payload: { name: 'idle', start: false } });
    const running = await t.inject({ method: 'GET', url: `${BASE}/api/sessions`, headers: key });
    expect((running.json() as Array<{ name: string }>).map((s) => s.name)).toEqual(['default']);
    const all = await t.inject({ method: 'GET', url: `${BASE}/api/sessions?all=true`, headers: key });
    expect((all.json() as Array<{ name: string }>).map((s) => s.name).sort()).toEqual(['default', 'idle']);
  });

  it('start / stop / restart / logout → 201 with the session object; DELETE → 200 with an empty body', async () => {
    await t.inject({ method: 'POST', url: `${BASE}/api/sessions`, headers: key, payload: { name: 'default', start: false } });
    const start = await t.inject({ method: 'POST', url: `${BASE}/api/sessions/default/start`, headers: key });
    expect(start.statusCode).toBe(201);
    expect(json(start).name).toBe('default');
    await t.waitState('default', 'qr');
    const stop = await t.inject({ method: 'POST', url: `${BASE}/api/sessions/default/stop`, headers: key });
    expect(stop.statusCode).toBe(201);
    expect(json(stop).status).toBe('STOPPED');
    const restart = await t.inject({ method: 'POST', url: `${BASE}/api/sessions/default/restart`, headers: key });
    expect(restart.statusCode).toBe(201);
    await t.waitState('default', 'qr');
    await t.gw.engine.last('default').link('15550000001');
    await t.waitState('default', 'connected');
    const me = await t.inject({ method: 'GET', url: `${BASE}/api/sessions/default/me`, headers: key });
    expect(me.json()).toEqual({ id: '15550000001@c.us', pushName: 'Sandbox Phone' });
    const logout = await t.inject({ method: 'POST', url: `${BASE}/api/sessions/default/logout`, headers: key });
    expect(logout.statusCode).toBe(201);
    expect(json(logout)).toMatchObject({ status: 'STOPPED', me: null });
    expect(t.gw.core.sessions.get('default').paired).toBe(false);
    const del = await t.inject({ method: 'DELETE', url: `${BASE}/api/sessions/default`, headers: key });
    expect(del.statusCode).toBe(200);
    expect(del.body).toBe('');
    expect(t.gw.core.sessions.has('default')).toBe(false);
  });

  it('GET /api/{session}/auth/qr: PNG by default, {"mimetype","data"} for Accept: application/json, {"value"} for format=raw', async () => {
    await startDefault();
    const png = await t.inject({ method: 'GET', url: `${BASE}/api/default/auth/qr`, headers: key });
    expect(png.statusCode).toBe(200);
    expect(png.headers['content-type']).toBe('image/png');
    expect(png.rawPayload.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    const image = await t.inject({ method: 'GET', url: `${BASE}/api/default/auth/qr?format=image`, headers: { ...key, accept: 'application/json' } });
    expect(image.json()).toEqual({ mimetype: 'image/png', data: expect.stringMatching(/^[A-Za-z0-9+/=]+$/) });
    expect(Buffer.from(json(image).data as string, 'base64').subarray(0, 8)).toEqual(PNG_SIGNATURE);
    const raw = await t.inject({ method: 'GET', url: `${BASE}/api/default/auth/qr?format=raw`, headers: key });
    expect(raw.json()).toEqual({ value: expect.stringMatching(/^2@/) });
  });

  it('POST /api/{session}/auth/request-code {phoneNumber} → {"code": "XXXX-XXXX"}; entering it links the session', async () => {
    await startDefault();
    const res = await t.inject({ method: 'POST', url: `${BASE}/api/default/auth/request-code`, headers: key, payload: { phoneNumber: '12132132130', method: null } });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ code: expect.stringMatching(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/) });
    expect(await t.gw.engine.last('default').enterCode(json(res).code as string)).toBe(true);
    await t.waitState('default', 'connected');
    const got = await t.inject({ method: 'GET', url: `${BASE}/api/sessions/default`, headers: key });
    expect(got.json()).toMatchObject({ status: 'WORKING', me: { id: '12132132130@c.us' } });
  });

  it('422 {error, session, status, expected: [...]} when the session is not in SCAN_QR_CODE', async () => {
    await t.inject({ method: 'POST', url: `${BASE}/api/sessions`, headers: key, payload: { name: 'default', start: false } });
    for (const [method, url, payload] of [
      ['GET', `${BASE}/api/default/auth/qr`, undefined],
      ['POST', `${BASE}/api/default/auth/request-code`, { phoneNumber: '12132132130' }],
    ] as const) {
      const res = await t.inject({ method, url, headers: key, ...(payload ? { payload } : {}) });
      expect(res.statusCode).toBe(422);
      expect(res.json()).toEqual({
        error: 'Session status is not as expected. Try again later or restart the session',
        session: 'default',
        status: 'STOPPED',
        expected: ['SCAN_QR_CODE'],
      });
    }
    expect(t.gw.core.sessions.get('default').state).toBe('created');
  });

  it('a key scoped to one session reaches only that session', async () => {
    await startDefault();
    await t.inject({ method: 'POST', url: `${BASE}/api/sessions`, headers: key, payload: { name: 'other', start: false } });
    const scoped = { 'x-api-key': (await t.gw.core.apiKeys.createSessionKey('default')).key };
    expect((await t.inject({ method: 'GET', url: `${BASE}/api/sessions/default`, headers: scoped })).statusCode).toBe(200);
    expect((await t.inject({ method: 'GET', url: `${BASE}/api/sessions/other`, headers: scoped })).statusCode).toBe(403);
    expect((await t.inject({ method: 'POST', url: `${BASE}/api/sessions`, headers: scoped, payload: { name: 'x' } })).statusCode).toBe(403);
    const list = await t.inject({ method: 'GET', url: `${BASE}/api/sessions?all=true`, headers: scoped });
    expect((list.json() as Array<{ name: string }>).map((s) => s.name)).toEqual(['default']);
  });

  it('accepts the older body-addressed routes POST /api/sessions/start|stop {name}', async () => {
    await t.inject({ method: 'POST', url: `${BASE}/api/sessions`, headers: key, payload: { name: 'default', start: false } });
    const start = await t.inject({ method: 'POST', url: `${BASE}/api/sessions/start`, headers: key, payload: { name: 'default' } });
    expect(start.statusCode).toBe(201);
    await t.waitState('default', 'qr');
    const stop = await t.inject({ method: 'POST', url: `${BASE}/api/sessions/stop`, headers: key, payload: { name: 'default' } });
    expect(json(stop).status).toBe('STOPPED');
  });
});
