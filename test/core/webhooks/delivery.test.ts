/**
 * Deliveries end to end in one process: the real core and store, a receiver
 * on 127.0.0.1 (allowed by the test's setting), short retry timings.
 */
import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebhookSettings } from '../../../src/core/webhooks/webhookService.js';
import { createTestGateway, eventually, type TestGateway } from '../../support/harness.js';
import { startReceiver, type Receiver, type ReceivedRequest, type Reply } from '../../support/webhookReceiver.js';

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});

const FAST: Partial<WebhookSettings> = {
  net: { allowPrivate: true },
  retryDelaysMs: [40, 40, 40],
  timeoutMs: 300,
};

async function rig(respond?: (req: ReceivedRequest, i: number) => Reply, settings: Partial<WebhookSettings> = {}): Promise<{ gw: TestGateway; rx: Receiver }> {
  const rx = await startReceiver(respond);
  const gw = await createTestGateway({ webhooks: { ...FAST, ...settings } });
  open.push(rx, gw);
  return { gw, rx };
}

const bodyOf = (r: ReceivedRequest): { id: number; type: string; sessionId: string; seq: number; data: Record<string, unknown> } =>
  JSON.parse(r.body) as never;

describe('webhook deliveries', () => {
  it('POSTs a session event with a body and signatures a receiver verifies with its own HMAC', async () => {
    const { gw, rx } = await rig();
    const hook = await gw.core.webhooks.create({ url: rx.url, events: ['session.created'] }, undefined);
    await gw.core.sessions.create({ sessionId: 'alpha' });
    await rx.waitForCount(1);
    const [req] = rx.requests;
    const body = bodyOf(req!);
    expect(body).toMatchObject({ type: 'session.created', sessionId: 'alpha', seq: 1 });
    const id = req!.headers['webhook-id'] as string;
    const ts = req!.headers['webhook-timestamp'] as string;
    expect(id).toBe(String(body.id));
    expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(60);
    const key = Buffer.from(hook.secret.slice('whsec_'.length), 'base64');
    const expected = createHmac('sha256', key).update(`${id}.${ts}.${req!.body}`).digest('base64');
    expect(req!.headers['webhook-signature']).toBe(`v1,${expected}`);
    const wadial = createHmac('sha256', hook.secret).update(`${ts}.${req!.body}`).digest('hex');
    expect(req!.headers['wadial-signature']).toBe(`t=${ts},v1=${wadial}`);
    expect(req!.headers['wadial-event-type']).toBe('session.created');
    // Persisted history and webhook agree on the id.
    const history = await gw.core.events.history('alpha', 10);
    expect(history.find((e) => e.type === 'session.created')?.id).toBe(body.id);
  });

  it('retries after a 500 and after a timeout with the same webhook-id, then records it delivered', async () => {
    const { gw, rx } = await rig((_r, i) => (i === 0 ? { status: 500 } : i === 1 ? { delayMs: 1_000 } : { status: 200 }));
    const hook = await gw.core.webhooks.create({ url: rx.url, events: ['*'] }, undefined);
    gw.core.events.emit('connection.state', 'beta', { state: 'connecting' });
    await rx.waitForCount(3);
    const ids = rx.requests.map((r) => r.headers['webhook-id']);
    expect(new Set(ids).size).toBe(1);
    await eventually(async () => {
      const { items } = await gw.core.webhooks.deliveries(hook.id, { limit: 10 }, undefined);
      expect(items[0]).toMatchObject({ status: 'delivered', attempts: 3, lastStatusCode: 200 });
    });
  });

  it('gives up after the last retry and marks the delivery failed; replay sends it again with the same id', async () => {
    let ok = false;
    const { gw, rx } = await rig(() => ({ status: ok ? 204 : 503 }));
    const hook = await gw.core.webhooks.create({ url: rx.url, events: ['*'] }, undefined);
    gw.core.events.emit('connection.state', 'gamma', {});
    await rx.waitForCount(4); // first try + 3 retries
    let failedId = 0;
    await eventually(async () => {
      const { items } = await gw.core.webhooks.deliveries(hook.id, { limit: 10, status: 'failed' }, undefined);
      expect(items[0]).toMatchObject({ status: 'failed', attempts: 4, lastStatusCode: 503, lastError: 'HTTP 503' });
      failedId = items[0]!.id;
    });
    ok = true;
    await gw.core.webhooks.replay(hook.id, failedId, undefined);
    await rx.waitForCount(5);
    expect(rx.requests[4]!.headers['webhook-id']).toBe(rx.requests[0]!.headers['webhook-id']);
    await eventually(async () => {
      const { items } = await gw.core.webhooks.deliveries(hook.id, { limit: 10 }, undefined);
      expect(items[0]).toMatchObject({ id: failedId, status: 'delivered' });
    });
  });

  it('honours Retry-After: the next attempt waits at least that long', async () => {
    const { gw, rx } = await rig((_r, i) => (i === 0 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 }));
    await gw.core.webhooks.create({ url: rx.url, events: ['*'] }, undefined);
    gw.core.events.emit('connection.state', 'delta', {});
    await rx.waitForCount(2, 5_000);
    expect(rx.requests[1]!.at - rx.requests[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('410 Gone disables the endpoint and announces it with webhook.disabled; enabling it resumes', async () => {
    let gone = true;
    const { gw, rx } = await rig(() => ({ status: gone ? 410 : 204 }));
    const watcher = await startReceiver();
    open.push(watcher);
    const hook = await gw.core.webhooks.create({ url: rx.url, events: ['connection.state'] }, undefined);
    await gw.core.webhooks.create({ url: watcher.url, events: ['webhook.disabled'] }, undefined);
    gw.core.events.emit('connection.state', 'eps', {});
    await watcher.waitForCount(1);
    expect(bodyOf(watcher.requests[0]!)).toMatchObject({ type: 'webhook.disabled', data: { webhookId: hook.id, reason: expect.stringContaining('410') } });
    expect(gw.core.webhooks.get(hook.id, undefined)).toMatchObject({ enabled: false, disabledReason: expect.stringContaining('410') });
    gw.core.events.emit('connection.state', 'eps', {});
    await new Promise((r) => setTimeout(r, 150));
    expect(rx.requests).toHaveLength(1);
    gone = false;
    await gw.core.webhooks.update(hook.id, { enabled: true }, undefined);
    gw.core.events.emit('connection.state', 'eps', {});
    await rx.waitForCount(2);
    expect(bodyOf(rx.requests[1]!).seq).toBeGreaterThan(bodyOf(rx.requests[0]!).seq);
  });

  it('an endpoint failing for longer than the limit is disabled', async () => {
    const { gw, rx } = await rig(() => ({ status: 500 }), { disableAfterMs: 60, retryDelaysMs: [40, 40, 40, 40, 40, 40] });
    const hook = await gw.core.webhooks.create({ url: rx.url, events: ['*'] }, undefined);
    gw.core.events.emit('connection.state', 'zeta', {});
    await eventually(() => expect(gw.core.webhooks.get(hook.id, undefined)).toMatchObject({ enabled: false, disabledReason: expect.stringContaining('failed for') }));
  });

  it('each session\'s events arrive in seq order, one at a time, while a slow session does not hold up another', async () => {
    let inFlightA = 0;
    let maxInFlightA = 0;
    const { gw, rx } = await rig((r) => {
      const body = JSON.parse(r.body) as { sessionId: string };
      if (body.sessionId !== 'a') return { status: 200 };
      inFlightA++;
      maxInFlightA = Math.max(maxInFlightA, inFlightA);
      setTimeout(() => inFlightA--, 15);
      return { status: 200, delayMs: 15 };
    });
    await gw.core.webhooks.create({ url: rx.url, events: ['*'] }, undefined);
    for (let i = 0; i < 20; i++) gw.core.events.emit('connection.state', 'a', { i });
    for (let i = 0; i < 5; i++) gw.core.events.emit('connection.state', 'b', { i });
    await rx.waitForCount(25);
    const seqs = (s: string) => rx.requests.map(bodyOf).filter((b) => b.sessionId === s).map((b) => b.data.i);
    expect(seqs('a')).toEqual([...Array(20).keys()]);
    expect(seqs('b')).toEqual([...Array(5).keys()]);
    expect(maxInFlightA).toBe(1);
    // Session b's five went out before session a's slow twenty were done.
    const lastB = rx.requests.findLastIndex((r) => bodyOf(r).sessionId === 'b');
    expect(lastB).toBeLessThan(20);
  });

  it('a rotated secret signs next to the new one during the overlap', async () => {
    const { gw, rx } = await rig();
    const hook = await gw.core.webhooks.create({ url: rx.url, events: ['*'] }, undefined);
    const rotated = await gw.core.webhooks.update(hook.id, { rotateSecret: true }, undefined);
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(hook.secret);
    gw.core.events.emit('connection.state', 'eta', {});
    await rx.waitForCount(1);
    const req = rx.requests[0]!;
    const sign = (secret: string) =>
      `v1,${createHmac('sha256', Buffer.from(secret.slice(6), 'base64')).update(`${req.headers['webhook-id']}.${req.headers['webhook-timestamp']}.${req.body}`).digest('base64')}`;
    expect(String(req.headers['webhook-signature']).split(' ')).toEqual([sign(rotated.secret!), sign(hook.secret)]);
  });

  it('a session\'s endpoint gets only that session\'s events; auth.qr is never offered', async () => {
    const { gw, rx } = await rig();
    await gw.core.sessions.create({ sessionId: 'mine' });
    await gw.core.sessions.create({ sessionId: 'other' });
    await gw.core.webhooks.create({ url: rx.url, events: ['*'], sessionId: 'mine' }, undefined);
    gw.core.events.emit('auth.qr', 'mine', { qr: 'secret' });
    gw.core.events.emit('connection.state', 'other', {});
    gw.core.events.emit('connection.state', 'mine', { n: 1 });
    await rx.waitForCount(1);
    await new Promise((r) => setTimeout(r, 100));
    expect(rx.requests.map(bodyOf).map((b) => [b.type, b.sessionId])).toEqual([['connection.state', 'mine']]);
  });

  it('a state change and its event commit together: the delivery exists after a restart even if it was never sent', async () => {
    const rx = await startReceiver(() => ({ hang: true }));
    open.push(rx);
    const first = await createTestGateway({ webhooks: { ...FAST, timeoutMs: 60_000 } });
    const hook = await first.core.webhooks.create({ url: rx.url, events: ['connection.state'] }, undefined);
    await first.core.sessions.create({ sessionId: 'durable' });
    await first.core.sessions.connect('durable');
    await rx.waitForCount(1);
    const sentId = rx.requests[0]!.headers['webhook-id'];
    await first.stop();
    rx.respond = () => ({ status: 200 });
    const second = await createTestGateway({ dataDir: first.dataDir, webhooks: FAST });
    open.push(second, { close: () => first.close() });
    await eventually(() => expect(rx.requests.some((r, i) => i > 0 && r.headers['webhook-id'] === sentId)).toBe(true), 15_000);
    // The receiver saw the request before the gateway had its answer and recorded it.
    await eventually(async () => {
      const { items } = await second.core.webhooks.deliveries(hook.id, { limit: 50 }, undefined);
      expect(items.find((d) => String(d.eventId) === sentId)?.status).toBe('delivered');
    }, 10_000);
  });
});

describe('webhooks from settings (a dialect\'s env-configured URLs)', () => {
  it('two nodes starting together with the same settings make one endpoint; a changed secret updates it in place; a dropped URL removes it', async () => {
    const first = await createTestGateway({ webhooks: FAST });
    open.push(first);
    const second = await createTestGateway({ webhooks: FAST, dataDir: first.dataDir });
    open.push(second);
    const wanted = [{ format: 'gowa', sessionId: null, url: 'http://127.0.0.1:9/hook', secret: 's1' }];
    await Promise.all([first.core.webhooks.syncDialectWebhooks('gowa', null, wanted), second.core.webhooks.syncDialectWebhooks('gowa', null, wanted)]);
    const rows = await first.store.webhooks.list();
    expect(rows).toHaveLength(1);

    await second.core.webhooks.syncDialectWebhooks('gowa', null, [{ format: 'gowa', sessionId: null, url: 'http://127.0.0.1:9/hook', secret: 's2' }]);
    const changed = await first.store.webhooks.list();
    expect(changed.map((r) => [r.id, r.secret])).toEqual([[rows[0]!.id, 's2']]);

    await second.core.webhooks.syncDialectWebhooks('gowa', null, []);
    expect(await first.store.webhooks.list()).toHaveLength(0);
  });
});
