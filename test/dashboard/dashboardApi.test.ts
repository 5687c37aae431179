import { readdir, readFile, mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../support/harness.js';
import { signIn, startDashboard, writeHeaders, type DashboardGateway } from './dashboardHarness.js';

let gateway: DashboardGateway | undefined;
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});

async function start(opts: { ownerNumber?: string; listen?: boolean } = {}): Promise<DashboardGateway> {
  gateway = await startDashboard(opts);
  return gateway;
}

describe('dashboard page', () => {
  it('serves the bundled page and its assets with content types and a strict CSP', async () => {
    const { app } = await start();
    const page = await app.inject({ url: '/dashboard' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers['x-frame-options']).toBe('DENY');
    // No inline script: every <script> names a file.
    expect(page.body).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);

    const script = /src="(\/dashboard\/assets\/[^"]+\.js)"/.exec(page.body)?.[1];
    const style = /href="(\/dashboard\/assets\/[^"]+\.css)"/.exec(page.body)?.[1];
    expect(script && style).toBeTruthy();
    const js = await app.inject({ url: script! });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    const css = await app.inject({ url: style! });
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect((await app.inject({ url: '/dashboard/assets/nope.js' })).statusCode).toBe(404);
  });
});

describe('dashboard sign-in', () => {
  it('refuses a wrong key and a session key with a plain message and no cookie', async () => {
    const { app, gw } = await start();
    const wrong = await app.inject({ method: 'POST', url: '/dashboard/api/sign-in', payload: { apiKey: 'nope' } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toEqual({ error: { code: 'UNAUTHORIZED', message: 'That is not the admin API key' } });
    expect(wrong.headers['set-cookie']).toBeUndefined();

    await gw.core.sessions.create({ sessionId: 's1' });
    const { key } = await gw.core.apiKeys.createSessionKey('s1');
    const scoped = await app.inject({ method: 'POST', url: '/dashboard/api/sign-in', payload: { apiKey: key } });
    expect(scoped.statusCode).toBe(401);
  });

  it('exchanges the admin key for an HttpOnly, SameSite=Strict cookie on /dashboard, and signs out', async () => {
    const { app, gw } = await start();
    const res = await app.inject({ method: 'POST', url: '/dashboard/api/sign-in', payload: { apiKey: gw.adminKey } });
    expect(res.statusCode).toBe(200);
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/^wagate_dashboard=[A-Za-z0-9_-]{40,};/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/dashboard');
    expect(cookie).not.toContain(gw.adminKey);

    const user = { cookie: cookie.split(';')[0], csrf: (res.json() as { csrfToken: string }).csrfToken };
    expect((await app.inject({ url: '/dashboard/api/sessions', headers: { cookie: user.cookie } })).statusCode).toBe(200);
    const out = await app.inject({ method: 'POST', url: '/dashboard/api/sign-out', headers: writeHeaders(user) });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
    expect((await app.inject({ url: '/dashboard/api/sessions', headers: { cookie: user.cookie } })).statusCode).toBe(401);
  });

  it('needs the cookie for reads and the CSRF token and own Origin for writes; a refused write changes nothing', async () => {
    const { app, gw } = await start();
    const user = await signIn(app, gw.adminKey);
    expect((await app.inject({ url: '/dashboard/api/sessions' })).statusCode).toBe(401);

    const noToken = await app.inject({
      method: 'POST',
      url: '/dashboard/api/sessions',
      headers: { cookie: user.cookie },
      payload: { sessionId: 'a' },
    });
    expect(noToken.statusCode).toBe(403);
    expect(noToken.json().error.code).toBe('FORBIDDEN');

    const foreign = await app.inject({
      method: 'POST',
      url: '/dashboard/api/sessions',
      headers: writeHeaders(user, { origin: 'https://evil.example' }),
      payload: { sessionId: 'a' },
    });
    expect(foreign.statusCode).toBe(403);
    expect(gw.core.sessions.has('a')).toBe(false);

    const ok = await app.inject({ method: 'POST', url: '/dashboard/api/sessions', headers: writeHeaders(user), payload: { sessionId: 'a' } });
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toMatchObject({ sessionId: 'a', state: 'created' });
  });

  it('returns the error envelope for bad input', async () => {
    const { app, gw } = await start();
    const user = await signIn(app, gw.adminKey);
    const bad = await app.inject({ method: 'POST', url: '/dashboard/api/sessions', headers: writeHeaders(user), payload: { sessionId: 'bad id!' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('INVALID_SESSION_ID');
    const missing = await app.inject({ url: '/dashboard/api/sessions/ghost', headers: { cookie: user.cookie } });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('SESSION_NOT_FOUND');
    expect(gw.core.sessions.list()).toHaveLength(0);
  });
});

describe('dashboard linking', () => {
  it('shows the engine’s QR with an image, and keeps the QR payload out of events', async () => {
    const { app, gw } = await start();
    const user = await signIn(app, gw.adminKey);
    await app.inject({ method: 'POST', url: '/dashboard/api/sessions', headers: writeHeaders(user), payload: { sessionId: 'q' } });
    const connect = await app.inject({ method: 'POST', url: '/dashboard/api/sessions/q/connect', headers: writeHeaders(user) });
    expect(connect.statusCode).toBe(200);
    await eventually(() => expect(gw.core.sessions.get('q').state).toBe('qr'));

    const qr = await app.inject({ url: '/dashboard/api/sessions/q/qr', headers: { cookie: user.cookie } });
    expect(qr.statusCode).toBe(200);
    const body = qr.json() as { qr: string; image: string; expiresAt: string };
    expect(body.qr).toBe(gw.core.sessions.getQr('q').qr);
    expect(body.image).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(Buffer.from(body.image.split(',')[1], 'base64').toString()).toContain('<svg');

    const history = await app.inject({ url: '/dashboard/api/sessions/q/events', headers: { cookie: user.cookie } });
    const events = (history.json() as { events: Array<{ type: string; data: Record<string, unknown> }> }).events;
    expect(events.map((e) => e.type)).toContain('connection.state');
    expect(JSON.stringify(events)).not.toContain(body.qr);

    await gw.engine.last('q').link('15550001111');
    await eventually(() => expect(gw.core.sessions.get('q').state).toBe('connected'));
    const after = await app.inject({ url: '/dashboard/api/sessions/q/qr', headers: { cookie: user.cookie } });
    expect(after.statusCode).toBe(409);
    expect(after.json().error.code).toBe('ALREADY_PAIRED');
  });

  it('streams live events without the QR payload', async () => {
    const { app, gw, baseUrl } = await start({ listen: true });
    const user = await signIn(app, gw.adminKey);
    await gw.core.sessions.create({ sessionId: 'live' });

    const received: string[] = [];
    const req = http.get(`${baseUrl}/dashboard/api/events`, { headers: { cookie: user.cookie } });
    const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
      req.on('response', resolve);
      req.on('error', reject);
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => received.push(chunk));
    try {
      // First, a named snapshot of every session (the page's onmessage does not see named frames).
      await eventually(() => expect(received.join('')).toContain('event: sessions.snapshot'));
      const opening = received.join('').split('\n\n').find((f) => f.includes('event: sessions.snapshot'))!;
      const snapshot = JSON.parse(/^data: (.*)$/m.exec(opening)![1]!);
      expect(snapshot.data.sessions.map((s: { sessionId: string; state: string }) => [s.sessionId, s.state])).toEqual([['live', 'created']]);
      await gw.core.sessions.connect('live');
      await eventually(() => expect(received.join('')).toContain('"type":"auth.qr"'));
      const qr = gw.core.sessions.getQr('live').qr;
      expect(received.join('')).not.toContain(qr);
      expect(received.join('')).toContain('"type":"connection.state"');
    } finally {
      req.destroy();
    }
  });

  it('refuses an unauthenticated event stream', async () => {
    const { app } = await start();
    const res = await app.inject({ url: '/dashboard/api/events' });
    expect(res.statusCode).toBe(401);
  });

  it('issues a pairing code as ABCD-1234 and explains a bad number', async () => {
    const { app, gw } = await start();
    const user = await signIn(app, gw.adminKey);
    await gw.core.sessions.create({ sessionId: 'p' });
    const bad = await app.inject({
      method: 'POST',
      url: '/dashboard/api/sessions/p/pairing-code',
      headers: writeHeaders(user),
      payload: { phoneNumber: '12' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('INVALID_PHONE_NUMBER');
    expect(bad.json().error.message).toBeTruthy();

    const notReady = await app.inject({
      method: 'POST',
      url: '/dashboard/api/sessions/p/pairing-code',
      headers: writeHeaders(user),
      payload: { phoneNumber: '15550002222' },
    });
    expect(notReady.statusCode).toBe(422);

    await gw.core.sessions.connect('p');
    await eventually(() => expect(gw.core.sessions.get('p').state).toBe('qr'));
    const ok = await app.inject({
      method: 'POST',
      url: '/dashboard/api/sessions/p/pairing-code',
      headers: writeHeaders(user),
      payload: { phoneNumber: '15550002222' },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ phoneNumber: '15550002222' });
    expect(ok.json().code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
  });
});

describe('dashboard one-time-code guard', () => {
  it('asks for a WhatsApp code before logout, sends it to the owner, refuses a wrong one and accepts the right one', async () => {
    const { app, gw } = await start({ ownerNumber: '15550009999' });
    const user = await signIn(app, gw.adminKey);
    await gw.core.sessions.create({ sessionId: 'main' });
    await gw.core.sessions.connect('main');
    await eventually(() => expect(gw.core.sessions.get('main').state).toBe('qr'));
    await gw.engine.last('main').link('15550001234');
    await eventually(() => expect(gw.core.sessions.get('main').state).toBe('connected'));

    const status = await app.inject({ url: '/dashboard/api/otp', headers: { cookie: user.cookie } });
    expect(status.json()).toMatchObject({ method: 'whatsapp', totpEnabled: false });

    const logoutUrl = '/dashboard/api/sessions/main/logout';
    const required = await app.inject({ method: 'POST', url: logoutUrl, headers: writeHeaders(user) });
    expect(required.statusCode).toBe(403);
    expect(required.json().error).toMatchObject({ code: 'OTP_REQUIRED', details: { method: 'whatsapp', action: 'logout' } });

    const send = await app.inject({
      method: 'POST',
      url: '/dashboard/api/otp/send',
      headers: writeHeaders(user),
      payload: { action: 'logout', sessionId: 'main' },
    });
    expect(send.statusCode).toBe(200);
    const message = gw.engine.last('main').sent.at(-1)!;
    expect(message.to).toBe('15550009999');
    const code = /(\d{6})/.exec(message.text)![1];
    const wrongCode = code === '000000' ? '111111' : '000000';

    const wrong = await app.inject({ method: 'POST', url: logoutUrl, headers: writeHeaders(user, { 'x-otp-code': wrongCode }) });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json().error.code).toBe('OTP_INVALID');
    expect(gw.core.sessions.get('main').state).toBe('connected');

    const ok = await app.inject({ method: 'POST', url: logoutUrl, headers: writeHeaders(user, { 'x-otp-code': code }) });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().state).toBe('logged_out');
  });

  it('guards delete with an authenticator app once one is enabled', async () => {
    const { app, gw } = await start();
    const { base32Decode, totp } = await import('../../src/api/dashboard/otp/totp.js');
    const user = await signIn(app, gw.adminKey);
    await gw.core.sessions.create({ sessionId: 'd' });

    const setup = await app.inject({ method: 'POST', url: '/dashboard/api/otp/totp/setup', headers: writeHeaders(user) });
    expect(setup.statusCode).toBe(200);
    const { secret, uri, image } = setup.json() as { secret: string; uri: string; image: string };
    expect(uri).toMatch(/^otpauth:\/\/totp\//);
    expect(image).toMatch(/^data:image\/svg\+xml;base64,/);
    const key = base32Decode(secret);
    const enable = await app.inject({
      method: 'POST',
      url: '/dashboard/api/otp/totp/enable',
      headers: writeHeaders(user),
      payload: { code: totp(key, Date.now()) },
    });
    expect(enable.json()).toMatchObject({ method: 'totp', totpEnabled: true });

    const required = await app.inject({ method: 'DELETE', url: '/dashboard/api/sessions/d', headers: writeHeaders(user) });
    expect(required.statusCode).toBe(403);
    expect(required.json().error.details.method).toBe('totp');
    expect(gw.core.sessions.has('d')).toBe(true);
  });

  it('keeps the authenticator app enabled across a restart (encrypted at rest), and forgets it when disabled', async () => {
    const { base32Decode, totp } = await import('../../src/api/dashboard/otp/totp.js');
    const dataDir = await mkdtemp(path.join(tmpdir(), 'wagate-dash-totp-'));
    let now = Date.parse('2026-01-01T00:00:00Z');
    const clock = () => now;
    try {
      const first = await startDashboard({ now: clock, gateway: { dataDir } });
      gateway = first;
      let user = await signIn(first.app, first.gw.adminKey);
      const setup = await first.app.inject({ method: 'POST', url: '/dashboard/api/otp/totp/setup', headers: writeHeaders(user) });
      const secret = (setup.json() as { secret: string }).secret;
      const key = base32Decode(secret);
      const enable = await first.app.inject({
        method: 'POST',
        url: '/dashboard/api/otp/totp/enable',
        headers: writeHeaders(user),
        payload: { code: totp(key, now) },
      });
      expect(enable.json()).toMatchObject({ method: 'totp', totpEnabled: true });
      await first.close();
      gateway = undefined;

      // The secret is in the database, but not readable there.
      const files = (await readdir(dataDir)).filter((f) => f.startsWith('wagate.db'));
      const raw = Buffer.concat(await Promise.all(files.map((f) => readFile(path.join(dataDir, f)))));
      expect(raw.includes(Buffer.from(secret))).toBe(false);

      // A new gateway over the same data dir: the same app's codes still guard and authorize.
      now += 30_000;
      const second = await startDashboard({ now: clock, gateway: { dataDir } });
      gateway = second;
      user = await signIn(second.app, second.gw.adminKey);
      const status = await second.app.inject({ url: '/dashboard/api/otp', headers: { cookie: user.cookie } });
      expect(status.json()).toMatchObject({ method: 'totp', totpEnabled: true });
      await second.gw.core.sessions.create({ sessionId: 'kept' });
      const required = await second.app.inject({ method: 'DELETE', url: '/dashboard/api/sessions/kept', headers: writeHeaders(user) });
      expect(required.json().error).toMatchObject({ code: 'OTP_REQUIRED', details: { method: 'totp' } });
      const ok = await second.app.inject({
        method: 'DELETE',
        url: '/dashboard/api/sessions/kept',
        headers: writeHeaders(user, { 'x-otp-code': totp(key, now) }),
      });
      expect(ok.statusCode).toBe(204);

      now += 30_000;
      const disable = await second.app.inject({
        method: 'POST',
        url: '/dashboard/api/otp/totp/disable',
        headers: writeHeaders(user),
        payload: { code: totp(key, now) },
      });
      expect(disable.json()).toMatchObject({ method: 'none', totpEnabled: false });
      expect(await second.gw.core.settings.get('dashboard.totp')).toBeUndefined();
      await second.close();
      gateway = undefined;

      // Disabled stays disabled after another restart.
      const third = await startDashboard({ now: clock, gateway: { dataDir } });
      gateway = third;
      user = await signIn(third.app, third.gw.adminKey);
      const after = await third.app.inject({ url: '/dashboard/api/otp', headers: { cookie: user.cookie } });
      expect(after.json()).toMatchObject({ method: 'none', totpEnabled: false });
    } finally {
      await gateway?.close();
      gateway = undefined;
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('lets delete through when no guard is configured', async () => {
    const { app, gw } = await start();
    const user = await signIn(app, gw.adminKey);
    await gw.core.sessions.create({ sessionId: 'gone' });
    const res = await app.inject({ method: 'DELETE', url: '/dashboard/api/sessions/gone', headers: writeHeaders(user) });
    expect(res.statusCode).toBe(204);
    expect(gw.core.sessions.has('gone')).toBe(false);
  });
});
