/** Dialect webhooks: WAHA's session config.webhooks (WAHA shapes, X-Webhook-Hmac) and GOWA's signed form. */
import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { gowaWebhookFormat, gowaWebhooks } from '../../../src/api/gowa/webhooks.js';
import type { GatewayEvent } from '../../../src/core/model.js';
import { startReceiver } from '../../support/webhookReceiver.js';
import { createDialectTestApp, type DialectTestApp } from './helpers.js';

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});

describe('WAHA config.webhooks', () => {
  it('a session created with config.webhooks gets session.status events in WAHA\'s shape, HMAC-SHA512 signed', async () => {
    const rx = await startReceiver();
    const t: DialectTestApp = await createDialectTestApp({}, { webhooks: { net: { allowPrivate: true } } });
    open.push(rx, t);
    const res = await t.inject({
      method: 'POST',
      url: '/compat/waha/api/sessions',
      headers: { 'x-api-key': t.adminKey },
      payload: { name: 'shop', start: true, config: { webhooks: [{ url: rx.url, events: ['session.status'], hmac: { key: 'waha-key' } }] } },
    });
    expect(res.statusCode).toBe(201);
    await rx.waitForCount(1);
    const req = rx.requests[0]!;
    expect(JSON.parse(req.body)).toMatchObject({ event: 'session.status', session: 'shop', payload: { name: 'shop', status: 'STARTING' } });
    expect(req.headers['x-webhook-hmac']).toBe(createHmac('sha512', 'waha-key').update(req.body).digest('hex'));
    expect(req.headers['x-webhook-hmac-algorithm']).toBe('sha512');
    // Not a native webhook: the native list does not show it.
    expect(t.gw.core.webhooks.list(undefined)).toEqual([]);
  });

  it('a webhook URL that is not allowed is a 400 and creates no session', async () => {
    const t = await createDialectTestApp();
    open.push(t);
    const res = await t.inject({
      method: 'POST',
      url: '/compat/waha/api/sessions',
      headers: { 'x-api-key': t.adminKey },
      payload: { name: 'nope', config: { webhooks: [{ url: 'http://169.254.169.254/' }] } },
    });
    expect(res.statusCode).toBe(400);
    expect(t.gw.core.sessions.has('nope')).toBe(false);
  });
});

describe('Evolution webhook URLs', () => {
  it('a webhook URL the rules refuse is a 400 on create (no instance is made) and on webhook/set (the settings stay)', async () => {
    const t = await createDialectTestApp();
    open.push(t);
    const headers = { apikey: t.adminKey };
    const refused = await t.inject({
      method: 'POST',
      url: '/compat/evolution/instance/create',
      headers,
      payload: { instanceName: 'nope', integration: 'WHATSAPP-BAILEYS', webhook: { url: 'http://169.254.169.254/latest', events: ['MESSAGES_UPSERT'] } },
    });
    expect(refused.statusCode).toBe(400);
    expect(t.gw.core.sessions.has('nope')).toBe(false);

    expect((await t.inject({ method: 'POST', url: '/compat/evolution/instance/create', headers, payload: { instanceName: 'kept' } })).statusCode).toBe(201);
    const set = await t.inject({ method: 'POST', url: '/compat/evolution/webhook/set/kept', headers, payload: { webhook: { url: 'http://127.0.0.1:9/hook' } } });
    expect(set.statusCode).toBe(400);
    expect((await t.inject({ method: 'GET', url: '/compat/evolution/webhook/find/kept', headers })).body).toBe('null');
  });
});

describe('GOWA webhook form', () => {
  it('signs X-Hub-Signature-256 with the configured secret (GOWA\'s default "secret" when unset)', () => {
    const format = gowaWebhookFormat(() => ({ event: 'message', payload: { id: 'm1' } }));
    const event = { id: 1, type: 'connection.state', sessionId: 'd1', seq: 1, createdAt: '2026-01-01T00:00:00.000Z', data: {} } as GatewayEvent;
    const body = format.render(event, null)!;
    expect(JSON.parse(body)).toEqual({ event: 'message', device_id: 'd1', payload: { id: 'm1' }, timestamp: event.createdAt });
    const [configured] = gowaWebhooks(['https://example.com/a'], 's3cret');
    expect(format.headers(body, configured!.secret, { eventId: '1', eventType: 'x', timestamp: 0 })).toEqual({
      'X-Hub-Signature-256': `sha256=${createHmac('sha256', 's3cret').update(body).digest('hex')}`,
    });
    expect(gowaWebhooks(['https://example.com/a'], undefined)[0]!.secret).toBe('secret');
  });
});
