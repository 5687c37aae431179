/** Seed 004 (Wawp): the documented request-code call replayed, plus the session and QR routes. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDialectTestApp, json, PNG_SIGNATURE, type DialectTestApp } from './helpers.js';

const BASE = '/compat/wawp';

describe('wawp dialect (seed 004)', () => {
  let t: DialectTestApp;
  let q: string;
  beforeEach(async () => {
    t = await createDialectTestApp();
    q = `access_token=${t.adminKey}&instance_id=ABCDEF123456`;
  });
  afterEach(async () => t.close());

  const createAndStart = async (): Promise<void> => {
    const created = await t.inject({ method: 'POST', url: `${BASE}/v2/session/create?access_token=${t.adminKey}`, payload: { instance_id: 'ABCDEF123456' } });
    expect(created.statusCode).toBe(200);
    const started = await t.inject({ method: 'POST', url: `${BASE}/v2/session/start?${q}` });
    expect(started.statusCode).toBe(200);
    await t.waitState('ABCDEF123456', 'qr');
  };

  it('replays the seed sample: query credentials, phone_number in the body → {"code": "ABCD-1234"}; the code links', async () => {
    await createAndStart();
    const res = await t.inject({
      method: 'POST',
      url: `${BASE}/v2/auth/request-code?instance_id=ABCDEF123456&access_token=${t.adminKey}`,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ phone_number: '201145202826' }),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ code: expect.stringMatching(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/) });
    expect(await t.gw.engine.last('ABCDEF123456').enterCode(json(res).code as string)).toBe(true);
    await t.waitState('ABCDEF123456', 'connected');
    const info = await t.inject({ method: 'GET', url: `${BASE}/v2/session/info?${q}` });
    expect(info.json()).toMatchObject({ instance_id: 'ABCDEF123456', status: 'WORKING', me: { id: '201145202826@c.us' } });
  });

  it('replays the seed URL form: everything in the query string (POST …?access_token&instance_id&phone_number)', async () => {
    await createAndStart();
    const res = await t.inject({ method: 'POST', url: `${BASE}/v2/auth/request-code?${q}&phone_number=201145202826` });
    expect(res.statusCode).toBe(200);
    expect(t.gw.engine.last('ABCDEF123456').pendingCode?.phone).toBe('201145202826');
    // And everything in the body.
    const viaBody = await t.inject({
      method: 'POST',
      url: `${BASE}/v2/auth/request-code`,
      payload: { access_token: t.adminKey, instance_id: 'ABCDEF123456', phone_number: '+20 114 520 2826' },
    });
    expect(viaBody.statusCode).toBe(200);
  });

  it('422 "Session Status Not Expected" unless the status is SCAN_QR_CODE', async () => {
    await t.inject({ method: 'POST', url: `${BASE}/v2/session/create?access_token=${t.adminKey}&instance_id=ABCDEF123456` });
    const stopped = await t.inject({ method: 'POST', url: `${BASE}/v2/auth/request-code?${q}&phone_number=201145202826` });
    expect(stopped.statusCode).toBe(422);
    expect(stopped.json()).toMatchObject({ message: 'Session Status Not Expected', status: 'STOPPED', expected: ['SCAN_QR_CODE'] });
    expect(t.gw.core.sessions.get('ABCDEF123456').state).toBe('created');

    await t.inject({ method: 'POST', url: `${BASE}/v2/session/start?${q}` });
    await t.waitState('ABCDEF123456', 'qr');
    await t.gw.engine.last('ABCDEF123456').link('201145202826');
    await t.waitState('ABCDEF123456', 'connected');
    const working = await t.inject({ method: 'POST', url: `${BASE}/v2/auth/request-code?${q}&phone_number=201145202826` });
    expect(working.statusCode).toBe(422);
    expect(working.json()).toMatchObject({ message: 'Session Status Not Expected', status: 'WORKING' });
  });

  it('400 for a missing parameter, 401 for a bad token, 404 for an unknown instance', async () => {
    await createAndStart();
    const cases: Array<[string, number]> = [
      [`${BASE}/v2/auth/request-code?instance_id=ABCDEF123456&phone_number=201145202826`, 400],
      [`${BASE}/v2/auth/request-code?access_token=${t.adminKey}&phone_number=201145202826`, 400],
      [`${BASE}/v2/auth/request-code?${q}`, 400],
      [`${BASE}/v2/auth/request-code?access_token=wrong&instance_id=ABCDEF123456&phone_number=201145202826`, 401],
      [`${BASE}/v2/auth/request-code?access_token=${t.adminKey}&instance_id=NOPE00000000&phone_number=201145202826`, 404],
    ];
    for (const [url, status] of cases) {
      const res = await t.inject({ method: 'POST', url });
      expect(res.statusCode, url).toBe(status);
      expect(json(res)).toMatchObject({ error: expect.any(String), message: expect.any(String), statusCode: status });
    }
    expect(t.gw.core.sessions.get('ABCDEF123456').state).toBe('qr');
  });

  it('a key scoped to the instance works; a key of another instance is 401; creating needs the admin key', async () => {
    await createAndStart();
    const own = await t.gw.core.apiKeys.createSessionKey('ABCDEF123456');
    await t.gw.core.sessions.create({ sessionId: 'OTHER0000000' });
    const other = await t.gw.core.apiKeys.createSessionKey('OTHER0000000');
    expect((await t.inject({ method: 'GET', url: `${BASE}/v2/session/info?access_token=${own.key}&instance_id=ABCDEF123456` })).statusCode).toBe(200);
    expect((await t.inject({ method: 'GET', url: `${BASE}/v2/session/info?access_token=${other.key}&instance_id=ABCDEF123456` })).statusCode).toBe(401);
    // Only the admin key creates instances (the gateway's one rule: a known key that may not is 403).
    expect((await t.inject({ method: 'POST', url: `${BASE}/v2/session/create?access_token=${own.key}` })).statusCode).toBe(403);
  });

  it('session lifecycle: create (12-character id), start, info with statuses, stop, restart, logout, delete', async () => {
    const created = await t.inject({ method: 'POST', url: `${BASE}/v2/session/create?access_token=${t.adminKey}` });
    expect(created.statusCode).toBe(200);
    const body = created.json() as { instance_id: string; session_name: string; status: string };
    expect(body.instance_id).toMatch(/^[A-Z0-9]{12}$/);
    expect(body.status).toBe('STOPPED');
    const id = body.instance_id;
    const qs = `access_token=${t.adminKey}&instance_id=${id}`;
    // Created in Wawp, visible with the same state in the core / native API.
    expect(t.gw.core.sessions.get(id).state).toBe('created');

    const started = await t.inject({ method: 'GET', url: `${BASE}/v2/session/start?${qs}` });
    expect(['STARTING', 'SCAN_QR_CODE']).toContain(json(started).status);
    await t.waitState(id, 'qr');
    const info = await t.inject({ method: 'POST', url: `${BASE}/v2/session/info?${qs}` });
    expect(info.json()).toMatchObject({ instance_id: id, status: 'SCAN_QR_CODE', me: null, qr: expect.stringMatching(/^data:image\/png;base64,/) });

    const stopped = await t.inject({ method: 'POST', url: `${BASE}/v2/session/stop?${qs}` });
    expect(json(stopped).status).toBe('STOPPED');
    const restarted = await t.inject({ method: 'POST', url: `${BASE}/v2/session/restart?${qs}` });
    expect(restarted.statusCode).toBe(200);
    await t.waitState(id, 'qr');
    await t.gw.engine.last(id).link('201145202826');
    await t.waitState(id, 'connected');

    // Wawp's logout unlinks and keeps the instance alive for a new QR.
    const logout = await t.inject({ method: 'POST', url: `${BASE}/v2/session/logout?${qs}` });
    expect(logout.statusCode).toBe(200);
    expect(t.gw.core.sessions.get(id).paired).toBe(false);
    await t.waitState(id, 'qr');

    const deleted = await t.inject({ method: 'DELETE', url: `${BASE}/v2/session/delete?${qs}` });
    expect(deleted.statusCode).toBe(200);
    expect(t.gw.core.sessions.has(id)).toBe(false);
  });

  it('/v2/auth/qr gives the raw value; /v2/auth/qr-image a PNG (GET) or a data URL (POST)', async () => {
    await createAndStart();
    const raw = await t.inject({ method: 'GET', url: `${BASE}/v2/auth/qr?${q}` });
    expect(raw.statusCode).toBe(200);
    const rawBody = raw.json() as { mimetype: string; data: string; value: string };
    expect(rawBody.value).toMatch(/^2@/);
    expect(JSON.parse(Buffer.from(rawBody.data, 'base64').toString('utf8'))).toMatchObject({ value: rawBody.value, expiry: expect.any(Number) });

    const png = await t.inject({ method: 'GET', url: `${BASE}/v2/auth/qr-image?${q}` });
    expect(png.headers['content-type']).toBe('image/png');
    expect(png.rawPayload.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    const dataUrl = await t.inject({ method: 'POST', url: `${BASE}/v2/auth/qr-image?${q}` });
    expect(dataUrl.json()).toEqual({ qr: expect.stringMatching(/^data:image\/png;base64,/) });
  });
});
