/**
 * The typed client against a real sandbox gateway (real engine, store and
 * HTTP): a session created, linked by QR in the sandbox and sending a message
 * through createWagateClient; followEvents behind a proxy that cuts, refuses
 * and stalls its connections, compared event for event with one unbroken
 * stream; and the same run's webhook deliveries checked with the signature
 * helpers, across a secret rotation.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2E_ADMIN_KEY, sleep, startE2E, type E2E } from '../../../test/support/e2e.js';
import { startReceiver, type Receiver } from '../../../test/support/webhookReceiver.js';
import {
  createWagateClient,
  followEvents,
  unwrap,
  verifyStandardWebhook,
  verifyWadialWebhook,
  verifyWebhook,
  WagateApiError,
  WebhookVerificationError,
  type WagateClient,
  type WagateEvent,
  type WagateSnapshot,
} from '../src/index.js';
import { startTcpProxy, type TcpProxy } from './support/tcpProxy.js';

/** The sandbox's default simulated phone (WAGATE_SANDBOX_PHONE). */
const PHONE = '15550000001';
const SESSION = 'typed';

let e2e: E2E;
let rx: Receiver;
let proxy: TcpProxy;
let wagate: WagateClient;
let webhookId: string;
let secret: string;
/** Every event the follower handed out, and the unbroken stream's, by the end of the first test. */
let followed: WagateEvent[] = [];
/** Streams to close even when a test fails half-way. */
const openStreams: Array<{ close(): void }> = [];

beforeAll(async () => {
  rx = await startReceiver();
  e2e = await startE2E({ env: { WAGATE_WEBHOOK_ALLOW_PRIVATE: '1' } });
  proxy = await startTcpProxy(e2e.gateway.port);
  wagate = createWagateClient({ baseUrl: e2e.client.baseUrl, apiKey: E2E_ADMIN_KEY });
});
afterAll(async () => {
  for (const stream of openStreams) stream.close();
  await proxy?.close();
  await e2e?.close();
  await rx?.close();
});

/** Poll `probe` until it returns a value. */
async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('@wagate/client against a sandbox gateway', () => {
  it(
    'drives a session from creation to a sent message, while followEvents hands out every event once across cut, refused and stalled connections',
    { timeout: 180_000 },
    async () => {
      const hook = unwrap(await wagate.POST('/api/v1/webhooks', { body: { url: rx.url, events: ['*'] } }));
      webhookId = hook.id;
      secret = hook.secret;

      // Both streams start from the beginning of the gateway's buffer (lastEventId 0), so neither can miss an early event.
      const reference = e2e.client.events('/api/v1/events?lastEventId=0');
      openStreams.push(reference);
      let connects = 0;
      const snapshots: WagateSnapshot[] = [];
      const stream = followEvents({
        baseUrl: proxy.url,
        apiKey: E2E_ADMIN_KEY,
        lastEventId: 0,
        reconnect: { minDelayMs: 50, maxDelayMs: 400 },
        // The test gateway's heartbeat is 1 s: three missed ones mean a dead connection.
        idleTimeoutMs: 3_000,
        onConnect: () => (connects += 1),
        onSnapshot: (snapshot) => snapshots.push(snapshot),
      });
      openStreams.push(stream);
      const seen: WagateEvent[] = [];
      const following = (async () => {
        for await (const event of stream) seen.push(event);
      })();
      const sawEvent = (p: (e: WagateEvent) => boolean) => until('an event on the followed stream', () => seen.find(p));

      const created = unwrap(await wagate.POST('/api/v1/sessions', { body: { sessionId: SESSION } }));
      expect(created.sessionId).toBe(SESSION);
      await sawEvent((e) => e.type === 'session.created' && e.sessionId === SESSION);

      // Cut the stream mid-way and keep the network down while the session starts linking.
      proxy.refuse(true);
      proxy.drop();
      const connectsBeforeGap = connects;
      expect((await wagate.POST('/api/v1/sessions/{sessionId}/connect', { params: { path: { sessionId: SESSION } } })).response.status).toBe(202);
      const qr = await until('a QR code', async () => {
        const { data } = await wagate.GET('/api/v1/sessions/{sessionId}/auth/qr', { params: { path: { sessionId: SESSION } } });
        return data && typeof data === 'object' ? data.data.qr : undefined;
      });
      await reference.waitFor((e) => e.type === 'auth.qr' && e.sessionId === SESSION);
      expect(connects).toBe(connectsBeforeGap);
      proxy.refuse(false);

      const scanned = await wagate.POST('/sandbox/phones/{phoneNumber}/scan', { params: { path: { phoneNumber: PHONE } }, body: { qr } });
      expect(scanned.response.status).toBe(200);
      await until('the session to connect', async () => {
        const status = unwrap(await wagate.GET('/api/v1/sessions/{sessionId}/status', { params: { path: { sessionId: SESSION } } }));
        return status.state === 'connected' ? status : undefined;
      });
      await sawEvent((e) => e.type === 'auth.paired' && e.sessionId === SESSION);

      // A connection that stays open but carries nothing (no heartbeats either) is given up and replaced.
      const connectsBeforeStall = connects;
      proxy.stall();
      const sent = unwrap(
        await wagate.POST('/api/v1/sessions/{sessionId}/messages', {
          params: { path: { sessionId: SESSION } },
          body: { to: PHONE, content: { type: 'text', text: 'hello from @wagate/client' } },
        }),
      );
      const sentEvent = await reference.waitFor((e) => e.type === 'message.sent' && e.sessionId === SESSION, 30_000);
      expect(JSON.stringify(sentEvent.data)).toContain(sent.messageId);
      await until('the follower to reconnect after the stall and catch up', () =>
        connects > connectsBeforeStall && (stream.lastEventId ?? 0) >= sentEvent.id ? true : undefined,
      );

      const upTo = sentEvent.id;
      // Every connection opened with where things stood; snapshots never appear among the events.
      expect(snapshots.length).toBeGreaterThanOrEqual(1);
      expect(snapshots.every((s) => s.type === 'sessions.snapshot' && Array.isArray(s.data.sessions))).toBe(true);
      expect(seen.some((e) => String(e.type).endsWith('.snapshot'))).toBe(false);
      const ids = seen.map((e) => e.id);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.filter((id) => id <= upTo)).toEqual(reference.events.map((e) => e.id).filter((id) => id <= upTo));
      expect(seen.filter((e) => e.sessionId === SESSION).map((e) => e.type)).toEqual(
        expect.arrayContaining(['session.created', 'connection.state', 'auth.qr', 'auth.paired', 'message.sent']),
      );
      // The first connection, one after the cut and refusal, one after the stall.
      expect(connects).toBeGreaterThanOrEqual(3);

      stream.close();
      await following;
      reference.close();
      followed = seen;
    },
  );

  it("verifies every delivery's Standard Webhooks and WADial signatures, refuses a changed body or another secret, and accepts both secrets during a rotation", { timeout: 60_000 }, async () => {
    expect(followed.length).toBeGreaterThan(0);
    const parsed = () => rx.requests.map((r) => JSON.parse(r.body) as WagateEvent);
    await until('the message.sent delivery', () => parsed().find((e) => e.type === 'message.sent'));
    const streamed = new Set(followed.map((e) => e.id));
    const lastStreamed = Math.max(...streamed);
    const otherSecret = `whsec_${randomBytes(32).toString('base64')}`;

    for (const request of rx.requests) {
      const event = verifyStandardWebhook(secret, request.body, request.headers);
      expect(event).toEqual(JSON.parse(request.body));
      expect(request.headers['webhook-id']).toBe(String(event.id));
      expect(verifyWadialWebhook(secret, request.body, request.headers)).toEqual(event);
      expect(verifyWebhook(secret, Buffer.from(request.body), new Headers(request.headers as Record<string, string>))).toEqual(event);
      // One numbering: a delivery carries the id the event had on the stream (receipts may come after it closed).
      if (event.id <= lastStreamed) expect(streamed.has(event.id)).toBe(true);

      const changed = request.body.replace(`"sessionId":"${event.sessionId}"`, `"sessionId":"${event.sessionId}x"`);
      expect(changed).not.toBe(request.body);
      expect(() => verifyStandardWebhook(secret, changed, request.headers)).toThrow(WebhookVerificationError);
      expect(() => verifyWadialWebhook(secret, changed, request.headers)).toThrow(WebhookVerificationError);
      expect(() => verifyStandardWebhook(otherSecret, request.body, request.headers)).toThrow(WebhookVerificationError);
      expect(() => verifyWadialWebhook(otherSecret, request.body, request.headers)).toThrow(WebhookVerificationError);
    }
    expect(parsed().map((e) => e.type)).toEqual(expect.arrayContaining(['session.created', 'auth.paired', 'message.sent']));

    const rotated = unwrap(await wagate.PATCH('/api/v1/webhooks/{webhookId}', { params: { path: { webhookId } }, body: { rotateSecret: true } }));
    const newSecret = rotated.secret;
    expect(newSecret).toBeTruthy();
    expect(newSecret).not.toBe(secret);
    const before = rx.requests.length;
    expect((await wagate.POST('/api/v1/webhooks/{webhookId}/test', { params: { path: { webhookId } } })).response.status).toBe(202);
    const ping = await until('the test delivery', () => rx.requests.slice(before).find((r) => JSON.parse(r.body).type === 'webhook.test'));
    for (const key of [newSecret!, secret]) {
      expect(verifyStandardWebhook(key, ping.body, ping.headers).type).toBe('webhook.test');
      expect(verifyWadialWebhook(key, ping.body, ping.headers).type).toBe('webhook.test');
    }
    expect(() => verifyWebhook(otherSecret, ping.body, ping.headers)).toThrow(WebhookVerificationError);
  });

  it('turns error envelopes into WagateApiError, and a refused stream ends instead of retrying', async () => {
    const missing = await wagate.GET('/api/v1/sessions/{sessionId}', { params: { path: { sessionId: 'nobody-here' } } });
    expect(() => unwrap(missing)).toThrow(WagateApiError);
    expect(missing.error?.error.code).toBe('SESSION_NOT_FOUND');
    try {
      unwrap(missing);
    } catch (err) {
      expect(err).toMatchObject({ status: 404, code: 'SESSION_NOT_FOUND' });
    }

    let retries = 0;
    const unknown = followEvents({ baseUrl: e2e.client.baseUrl, apiKey: E2E_ADMIN_KEY, sessionId: 'nobody-here', onDisconnect: () => (retries += 1) });
    await expect(
      (async () => {
        for await (const event of unknown) void event;
      })(),
    ).rejects.toMatchObject({ name: 'WagateApiError', status: 404, code: 'SESSION_NOT_FOUND' });
    expect(retries).toBe(0);
  });
});
