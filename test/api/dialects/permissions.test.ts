/**
 * One permission rule on every surface: a session-scoped key may not delete
 * its own session through a dialect any more than through the native API.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDialectTestApp, type DialectTestApp } from './helpers.js';

describe('a session key may not delete its session through any surface', () => {
  let t: DialectTestApp;
  let sessionKey: string;
  beforeEach(async () => {
    t = await createDialectTestApp();
    await t.gw.core.sessions.create({ sessionId: 'main' });
    sessionKey = (await t.gw.core.apiKeys.createSessionKey('main')).key;
  });
  afterEach(async () => t.close());

  it('native: DELETE /api/v1/sessions/main → 403 FORBIDDEN', async () => {
    const res = await t.inject({ method: 'DELETE', url: '/api/v1/sessions/main', headers: { authorization: `Bearer ${sessionKey}` } });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ error: { code: 'FORBIDDEN', message: 'This action needs the admin key', details: expect.any(Object) } });
    expect(t.gw.core.sessions.has('main')).toBe(true);
  });

  it('WAHA: DELETE /compat/waha/api/sessions/main → 403 in WAHA\'s envelope; the session stays', async () => {
    const res = await t.inject({ method: 'DELETE', url: '/compat/waha/api/sessions/main', headers: { 'x-api-key': sessionKey } });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ message: 'This action needs the admin key', error: 'Forbidden', statusCode: 403 });
    expect(t.gw.core.sessions.has('main')).toBe(true);
    // The same key still uses its own session.
    expect((await t.inject({ method: 'GET', url: '/compat/waha/api/sessions/main', headers: { 'x-api-key': sessionKey } })).statusCode).toBe(200);
  });

  it('Wawp: POST /compat/wawp/v2/session/delete → 403 in Wawp\'s envelope; the session stays', async () => {
    const res = await t.inject({
      method: 'POST',
      url: '/compat/wawp/v2/session/delete',
      payload: { access_token: sessionKey, instance_id: 'main' },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ error: 'forbidden', message: 'This action needs the admin key', statusCode: 403 });
    expect(t.gw.core.sessions.has('main')).toBe(true);
    expect(
      (await t.inject({ method: 'GET', url: `/compat/wawp/v2/session/info?access_token=${sessionKey}&instance_id=main` })).statusCode,
    ).toBe(200);
  });

  it('the admin key still deletes through each dialect', async () => {
    const waha = await t.inject({ method: 'DELETE', url: '/compat/waha/api/sessions/main', headers: { 'x-api-key': t.adminKey } });
    expect(waha.statusCode).toBe(200);
    expect(t.gw.core.sessions.has('main')).toBe(false);
    await t.gw.core.sessions.create({ sessionId: 'main' });
    const wawp = await t.inject({ method: 'POST', url: '/compat/wawp/v2/session/delete', payload: { access_token: t.adminKey, instance_id: 'main' } });
    expect(wawp.statusCode).toBe(200);
    expect(t.gw.core.sessions.has('main')).toBe(false);
  });
});
