/**
 * Evolution API webhooks end to end: the real engine against the sandbox, a
 * loopback receiver (allowed by WAGATE_WEBHOOK_ALLOW_PRIVATE). An instance
 * created with a webhook, or given one by /webhook/set, gets real
 * deliveries in Evolution's envelope, to `<url>/<event>` with byEvents, with
 * the client's own headers and never an API key in the body; a sandbox
 * phone's message arrives as `messages.upsert` with the phone's push name.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startE2E, type E2E } from '../../support/e2e.js';
import { startReceiver, type ReceivedRequest, type Receiver } from '../../support/webhookReceiver.js';

const LINKED = '15554450001';
const FRIEND = '15554450002';
const SECOND = '15554450003';

let e2e: E2E;
let receiver: Receiver;
beforeAll(async () => {
  e2e = await startE2E({ env: { WAGATE_WEBHOOK_ALLOW_PRIVATE: '1' } });
  receiver = await startReceiver();
  for (const phoneNumber of [LINKED, FRIEND, SECOND]) expect((await e2e.client.post('/sandbox/phones', { phoneNumber })).status).toBe(201);
});
afterAll(async () => {
  await e2e?.close();
  await receiver?.close();
});

async function evo(method: string, uri: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${e2e.client.baseUrl}/compat/evolution${uri}`, {
    method,
    headers: { apikey: e2e.client.key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

interface Delivery {
  path: string;
  headers: ReceivedRequest['headers'];
  body: { event: string; instance: string; data: any; destination: string; date_time: string; sender: string | null; server_url: string | null };
}

const deliveries = (): Delivery[] => receiver.requests.map((r) => ({ path: r.path, headers: r.headers, body: JSON.parse(r.body) as Delivery['body'] }));

async function waitForDelivery(what: string, match: (d: Delivery) => boolean, timeoutMs = 20_000): Promise<Delivery> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = deliveries().find(match);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no ${what} delivery in ${timeoutMs} ms; got ${deliveries().map((d) => `${d.path} ${d.body.event}`).join(', ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function pairWithQr(instance: string, phone: string): Promise<void> {
  const connect = await evo('GET', `/instance/connect/${instance}`);
  expect(connect.status).toBe(200);
  expect((await e2e.client.post(`/sandbox/phones/${phone}/scan`, { qr: connect.body.code })).status).toBe(200);
  await e2e.client.waitForState(instance, 'connected');
}

describe('Evolution API webhooks (real engine ↔ sandbox, loopback receiver)', () => {
  it('instance/create with webhook {url, byEvents, events, headers}: connection.update and messages.upsert arrive at <url>/<event>, in Evolution\'s envelope', async () => {
    const created = await evo('POST', '/instance/create', {
      instanceName: 'evo-hooks',
      integration: 'WHATSAPP-BAILEYS',
      webhook: { url: receiver.url, byEvents: true, base64: false, events: ['CONNECTION_UPDATE', 'MESSAGES_UPSERT'], headers: { authorization: 'Bearer client-token' } },
    });
    expect(created.status).toBe(201);
    await pairWithQr('evo-hooks', LINKED);

    const open = await waitForDelivery('connection.update open', (d) => d.body.event === 'connection.update' && d.body.data.state === 'open');
    expect(open.path).toBe('/hook/connection-update');
    expect(open.headers.authorization).toBe('Bearer client-token');
    expect(open.body).toMatchObject({ instance: 'evo-hooks', destination: `${receiver.url}/connection-update`, sender: `${LINKED}@s.whatsapp.net` });

    const sent = await e2e.client.post(`/sandbox/phones/${FRIEND}/messages`, { to: LINKED, text: 'hello Evolution' });
    expect(sent.status).toBe(201);
    const upsert = await waitForDelivery('messages.upsert', (d) => d.body.event === 'messages.upsert' && d.body.data.key.id === sent.body.data.id);
    expect(upsert.path).toBe('/hook/messages-upsert');
    expect(upsert.headers.authorization).toBe('Bearer client-token');
    expect(upsert.body).toMatchObject({
      instance: 'evo-hooks',
      destination: `${receiver.url}/messages-upsert`,
      sender: `${LINKED}@s.whatsapp.net`,
      data: { key: { remoteJid: `${FRIEND}@s.whatsapp.net`, fromMe: false }, message: { conversation: 'hello Evolution' }, messageType: 'conversation' },
    });
    // The phone's own name (the sandbox gives every phone one), as Evolution shows it.
    expect(typeof upsert.body.data.pushName).toBe('string');
    expect(upsert.body.data.pushName.length).toBeGreaterThan(0);
    expect(Object.keys(upsert.body).sort()).toEqual(['data', 'date_time', 'destination', 'event', 'instance', 'sender', 'server_url']);

    // Only the events asked for, and never a key in a body.
    expect(deliveries().every((d) => ['connection.update', 'messages.upsert'].includes(d.body.event))).toBe(true);
    expect(receiver.requests.some((r) => r.body.includes(e2e.client.key) || /"apikey"/.test(r.body))).toBe(false);
  });

  it('webhook/set on an instance made without one: deliveries start, to the one URL; webhook/set with no URL stops them', async () => {
    expect((await evo('POST', '/instance/create', { instanceName: 'evo-set', integration: 'WHATSAPP-BAILEYS' })).status).toBe(201);
    const set = await evo('POST', '/webhook/set/evo-set', { webhook: { enabled: true, url: `${receiver.url}/set`, events: ['MESSAGES_UPSERT', 'CONNECTION_UPDATE'], headers: { 'x-client': 'n8n' } } });
    expect(set.status).toBe(201);
    await pairWithQr('evo-set', SECOND);
    const open = await waitForDelivery('connection.update of evo-set', (d) => d.body.instance === 'evo-set' && d.body.event === 'connection.update' && d.body.data.state === 'open');
    expect(open.path).toBe('/hook/set');
    expect(open.headers['x-client']).toBe('n8n');

    const first = await e2e.client.post(`/sandbox/phones/${FRIEND}/messages`, { to: SECOND, text: 'one' });
    await waitForDelivery('messages.upsert of evo-set', (d) => d.body.instance === 'evo-set' && d.body.data.key?.id === first.body.data.id);

    expect((await evo('POST', '/webhook/set/evo-set', { webhook: { url: '' } })).status).toBe(201);
    const stream = e2e.client.events('/api/v1/sessions/evo-set/events');
    try {
      await new Promise((r) => setTimeout(r, 200)); // the stream is open before the phone writes
      const second = await e2e.client.post(`/sandbox/phones/${FRIEND}/messages`, { to: SECOND, text: 'two' });
      const secondId = second.body.data.id as string;
      // The message arrives (native API) but no webhook takes it.
      await stream.waitFor((e) => e.type === 'message.received' && (e.data as any).message.messageId === secondId);
      await e2e.gateway.core.events.stored('evo-set');
      await new Promise((r) => setTimeout(r, 500));
      expect(deliveries().some((d) => d.body.data?.key?.id === secondId)).toBe(false);
    } finally {
      stream.close();
    }
  });
});
