/**
 * Issue 18 items 14 and 15 through real HTTP: every event stream opens with
 * where things stand (a late client need not wait for a change), and an
 * event has one id everywhere: SSE `id:`, the history and `webhook-id`,
 * one sequence that a restart continues.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startReceiver } from '../../support/webhookReceiver.js';
import { createNativeTestApp, openSse, type NativeTestApp, type SseClient, type SseFrame } from './helpers.js';

const open: Array<{ close(): void | Promise<void> }> = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});

interface Started {
  t: NativeTestApp;
  base: string;
  sse(url: string, headers?: Record<string, string>): Promise<SseClient>;
}

async function start(opts: Parameters<typeof createNativeTestApp>[0] = {}): Promise<Started> {
  const t = await createNativeTestApp(opts);
  const base = await t.app.listen({ host: '127.0.0.1', port: 0 });
  open.push(t);
  return {
    t,
    base,
    sse: async (url, headers = {}) => {
      const client = await openSse(`${base}${url}`, { authorization: `Bearer ${t.adminKey}`, ...headers });
      open.push(client);
      return client;
    },
  };
}

const json = (f: SseFrame): any => JSON.parse(f.data!);
const state = (f: SseFrame): string | undefined => json(f).data?.state;

async function linked(t: NativeTestApp, sessionId: string): Promise<void> {
  expect((await t.call({ method: 'POST', url: '/api/v1/sessions', payload: { sessionId } })).statusCode).toBe(201);
  await t.call({ method: 'POST', url: `/api/v1/sessions/${sessionId}/connect` });
  await t.gw.engine.last(sessionId).link('15550000001');
  await t.gw.core.sessions.waitForState(sessionId, ['connected'], 3_000);
}

describe('event streams open with a snapshot', () => {
  it('a session stream opened late starts with the session as it stands, then goes on live', async () => {
    const { t, sse } = await start();
    await linked(t, 's1');
    const stream = await sse('/api/v1/sessions/s1/events');
    await stream.until((c) => c.frames.length >= 1);
    const first = stream.frames[0]!;
    expect(first.event).toBe('session.snapshot');
    const snap = json(first);
    expect(snap).toMatchObject({ type: 'session.snapshot', sessionId: 's1', data: { missedEvents: false } });
    expect(snap.data.session).toMatchObject({ sessionId: 's1', state: 'connected', connected: true, paired: true });
    expect(snap.data.session).toEqual((await t.call({ method: 'GET', url: '/api/v1/sessions/s1' })).json().data);
    // Its id is where the stream stands: the session's last event so far, and every later event is above it.
    const history = (await t.call({ method: 'GET', url: '/api/v1/sessions/s1/events/history' })).json().data;
    expect(Number(first.id)).toBe(snap.id);
    expect(snap.id).toBeGreaterThanOrEqual(history.at(-1).id);
    expect(snap.seq).toBe(history.at(-1).seq);

    await t.call({ method: 'POST', url: '/api/v1/sessions/s1/disconnect' });
    await stream.until((c) => c.frames.some((f) => f.event === 'connection.state' && state(f) === 'inactive'));
    expect(stream.frames.slice(1).every((f) => Number(f.id) > snap.id)).toBe(true);
  });

  it('the all-sessions stream starts with every session', async () => {
    const { t, sse } = await start();
    await linked(t, 'a');
    expect((await t.call({ method: 'POST', url: '/api/v1/sessions', payload: { sessionId: 'b' } })).statusCode).toBe(201);
    const stream = await sse('/api/v1/events');
    await stream.until((c) => c.frames.length >= 1);
    const snap = json(stream.frames[0]!);
    expect(stream.frames[0]!.event).toBe('sessions.snapshot');
    expect(snap.sessionId).toBeNull();
    expect(snap.data.sessions.map((s: { sessionId: string; state: string }) => [s.sessionId, s.state]).sort()).toEqual([
      ['a', 'connected'],
      ['b', 'created'],
    ]);
  });

  it('an unknown session is a 404, not an empty stream', async () => {
    const { t, base } = await start();
    const res = await fetch(`${base}/api/v1/sessions/nobody/events`, { headers: { authorization: `Bearer ${t.adminKey}` } });
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe('SESSION_NOT_FOUND');
  });

  it('a resume replays what was missed, then the snapshot, then live events', async () => {
    const { t, sse } = await start();
    expect((await t.call({ method: 'POST', url: '/api/v1/sessions', payload: { sessionId: 's1' } })).statusCode).toBe(201);
    const first = await sse('/api/v1/sessions/s1/events');
    await first.until((c) => c.frames.length >= 1);
    const resumeAfter = first.frames[0]!.id!;
    first.close();
    await t.call({ method: 'POST', url: '/api/v1/sessions/s1/connect' });
    await t.gw.core.sessions.waitForState('s1', ['qr'], 3_000);

    const resumed = await sse('/api/v1/sessions/s1/events', { 'last-event-id': resumeAfter });
    await resumed.until((c) => c.frames.some((f) => f.event === 'session.snapshot'));
    const events = resumed.frames.map((f) => f.event);
    const at = events.indexOf('session.snapshot');
    expect(events.slice(0, at)).toContain('auth.qr');
    const snap = json(resumed.frames[at]!);
    expect(snap.data).toMatchObject({ missedEvents: false, session: { state: 'qr' } });
    const ids = resumed.frames.map((f) => Number(f.id));
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
  });
});

describe('one id per event: SSE, history and webhooks', () => {
  it('the SSE id, the history id and the webhook-id of an event are the same number', async () => {
    const rx = await startReceiver();
    open.push(rx);
    const { t, sse } = await start({ webhooks: { net: { allowPrivate: true }, retryDelaysMs: [30], timeoutMs: 1_000 } });
    const hook = await t.call({ method: 'POST', url: '/api/v1/webhooks', payload: { url: rx.url, events: ['*'] } });
    expect(hook.statusCode).toBe(201);
    expect((await t.call({ method: 'POST', url: '/api/v1/sessions', payload: { sessionId: 's1' } })).statusCode).toBe(201);
    const stream = await sse('/api/v1/sessions/s1/events');
    await t.call({ method: 'POST', url: '/api/v1/sessions/s1/connect' });
    await t.gw.core.sessions.waitForState('s1', ['qr'], 3_000);
    await t.gw.engine.last('s1').link('15550000001');
    await stream.until((c) => c.frames.some((f) => f.event === 'connection.state' && state(f) === 'connected'));

    const history: Array<{ id: number; type: string }> = (
      await t.call({ method: 'GET', url: '/api/v1/sessions/s1/events/history' })
    ).json().data;
    const streamed = new Map(stream.frames.map((f) => [Number(f.id), f.event]));
    const afterSnapshot = history.filter((e) => e.type !== 'session.created');
    expect(afterSnapshot.length).toBeGreaterThanOrEqual(3);
    for (const e of afterSnapshot) expect(streamed.get(e.id)).toBe(e.type);

    // Every durable event of s1 goes to the webhook under the same id.
    const durable = stream.frames.filter((f) => f.event !== 'auth.qr' && f.event !== 'session.snapshot');
    await rx.waitForCount(history.length);
    const byId = new Map(rx.requests.map((r) => [Number(r.headers['webhook-id']), JSON.parse(r.body)]));
    for (const f of durable) {
      expect(byId.get(Number(f.id))).toMatchObject({ id: Number(f.id), type: f.event });
      expect(rx.requests.find((r) => Number(r.headers['webhook-id']) === Number(f.id))!.headers['wadial-event-id']).toBe(f.id);
    }
    // Ids are a plain sequence in the store, not clock readings.
    expect(Math.max(...history.map((e) => e.id))).toBeLessThan(1_000_000);
  });

  it('a restart continues the sequence after every id a client saw (a QR\'s too), and a resume from before it reports missed events', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'wagate-ids-'));
    open.push({ close: () => rm(dataDir, { recursive: true, force: true }) });
    const before = await start({ dataDir });
    expect((await before.t.call({ method: 'POST', url: '/api/v1/sessions', payload: { sessionId: 's1' } })).statusCode).toBe(201);
    const stream = await before.sse('/api/v1/sessions/s1/events');
    await before.t.call({ method: 'POST', url: '/api/v1/sessions/s1/connect' });
    await stream.until((c) => c.frames.some((f) => f.event === 'auth.qr'));
    const lastSeen = Math.max(...stream.frames.map((f) => Number(f.id)));
    stream.close();
    await before.t.close();

    const after = await start({ dataDir });
    const resumed = await after.sse('/api/v1/sessions/s1/events', { 'last-event-id': String(lastSeen) });
    await resumed.until((c) => c.frames.length >= 1);
    await after.t.call({ method: 'POST', url: '/api/v1/sessions/s1/connect' });
    await resumed.until((c) => c.frames.some((f) => f.event === 'auth.qr'));
    const ids = resumed.frames.slice(1).map((f) => Number(f.id));
    expect(ids.length).toBeGreaterThan(0);
    expect(Math.min(...ids)).toBeGreaterThan(lastSeen);
    // The process before kept its events in memory only: a resume across the restart is told so.
    const old = await after.sse('/api/v1/sessions/s1/events', { 'last-event-id': String(lastSeen - 1) });
    await old.until((c) => c.frames.some((f) => f.event === 'session.snapshot'));
    expect(json(old.frames.find((f) => f.event === 'session.snapshot')!).data.missedEvents).toBe(true);
  });
});
