/**
 * Drives every route of the whole app (native API, dashboard, every dialect;
 * listed as Fastify adds them) with generated bad input: bad and overlong
 * ids, malformed percent-encoding, wrong types, junk JSON, odd headers.
 * Records what a client must never see: a 5xx, an error outside its
 * surface's envelope, and a 4xx that changed the session list, keys or
 * events. Shared by the test (few runs) and `npm run bench -- fuzz --runs N`.
 * Not fuzzed: the event streams themselves (a good request opens a stream
 * that never ends; their refusals are covered by the SSE tests), and the
 * sandbox's control routes (they need a simulated network).
 */
import fc from 'fast-check';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { dashboardPlugin } from '../../src/api/dashboard/index.js';
import { mountDialects } from '../../src/api/dialects.js';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { GatewayEvent } from '../../src/core/model.js';
import { createTestGateway, silentLogger, type TestGateway } from './harness.js';

export interface FuzzFinding {
  kind: 'server_error' | 'off_envelope' | 'changed_state' | 'hung';
  method: string;
  url: string;
  status: number;
  detail: string;
}

export interface FuzzReport {
  routes: number;
  requests: number;
  byStatus: Record<string, number>;
  findings: FuzzFinding[];
}

interface Route {
  method: string;
  url: string;
}

const GOWA_USER = 'fz:fz';
const PERSISTENT_EVENTS = new Set(['session.created', 'session.deleted', 'auth.logged_out']);

/** Ids that exist, that do not, that cannot exist, and that break the URL. */
function badId(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom('fz1', 'fz2', 'nope', 'NOPE_404', '0', '-', '_'),
    fc.string({ maxLength: 80 }).map(encodeURIComponent),
    fc.integer({ min: 65, max: 3000 }).map((n) => 'a'.repeat(n)),
    fc.constantFrom('%', '%zz', '%E0%A4%A', '%C0%AF', '%00', '%2F', '..', '%2e%2e', '%FF%FE', 'a%20b', '%F0%9F%98%80', 'null', 'undefined', '__proto__', 'constructor'),
  );
}

function queryValue(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ maxLength: 40 }).map(encodeURIComponent),
    fc.constantFrom('-1', '0', '1', '1e309', 'NaN', 'true', 'false', '[]', '{}', '%zz', '%', '9007199254740993', 'qr', 'png', 'svg', 'json', 'asc', 'desc'),
    fc.integer({ min: 200, max: 5000 }).map((n) => 'x'.repeat(n)),
  );
}

const QUERY_KEYS = [
  'limit', 'offset', 'cursor', 'state', 'q', 'format', 'all', 'sortBy', 'sortOrder', 'lastEventId', 'x-api-key', 'phone',
  'device_id', 'instance_id', 'access_token', 'apiKey', 'before', 'session', 'output', 'phoneNumber', 'expand', 'token',
];
const BODY_KEYS = [
  'sessionId', 'id', 'name', 'displayName', 'deviceBrowser', 'phoneNumber', 'phone', 'code', 'qr', 'to', 'text', 'chatId',
  'messageIds', 'label', 'type', 'media', 'url', 'config', 'device_id', 'session', 'instance_id', 'apiKey', 'otp', 'state',
  'number', 'caption', 'mimetype', 'base64', 'fileName', 'latitude', 'reaction', 'messageId', 'start', 'password',
];

function jsonValue(): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
    fc.integer({ min: 1000, max: 70_000 }).map((n) => 'y'.repeat(n)),
    fc.constantFrom('15551234567', '+1 555 123 4567', 'ABCD-1234', 'fz1', '15551234567@s.whatsapp.net', 'http://127.0.0.1/x', ''),
  );
}

interface Body {
  payload?: string;
  contentType?: string;
}

function body(): fc.Arbitrary<Body> {
  const jsonType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/json; charset=utf-16');
  return fc.oneof(
    fc.constant({}),
    fc.record({ payload: fc.string({ maxLength: 60 }), contentType: jsonType }),
    fc.record({ payload: fc.json({ maxDepth: 3 }), contentType: jsonType }),
    fc.record({
      payload: fc.dictionary(fc.constantFrom(...BODY_KEYS), jsonValue(), { maxKeys: 5 }).map((o) => JSON.stringify(o)),
      contentType: jsonType,
    }),
    fc.record({
      payload: fc.constantFrom('{', '{"a":', '[', 'null', '""', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}', '\u0000', '{}'.padEnd(70_000, ' ')),
      contentType: jsonType,
    }),
    fc.record({
      payload: fc.string({ maxLength: 60 }),
      contentType: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', '', ';;;', 'application/json;charset=nope'),
    }),
  );
}

interface Headers {
  /** `surface`: the credentials the route's own surface expects (most requests, so they get past auth). */
  auth: 'surface' | 'bearer' | 'x-api-key' | 'apikey' | 'basic' | 'cookie' | 'none' | 'garbage';
  extra: Record<string, string>;
}

function headers(): fc.Arbitrary<Headers> {
  return fc.record({
    auth: fc.oneof(
      { weight: 6, arbitrary: fc.constant('surface' as const) },
      { weight: 2, arbitrary: fc.constantFrom('bearer' as const, 'x-api-key' as const, 'basic' as const, 'cookie' as const) },
      { weight: 1, arbitrary: fc.constantFrom('none' as const, 'garbage' as const) },
    ),
    extra: fc.dictionary(
      fc.constantFrom('last-event-id', 'accept', 'idempotency-key', 'x-device-id', 'x-admin-token', 'x-csrf-token', 'origin', 'accept-encoding', 'range', 'if-none-match'),
      fc.oneof(fc.string({ maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, '?')), fc.constantFrom('-1', '9'.repeat(40), '*/*', 'text/event-stream', 'image/png', 'gzip, br')),
      { maxKeys: 3 },
    ),
  });
}

export interface FuzzCase {
  route: Route;
  ids: string[];
  query: Array<[string, string]>;
  body: Body;
  headers: Headers;
}

export function fuzzCase(routes: readonly Route[]): fc.Arbitrary<FuzzCase> {
  return fc.record({
    route: fc.constantFrom(...routes),
    ids: fc.array(badId(), { minLength: 3, maxLength: 3 }),
    query: fc.array(fc.tuple(fc.constantFrom(...QUERY_KEYS), queryValue()), { maxLength: 3 }),
    body: body(),
    headers: headers(),
  });
}

/** Every error envelope a surface may answer with (src/api/<surface>/render.ts). */
export function inEnvelope(surface: string, body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return false;
  const b = body as Record<string, unknown>;
  const str = (v: unknown): boolean => typeof v === 'string' && v.length > 0;
  switch (surface) {
    case 'native':
    case 'dashboard': {
      const e = b.error as Record<string, unknown> | undefined;
      return typeof e === 'object' && e !== null && str(e.code) && str(e.message);
    }
    case 'waha':
      return (str(b.message) && typeof b.statusCode === 'number') || (str(b.error) && Array.isArray(b.expected));
    case 'wawp':
      return str(b.error) && str(b.message) && typeof b.statusCode === 'number';
    case 'gowa':
      // `results` is optional: GOWA leaves an empty one out (omitempty).
      return str(b.code) && str(b.message) && !('status' in b);
    case 'gomulti':
      return b.status === false && typeof b.code === 'number' && str(b.message) && str(b.error);
    case 'bridge':
      return str(b.error);
    case 'evolution': {
      const r = b.response as Record<string, unknown> | undefined;
      const message = r?.message;
      return typeof b.status === 'number' && str(b.error) && typeof r === 'object' && r !== null && (str(message) || Array.isArray(message));
    }
    default:
      return false;
  }
}

export interface FuzzTarget {
  app: FastifyInstance;
  gw: TestGateway;
  routes: Route[];
  send(c: FuzzCase): Promise<{ req: InjectOptions & { url: string; method: string }; res: LightMyRequestResponse | undefined }>;
  close(): Promise<void>;
}

/** Streams never end, so a good request to one would hang the fuzzer. */
function isStream(route: Route): boolean {
  return route.method === 'GET' && /\/events$/.test(route.url);
}

export async function createFuzzTarget(): Promise<FuzzTarget> {
  const gw = await createTestGateway();
  const config = loadConfig({ WAGATE_SANDBOX: '1', DATA_DIR: gw.dataDir, WAGATE_GOWA_USERS: GOWA_USER }, []);
  const seen = new Map<string, Route>();
  const app = await buildApp({
    core: gw.core,
    config,
    logger: silentLogger,
    // Wrong keys are part of the input; the throttle must not turn the rest of the run into 429s.
    authThrottle: { max: 1_000_000 },
    onRoute: (route) => {
      for (const method of [route.method].flat()) {
        if (method === 'HEAD' || method === 'OPTIONS') continue;
        seen.set(`${method} ${route.url}`, { method, url: route.url });
      }
    },
    plugins: [
      { plugin: dashboardPlugin, prefix: '/dashboard' },
      { plugin: async (instance: FastifyInstance) => mountDialects(instance, { core: gw.core, config, rootDialect: config.dialects.root }) },
    ],
  });
  await app.ready();
  for (const id of ['fz1', 'fz2']) await gw.core.sessions.create({ sessionId: id });
  const sessionKey = (await gw.core.apiKeys.createSessionKey('fz1', 'fuzz')).key;
  const signIn = await app.inject({ method: 'POST', url: '/dashboard/api/sign-in', payload: { apiKey: gw.adminKey } });
  const cookie = String(signIn.headers['set-cookie'] ?? '').split(';')[0] ?? '';
  const routes = [...seen.values()].filter((r) => !isStream(r)).sort((a, b) => `${a.url} ${a.method}`.localeCompare(`${b.url} ${b.method}`));

  const surfaceAuth: Record<string, Headers['auth']> = {
    native: 'bearer',
    dashboard: 'cookie',
    waha: 'x-api-key',
    gowa: 'basic',
    bridge: 'x-api-key',
    gomulti: 'x-api-key',
    wawp: 'x-api-key',
    evolution: 'apikey',
  };
  const authHeaders = (auth: Headers['auth'], url: string): Record<string, string> => {
    if (auth === 'surface') auth = surfaceAuth[app.errorSurfaces!.forUrl(url).name] ?? 'bearer';
    switch (auth) {
      case 'bearer':
        return { authorization: `Bearer ${gw.adminKey}` };
      case 'x-api-key':
        return { 'x-api-key': Math.random() < 0.5 ? gw.adminKey : sessionKey };
      case 'apikey':
        return { apikey: Math.random() < 0.5 ? gw.adminKey : sessionKey };
      case 'basic':
        return { authorization: `Basic ${Buffer.from(GOWA_USER).toString('base64')}` };
      case 'cookie':
        return { cookie };
      case 'garbage':
        return { authorization: 'Bearer \u00ff%zz', 'x-api-key': 'wg_' };
      default:
        return {};
    }
  };

  const send: FuzzTarget['send'] = async (c) => {
    let i = 0;
    const path = c.route.url
      .split('/')
      .map((segment) => (segment.startsWith(':') ? (c.ids[i++ % c.ids.length] ?? 'x') : segment === '*' ? c.ids[0]! : segment))
      .join('/');
    const pairs = [...c.query];
    // Wawp takes its key as access_token.
    if (c.headers.auth === 'surface' && app.errorSurfaces!.forUrl(path).name === 'wawp') pairs.push(['access_token', gw.adminKey]);
    const query = pairs.map(([k, v]) => `${k}=${v}`).join('&');
    const url = query === '' ? path : `${path}?${query}`;
    const headers: Record<string, string> = { ...c.headers.extra, ...authHeaders(c.headers.auth, path) };
    if (c.body.contentType !== undefined && c.body.contentType !== '') headers['content-type'] = c.body.contentType;
    const req = { method: c.route.method as InjectOptions['method'] & string, url, headers, ...(c.body.payload === undefined ? {} : { payload: c.body.payload }) };
    const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 15_000).unref());
    const res = await Promise.race([app.inject(req), timeout]);
    return { req, res };
  };

  return {
    app,
    gw,
    routes,
    send,
    close: async () => {
      await app.close();
      await gw.close();
    },
  };
}

/** What a refused request must not have changed. */
async function snapshot(gw: TestGateway): Promise<string> {
  const sessions = gw.core.sessions
    .list()
    .map((s) => `${s.sessionId}:${s.active ? 'running' : s.state}:${s.displayName ?? ''}`)
    .sort();
  const keys: string[] = [];
  for (const s of gw.core.sessions.list()) {
    for (const k of await gw.core.apiKeys.listSessionKeys(s.sessionId)) keys.push(`${s.sessionId}/${k.keyId}`);
  }
  return JSON.stringify({ sessions, keys: keys.sort() });
}

export async function runRouteFuzz(opts: { runs: number; seed?: number; onProgress?: (done: number) => void }): Promise<FuzzReport> {
  const target = await createFuzzTarget();
  const report: FuzzReport = { routes: target.routes.length, requests: 0, byStatus: {}, findings: [] };
  const surfaces = target.app.errorSurfaces!;
  try {
    await fc.assert(
      fc.asyncProperty(fuzzCase(target.routes), async (c) => {
        const before = await snapshot(target.gw);
        const emitted: GatewayEvent[] = [];
        const unsubscribe = target.gw.core.events.subscribe(undefined, (e) => emitted.push(e));
        let sent;
        try {
          sent = await target.send(c);
        } finally {
          unsubscribe();
        }
        const { req, res } = sent;
        report.requests += 1;
        opts.onProgress?.(report.requests);
        const where = { method: req.method, url: req.url.length > 200 ? `${req.url.slice(0, 200)}…` : req.url };
        if (res === undefined) {
          report.findings.push({ kind: 'hung', ...where, status: 0, detail: 'no answer in 15 s' });
          return;
        }
        const bucket = String(res.statusCode);
        report.byStatus[bucket] = (report.byStatus[bucket] ?? 0) + 1;
        if (res.statusCode >= 500) {
          report.findings.push({ kind: 'server_error', ...where, status: res.statusCode, detail: res.body.slice(0, 300) });
        }
        if (res.statusCode >= 400) {
          const surface = surfaces.forUrl(req.url).name;
          let parsed: unknown;
          try {
            parsed = JSON.parse(res.body);
          } catch {
            parsed = undefined;
          }
          if (!inEnvelope(surface, parsed)) {
            report.findings.push({ kind: 'off_envelope', ...where, status: res.statusCode, detail: `${surface}: ${res.body.slice(0, 300)}` });
          }
        }
        if (res.statusCode >= 400 && res.statusCode < 500) {
          const after = await snapshot(target.gw);
          const persistent = emitted.filter((e) => PERSISTENT_EVENTS.has(e.type));
          if (after !== before || persistent.length > 0) {
            report.findings.push({
              kind: 'changed_state',
              ...where,
              status: res.statusCode,
              detail: `before ${before} after ${after} events ${persistent.map((e) => e.type).join(',')}`,
            });
          }
        }
        // A request that deleted or logged out the seed sessions leaves later runs less to reach: put them back.
        for (const id of ['fz1', 'fz2']) {
          if (!target.gw.core.sessions.has(id)) await target.gw.core.sessions.create({ sessionId: id });
        }
      }),
      { numRuns: opts.runs, seed: opts.seed, endOnFailure: true },
    );
  } finally {
    await target.close();
  }
  return report;
}
