import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { PairingRateLimiter } from '../../src/core/sessions/pairingRateLimiter.js';
import { registerMetrics, type MetricsOptions } from '../../src/observability/metrics.js';
import { startE2E } from '../support/e2e.js';
import { createTestGateway, eventually, silentLogger, type TestGateway } from '../support/harness.js';

let gw: TestGateway;
let app: FastifyInstance;
let now: number;

const METRICS_KEY = 'prometheus-scrape-key';

async function start(access: Pick<MetricsOptions, 'public' | 'metricsKey'> = {}): Promise<void> {
  gw = await createTestGateway({ rateLimiter: new PairingRateLimiter({ limit: 1 }) });
  const config = loadConfig({ DATA_DIR: gw.dataDir, WAGATE_SANDBOX: '1' }, []);
  app = await buildApp({ core: gw.core, config, logger: silentLogger });
  now = Date.now();
  registerMetrics(app, gw.core, { now: () => now, defaultMetrics: true, ...access });
  await app.ready();
}

/** GET /metrics, with the admin key unless another key (or null: none) is given. */
async function scrape(key: string | null = gw.adminKey): Promise<{ status: number; type: string; text: string }> {
  const headers = key === null ? {} : { authorization: `Bearer ${key}` };
  const res = await app.inject({ method: 'GET', url: '/metrics', headers });
  return { status: res.statusCode, type: String(res.headers['content-type']), text: res.body };
}

/** The value of one sample, e.g. `wagate_sessions{state="connected"}`; undefined when absent. */
function sample(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    if (line.slice(0, cut) === series) return Number(line.slice(cut + 1));
  }
  return undefined;
}

const admin = (): Record<string, string> => ({ authorization: `Bearer ${gw.adminKey}` });

async function linkNewSession(sessionId: string): Promise<void> {
  await gw.core.sessions.create({ sessionId });
  await gw.core.sessions.connect(sessionId);
  await eventually(() => expect(gw.core.sessions.get(sessionId).state).toBe('qr'));
  await gw.engine.last(sessionId).link('15550000001');
  await eventually(() => expect(gw.core.sessions.get(sessionId).state).toBe('connected'));
}

describe('/metrics access', () => {
  afterEach(async () => {
    await app.close();
    await gw.close();
  });

  it('needs a key by default: none or a wrong one → 401, a session key → 403, the admin key → 200', async () => {
    await start();
    const none = await scrape(null);
    expect(none.status).toBe(401);
    expect(none.text).toContain('WAGATE_METRICS_KEY');
    expect(none.text).not.toContain('wagate_sessions');
    expect((await scrape('wg_wrong')).status).toBe(401);
    await gw.core.sessions.create({ sessionId: 's1' });
    const scoped = await gw.core.apiKeys.createSessionKey('s1');
    expect((await scrape(scoped.key)).status).toBe(403);
    expect((await scrape()).status).toBe(200);
  });

  it('takes the metrics-only key, which opens nothing else', async () => {
    await start({ metricsKey: METRICS_KEY });
    expect((await scrape(METRICS_KEY)).status).toBe(200);
    expect((await scrape(`${METRICS_KEY}x`)).status).toBe(401);
    const api = await app.inject({ method: 'GET', url: '/api/v1/sessions', headers: { authorization: `Bearer ${METRICS_KEY}` } });
    expect(api.statusCode).toBe(401);
  });

  it('is open without a key when made public', async () => {
    await start({ public: true });
    const { status, text } = await scrape(null);
    expect(status).toBe(200);
    expect(text).toContain('# TYPE wagate_sessions gauge');
  });
});

describe('/metrics in a started gateway', () => {
  it.each([
    [{}, null, 401],
    [{ WAGATE_METRICS_KEY: METRICS_KEY }, METRICS_KEY, 200],
    [{ WAGATE_METRICS_PUBLIC: '1' }, null, 200],
  ])('with %j and key %j answers %i', async (env, key, status) => {
    const e2e = await startE2E({ env });
    try {
      const headers: Record<string, string> = key === null ? {} : { authorization: `Bearer ${key}` };
      expect((await fetch(`${e2e.client.baseUrl}/metrics`, { headers })).status).toBe(status);
    } finally {
      await e2e.close();
    }
  });
});

describe('/metrics', () => {
  beforeEach(() => start());
  afterEach(async () => {
    await app.close();
    await gw.close();
  });

  it('serves the Prometheus text format, with Node process metrics', async () => {
    const { status, type, text } = await scrape();
    expect(status).toBe(200);
    expect(type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(text).toContain('# HELP wagate_sessions Sessions by state');
    expect(text).toContain('# TYPE wagate_sessions gauge');
    expect(text).toContain('# TYPE wagate_session_connects_total counter');
    expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds \d/m);
    expect(sample(text, 'wagate_sessions{state="connected"}')).toBe(0);
    expect(sample(text, 'wagate_survived_faults_total{kind="engine_event"}')).toBe(0);
    expect(text).toMatch(/^wagate_unhandled_rejections_total \d+$/m);
  });

  it('counts failures the gateway survived, by kind', async () => {
    await linkNewSession('odd');
    gw.engine.last('odd').emitQr(); // a QR on a logged-in connection: an event that does not fit
    await eventually(async () => expect(sample((await scrape()).text, 'wagate_survived_faults_total{kind="engine_event"}')).toBe(1));
  });

  it('counts sessions by state as they are created and connect', async () => {
    await gw.core.sessions.create({ sessionId: 'idle' });
    await linkNewSession('linked');
    const { text } = await scrape();
    expect(sample(text, 'wagate_sessions{state="created"}')).toBe(1);
    expect(sample(text, 'wagate_sessions{state="connected"}')).toBe(1);
    expect(sample(text, 'wagate_sessions{state="qr"}')).toBe(0);
  });

  it('counts connects after pairing and after login, and disconnects by close code', async () => {
    await linkNewSession('alpha');
    let text = (await scrape()).text;
    expect(sample(text, 'wagate_session_connects_total{after="pairing"}')).toBe(1);
    expect(sample(text, 'wagate_session_disconnects_total{code="440",reason="replaced",to="conflict"}')).toBeUndefined();

    // WhatsApp drops the line (503): the core reconnects and logs in again.
    gw.engine.last('alpha').drop(503, 'Stream Errored (unavailable)');
    await eventually(async () => {
      text = (await scrape()).text;
      expect(sample(text, 'wagate_session_connects_total{after="login"}')).toBe(1);
    });
    expect(sample(text, 'wagate_session_disconnects_total{code="503",reason="unavailable",to="connecting"}')).toBe(1);
    expect(sample(text, 'wagate_connection_closes_total{code="503",reason="unavailable"}')).toBe(1);

    // Another client replaces it (440): conflict, not retried.
    gw.engine.last('alpha').drop(440, 'Stream Errored (conflict)');
    await eventually(() => expect(gw.core.sessions.get('alpha').state).toBe('conflict'));
    text = (await scrape()).text;
    expect(sample(text, 'wagate_session_disconnects_total{code="440",reason="replaced",to="conflict"}')).toBe(1);

    // A disconnect we ask for has no close code.
    await gw.core.sessions.connect('alpha');
    await eventually(() => expect(gw.core.sessions.get('alpha').state).toBe('connected'));
    await gw.core.sessions.disconnect('alpha');
    text = (await scrape()).text;
    expect(sample(text, 'wagate_session_disconnects_total{code="none",reason="gateway",to="inactive"}')).toBe(1);
    expect(sample(text, 'wagate_session_connects_total{after="login"}')).toBe(2);
  });

  it('keeps unknown close codes in one "other" series', async () => {
    await linkNewSession('beta');
    gw.engine.last('beta').drop(499, 'made-up code');
    await eventually(async () => {
      const { text } = await scrape();
      expect(sample(text, 'wagate_session_disconnects_total{code="other",reason="other",to="connecting"}')).toBe(1);
    });
    expect((await scrape()).text).not.toContain('code="499"');
  });

  it('counts pairing codes issued, refused for rate limits and invalid numbers, and typed wrongly', async () => {
    await gw.core.sessions.create({ sessionId: 'pc' });
    await gw.core.sessions.connect('pc');
    await eventually(() => expect(gw.core.sessions.get('pc').state).toBe('qr'));
    const ask = (phoneNumber: string) =>
      app.inject({ method: 'POST', url: '/api/v1/sessions/pc/auth/pairing-code', headers: admin(), payload: { phoneNumber } });

    expect((await ask('15550001111')).statusCode).toBe(200);
    expect((await ask('15550002222')).statusCode).toBe(200);
    // limit 1 per number: the same number again (after the code changed) is refused
    const limited = await ask('15550001111');
    expect(limited.statusCode).toBe(429);
    expect((await ask('12')).statusCode).toBe(400);
    await gw.engine.last('pc').enterCode('WRONG-CODE');

    const { text } = await scrape();
    expect(sample(text, 'wagate_pairing_codes_issued_total')).toBe(2);
    expect(sample(text, 'wagate_pairing_codes_refused_total{reason="rate_limited"}')).toBe(1);
    expect(sample(text, 'wagate_pairing_codes_refused_total{reason="invalid_phone_number"}')).toBe(1);
    expect(sample(text, 'wagate_pairing_codes_failed_total')).toBe(1);
  });

  it('labels HTTP latency by route pattern, not by raw URL', async () => {
    await gw.core.sessions.create({ sessionId: 'one' });
    await gw.core.sessions.create({ sessionId: 'two' });
    for (const id of ['one', 'two', 'nope']) {
      await app.inject({ method: 'GET', url: `/api/v1/sessions/${id}`, headers: admin() });
    }
    await app.inject({ method: 'GET', url: '/no/such/path' });
    const { text } = await scrape();
    const series = 'wagate_http_request_duration_seconds_count{method="GET",route="/api/v1/sessions/:sessionId",status_code="200"}';
    expect(sample(text, series)).toBe(2);
    expect(
      sample(text, 'wagate_http_request_duration_seconds_count{method="GET",route="/api/v1/sessions/:sessionId",status_code="404"}'),
    ).toBe(1);
    expect(sample(text, 'wagate_http_request_duration_seconds_count{method="GET",route="unmatched",status_code="404"}')).toBe(1);
    expect(text).not.toContain('/api/v1/sessions/one');
  });

  it('shows connected sessions that went quiet, without a series per session', async () => {
    await linkNewSession('quiet');
    await linkNewSession('chatty');
    now += 120_000;
    gw.engine.last('chatty').drop(503);
    await eventually(() => expect(gw.core.sessions.get('chatty').state).toBe('connected'));
    const { text } = await scrape();
    expect(sample(text, 'wagate_connected_sessions_quiet{over_seconds="60"}')).toBe(1);
    expect(sample(text, 'wagate_connected_sessions_quiet{over_seconds="300"}')).toBe(0);
    expect(sample(text, 'wagate_connected_session_last_seen_max_seconds')).toBeGreaterThanOrEqual(120);
    expect(text).not.toContain('"quiet"');
  });

  it('a connected session whose keepalives are answered is not quiet, without any event', async () => {
    await linkNewSession('idle-but-alive');
    await linkNewSession('ghost');
    now += 600_000;
    // The engine heard from WhatsApp 5 s ago on one connection, never since the link on the other.
    gw.engine.last('idle-but-alive').lastFrame = now - 5_000;
    const { text } = await scrape();
    expect(sample(text, 'wagate_connected_sessions_quiet{over_seconds="60"}')).toBe(1);
    expect(sample(text, 'wagate_connected_sessions_quiet{over_seconds="300"}')).toBe(1);
    expect(sample(text, 'wagate_connected_sessions_quiet{over_seconds="900"}')).toBe(0);
  });
});
