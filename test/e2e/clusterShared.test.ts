/**
 * Many nodes on one PostgreSQL, what a user carries from one node to another
 * behind a load balancer (issue 17, points 4 and 5): two gateway processes
 * and one standalone sandbox network on a fresh schema.
 * - An SSE stream resumed on B with a Last-Event-ID from A gets exactly the
 *   events it missed, though B started after them (from the shared feed),
 *   then the snapshot, then live events, each once.
 * - A dashboard sign-in on A is a sign-in on B (cookie and CSRF token).
 * - A one-time code sent by A (to the owner's WhatsApp) is accepted by B,
 *   once; an authenticator set up on A is confirmed on B.
 * - A GOWA QR link issued by A is served by B; a GOWA device or dashboard
 *   request forwarded to the owner answers as the node the client asked.
 * - The pairing-code limit counts codes issued on both nodes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2E_ADMIN_KEY, sleep, type SpawnedGateway } from '../support/e2e.js';
import { eachSseData } from '../support/sseData.js';
import { freshSchema, spawnNode, startSandboxProcess, type PgSchema, type SandboxProcess, waitUntil } from '../support/cluster.js';
import { base32Decode, totp } from '../../src/api/dashboard/otp/totp.js';

const NODE_ENV = { WAGATE_CLUSTER_LEASE_MS: '6000', WAGATE_KEEPALIVE_MS: '1000', LOG_LEVEL: 'warn' };
const PHONE = '4915112300011';
const OWNER = '4915112300012';
const CODES_FOR = '4915112300013';

let db: PgSchema;
let sandbox: SandboxProcess;
let a: SpawnedGateway;
let b: SpawnedGateway | undefined;

interface Frame {
  id: number;
  type: string;
  data: any;
}

/** A raw SSE reader that keeps the snapshot frame in its place. */
function stream(base: string, path: string, lastEventId?: number) {
  const frames: Frame[] = [];
  const controller = new AbortController();
  void (async () => {
    const res = await fetch(base + path, {
      headers: {
        authorization: `Bearer ${E2E_ADMIN_KEY}`,
        accept: 'text/event-stream',
        ...(lastEventId !== undefined ? { 'last-event-id': String(lastEventId) } : {}),
      },
      signal: controller.signal,
    });
    await eachSseData(res.body!, (data) => {
      const parsed = JSON.parse(data);
      frames.push({ id: Number(parsed.id), type: String(parsed.type), data: parsed });
    });
  })().catch(() => undefined);
  return {
    frames,
    close: () => controller.abort(),
    async until(p: (f: Frame) => boolean, ms = 20_000): Promise<Frame> {
      const deadline = Date.now() + ms;
      for (;;) {
        const found = frames.find(p);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`frame not seen in ${ms} ms; saw ${frames.map((f) => f.type).join(',')}`);
        await sleep(50);
      }
    },
  };
}

/** Dashboard calls with a cookie (and the CSRF token on writes). */
async function dashboard(node: SpawnedGateway, method: string, path: string, opts: { cookie?: string; csrf?: string; body?: unknown; otp?: string } = {}) {
  const res = await fetch(`${node.client.baseUrl}/dashboard${path}`, {
    method,
    headers: {
      ...(opts.cookie ? { cookie: opts.cookie } : {}),
      ...(opts.csrf ? { 'x-csrf-token': opts.csrf } : {}),
      ...(opts.otp ? { 'x-otp-code': opts.otp } : {}),
      ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

async function signIn(node: SpawnedGateway): Promise<{ cookie: string; csrf: string }> {
  const res = await dashboard(node, 'POST', '/api/sign-in', { body: { apiKey: E2E_ADMIN_KEY } });
  expect(res.status).toBe(200);
  const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  return { cookie, csrf: res.body.csrfToken };
}

beforeAll(async () => {
  db = await freshSchema();
  sandbox = await startSandboxProcess(['--idle-timeout-ms', '4000']);
  a = await spawnNode('A', db, sandbox, { ...NODE_ENV, WAGATE_OWNER_NUMBER: OWNER });
}, 120_000);

afterAll(async () => {
  for (const node of [a, b]) await node?.kill().catch(() => undefined);
  await sandbox?.stop();
  await db?.drop();
});

describe('two nodes on one PostgreSQL: shared streams and shared state', () => {
  it('a stream resumed on B, started after the events, replays exactly what it missed from A, then the snapshot, then live events once', async () => {
    const onA = stream(a.client.baseUrl, '/api/v1/events');
    expect((await a.client.post('/api/v1/sessions', { sessionId: 'early' })).status).toBe(201);
    expect((await a.client.post('/api/v1/sessions/early/connect')).status).toBeLessThan(300);
    await onA.until((f) => f.type === 'auth.qr' && f.data.sessionId === 'early');
    expect((await a.client.post('/api/v1/sessions', { sessionId: 'early2' })).status).toBe(201);
    await onA.until((f) => f.type === 'session.created' && f.data.sessionId === 'early2');
    const seenOnA = onA.frames.filter((f) => !f.type.endsWith('.snapshot'));
    const from = seenOnA[0]!.id;

    // B never saw any of them: it starts now.
    b = await spawnNode('B', db, sandbox, { ...NODE_ENV, WAGATE_OWNER_NUMBER: OWNER });
    const onB = stream(b.client.baseUrl, '/api/v1/events', from);
    const snapshot = await onB.until((f) => f.type === 'sessions.snapshot');
    const replayed = onB.frames.slice(0, onB.frames.indexOf(snapshot));
    const missed = seenOnA.filter((f) => f.id > from).map((f) => f.id);
    // Everything A had shown after the resume point, in order (more may have come since).
    expect(replayed.map((f) => f.id).slice(0, missed.length)).toEqual(missed);
    expect(replayed.every((f, i) => f.id > from && (i === 0 || f.id > replayed[i - 1]!.id))).toBe(true);
    expect(snapshot.data.data.missedEvents).toBe(false);
    expect(snapshot.data.data.sessions.map((s: { sessionId: string }) => s.sessionId).sort()).toEqual(['early', 'early2']);

    // Live after the replay, on both nodes' streams, each event once.
    expect((await a.client.post('/api/v1/sessions', { sessionId: 'later' })).status).toBe(201);
    const live = await onB.until((f) => f.type === 'session.created' && f.data.sessionId === 'later');
    expect(onB.frames.indexOf(live)).toBeGreaterThan(onB.frames.indexOf(snapshot));
    await onA.until((f) => f.id === live.id);
    await sleep(500);
    onA.close();
    onB.close();
    const idsB = onB.frames.filter((f) => !f.type.endsWith('.snapshot')).map((f) => f.id);
    expect(new Set(idsB).size).toBe(idsB.length);
    const idsA = onA.frames.filter((f) => !f.type.endsWith('.snapshot') && f.id > from && f.id <= live.id).map((f) => f.id);
    expect(idsB.filter((id) => id <= live.id).sort()).toEqual([...idsA].sort());

    // One session's stream resumes on B too, with that session's events only.
    const early = stream(b.client.baseUrl, '/api/v1/sessions/early/events', from);
    const earlySnapshot = await early.until((f) => f.type === 'session.snapshot');
    early.close();
    const earlyReplayed = early.frames.slice(0, early.frames.indexOf(earlySnapshot));
    expect(earlyReplayed.map((f) => f.id)).toEqual(seenOnA.filter((f) => f.id > from && f.data.sessionId === 'early').map((f) => f.id).slice(0, earlyReplayed.length));
    expect(earlyReplayed.some((f) => f.type === 'auth.qr')).toBe(true);
    expect(earlyReplayed.every((f) => f.data.sessionId === 'early')).toBe(true);
  }, 120_000);

  it('a dashboard sign-in on A holds on B (cookie and CSRF token); signing out on B signs out on A', async () => {
    const { cookie, csrf } = await signIn(a);
    const me = await dashboard(b!, 'GET', '/api/me', { cookie });
    expect(me.status).toBe(200);
    expect(me.body.csrfToken).toBe(csrf);
    expect((await dashboard(b!, 'GET', '/api/sessions', { cookie })).status).toBe(200);
    // A write on B with the token A handed out.
    expect((await dashboard(b!, 'POST', '/api/sign-out', { cookie, csrf: 'wrong' })).status).toBe(403);
    expect((await dashboard(b!, 'POST', '/api/sign-out', { cookie, csrf })).status).toBe(204);
    expect((await dashboard(a, 'GET', '/api/me', { cookie })).status).toBe(401);
    // Nothing in the database gives the cookie away.
    const rows = await db.query(`SELECT key, value FROM ${db.table('shared_state')}`);
    expect(JSON.stringify(rows)).not.toContain(cookie.split('=')[1]);
  });

  it('a one-time code A sent to the owner is accepted by B, once; an authenticator set up on A is confirmed on B', async () => {
    // A paired session on A delivers codes to the owner's chat.
    expect((await sandbox.control('POST', '/phones', { phoneNumber: PHONE })).status).toBe(201);
    expect((await sandbox.control('POST', '/phones', { phoneNumber: OWNER })).status).toBe(201);
    expect((await a.client.post('/api/v1/sessions', { sessionId: 'courier' })).status).toBe(201);
    expect((await a.client.post('/api/v1/sessions/courier/connect')).status).toBeLessThan(300);
    const qr = await a.client.qr('courier');
    expect((await sandbox.control('POST', `/phones/${PHONE}/scan`, { qr })).status).toBe(200);
    await a.client.waitForState('courier', 'connected', 30_000);
    await b!.client.waitForState('courier', 'connected', 10_000);
    expect((await b!.client.post('/api/v1/sessions', { sessionId: 'victim' })).status).toBe(201);

    const onA = await signIn(a);
    const onB = await signIn(b!);
    expect((await dashboard(b!, 'GET', '/api/otp', onB)).body.method).toBe('whatsapp');
    expect((await dashboard(b!, 'DELETE', '/api/sessions/victim', onB)).body.error.code).toBe('OTP_REQUIRED');
    const sent = await dashboard(a, 'POST', '/api/otp/send', { ...onA, body: { action: 'delete', sessionId: 'victim' } });
    expect(sent.status).toBe(200);
    // The resend pause holds on B as well (B runs no connected session: it asks A's courier).
    expect((await dashboard(b!, 'POST', '/api/otp/send', { ...onB, body: { action: 'delete', sessionId: 'victim' } })).status).toBe(429);
    const code = await waitUntil(
      'the code in the owner\'s chat',
      async () => /(\d{6}) is your code to delete session/.exec(JSON.stringify((await sandbox.control('GET', `/phones/${OWNER}/messages`)).body))?.[1],
      20_000,
    );
    const rows = await db.query(`SELECT value FROM ${db.table('shared_state')} WHERE key LIKE 'dashboard.otp.code:%'`);
    expect(rows).toHaveLength(1);
    expect(Buffer.from(rows[0].value).toString()).not.toContain(code);
    expect((await dashboard(b!, 'DELETE', '/api/sessions/victim', { ...onB, otp: code })).status).toBe(204);
    expect((await b!.client.get('/api/v1/sessions/victim')).status).toBe(404);
    // Spent: A does not take it again.
    expect((await a.client.post('/api/v1/sessions', { sessionId: 'victim' })).status).toBe(201);
    expect((await dashboard(a, 'DELETE', '/api/sessions/victim', { ...onA, otp: code })).body.error.code).toBe('OTP_INVALID');

    // Asked on B, which runs no connected session: A's courier delivers it, and A accepts it.
    const viaB = await dashboard(b!, 'POST', '/api/otp/send', { ...onB, body: { action: 'logout', sessionId: 'victim' } });
    expect(viaB.status, JSON.stringify(viaB.body)).toBe(200);
    const second = await waitUntil(
      'the second code in the owner\'s chat',
      async () => /(\d{6}) is your code to log out session/.exec(JSON.stringify((await sandbox.control('GET', `/phones/${OWNER}/messages`)).body))?.[1],
      20_000,
    );
    expect((await a.client.post('/api/v1/sessions/victim/connect')).status).toBeLessThan(300);
    const logout = await dashboard(a, 'POST', '/api/sessions/victim/logout', { ...onA, otp: second });
    // Past the guard (what the logout itself answers for a session still linking is not the point here).
    expect(String(logout.body?.error?.code ?? 'passed')).not.toMatch(/^OTP_/);

    // The authenticator setup begun on A is confirmed on B (its code is one B checks).
    const setup = await dashboard(a, 'POST', '/api/otp/totp/setup', onA);
    expect(setup.status).toBe(200);
    const enabled = await dashboard(b!, 'POST', '/api/otp/totp/enable', { ...onB, body: { code: totp(base32Decode(setup.body.secret), Date.now()) } });
    expect(enabled.status).toBe(200);
    expect(enabled.body.totpEnabled).toBe(true);
    expect((await dashboard(a, 'GET', '/api/otp', onA)).body.totpEnabled).toBe(true);
  }, 120_000);

  it('a GOWA QR link issued by A is served by B', async () => {
    const basic = { authorization: `Basic ${Buffer.from(`user:${E2E_ADMIN_KEY}`).toString('base64')}` };
    const created = await fetch(`${a.client.baseUrl}/compat/gowa/devices`, {
      method: 'POST',
      headers: { ...basic, 'content-type': 'application/json' },
      body: JSON.stringify({ device_id: 'gowa-dev' }),
    });
    expect(created.status).toBeLessThan(300);
    const login = await fetch(`${a.client.baseUrl}/compat/gowa/devices/gowa-dev/login`, { headers: basic });
    expect(login.status).toBe(200);
    const link = new URL(((await login.json()) as { results: { qr_link: string } }).results.qr_link);
    expect(link.host).toBe(new URL(a.client.baseUrl).host);
    const fromA = await fetch(`${a.client.baseUrl}${link.pathname}`);
    const fromB = await fetch(`${b!.client.baseUrl}${link.pathname}`);
    expect(fromB.status).toBe(200);
    expect(fromB.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await fromB.arrayBuffer())).toEqual(Buffer.from(await fromA.arrayBuffer()));
    expect((await fetch(`${b!.client.baseUrl}${link.pathname.replace(/[0-9a-f]{12}\.png$/, '000000000000.png')}`)).status).toBe(404);
  }, 60_000);

  it('requests forwarded to the owner answer as if local: a dashboard write passes the same-origin check, a GOWA link names the node the client used', async () => {
    const basic = { authorization: `Basic ${Buffer.from(`user:${E2E_ADMIN_KEY}`).toString('base64')}` };
    expect((await b!.client.post('/api/v1/sessions', { sessionId: 'gowa-b' })).status).toBe(201);
    expect((await b!.client.post('/api/v1/sessions/gowa-b/connect')).status).toBeLessThan(300);
    await waitUntil('B to own gowa-b', async () => ((await db.query(`SELECT owner_node FROM ${db.table('sessions')} WHERE id = 'gowa-b'`))[0]?.owner_node === 'B' ? true : undefined), 10_000);
    const login = await fetch(`${a.client.baseUrl}/compat/gowa/devices/gowa-b/login`, { headers: basic });
    const answer = (await login.json()) as { results: { qr_link: string } };
    expect(login.status, JSON.stringify(answer)).toBe(200);
    const link = new URL(answer.results.qr_link);
    expect(link.host).toBe(new URL(a.client.baseUrl).host);
    expect((await fetch(`${a.client.baseUrl}${link.pathname}`)).status).toBe(200);

    const onA = await signIn(a);
    const res = await fetch(`${a.client.baseUrl}/dashboard/api/sessions/gowa-b/disconnect`, {
      method: 'POST',
      headers: { cookie: onA.cookie, 'x-csrf-token': onA.csrf, origin: a.client.baseUrl, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(200);
  }, 60_000);

  it('dialects that name the session in a token, the query or their settings reach the owner too (bridge, Wawp, go-whatsapp-multi-session)', async () => {
    const owner = async (id: string) => (await db.query(`SELECT owner_node FROM ${db.table('sessions')} WHERE id = '${id}'`))[0]?.owner_node;
    const admin = { 'x-api-key': E2E_ADMIN_KEY };

    // The bridge's one session, running on B; its QR asked on A.
    const onB = await fetch(`${b!.client.baseUrl}/compat/bridge/session/qr`, { headers: admin });
    expect(onB.status).toBe(200);
    expect(await owner('default')).toBe('B');
    const viaA = await fetch(`${a.client.baseUrl}/compat/bridge/session/qr`, { headers: admin });
    expect(viaA.status).toBe(200);
    expect(((await viaA.json()) as { qr: string }).qr).toBeTruthy();

    // Wawp: instance_id in the query.
    const wawp = (node: SpawnedGateway, route: string) => fetch(`${node.client.baseUrl}/compat/wawp${route}${route.includes('?') ? '&' : '?'}access_token=${E2E_ADMIN_KEY}&instance_id=wawp-b`);
    expect((await wawp(b!, '/v2/session/create')).status).toBeLessThan(300);
    expect((await wawp(b!, '/v2/session/start')).status).toBeLessThan(300);
    await waitUntil('B to own wawp-b', async () => ((await owner('wawp-b')) === 'B' ? true : undefined), 10_000);
    const qr = await waitUntil('the Wawp QR through A', async () => {
      const res = await wawp(a, '/v2/auth/qr');
      return res.status === 200 ? ((await res.json()) as { value: string }) : undefined;
    }, 20_000);
    expect(qr.value).toBeTruthy();

    // go-whatsapp-multi-session: the device is named by its token.
    const created = await fetch(`${b!.client.baseUrl}/compat/gomulti/devices`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ device_name: 'gm' }),
    });
    expect(created.status).toBe(201);
    const device = ((await created.json()) as { data: { device_id: string; token: string } }).data;
    const bearer = { authorization: `Bearer ${device.token}` };
    expect((await fetch(`${b!.client.baseUrl}/compat/gomulti/devices/me/reconnect`, { method: 'POST', headers: bearer })).status).toBe(200);
    expect(await owner(device.device_id)).toBe('B');
    const login = await fetch(`${a.client.baseUrl}/compat/gomulti/devices/me/login?output=json`, { headers: bearer });
    expect(login.status).toBe(200);
    expect(((await login.json()) as { data: { QRCode: string } }).data.QRCode).toMatch(/^data:image\/png;base64,/);
    // A forged token names no device: it is A's own 401, not forwarded anywhere.
    const forged = await fetch(`${a.client.baseUrl}/compat/gomulti/devices/me/login?output=json`, { headers: { authorization: `Bearer ${device.token.slice(0, -4)}AAAA` } });
    expect(forged.status).toBe(401);
  }, 90_000);

  it('the pairing-code limit counts codes issued on both nodes', async () => {
    expect((await sandbox.control('POST', '/phones', { phoneNumber: CODES_FOR })).status).toBe(201);
    const ask = async (node: SpawnedGateway, sessionId: string) => {
      expect((await node.client.post('/api/v1/sessions', { sessionId })).status).toBe(201);
      expect((await node.client.post(`/api/v1/sessions/${sessionId}/connect`)).status).toBeLessThan(300);
      return node.client.post(`/api/v1/sessions/${sessionId}/auth/pairing-code`, { phoneNumber: CODES_FOR });
    };
    expect((await ask(a, 'code-a1')).status).toBe(200);
    expect((await ask(b!, 'code-b1')).status).toBe(200);
    expect((await ask(a, 'code-a2')).status).toBe(200);
    // The fourth in ten minutes, wherever it is asked for.
    const fourth = await ask(b!, 'code-b2');
    expect(fourth.status).toBe(429);
    expect(fourth.body.error.code).toBe('PAIRING_RATE_LIMITED');
    const owners = await db.query(`SELECT id, owner_node FROM ${db.table('sessions')} WHERE id LIKE 'code-%' ORDER BY id`);
    expect(owners.map((r) => `${r.id}@${r.owner_node}`)).toEqual(['code-a1@A', 'code-a2@A', 'code-b1@B', 'code-b2@B']);
  }, 90_000);
});
