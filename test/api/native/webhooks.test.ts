/** /api/v1/webhooks through HTTP: create (secret once), list, get, patch, delete, test, deliveries, replay, key scope, errors. */
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../../support/harness.js';
import { startReceiver, type Receiver } from '../../support/webhookReceiver.js';
import { createNativeTestApp, type NativeTestApp } from './helpers.js';

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});

async function rig(allowPrivate = true): Promise<{ t: NativeTestApp; rx: Receiver }> {
  const rx = await startReceiver();
  const t = await createNativeTestApp({ webhooks: { net: { allowPrivate }, retryDelaysMs: [30], timeoutMs: 500 } });
  open.push(rx, t);
  return { t, rx };
}

async function sessionKey(t: NativeTestApp, sessionId: string): Promise<string> {
  expect((await t.call({ method: 'POST', url: '/api/v1/sessions', payload: { sessionId } })).statusCode).toBe(201);
  const res = await t.call({ method: 'POST', url: `/api/v1/sessions/${sessionId}/keys`, payload: {} });
  return res.json().data.key as string;
}

describe('webhooks API', () => {
  it('creates a webhook (201, secret shown once), lists, gets, patches and deletes it', async () => {
    const { t, rx } = await rig();
    const created = await t.call({ method: 'POST', url: '/api/v1/webhooks', payload: { url: rx.url, events: ['connection.state', 'auth.paired'] } });
    expect(created.statusCode).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    const hook = created.json().data;
    expect(hook).toMatchObject({ url: rx.url, events: ['connection.state', 'auth.paired'], sessionId: null, enabled: true });
    expect(hook.id).toMatch(/^wh_/);
    expect(hook.secret).toMatch(/^whsec_/);
    expect(Buffer.from(hook.secret.slice(6), 'base64').length).toBeGreaterThanOrEqual(24);

    const listed = (await t.call({ method: 'GET', url: '/api/v1/webhooks' })).json().data;
    expect(listed).toHaveLength(1);
    expect(listed[0].secret).toBeUndefined();
    const got = await t.call({ method: 'GET', url: `/api/v1/webhooks/${hook.id}` });
    expect(got.json().data.secret).toBeUndefined();

    const patched = await t.call({ method: 'PATCH', url: `/api/v1/webhooks/${hook.id}`, payload: { events: ['*'], enabled: false } });
    expect(patched.statusCode).toBe(200);
    expect(patched.json().data).toMatchObject({ events: ['*'], enabled: false });
    expect(patched.json().data.secret).toBeUndefined();
    const rotated = await t.call({ method: 'PATCH', url: `/api/v1/webhooks/${hook.id}`, payload: { rotateSecret: true } });
    expect(rotated.json().data.secret).toMatch(/^whsec_/);
    expect(rotated.json().data.secret).not.toBe(hook.secret);
    expect(rotated.json().data.previousSecretValidUntil).toEqual(expect.any(String));

    const deleted = await t.call({ method: 'DELETE', url: `/api/v1/webhooks/${hook.id}` });
    expect(deleted.json()).toEqual({ data: { id: hook.id, deleted: true } });
    const gone = await t.call({ method: 'GET', url: `/api/v1/webhooks/${hook.id}` });
    expect(gone.statusCode).toBe(404);
    expect(gone.json().error.code).toBe('WEBHOOK_NOT_FOUND');
  });

  it('the secret is stored encrypted: the database file never holds it in plain text', async () => {
    const { t, rx } = await rig();
    const hook = (await t.call({ method: 'POST', url: '/api/v1/webhooks', payload: { url: rx.url, events: ['*'] } })).json().data;
    const { readFile } = await import('node:fs/promises');
    const path = await import('node:path');
    await t.gw.stop();
    const files = ['wagate.db', 'wagate.db-wal'].map((f) => path.join(t.gw.dataDir, f));
    const bytes = Buffer.concat(await Promise.all(files.map((f) => readFile(f).catch(() => Buffer.alloc(0)))));
    expect(bytes.includes(Buffer.from(hook.secret.slice(6)))).toBe(false);
  });

  it('sends a test ping and shows it in the deliveries, cursor-paged, and replays one', async () => {
    const { t, rx } = await rig();
    const hook = (await t.call({ method: 'POST', url: '/api/v1/webhooks', payload: { url: rx.url, events: ['*'] } })).json().data;
    for (let i = 0; i < 3; i++) {
      const ping = await t.call({ method: 'POST', url: `/api/v1/webhooks/${hook.id}/test` });
      expect(ping.statusCode).toBe(202);
      expect(ping.json().data).toMatchObject({ eventType: 'webhook.test', status: 'pending' });
    }
    await rx.waitForCount(3);
    expect(JSON.parse(rx.requests[0]!.body)).toMatchObject({ type: 'webhook.test', data: { webhookId: hook.id } });
    let page1: { data: Array<{ id: number; status: string }>; nextCursor: number | null } = { data: [], nextCursor: null };
    await eventually(async () => {
      page1 = (await t.call({ method: 'GET', url: `/api/v1/webhooks/${hook.id}/deliveries?limit=2` })).json();
      expect(page1.data.map((d) => d.status)).toEqual(['delivered', 'delivered']);
    });
    expect(page1.nextCursor).toBe(page1.data[1]!.id);
    const page2 = (await t.call({ method: 'GET', url: `/api/v1/webhooks/${hook.id}/deliveries?limit=2&before=${page1.nextCursor}` })).json();
    expect(page2.data).toHaveLength(1);
    expect(page2.data[0]).toMatchObject({ status: 'delivered', attempts: 1, lastStatusCode: 204, nextAttemptAt: null });
    expect(page2.nextCursor).toBeNull();

    const replay = await t.call({ method: 'POST', url: `/api/v1/webhooks/${hook.id}/deliveries/${page2.data[0].id}/replay` });
    expect(replay.statusCode).toBe(202);
    await rx.waitForCount(4);
    expect(rx.requests[3]!.headers['webhook-id']).toBe(rx.requests[0]!.headers['webhook-id']);
    const missing = await t.call({ method: 'POST', url: `/api/v1/webhooks/${hook.id}/deliveries/999999/replay` });
    expect(missing.json().error.code).toBe('DELIVERY_NOT_FOUND');
  });

  it('replays every failed delivery in a time range', async () => {
    const { t, rx } = await rig();
    rx.respond = () => ({ status: 500 });
    const hook = (await t.call({ method: 'POST', url: '/api/v1/webhooks', payload: { url: rx.url, events: ['*'] } })).json().data;
    const from = new Date(Date.now() - 1000).toISOString();
    t.gw.core.events.emit('connection.state', 'x', {});
    t.gw.core.events.emit('connection.state', 'y', {});
    await eventually(async () => {
      const failed = (await t.call({ method: 'GET', url: `/api/v1/webhooks/${hook.id}/deliveries?status=failed` })).json().data;
      expect(failed).toHaveLength(2);
    });
    rx.respond = () => ({ status: 200 });
    const to = new Date(Date.now() + 1000).toISOString();
    const res = await t.call({ method: 'POST', url: `/api/v1/webhooks/${hook.id}/replay`, payload: { from, to } });
    expect(res.statusCode).toBe(202);
    expect(res.json().data).toEqual({ replayed: 2 });
    await eventually(async () => {
      const delivered = (await t.call({ method: 'GET', url: `/api/v1/webhooks/${hook.id}/deliveries?status=delivered` })).json().data;
      expect(delivered).toHaveLength(2);
    });
  });

  it('a session key manages only its own session\'s webhooks', async () => {
    const { t, rx } = await rig();
    const keyA = await sessionKey(t, 'a');
    await sessionKey(t, 'b');
    const mine = await t.call({ method: 'POST', url: '/api/v1/webhooks', key: keyA, payload: { url: rx.url, events: ['*'] } });
    expect(mine.statusCode).toBe(201);
    expect(mine.json().data.sessionId).toBe('a');
    const foreign = await t.call({ method: 'POST', url: '/api/v1/webhooks', key: keyA, payload: { url: rx.url, events: ['*'], sessionId: 'b' } });
    expect(foreign.statusCode).toBe(403);
    const global = await t.call({ method: 'POST', url: '/api/v1/webhooks', key: keyA, payload: { url: rx.url, events: ['*'], sessionId: null } });
    expect(global.statusCode).toBe(403);
    const adminHook = (await t.call({ method: 'POST', url: '/api/v1/webhooks', payload: { url: rx.url, events: ['*'], sessionId: 'b' } })).json().data;
    const seen = (await t.call({ method: 'GET', url: '/api/v1/webhooks', key: keyA })).json().data;
    expect(seen.map((w: { sessionId: string }) => w.sessionId)).toEqual(['a']);
    for (const [method, url] of [
      ['GET', `/api/v1/webhooks/${adminHook.id}`],
      ['PATCH', `/api/v1/webhooks/${adminHook.id}`],
      ['DELETE', `/api/v1/webhooks/${adminHook.id}`],
      ['POST', `/api/v1/webhooks/${adminHook.id}/test`],
      ['GET', `/api/v1/webhooks/${adminHook.id}/deliveries`],
    ] as const) {
      const res = await t.call({ method, url, key: keyA, ...(method === 'PATCH' ? { payload: { enabled: false } } : {}) });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.json().error.code).toBe('WEBHOOK_NOT_FOUND');
    }
    expect((await t.call({ method: 'GET', url: '/api/v1/webhooks', key: null })).statusCode).toBe(401);
    // Deleting the session removes its webhooks.
    await t.call({ method: 'DELETE', url: '/api/v1/sessions/b' });
    expect((await t.call({ method: 'GET', url: `/api/v1/webhooks/${adminHook.id}` })).statusCode).toBe(404);
  });

  it('refuses bad input with a clear 4xx and changes nothing', async () => {
    const { t } = await rig(false);
    const cases: Array<[unknown, number, string]> = [
      [{ url: 'http://127.0.0.1:9/x', events: ['*'] }, 400, 'URL_NOT_ALLOWED'],
      [{ url: 'http://localhost:9/x', events: ['*'] }, 400, 'URL_NOT_ALLOWED'],
      [{ url: 'http://169.254.169.254/', events: ['*'] }, 400, 'URL_NOT_ALLOWED'],
      [{ url: 'ftp://example.com/', events: ['*'] }, 400, 'URL_NOT_ALLOWED'],
      [{ url: 'https://example.com/', events: ['auth.qr'] }, 400, 'VALIDATION_FAILED'],
      [{ url: 'https://example.com/', events: [] }, 400, 'VALIDATION_FAILED'],
      [{ url: 'https://example.com/' }, 400, 'VALIDATION_FAILED'],
      [{ url: 'https://example.com/', events: ['*'], extra: 1 }, 400, 'VALIDATION_FAILED'],
      [{ url: 'https://example.com/', events: ['*'], sessionId: 'nobody' }, 404, 'SESSION_NOT_FOUND'],
    ];
    for (const [payload, status, code] of cases) {
      const res = await t.call({ method: 'POST', url: '/api/v1/webhooks', payload: payload as object });
      expect(res.statusCode, JSON.stringify(payload)).toBe(status);
      expect(res.json().error.code).toBe(code);
    }
    expect((await t.call({ method: 'GET', url: '/api/v1/webhooks' })).json().data).toEqual([]);
  });

  it('appears in the OpenAPI document', async () => {
    const { t } = await rig();
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/webhooks',
        '/api/v1/webhooks/{webhookId}',
        '/api/v1/webhooks/{webhookId}/test',
        '/api/v1/webhooks/{webhookId}/deliveries',
        '/api/v1/webhooks/{webhookId}/deliveries/{deliveryId}/replay',
        '/api/v1/webhooks/{webhookId}/replay',
      ]),
    );
  });
});
