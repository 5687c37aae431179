/**
 * The caps of src/api/http/limits.ts and the session cap, each set small:
 * an over-cap client gets 429/503 in its surface's envelope, with a message
 * naming the setting that raises the cap, and nothing changes.
 */
import http from 'node:http';
import net from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { dashboardPlugin } from '../../../src/api/dashboard/index.js';
import { buildApp } from '../../../src/app.js';
import { loadConfig } from '../../../src/config.js';
import { createTestGateway, silentLogger, type TestGateway } from '../../support/harness.js';
import { signIn } from '../../dashboard/dashboardHarness.js';

interface Started {
  app: FastifyInstance;
  gw: TestGateway;
  base: string;
  port: number;
}

const open: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of open.splice(0).reverse()) await close();
});

async function start(env: Record<string, string>, maxSessions?: number): Promise<Started> {
  const gw = await createTestGateway({ maxSessions });
  const config = loadConfig({ DATA_DIR: gw.dataDir, ...env }, []);
  const app = await buildApp({
    core: gw.core,
    config,
    logger: silentLogger,
    sseHeartbeatMs: 200,
    plugins: [{ plugin: dashboardPlugin, prefix: '/dashboard' }],
  });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  open.push(async () => {
    await app.close();
    await gw.close();
  });
  return { app, gw, base, port: Number(new URL(base).port) };
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Ends the stream (for 200 event streams). */
  close: () => void;
}

/** GET from a chosen loopback source address; resolves at the response head (streams stay open). */
function get(port: number, path: string, headers: Record<string, string>, localAddress = '127.0.0.1'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers, localAddress, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      const answer: Answer = { status: res.statusCode ?? 0, headers: res.headers, body: '', close: () => req.destroy() };
      if (res.statusCode === 200 && String(res.headers['content-type']).startsWith('text/event-stream')) {
        open.push(async () => {
          req.destroy();
        });
        resolve(answer);
        return;
      }
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ ...answer, body }));
    });
    req.on('error', reject);
  });
}

const auth = (gw: TestGateway): Record<string, string> => ({ authorization: `Bearer ${gw.adminKey}` });

/** Raw socket: write `chunks` with `gapMs` between them; resolve with all the server said when it closes. */
function rawExchange(port: number, chunks: string[], gapMs: number, localAddress = '127.0.0.1'): Promise<{ text: string; ms: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = net.connect({ host: '127.0.0.1', port, localAddress });
    let text = '';
    let i = 0;
    const timer = setInterval(() => {
      if (i < chunks.length && !socket.destroyed) socket.write(chunks[i++]!);
    }, gapMs);
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => (text += c));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ text, ms: Date.now() - started });
    });
    open.push(async () => {
      clearInterval(timer);
      socket.destroy();
    });
  });
}

function jsonOf(raw: string): { error: { code: string; message: string } } {
  return JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as { error: { code: string; message: string } };
}

describe('session cap', () => {
  it('refuses a create over WAGATE_MAX_SESSIONS with 429 naming the setting, and changes nothing', async () => {
    const { app, gw } = await start({}, 2);
    const create = (sessionId: string) =>
      app.inject({ method: 'POST', url: '/api/v1/sessions', headers: auth(gw), payload: { sessionId } });
    expect((await create('a')).statusCode).toBe(201);
    expect((await create('b')).statusCode).toBe(201);
    const over = await create('c');
    expect(over.statusCode).toBe(429);
    expect(over.json().error.code).toBe('SESSION_LIMIT_REACHED');
    expect(over.json().error.message).toContain('WAGATE_MAX_SESSIONS');
    expect(gw.core.sessions.list().map((s) => s.sessionId).sort()).toEqual(['a', 'b']);
    expect(await gw.store.sessions.get('c')).toBeUndefined();
    // Room again after a delete.
    expect((await app.inject({ method: 'DELETE', url: '/api/v1/sessions/a', headers: auth(gw) })).statusCode).toBeLessThan(300);
    expect((await create('c')).statusCode).toBe(201);
  });

  it('does not overshoot under concurrent creates', async () => {
    const { gw } = await start({}, 3);
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => gw.core.sessions.create({ sessionId: `s${i}` })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    expect(gw.core.sessions.list()).toHaveLength(3);
  });
});

describe('event stream caps', () => {
  const env = { WAGATE_MAX_SSE_STREAMS: '3', WAGATE_MAX_SSE_STREAMS_PER_ADDRESS: '2' };

  it('caps streams per address (429) and in all (503), native and dashboard, and frees a slot on close', async () => {
    const { app, gw, port } = await start(env);
    await gw.core.sessions.create({ sessionId: 's1' });
    const first = await get(port, '/api/v1/events', auth(gw));
    const second = await get(port, '/api/v1/sessions/s1/events', auth(gw));
    expect([first.status, second.status]).toEqual([200, 200]);

    const perAddress = await get(port, '/api/v1/events', auth(gw));
    expect(perAddress.status).toBe(429);
    expect(perAddress.headers['retry-after']).toBeDefined();
    expect(JSON.parse(perAddress.body).error.code).toBe('TOO_MANY_STREAMS');
    expect(JSON.parse(perAddress.body).error.message).toContain('WAGATE_MAX_SSE_STREAMS_PER_ADDRESS');

    // A third stream from another address fits the total of 3; a fourth does not.
    expect((await get(port, '/api/v1/events', auth(gw), '127.0.0.2')).status).toBe(200);
    const user = await signIn(app, gw.adminKey);
    const total = await get(port, '/dashboard/api/events', { cookie: user.cookie }, '127.0.0.3');
    expect(total.status).toBe(503);
    expect(JSON.parse(total.body).error.code).toBe('STREAM_LIMIT_REACHED');
    expect(JSON.parse(total.body).error.message).toContain('WAGATE_MAX_SSE_STREAMS');

    first.close();
    await expect
      .poll(async () => (await get(port, '/dashboard/api/events', { cookie: user.cookie }, '127.0.0.3')).status, { timeout: 3_000 })
      .toBe(200);
  });

  it('keeps a stream open past the request timeout (it bounds receiving the request only)', async () => {
    const { gw, port } = await start({ WAGATE_HEADERS_TIMEOUT_MS: '300', WAGATE_REQUEST_TIMEOUT_MS: '600' });
    const stream = await get(port, '/api/v1/events', auth(gw));
    expect(stream.status).toBe(200);
    await new Promise((r) => setTimeout(r, 2_000));
    const later = await get(port, '/api/v1/sessions', auth(gw));
    expect(later.status).toBe(200);
    // Still open: a create now arrives on it.
    const raw = await new Promise<string>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/api/v1/events', headers: auth(gw), agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
          if (text.includes('session.created')) {
            req.destroy();
            resolve(text);
          }
        });
        setTimeout(() => void gw.core.sessions.create({ sessionId: 'late' }), 1_500);
      });
      req.on('error', () => undefined);
    });
    expect(raw).toContain('"sessionId":"late"');
  });
});

describe('connection cap per address', () => {
  it('answers a connection over the cap with a raw 429 in the native envelope; other addresses still connect', async () => {
    const { gw, port } = await start({ WAGATE_MAX_CONNECTIONS_PER_ADDRESS: '3' });
    const idle = Array.from({ length: 3 }, () => net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.1' }));
    for (const s of idle) {
      s.on('error', () => undefined);
      open.push(async () => void s.destroy());
    }
    await Promise.all(idle.map((s) => new Promise((r) => s.once('connect', r))));
    await new Promise((r) => setTimeout(r, 50));
    const refused = await rawExchange(port, ['GET /api/v1/sessions HTTP/1.1\r\nHost: x\r\n\r\n'], 10);
    expect(refused.text).toMatch(/^HTTP\/1\.1 429 /);
    expect(jsonOf(refused.text).error.code).toBe('TOO_MANY_CONNECTIONS');
    expect(jsonOf(refused.text).error.message).toContain('WAGATE_MAX_CONNECTIONS_PER_ADDRESS');
    expect((await get(port, '/api/v1/sessions', auth(gw), '127.0.0.2')).status).toBe(200);
    // Closing one frees a place.
    idle[0]!.destroy();
    await expect.poll(async () => (await get(port, '/api/v1/sessions', auth(gw))).status, { timeout: 3_000 }).toBe(200);
  });
});

describe('slow clients', () => {
  it('cuts off a client trickling its headers with 408', async () => {
    const { port } = await start({ WAGATE_HEADERS_TIMEOUT_MS: '500', WAGATE_REQUEST_TIMEOUT_MS: '1000' });
    const chunks = ['GET /api/v1/sessions HTTP/1.1\r\n', ...Array.from({ length: 100 }, (_, i) => `X-Slow-${i}: 1\r\n`)];
    const result = await rawExchange(port, chunks, 100);
    expect(result.text).toMatch(/^HTTP\/1\.1 408 /);
    expect(jsonOf(result.text).error.code).toBe('REQUEST_TIMEOUT');
    expect(result.ms).toBeLessThan(5_000);
  });

  it('cuts off a client trickling its body with 408', async () => {
    const { gw, port } = await start({ WAGATE_HEADERS_TIMEOUT_MS: '500', WAGATE_REQUEST_TIMEOUT_MS: '1000' });
    const head = `POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${gw.adminKey}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{`;
    const result = await rawExchange(port, [head, ...Array.from({ length: 150 }, () => ' ')], 100);
    expect(result.text).toMatch(/^HTTP\/1\.1 408 /);
    expect(jsonOf(result.text).error.code).toBe('REQUEST_TIMEOUT');
    expect(result.ms).toBeLessThan(5_000);
  });
});
