import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createNativeTestApp, type NativeTestApp } from './helpers.js';

let t: NativeTestApp;
beforeEach(async () => {
  t = await createNativeTestApp();
  for (const sessionId of ['mine', 'other']) {
    const res = await t.call({ method: 'POST', url: '/api/v1/sessions', payload: { sessionId } });
    expect(res.statusCode).toBe(201);
  }
});
afterEach(async () => {
  await t.close();
});

async function sessionKey(sessionId: string, label?: string): Promise<{ keyId: string; key: string }> {
  const res = await t.call({ method: 'POST', url: `/api/v1/sessions/${sessionId}/keys`, payload: label === undefined ? {} : { label } });
  expect(res.statusCode).toBe(201);
  return res.json().data;
}

describe('API key authentication', () => {
  it.each([
    ['no key', {}],
    ['a wrong bearer key', { authorization: 'Bearer wg_wrong' }],
    ['a wrong X-Api-Key', { 'x-api-key': 'wg_wrong' }],
    ['a non-bearer scheme', { authorization: 'Basic dXNlcjpwYXNz' }],
  ])('answers 401 UNAUTHORIZED for %s', async (_name, headers) => {
    const res = await t.call({ method: 'GET', url: '/api/v1/sessions', headers, key: null });
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toContain('application/json');
    expect(res.json().error.code).toBe('UNAUTHORIZED');
  });

  it('checks the key before reading the body: an unauthenticated bad request is 401 and changes nothing', async () => {
    const res = await t.call({ method: 'POST', url: '/api/v1/sessions', payload: { sessionId: 'x', bogus: 1 }, key: null });
    expect(res.statusCode).toBe(401);
    const del = await t.call({ method: 'DELETE', url: '/api/v1/sessions/mine', key: 'wg_wrong' });
    expect(del.statusCode).toBe(401);
    expect((await t.call({ method: 'GET', url: '/api/v1/sessions/mine' })).statusCode).toBe(200);
  });

  it('accepts the admin key as Bearer or X-Api-Key', async () => {
    expect((await t.call({ method: 'GET', url: '/api/v1/sessions' })).statusCode).toBe(200);
    const viaHeader = await t.call({ method: 'GET', url: '/api/v1/sessions', headers: { 'x-api-key': t.adminKey }, key: null });
    expect(viaHeader.statusCode).toBe(200);
    expect(viaHeader.json().data).toHaveLength(2);
  });
});

describe('session-scoped keys', () => {
  it('creates a key shown once, lists it without key material, and revokes it', async () => {
    const created = await t.call({ method: 'POST', url: '/api/v1/sessions/mine/keys', payload: { label: 'crm' } });
    expect(created.statusCode).toBe(201);
    const data = created.json().data;
    expect(data).toEqual({ keyId: expect.any(String), key: expect.stringMatching(/^wgs_/), sessionId: 'mine', label: 'crm', createdAt: expect.any(String) });

    const list = await t.call({ method: 'GET', url: '/api/v1/sessions/mine/keys' });
    expect(list.statusCode).toBe(200);
    expect(list.json().data).toEqual([
      { keyId: data.keyId, sessionId: 'mine', label: 'crm', createdAt: data.createdAt, lastUsedAt: null },
    ]);
    expect(list.body).not.toContain(data.key);
    expect((await t.call({ method: 'GET', url: '/api/v1/sessions/other/keys' })).json().data).toEqual([]);

    const revoke = await t.call({ method: 'DELETE', url: `/api/v1/sessions/mine/keys/${data.keyId}` });
    expect(revoke.statusCode).toBe(200);
    expect(revoke.json()).toEqual({ data: { keyId: data.keyId, deleted: true } });
    const afterRevoke = await t.call({ method: 'GET', url: '/api/v1/sessions/mine', key: data.key });
    expect(afterRevoke.statusCode).toBe(401);
  });

  it('revoking an unknown key, or another session\'s key, is 404 KEY_NOT_FOUND and changes nothing', async () => {
    const other = await sessionKey('other');
    const res = await t.call({ method: 'DELETE', url: `/api/v1/sessions/mine/keys/${other.keyId}` });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('KEY_NOT_FOUND');
    expect((await t.call({ method: 'GET', url: '/api/v1/sessions/other', key: other.key })).statusCode).toBe(200);
    const missing = await t.call({ method: 'DELETE', url: '/api/v1/sessions/mine/keys/key_nope' });
    expect(missing.statusCode).toBe(404);
  });

  it('rejects an unknown field in the key request', async () => {
    const res = await t.call({ method: 'POST', url: '/api/v1/sessions/mine/keys', payload: { label: 'x', scope: 'all' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION_FAILED');
    expect((await t.call({ method: 'GET', url: '/api/v1/sessions/mine/keys' })).json().data).toEqual([]);
  });

  it('may act on its own session', async () => {
    const { key } = await sessionKey('mine');
    for (const [method, url] of [
      ['GET', '/api/v1/sessions/mine'],
      ['GET', '/api/v1/sessions/mine/status'],
      ['GET', '/api/v1/sessions/mine/keys'],
      ['GET', '/api/v1/sessions/mine/events/history'],
    ] as const) {
      const res = await t.call({ method, url, key });
      expect(res.statusCode, url).toBe(200);
    }
    const connect = await t.call({ method: 'POST', url: '/api/v1/sessions/mine/connect', key });
    expect(connect.statusCode).toBe(202);
  });

  it.each([
    ['GET', '/api/v1/sessions/other'],
    ['DELETE', '/api/v1/sessions/other'],
    ['POST', '/api/v1/sessions/other/connect'],
    ['GET', '/api/v1/sessions/other/auth/qr'],
    ['POST', '/api/v1/sessions/other/keys'],
    ['GET', '/api/v1/sessions/ghost'],
    ['GET', '/api/v1/sessions'],
    ['POST', '/api/v1/sessions'],
    ['GET', '/api/v1/events'],
  ] as const)('is refused with 403 FORBIDDEN on %s %s', async (method, url) => {
    const { key } = await sessionKey('mine');
    const res = await t.call({ method, url, key, ...(method === 'POST' ? { payload: {} } : {}) });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('FORBIDDEN');
    // Nothing happened to the other session.
    const other = await t.call({ method: 'GET', url: '/api/v1/sessions/other' });
    expect(other.json().data).toMatchObject({ state: 'created' });
    expect((await t.call({ method: 'GET', url: '/api/v1/sessions/other/keys' })).json().data).toEqual([]);
  });

  it('cannot mint or revoke keys, nor delete its own session: those need the admin key', async () => {
    const { key, keyId } = await sessionKey('mine');
    for (const [method, url] of [
      ['POST', '/api/v1/sessions/mine/keys'],
      ['DELETE', `/api/v1/sessions/mine/keys/${keyId}`],
      ['DELETE', '/api/v1/sessions/mine'],
    ] as const) {
      const res = await t.call({ method, url, key, ...(method === 'POST' ? { payload: {} } : {}) });
      expect(res.statusCode, `${method} ${url}`).toBe(403);
      expect(res.json().error.code).toBe('FORBIDDEN');
    }
    expect((await t.call({ method: 'GET', url: '/api/v1/sessions/mine/keys' })).json().data).toHaveLength(1);
    expect((await t.call({ method: 'GET', url: '/api/v1/sessions/mine' })).statusCode).toBe(200);
  });

  it('stops working when its session is deleted', async () => {
    const { key } = await sessionKey('mine');
    expect((await t.call({ method: 'DELETE', url: '/api/v1/sessions/mine' })).statusCode).toBe(200);
    const res = await t.call({ method: 'GET', url: '/api/v1/sessions/mine', key });
    expect(res.statusCode).toBe(401);
  });
});
