/** Seed 001 (single-session bridge): every documented call, replayed. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDialectTestApp, json, type DialectTestApp } from './helpers.js';

const BASE = '/compat/bridge';

describe('bridge dialect (seed 001)', () => {
  let t: DialectTestApp;
  let admin: Record<string, string>;
  beforeEach(async () => {
    t = await createDialectTestApp();
    admin = { 'x-admin-token': t.adminKey };
  });
  afterEach(async () => t.close());

  it('GET /session/status needs no token and answers {"connected": false} before linking', async () => {
    const res = await t.inject({ method: 'GET', url: `${BASE}/session/status` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ connected: false });
  });

  it('refuses a bad pairing number and an early groups call without creating the bridge session', async () => {
    const bad = await t.inject({ method: 'POST', url: `${BASE}/session/pairing-code`, headers: admin, payload: { number: '12' } });
    expect(bad.statusCode).toBe(400);
    expect(Object.keys(json(bad))).toEqual(['error']);
    const groups = await t.inject({ method: 'GET', url: `${BASE}/session/groups`, headers: admin });
    expect(groups.statusCode).toBe(422);
    expect(t.gw.core.sessions.has('default')).toBe(false);
  });

  it('GET /session/qr starts the session on first use and returns the QR string', async () => {
    const res = await t.inject({ method: 'GET', url: `${BASE}/session/qr`, headers: admin });
    expect(res.statusCode).toBe(200);
    expect(Object.keys(json(res))).toEqual(['qr']);
    expect(json(res).qr).toMatch(/^2@/);
    expect(t.gw.core.sessions.get('default').state).toBe('qr');
  });

  it('accepts x-admin-token, x-api-key, ?apiKey= and a key scoped to the bridge session', async () => {
    for (const headers of [{ 'x-admin-token': t.adminKey }, { 'x-api-key': t.adminKey }]) {
      expect((await t.inject({ method: 'GET', url: `${BASE}/session/qr`, headers })).statusCode).toBe(200);
    }
    expect((await t.inject({ method: 'GET', url: `${BASE}/session/qr?apiKey=${t.adminKey}` })).statusCode).toBe(200);
    const scoped = await t.gw.core.apiKeys.createSessionKey('default');
    expect((await t.inject({ method: 'GET', url: `${BASE}/session/qr`, headers: { 'x-admin-token': scoped.key } })).statusCode).toBe(200);
  });

  it('rejects a missing or wrong token with 401 {"error"} and a key of another session with 403, changing nothing', async () => {
    for (const headers of [{}, { 'x-admin-token': 'wrong' }]) {
      const res = await t.inject({ method: 'GET', url: `${BASE}/session/qr`, headers });
      expect(res.statusCode).toBe(401);
      expect(typeof json(res).error).toBe('string');
    }
    await t.gw.core.sessions.create({ sessionId: 'other' });
    const otherKey = await t.gw.core.apiKeys.createSessionKey('other');
    const res = await t.inject({ method: 'POST', url: `${BASE}/session/logout`, headers: { 'x-admin-token': otherKey.key } });
    expect(res.statusCode).toBe(403);
    expect(typeof json(res).error).toBe('string');
    expect(t.gw.core.sessions.has('default')).toBe(false);
  });

  it('POST /session/pairing-code {"number"} returns an 8-character code without dash; entering it links the session', async () => {
    const res = await t.inject({ method: 'POST', url: `${BASE}/session/pairing-code`, headers: admin, payload: { number: '910000000000' } });
    expect(res.statusCode).toBe(200);
    expect(Object.keys(json(res))).toEqual(['code']);
    const code = json(res).code as string;
    expect(code).toMatch(/^[A-Z0-9]{8}$/);
    expect(await t.gw.engine.last('default').enterCode(code)).toBe(true);
    await t.waitState('default', 'connected');
    const status = await t.inject({ method: 'GET', url: `${BASE}/session/status` });
    expect(status.json()).toEqual({ connected: true });
    // One truth: the native API sees the same linked session.
    const native = await t.inject({ method: 'GET', url: '/api/v1/sessions/default', headers: { authorization: `Bearer ${t.adminKey}` } });
    expect(native.statusCode).toBe(200);
    expect((native.json() as { data: { state: string; paired: boolean } }).data).toMatchObject({ state: 'connected', paired: true });
  });

  it('normalises a number with + and spaces, and answers bad numbers with 400 {"error"}', async () => {
    const ok = await t.inject({ method: 'POST', url: `${BASE}/session/pairing-code`, headers: admin, payload: { number: '+91 00000 00000' } });
    expect(ok.statusCode).toBe(200);
    expect(t.gw.engine.last('default').pendingCode?.phone).toBe('910000000000');
    for (const payload of [{}, { number: 'call me' }]) {
      const res = await t.inject({ method: 'POST', url: `${BASE}/session/pairing-code`, headers: admin, payload });
      expect(res.statusCode).toBe(400);
      expect(typeof json(res).error).toBe('string');
    }
  });

  it('GET /session/qr answers 404 {"error"} once linked', async () => {
    await t.inject({ method: 'GET', url: `${BASE}/session/qr`, headers: admin });
    await t.gw.engine.last('default').link();
    await t.waitState('default', 'connected');
    const res = await t.inject({ method: 'GET', url: `${BASE}/session/qr`, headers: admin });
    expect(res.statusCode).toBe(404);
    expect(typeof json(res).error).toBe('string');
  });

  it('GET /session/groups lists groups with a participant count', async () => {
    await t.inject({ method: 'GET', url: `${BASE}/session/qr`, headers: admin });
    const connection = t.gw.engine.last('default');
    connection.groupList = [{ id: '120363000000000001@g.us', subject: 'Home', participants: 5 }];
    await connection.link();
    await t.waitState('default', 'connected');
    const res = await t.inject({ method: 'GET', url: `${BASE}/session/groups`, headers: admin });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual([{ id: '120363000000000001@g.us', subject: 'Home', participants: 5 }]);
  });

  it('GET /session/groups before linking is a clear error, not a crash', async () => {
    const res = await t.inject({ method: 'GET', url: `${BASE}/session/groups`, headers: admin });
    expect(res.statusCode).toBe(422);
    expect(typeof json(res).error).toBe('string');
  });

  it('POST /session/logout clears the session and wipes the credentials', async () => {
    await t.inject({ method: 'GET', url: `${BASE}/session/qr`, headers: admin });
    await t.gw.engine.last('default').link();
    await t.waitState('default', 'connected');
    const res = await t.inject({ method: 'POST', url: `${BASE}/session/logout`, headers: admin });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'success', message: 'Session cleared.' });
    const view = t.gw.core.sessions.get('default');
    expect(view).toMatchObject({ state: 'logged_out', paired: false });
    expect(await t.gw.store.auth.forSession('default').readCreds()).toBeNull();
    // Logging out an idle bridge is the same success.
    const again = await t.inject({ method: 'POST', url: `${BASE}/session/logout`, headers: admin });
    expect(again.json()).toEqual({ status: 'success', message: 'Session cleared.' });
  });

  it('serves the session named by WAGATE_BRIDGE_SESSION', async () => {
    await t.close();
    t = await createDialectTestApp({ WAGATE_BRIDGE_SESSION: 'bridge-main' });
    const res = await t.inject({ method: 'GET', url: `${BASE}/session/qr`, headers: { 'x-admin-token': t.adminKey } });
    expect(res.statusCode).toBe(200);
    expect(t.gw.core.sessions.has('bridge-main')).toBe(true);
    expect(t.gw.core.sessions.has('default')).toBe(false);
  });

  it('unknown routes answer 404 in the bridge envelope', async () => {
    const res = await t.inject({ method: 'GET', url: `${BASE}/session/nothing`, headers: admin });
    expect(res.statusCode).toBe(404);
    expect(typeof json(res).error).toBe('string');
  });
});
