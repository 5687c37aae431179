import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually } from '../../support/harness.js';
import { createNativeTestApp, openSse, type NativeTestApp, type SseClient, type SseFrame } from './helpers.js';

let t: NativeTestApp;
let base: string;
const clients: SseClient[] = [];

beforeEach(async () => {
  t = await createNativeTestApp({ sseHeartbeatMs: 50 });
  base = await t.app.listen({ host: '127.0.0.1', port: 0 });
  for (const sessionId of ['s1', 's2']) {
    expect((await t.call({ method: 'POST', url: '/api/v1/sessions', payload: { sessionId } })).statusCode).toBe(201);
  }
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await t.close();
});

async function sse(path: string, key: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const client = await openSse(`${base}${path}`, { authorization: `Bearer ${key}`, ...headers });
  clients.push(client);
  return client;
}

function parsed(frame: SseFrame): { id: number; type: string; sessionId: string; data: Record<string, unknown> } {
  return JSON.parse(frame.data!);
}

const hasType = (type: string) => (c: SseClient) => c.frames.some((f) => f.event === type);

describe('SSE /api/v1/sessions/{id}/events', () => {
  it('streams the session\'s events in order, each with its id, type and JSON event', async () => {
    const stream = await sse('/api/v1/sessions/s1/events', t.adminKey);
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toContain('text/event-stream');

    await t.call({ method: 'POST', url: '/api/v1/sessions/s1/connect' });
    await stream.until(hasType('auth.qr'));
    await t.gw.engine.last('s1').link('15551234567');
    await stream.until(hasType('auth.paired'));
    await stream.until((c) => c.frames.some((f) => f.event === 'connection.state' && parsed(f).data.state === 'connected'));

    const ids = stream.frames.map((f) => Number(f.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    for (const frame of stream.frames) {
      const event = parsed(frame);
      expect(event.id).toBe(Number(frame.id));
      expect(event.type).toBe(frame.event);
      expect(event.sessionId).toBe('s1');
    }
    const types = stream.frames.map((f) => f.event);
    expect(types.indexOf('auth.qr')).toBeLessThan(types.indexOf('auth.paired'));
  });

  it('replays missed events after Last-Event-ID (header or query), then continues live', async () => {
    const first = await sse('/api/v1/sessions/s1/events', t.adminKey);
    await t.call({ method: 'POST', url: '/api/v1/sessions/s1/connect' });
    await first.until(hasType('auth.qr'));
    const seen = first.frames.map((f) => f.id!);
    expect(seen.length).toBeGreaterThan(1);
    const resumeAfter = seen[0]!;
    first.close();

    // Missed while away: the unpaired session goes back to `created`.
    await t.call({ method: 'POST', url: '/api/v1/sessions/s1/disconnect' });
    const backToCreated = (c: SseClient) =>
      c.frames.some((f) => f.event === 'connection.state' && parsed(f).data.state === 'created');

    const viaHeader = await sse('/api/v1/sessions/s1/events', t.adminKey, { 'last-event-id': resumeAfter });
    await viaHeader.until(backToCreated);
    const replayed = viaHeader.frames.map((f) => f.id!);
    expect(replayed.slice(0, seen.length - 1)).toEqual(seen.slice(1));
    expect(replayed).not.toContain(resumeAfter);

    const viaQuery = await sse(`/api/v1/sessions/s1/events?lastEventId=${resumeAfter}`, t.adminKey);
    await viaQuery.until(backToCreated);
    expect(viaQuery.frames.map((f) => f.id)).toEqual(replayed);

    // Then live events follow on the resumed stream.
    await t.call({ method: 'POST', url: '/api/v1/sessions/s1/connect' });
    await viaHeader.until((c) => c.frames.length > replayed.length && c.frames.at(-1)!.event === 'auth.qr');
    const ids = viaHeader.frames.map((f) => Number(f.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  it('sends a heartbeat comment while idle (after the opening snapshot)', async () => {
    const stream = await sse('/api/v1/sessions/s1/events', t.adminKey);
    await stream.until((c) => c.comments.filter((x) => x === 'heartbeat').length >= 2);
    expect(stream.frames.map((f) => f.event)).toEqual(['session.snapshot']);
  });

  it('drops the subscription when the client goes away', async () => {
    const before = t.gw.core.events.listenerCount();
    const stream = await sse('/api/v1/sessions/s1/events', t.adminKey);
    await eventually(() => expect(t.gw.core.events.listenerCount()).toBe(before + 1));
    stream.close();
    await eventually(() => expect(t.gw.core.events.listenerCount()).toBe(before));
  });

  it('ends open streams when the server closes', async () => {
    // The core's own subscribers (messaging) stay; every stream's goes.
    const coreListeners = t.gw.core.events.listenerCount();
    const stream = await sse('/api/v1/sessions/s1/events', t.adminKey);
    const ended = new Promise<void>((resolve) => stream.onEnd(resolve));
    await t.app.close();
    await ended;
    expect(t.gw.core.events.listenerCount()).toBe(coreListeners);
  });

  it('rejects a missing key with 401 JSON and another session\'s key with 403', async () => {
    const res = await fetch(`${base}/api/v1/sessions/s1/events`);
    expect(res.status).toBe(401);
    expect((await res.json()).error.code).toBe('UNAUTHORIZED');

    const key = (await t.call({ method: 'POST', url: '/api/v1/sessions/s2/keys', payload: {} })).json().data.key;
    const other = await fetch(`${base}/api/v1/sessions/s1/events`, { headers: { authorization: `Bearer ${key}` } });
    expect(other.status).toBe(403);
    await other.body?.cancel();
  });
});

describe('SSE /api/v1/events (all sessions)', () => {
  it('streams every session\'s events to the admin key', async () => {
    const stream = await sse('/api/v1/events', t.adminKey);
    await t.call({ method: 'POST', url: '/api/v1/sessions/s1/connect' });
    await t.call({ method: 'POST', url: '/api/v1/sessions/s2/connect' });
    await t.call({ method: 'POST', url: '/api/v1/sessions', payload: { sessionId: 's3' } });
    await stream.until((c) => ['s1', 's2', 's3'].every((id) => c.frames.some((f) => parsed(f).sessionId === id)));
    expect(stream.frames.some((f) => f.event === 'session.created' && parsed(f).sessionId === 's3')).toBe(true);
  });

  it('is admin only; a scoped key sees only its own session on its own stream', async () => {
    const key = (await t.call({ method: 'POST', url: '/api/v1/sessions/s1/keys', payload: {} })).json().data.key;
    const global = await fetch(`${base}/api/v1/events`, { headers: { authorization: `Bearer ${key}` } });
    expect(global.status).toBe(403);
    expect((await global.json()).error.code).toBe('FORBIDDEN');

    const own = await sse('/api/v1/sessions/s1/events', key);
    expect(own.status).toBe(200);
    await t.call({ method: 'POST', url: '/api/v1/sessions/s2/connect' });
    await t.call({ method: 'POST', url: '/api/v1/sessions/s1/connect' });
    await own.until(hasType('auth.qr'));
    expect(own.frames.every((f) => parsed(f).sessionId === 's1')).toBe(true);
  });
});

describe('SSE resume from a shared feed (as on a node of many)', () => {
  it('replays the feed\'s events, then the snapshot, then what arrived meanwhile: in order, each once', async () => {
    const bus = t.gw.core.events;
    const before = bus.emit('session.created', 'elsewhere', {});
    // Another node's event, which this node never saw.
    const remote = { id: before.id + 1000, type: 'connection.state', sessionId: 's2', seq: 1, createdAt: new Date().toISOString(), data: { state: 'connecting' } } as const;
    let during: { id: number } | undefined;
    bus.useFeed({
      async after(afterId) {
        // An event happens while the feed is being read; it also lands in the buffer the replay merges.
        during = bus.emit('auth.qr', 's1', {});
        await new Promise((r) => setTimeout(r, 50));
        return { events: [remote].filter((e) => e.id > afterId), more: false };
      },
      gone: () => false,
    });
    const stream = await sse('/api/v1/events', t.adminKey, { 'last-event-id': String(before.id) });
    await stream.until(hasType('sessions.snapshot'));
    const live = bus.emit('session.created', 'after', {});
    await stream.until((c) => c.frames.some((f) => Number(f.id) === live.id));
    const order = stream.frames.map((f) => (f.event === 'sessions.snapshot' ? 'snapshot' : Number(f.id)));
    expect(order).toEqual([during!.id, remote.id, 'snapshot', live.id]);
  });
});
