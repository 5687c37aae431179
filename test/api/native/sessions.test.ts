import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually } from '../../support/harness.js';
import { createNativeTestApp, type NativeTestApp } from './helpers.js';

let t: NativeTestApp;
beforeEach(async () => {
  t = await createNativeTestApp();
});
afterEach(async () => {
  await t.close();
});

async function create(body: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const res = await t.call({ method: 'POST', url: '/api/v1/sessions', payload: body });
  expect(res.statusCode).toBe(201);
  return res.json().data;
}

async function listIds(): Promise<string[]> {
  const res = await t.call({ method: 'GET', url: '/api/v1/sessions' });
  return (res.json().data as Array<{ sessionId: string }>).map((s) => s.sessionId);
}

async function state(id: string): Promise<string> {
  return (await t.call({ method: 'GET', url: `/api/v1/sessions/${id}` })).json().data.state;
}

describe('POST /api/v1/sessions', () => {
  it('creates a session with seed 000 fields and a generated UUIDv7 id', async () => {
    const res = await t.call({
      method: 'POST',
      url: '/api/v1/sessions',
      payload: { displayName: 'Support line', deviceBrowser: 'Chrome' },
    });
    expect(res.statusCode).toBe(201);
    const data = res.json().data;
    expect(data.sessionId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(data).toMatchObject({
      displayName: 'Support line',
      deviceBrowser: 'Chrome',
      status: 'created',
      state: 'created',
      paired: false,
      active: false,
      connected: false,
      connectionState: 'created',
      me: null,
      qrAvailable: false,
      lastDisconnect: null,
      connectedAt: null,
    });
  });

  it('accepts an empty request (no body, or an empty JSON body)', async () => {
    const none = await t.call({ method: 'POST', url: '/api/v1/sessions' });
    expect(none.statusCode).toBe(201);
    const empty = await t.call({ method: 'POST', url: '/api/v1/sessions', headers: { 'content-type': 'application/json' }, payload: '' });
    expect(empty.statusCode).toBe(201);
    expect(await listIds()).toHaveLength(2);
  });

  it('takes a chosen id, also as the `id` and `name` aliases', async () => {
    expect(await create({ sessionId: 'support', displayName: 'A' })).toMatchObject({ sessionId: 'support', displayName: 'A' });
    expect(await create({ id: 'sales', name: 'Sales' })).toMatchObject({ sessionId: 'sales', displayName: 'Sales' });
  });

  it('refuses an id that is taken with 409 SESSION_EXISTS', async () => {
    await create({ sessionId: 'dup', displayName: 'first' });
    const res = await t.call({ method: 'POST', url: '/api/v1/sessions', payload: { sessionId: 'dup', displayName: 'second' } });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('SESSION_EXISTS');
    expect((await t.call({ method: 'GET', url: '/api/v1/sessions/dup' })).json().data.displayName).toBe('first');
  });

  it.each([
    [{ sessionId: 'has space' }, 'INVALID_SESSION_ID'],
    [{ sessionId: 'x'.repeat(65) }, 'INVALID_SESSION_ID'],
    [{ sessionId: '' }, 'INVALID_SESSION_ID'],
    [{ sessionId: 42 }, 'VALIDATION_FAILED'],
    [{ displayName: 'ok', color: 'red' }, 'VALIDATION_FAILED'],
    [{ deviceBrowser: '' }, 'VALIDATION_FAILED'],
    [{ sessionId: 'a', id: 'b' }, 'VALIDATION_FAILED'],
    [[1, 2], 'VALIDATION_FAILED'],
  ])('rejects %j with 400 %s and creates nothing', async (payload, code) => {
    const res = await t.call({ method: 'POST', url: '/api/v1/sessions', payload: payload as object });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe(code);
    expect(await listIds()).toEqual([]);
  });

  it('names the offending field', async () => {
    const unknown = await t.call({ method: 'POST', url: '/api/v1/sessions', payload: { color: 'red' } });
    expect(unknown.json().error.details.field).toBe('body.color');
    const wrongType = await t.call({ method: 'POST', url: '/api/v1/sessions', payload: { displayName: 7 } });
    expect(wrongType.json().error.details.field).toBe('body.displayName');
    expect(wrongType.json().error.message).toContain('body.displayName');
  });

  it('answers 400 INVALID_JSON for a malformed body', async () => {
    const res = await t.call({
      method: 'POST',
      url: '/api/v1/sessions',
      headers: { 'content-type': 'application/json' },
      payload: '{"sessionId": "a",',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: { code: 'INVALID_JSON', message: expect.any(String) } });
    expect(await listIds()).toEqual([]);
  });

  it('answers 415 for a body that is not JSON', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const res = await t.call({ method: 'POST', url: '/api/v1/sessions', headers: { 'content-type': type }, payload: 'sessionId=a' });
      expect(res.statusCode).toBe(415);
      expect(res.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    }
    expect(await listIds()).toEqual([]);
  });

  it('answers 413 for a body over 64 KiB', async () => {
    const res = await t.call({
      method: 'POST',
      url: '/api/v1/sessions',
      payload: { displayName: 'x'.repeat(70 * 1024) },
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(await listIds()).toEqual([]);
  });
});

describe('reading and deleting sessions', () => {
  it('lists, gets and deletes', async () => {
    await create({ sessionId: 'a' });
    await create({ sessionId: 'b' });
    expect((await listIds()).sort()).toEqual(['a', 'b']);

    const got = await t.call({ method: 'GET', url: '/api/v1/sessions/a' });
    expect(got.statusCode).toBe(200);
    expect(got.json().data.sessionId).toBe('a');

    const del = await t.call({ method: 'DELETE', url: '/api/v1/sessions/a' });
    expect(del.statusCode).toBe(200);
    expect(del.json()).toEqual({ data: { sessionId: 'a', deleted: true } });
    expect(await listIds()).toEqual(['b']);
    expect((await t.call({ method: 'GET', url: '/api/v1/sessions/a' })).statusCode).toBe(404);
  });

  it.each([
    ['GET', ''],
    ['DELETE', ''],
    ['GET', '/status'],
    ['POST', '/connect'],
    ['POST', '/disconnect'],
    ['POST', '/logout'],
    ['GET', '/auth/qr'],
    ['GET', '/keys'],
    ['POST', '/keys'],
    ['GET', '/events/history'],
  ] as const)('%s /sessions/{unknown}%s → 404 SESSION_NOT_FOUND', async (method, suffix) => {
    const res = await t.call({ method, url: `/api/v1/sessions/ghost${suffix}` });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toMatchObject({ code: 'SESSION_NOT_FOUND', details: { sessionId: 'ghost' } });
  });

  it.each(['bad.id', 'x'.repeat(65), 'a%20b', '%C3%A9'])('a malformed id in the path (%s) → 400 INVALID_SESSION_ID', async (id) => {
    const res = await t.call({ method: 'GET', url: `/api/v1/sessions/${id}/status` });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('INVALID_SESSION_ID');
  });
});

describe('logout of a never-linked session', () => {
  it('answers 200 with the session unchanged and records nothing', async () => {
    await t.call({ method: 'POST', url: '/api/v1/sessions', payload: { sessionId: 'fresh' } });
    const res = await t.call({ method: 'POST', url: '/api/v1/sessions/fresh/logout' });
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toMatchObject({ sessionId: 'fresh', state: 'created', paired: false });
    const history = await t.call({ method: 'GET', url: '/api/v1/sessions/fresh/events/history' });
    expect(history.json().data.map((e: { type: string }) => e.type)).toEqual(['session.created']);
  });
});

describe('connect, status, disconnect, logout', () => {
  it('walks a session through pairing, reconnect and logout', async () => {
    await create({ sessionId: 's1' });

    const connect = await t.call({ method: 'POST', url: '/api/v1/sessions/s1/connect' });
    expect(connect.statusCode).toBe(202);
    expect(connect.json().data).toMatchObject({ sessionId: 's1', active: true, connectionState: 'connecting' });
    await eventually(async () => expect(await state('s1')).toBe('qr'));

    // Connect again while linking: same answer, nothing restarts.
    const again = await t.call({ method: 'POST', url: '/api/v1/sessions/s1/connect' });
    expect(again.statusCode).toBe(202);
    expect(t.gw.engine.connections).toHaveLength(1);

    await t.gw.engine.last('s1').link('15551234567');
    await eventually(async () => expect(await state('s1')).toBe('connected'));

    const status = await t.call({ method: 'GET', url: '/api/v1/sessions/s1/status' });
    expect(status.statusCode).toBe(200);
    expect(status.json()).toEqual({
      data: {
        sessionId: 's1',
        paired: true,
        active: true,
        connected: true,
        connectionState: 'connected',
        state: 'connected',
        status: 'connected',
        me: { jid: '15551234567:3@s.whatsapp.net', lid: expect.any(String), phoneNumber: '15551234567', name: 'Sandbox Phone' },
        qrAvailable: false,
        lastDisconnect: null,
      },
    });

    const disconnect = await t.call({ method: 'POST', url: '/api/v1/sessions/s1/disconnect' });
    expect(disconnect.statusCode).toBe(200);
    expect(disconnect.json().data).toMatchObject({ paired: true, active: false, connected: false, connectionState: 'inactive' });

    const reconnect = await t.call({ method: 'POST', url: '/api/v1/sessions/s1/connect' });
    expect(reconnect.statusCode).toBe(202);
    await eventually(async () => expect(await state('s1')).toBe('connected'));

    const logout = await t.call({ method: 'POST', url: '/api/v1/sessions/s1/logout' });
    expect(logout.statusCode).toBe(200);
    expect(logout.json().data).toMatchObject({ paired: false, connected: false, state: 'logged_out', me: null });
    // `status` is WADial's lifetime marker, not the state: it stays `connected` once the session has connected.
    expect(logout.json().data.status).toBe('connected');
  });

  it('`status` is a lifetime marker: `created` until a first connection, whatever the state; the OpenAPI document says so', async () => {
    await create({ sessionId: 's1' });
    await t.call({ method: 'POST', url: '/api/v1/sessions/s1/connect' });
    await eventually(async () => expect(await state('s1')).toBe('qr'));
    const linking = (await t.call({ method: 'GET', url: '/api/v1/sessions/s1/status' })).json().data;
    expect([linking.state, linking.status]).toEqual(['qr', 'created']);
    await t.call({ method: 'POST', url: '/api/v1/sessions/s1/disconnect' });
    expect((await t.call({ method: 'GET', url: '/api/v1/sessions/s1' })).json().data).toMatchObject({ state: 'created', status: 'created' });

    const doc = (await t.call({ method: 'GET', url: '/openapi.json' })).json();
    const described = JSON.stringify(doc);
    expect(described).toContain('Lifetime marker');
    expect(described).toContain('It is not the current state');
  });

  it('accepts connect with an empty JSON body and a JSON content type (curl -X POST -H …)', async () => {
    await create({ sessionId: 's1' });
    const res = await t.call({
      method: 'POST',
      url: '/api/v1/sessions/s1/connect',
      headers: { 'content-type': 'application/json' },
      payload: '',
    });
    expect(res.statusCode).toBe(202);
  });
});

describe('GET /api/v1/sessions/{id}/events/history', () => {
  it('returns persisted state changes, newest last, limited', async () => {
    await create({ sessionId: 's1' });
    await t.call({ method: 'POST', url: '/api/v1/sessions/s1/connect' });
    await eventually(async () => expect(await state('s1')).toBe('qr'));
    await t.gw.core.events.flush();

    const all = await t.call({ method: 'GET', url: '/api/v1/sessions/s1/events/history' });
    expect(all.statusCode).toBe(200);
    const events = all.json().data as Array<{ type: string; sessionId: string }>;
    expect(events[0]!.type).toBe('session.created');
    expect(events.map((e) => e.type)).toContain('connection.state');
    expect(events.every((e) => e.sessionId === 's1')).toBe(true);
    expect(events.map((e) => e.type)).not.toContain('auth.qr');

    const last = await t.call({ method: 'GET', url: '/api/v1/sessions/s1/events/history?limit=1' });
    expect(last.json().data).toEqual([events[events.length - 1]]);
  });

  it.each(['0', '1001', 'abc'])('rejects limit=%s with 400 VALIDATION_FAILED', async (limit) => {
    await create({ sessionId: 's1' });
    const res = await t.call({ method: 'GET', url: `/api/v1/sessions/s1/events/history?limit=${limit}` });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'query.limit' } });
  });
});
