/**
 * Failures before routing (an over-long id, malformed percent-encoding,
 * over-large headers) answer in the envelope of the surface the URL belongs
 * to, not in Fastify's or Node's own shape.
 */
import { request as httpRequest } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardPlugin } from '../../../src/api/dashboard/index.js';
import { mountDialects } from '../../../src/api/dialects.js';
import { buildApp } from '../../../src/app.js';
import { loadConfig } from '../../../src/config.js';
import { registerMetrics } from '../../../src/observability/metrics.js';
import { createTestGateway, silentLogger, type TestGateway } from '../../support/harness.js';

const LONG_ID = 'a'.repeat(101);
const BAD_ESCAPE = '%zz';

let gw: TestGateway;
let app: FastifyInstance;
let port: number;

beforeAll(async () => {
  gw = await createTestGateway();
  const config = loadConfig({ WAGATE_SANDBOX: '1', DATA_DIR: gw.dataDir, WAGATE_ROOT_DIALECT: 'waha' }, []);
  app = await buildApp({
    core: gw.core,
    config,
    logger: silentLogger,
    plugins: [
      { plugin: dashboardPlugin, prefix: '/dashboard' },
      { plugin: async (instance: FastifyInstance) => mountDialects(instance, { core: gw.core, config, rootDialect: config.dialects.root }) },
    ],
  });
  // As the gateway runs it: per-route metrics hooks on every response.
  registerMetrics(app, gw.core);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  port = typeof address === 'object' && address !== null ? address.port : 0;
});

afterAll(async () => {
  await app?.close();
  await gw?.close();
});

/** Each surface, a path with a parameter in it, and what its envelope looks like for a status and code. */
const SURFACES: Array<{ name: string; path: (param: string) => string; envelope: (status: number, code: string) => unknown }> = [
  {
    name: 'native',
    path: (p) => `/api/v1/sessions/${p}`,
    envelope: (_status, code) => ({ error: expect.objectContaining({ code, message: expect.any(String) }) }),
  },
  {
    name: 'dashboard',
    path: (p) => `/dashboard/api/sessions/${p}`,
    envelope: (_status, code) => ({ error: expect.objectContaining({ code, message: expect.any(String) }) }),
  },
  {
    name: 'waha under /compat',
    path: (p) => `/compat/waha/api/sessions/${p}`,
    envelope: (status) => ({ message: expect.any(String), error: expect.any(String), statusCode: status }),
  },
  {
    name: 'waha at the root',
    path: (p) => `/api/sessions/${p}`,
    envelope: (status) => ({ message: expect.any(String), error: expect.any(String), statusCode: status }),
  },
  {
    name: 'gowa',
    path: (p) => `/compat/gowa/devices/${p}`,
    envelope: (_status, code) => ({ code, message: expect.any(String) }),
  },
];

/** A raw request over loopback (inject cannot send headers Node's parser refuses). */
function rawGet(path: string, headers: Record<string, string>): Promise<{ status: number; contentType: string; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'GET', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type']), body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe.each(SURFACES)('router failures on $name', ({ path, envelope }) => {
  it('an id over 100 characters is 414 URI_TOO_LONG in this envelope', async () => {
    const res = await app.inject({ method: 'GET', url: path(LONG_ID) });
    expect(res.statusCode).toBe(414);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toEqual(envelope(414, 'URI_TOO_LONG'));
    expect(res.body).not.toContain('FST_ERR');
  });

  it('malformed percent-encoding is 400 INVALID_URL in this envelope', async () => {
    const res = await app.inject({ method: 'GET', url: path(BAD_ESCAPE) });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual(envelope(400, 'INVALID_URL'));
    expect(res.body).not.toContain('FST_ERR');
  });

  it('headers over 16 KB are 431 HEADERS_TOO_LARGE in this envelope', async () => {
    const res = await rawGet(path('x'), { 'x-padding': 'p'.repeat(20_000) });
    expect(res.status).toBe(431);
    expect(res.contentType).toMatch(/^application\/json/);
    expect(res.body).toEqual(envelope(431, 'HEADERS_TOO_LARGE'));
  });
});

it('the router failure in WAHA’s envelope says what is wrong', async () => {
  const res = await app.inject({ method: 'GET', url: `/compat/waha/api/sessions/${LONG_ID}` });
  expect(res.json()).toEqual({ message: expect.stringContaining('100 characters'), error: 'URI Too Long', statusCode: 414 });
});
