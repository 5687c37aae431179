import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/core/errors.js';
import type { ApiPlugin } from '../../../src/api/types.js';
import { createNativeTestApp, type NativeTestApp } from './helpers.js';

let t: NativeTestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('/health and /ready', () => {
  it('tells a load balancer only status, version and sandbox without a key; the admin key adds uptime and sessions by state', async () => {
    t = await createNativeTestApp({ health: () => ({ engine: 'fake' }) });
    await t.call({ method: 'POST', url: '/api/v1/sessions', payload: { sessionId: 'a' } });
    await t.call({ method: 'POST', url: '/api/v1/sessions', payload: { sessionId: 'b' } });
    await t.call({ method: 'POST', url: '/api/v1/sessions/b/connect' });
    const open = await t.call({ method: 'GET', url: '/health', key: null });
    expect(open.statusCode).toBe(200);
    expect(open.headers['content-type']).toContain('application/json');
    expect(open.json()).toEqual({ status: 'ok', sandbox: true, version: expect.any(String) });

    const res = await t.call({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ status: 'ok', sandbox: true, version: expect.any(String), engine: 'fake' });
    expect(body.uptimeS).toBeGreaterThanOrEqual(0);
    expect(body.sessions.total).toBe(2);
    expect(body.sessions.created).toBe(1);
  });

  it('refuses the details to a wrong key (401) and to a session key (403)', async () => {
    t = await createNativeTestApp();
    await t.call({ method: 'POST', url: '/api/v1/sessions', payload: { sessionId: 'a' } });
    const scoped = (await t.call({ method: 'POST', url: '/api/v1/sessions/a/keys', payload: {} })).json().data.key as string;
    expect((await t.call({ method: 'GET', url: '/health', key: 'wg_wrong' })).statusCode).toBe(401);
    const forbidden = await t.call({ method: 'GET', url: '/health', key: scoped });
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.body).not.toContain('sessions');
  });

  it('answers /ready with 503 until ready() is true', async () => {
    let ready = false;
    t = await createNativeTestApp({ ready: () => ready });
    const before = await t.call({ method: 'GET', url: '/ready', key: null });
    expect(before.statusCode).toBe(503);
    expect(before.json()).toEqual({ ready: false });
    ready = true;
    const after = await t.call({ method: 'GET', url: '/ready', key: null });
    expect(after.statusCode).toBe(200);
    expect(after.json()).toEqual({ ready: true });
  });
});

describe('unknown routes', () => {
  it.each(['/nope', '/api/v1/nope', '/api/v2/sessions'])('%s → 404 NOT_FOUND in the error envelope', async (url) => {
    t = await createNativeTestApp();
    const res = await t.call({ method: 'GET', url });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: { code: 'NOT_FOUND', message: expect.stringContaining(url) } });
  });

  it('does not echo the query string in the 404 message', async () => {
    t = await createNativeTestApp();
    const res = await t.call({ method: 'GET', url: '/nope?token=secret' });
    expect(res.body).not.toContain('secret');
  });
});

describe('OpenAPI', () => {
  it('lists every native route with bearer security and serves Swagger UI at /docs', async () => {
    t = await createNativeTestApp();
    const res = await t.call({ method: 'GET', url: '/openapi.json', key: null });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    const routes = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    const expected = [
      'POST /api/v1/sessions',
      'GET /api/v1/sessions',
      'GET /api/v1/sessions/{sessionId}',
      'DELETE /api/v1/sessions/{sessionId}',
      'POST /api/v1/sessions/{sessionId}/connect',
      'GET /api/v1/sessions/{sessionId}/status',
      'GET /api/v1/sessions/{sessionId}/auth/qr',
      'POST /api/v1/sessions/{sessionId}/auth/pairing-code',
      'POST /api/v1/sessions/{sessionId}/disconnect',
      'POST /api/v1/sessions/{sessionId}/logout',
      'POST /api/v1/sessions/{sessionId}/keys',
      'GET /api/v1/sessions/{sessionId}/keys',
      'DELETE /api/v1/sessions/{sessionId}/keys/{keyId}',
      'GET /api/v1/sessions/{sessionId}/events/history',
      'GET /api/v1/sessions/{sessionId}/events',
      'GET /api/v1/events',
      'GET /health',
      'GET /ready',
    ];
    for (const route of expected) expect(routes).toContain(route);
    const create = doc.paths['/api/v1/sessions'].post;
    expect(create.security).toEqual(expect.arrayContaining([{ bearerAuth: [] }]));
    expect(create.description).toBeTruthy();
    expect(Object.keys(create.responses)).toEqual(expect.arrayContaining(['201', '400', '401', '409']));
    expect(doc.paths['/api/v1/sessions/{sessionId}/auth/pairing-code'].post.responses['429']).toBeDefined();
    expect(Object.keys(doc.paths['/api/v1/sessions/{sessionId}/auth/qr'].get.responses['200'].content)).toEqual([
      'application/json',
      'image/png',
      'image/svg+xml',
    ]);
    expect(Object.keys(doc.paths['/api/v1/events'].get.responses['200'].content)).toEqual(['text/event-stream']);

    const docs = await t.call({ method: 'GET', url: '/docs', key: null });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toContain('text/html');
    expect(docs.body).toContain('swagger');
  });
});

describe('API plugins', () => {
  it('mounts each plugin encapsulated, with the core, and keeps its own error envelope', async () => {
    const dialect: ApiPlugin = async (app, { core, config }) => {
      app.setErrorHandler((err, _request, reply) => {
        const code = err instanceof GatewayError ? err.code : 'X';
        return reply.status(418).send({ ok: false, reason: code });
      });
      app.get('/sessions', async () => ({ count: core.sessions.list().length, sandbox: config.sandbox.enabled }));
      app.get('/boom', async () => {
        throw new GatewayError('SESSION_NOT_FOUND');
      });
    };
    t = await createNativeTestApp({ plugins: [{ plugin: dialect, prefix: '/compat/test' }] });
    expect((await t.call({ method: 'GET', url: '/compat/test/sessions', key: null })).json()).toEqual({ count: 0, sandbox: true });
    const boom = await t.call({ method: 'GET', url: '/compat/test/boom', key: null });
    expect(boom.statusCode).toBe(418);
    expect(boom.json()).toEqual({ ok: false, reason: 'SESSION_NOT_FOUND' });
    // The native API keeps its envelope.
    const native = await t.call({ method: 'GET', url: '/api/v1/sessions/ghost' });
    expect(native.json().error.code).toBe('SESSION_NOT_FOUND');
  });
});

describe('logging', () => {
  it('never writes API keys to the log', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    t = await createNativeTestApp({ logger: pino({ level: 'trace' }, sink) });
    expect((await t.call({ method: 'POST', url: '/api/v1/sessions', payload: { sessionId: 's1' } })).statusCode).toBe(201);
    const key: string = (await t.call({ method: 'POST', url: '/api/v1/sessions/s1/keys', payload: {} })).json().data.key;
    await t.call({ method: 'GET', url: '/api/v1/sessions/s1', key });
    await t.call({ method: 'GET', url: '/api/v1/sessions', headers: { 'x-api-key': 'wg_not_a_real_key_123' }, key: null });
    await t.call({ method: 'GET', url: '/api/v1/sessions?x-api-key=wg_query_secret_456&access_token=tok_789' });
    const log = lines.join('');
    expect(log).toContain('incoming request');
    for (const secret of [t.adminKey, key, 'wg_not_a_real_key_123', 'wg_query_secret_456', 'tok_789']) {
      expect(log).not.toContain(secret);
    }
  });
});

describe('GET /', () => {
  it('redirects a browser to the dashboard and shows an API client the links', async () => {
    t = await createNativeTestApp();
    const browser = await t!.app.inject({ method: 'GET', url: '/', headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(browser.statusCode).toBe(302);
    expect(browser.headers.location).toBe('/dashboard');
    const api = await t!.app.inject({ method: 'GET', url: '/', headers: { accept: 'application/json' } });
    expect(api.statusCode).toBe(200);
    expect(api.json()).toMatchObject({ name: 'wagate', links: { dashboard: '/dashboard', docs: '/docs', health: '/health' } });
  });
});
