/**
 * Evolution API dialect, driven as its n8n node (npm n8n-nodes-evolution-api
 * 1.0.4) drives Evolution. The package cannot be installed with npm (its
 * preinstall runs `npx only-allow pnpm`, and it pulls n8n-workflow as a peer),
 * so `n8n()` replays the requests its operation functions build: the
 * `evolutionRequest` helper's `apikey` header and `${server-url}${uri}`, JSON
 * bodies with the node's "" for fields the user left empty.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { evolutionDialect, evolutionWebhookUrl, readEvolutionWebhook, renderEvolutionEvent } from '../../../src/api/evolution/index.js';
import type { GatewayEvent } from '../../../src/core/model.js';
import { eventually } from '../../support/harness.js';
import { createDialectTestApp, json, type DialectTestApp } from './helpers.js';

const SERVER_URL = '/compat/evolution';
const PNG_DATA_URL = /^data:image\/png;base64,/;

interface N8nRequest {
  method: 'GET' | 'POST' | 'DELETE';
  uri: string;
  body?: Record<string, unknown>;
  headers?: Record<string, string>;
}

describe('evolution dialect (n8n-nodes-evolution-api requests)', () => {
  let t: DialectTestApp;
  let apikey: string;

  /** What the node's evolutionRequest sends: `apikey` first, the operation's headers over it, JSON in and out. */
  const n8n = (request: N8nRequest, key = apikey, serverUrl = SERVER_URL): Promise<LightMyRequestResponse> =>
    t.inject({
      method: request.method,
      url: `${serverUrl}${request.uri}`,
      headers: { apikey: key, accept: 'application/json', ...(request.headers ?? {}) },
      ...(request.body === undefined ? {} : { payload: request.body }),
    });

  /** createInstanceBasic with the optional groups the user opened but left empty ("" / defaults), as the node builds it. */
  const createBody = (instanceName: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    instanceName,
    integration: 'WHATSAPP-BAILEYS',
    rejectCall: false,
    msgCall: '',
    proxyHost: '',
    proxyPort: '1234',
    proxyProtocol: '',
    proxyUsername: '',
    proxyPassword: '',
    webhook: { url: '', byEvents: false, base64: false, events: [] },
    ...extra,
  });

  const create = async (name: string, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> => {
    const res = await n8n({ method: 'POST', uri: '/instance/create', body: createBody(name, extra) });
    expect(res.statusCode).toBe(201);
    return json(res);
  };

  /** Create, connect and scan: an open instance. */
  const openInstance = async (name: string): Promise<void> => {
    await create(name);
    expect((await n8n({ method: 'GET', uri: `/instance/connect/${name}` })).statusCode).toBe(200);
    await t.gw.engine.last(name).link();
    await t.waitState(name, 'connected');
  };

  const sendText = (name: string, number: string, text: string): Promise<LightMyRequestResponse> =>
    n8n({ method: 'POST', uri: `/message/sendText/${name}`, headers: { 'Content-Type': 'application/json' }, body: { number, text } });

  beforeEach(async () => {
    // The webhook tests name hooks.example.com, which does not resolve here: the SSRF rule is off (nothing is delivered:
    // those instances never connect); evolutionE2E.test.ts delivers for real to a loopback receiver.
    t = await createDialectTestApp({}, { webhooks: { net: { allowPrivate: true } } });
    apikey = t.adminKey;
  });
  afterEach(async () => t.close());

  it('401 in Evolution\'s envelope without the apikey header or with a wrong one', async () => {
    for (const key of ['', 'wrong-key']) {
      const res = await n8n({ method: 'GET', uri: '/instance/fetchInstances' }, key);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ status: 401, error: 'Unauthorized', response: { message: 'Unauthorized' } });
    }
  });

  it('create → 201 with the instance, a working instance token and the settings; "" fields count as absent', async () => {
    const body = await create('sales');
    expect(body).toMatchObject({
      instance: { instanceName: 'sales', instanceId: 'sales', integration: 'WHATSAPP-BAILEYS', status: 'close' },
      hash: expect.any(String),
      webhook: {},
      settings: { rejectCall: false, msgCall: '', groupsIgnore: false, alwaysOnline: false, readMessages: false, readStatus: false, syncFullHistory: false },
    });
    expect(body).not.toHaveProperty('qrcode');
    expect(t.gw.core.sessions.get('sales').state).toBe('created');
    // An empty webhook URL is no webhook.
    expect(await readEvolutionWebhook(t.gw.core.settings, 'sales')).toBeUndefined();

    const token = body.hash as string;
    const state = await n8n({ method: 'GET', uri: '/instance/connectionState/sales' }, token);
    expect(state.statusCode).toBe(200);
    expect(state.json()).toEqual({ instance: { instanceName: 'sales', state: 'close' } });
  });

  it('create with a chosen token uses it as the instance token; that token may not create or delete instances', async () => {
    const token = 'n8n-chosen-token-0123456789';
    const body = await create('support', { token });
    expect(body.hash).toBe(token);
    expect((await n8n({ method: 'GET', uri: '/instance/connectionState/support' }, token)).statusCode).toBe(200);

    const creates = await n8n({ method: 'POST', uri: '/instance/create', body: createBody('other') }, token);
    expect(creates.statusCode).toBe(403);
    expect(json(creates)).toMatchObject({ status: 403, error: 'Forbidden', response: { message: [expect.any(String)] } });
    const deletes = await n8n({ method: 'DELETE', uri: '/instance/delete/support' }, token);
    expect(deletes.statusCode).toBe(403);
    expect(t.gw.core.sessions.has('support')).toBe(true);

    // A short token is refused and leaves nothing behind.
    const short = await n8n({ method: 'POST', uri: '/instance/create', body: createBody('weak', { token: 'abc' }) });
    expect(short.statusCode).toBe(400);
    expect(json(short)).toMatchObject({ status: 400, error: 'Bad Request', response: { message: [expect.stringMatching(/16 to 256/)] } });
    expect(t.gw.core.sessions.has('weak')).toBe(false);
  });

  it('a duplicate name → 403 "This name \\"x\\" is already in use."; a missing name → 400', async () => {
    await create('sales');
    const dup = await n8n({ method: 'POST', uri: '/instance/create', body: createBody('sales') });
    expect(dup.statusCode).toBe(403);
    expect(dup.json()).toEqual({ status: 403, error: 'Forbidden', response: { message: ['This name "sales" is already in use.'] } });
    const missing = await n8n({ method: 'POST', uri: '/instance/create', body: createBody('') });
    expect(missing.statusCode).toBe(400);
    expect(json(missing)).toMatchObject({ response: { message: ['"instanceName" is required'] } });
  });

  it('create with a webhook stores it in the core\'s settings for the webhook sender (headers encrypted)', async () => {
    const body = await create('hooked', {
      webhook: { url: 'https://hooks.example.com/evo', byEvents: true, base64: false, events: ['MESSAGES_UPSERT', 'CONNECTION_UPDATE'], headers: { authorization: 'Bearer s3cret' } },
    });
    expect(body.webhook).toEqual({ webhookUrl: 'https://hooks.example.com/evo', webhookHeaders: { authorization: 'Bearer s3cret' }, webhookByEvents: true, webhookBase64: false });
    expect(await readEvolutionWebhook(t.gw.core.settings, 'hooked')).toEqual({
      enabled: true,
      url: 'https://hooks.example.com/evo',
      byEvents: true,
      base64: false,
      events: ['MESSAGES_UPSERT', 'CONNECTION_UPDATE'],
      headers: { authorization: 'Bearer s3cret' },
    });
    const bad = await n8n({ method: 'POST', uri: '/instance/create', body: createBody('badhook', { webhook: { url: 'ftp://x', byEvents: false, base64: false, events: [] } }) });
    expect(bad.statusCode).toBe(400);
    expect(t.gw.core.sessions.has('badhook')).toBe(false);
  });

  it('connect → the QR as code and PNG data URL; scanning it opens the instance; connect then answers the open state', async () => {
    await create('sales');
    const res = await n8n({ method: 'GET', uri: '/instance/connect/sales' });
    expect(res.statusCode).toBe(200);
    const qr = json(res);
    expect(qr).toMatchObject({ pairingCode: null, code: expect.stringMatching(/^2@/), base64: expect.stringMatching(PNG_DATA_URL), count: 1 });
    expect((await n8n({ method: 'GET', uri: '/instance/connectionState/sales' })).json()).toEqual({ instance: { instanceName: 'sales', state: 'connecting' } });

    await t.gw.engine.last('sales').link('15550000001');
    await t.waitState('sales', 'connected');
    expect((await n8n({ method: 'GET', uri: '/instance/connectionState/sales' })).json()).toEqual({ instance: { instanceName: 'sales', state: 'open' } });
    expect((await n8n({ method: 'GET', uri: '/instance/connect/sales' })).json()).toEqual({ instance: { instanceName: 'sales', state: 'open' } });
  });

  it('connect?number= → a pairing code (8 characters, as Baileys gives it); typing it on the phone opens the instance', async () => {
    await create('sales');
    const res = await n8n({ method: 'GET', uri: '/instance/connect/sales?number=15550000002' });
    expect(res.statusCode).toBe(200);
    const body = json(res);
    expect(body.pairingCode).toMatch(/^[A-Z0-9]{8}$/);
    expect(await t.gw.engine.last('sales').enterCode(body.pairingCode as string)).toBe(true);
    await t.waitState('sales', 'connected');
    expect(t.gw.core.sessions.get('sales').me?.phoneNumber).toBe('15550000002');
  });

  it('a number given while the instance is already connecting is honoured (Evolution ignores it, evolution-api#2197)', async () => {
    await create('sales');
    await n8n({ method: 'GET', uri: '/instance/connect/sales' });
    await t.waitState('sales', 'qr');
    const res = await n8n({ method: 'GET', uri: '/instance/connect/sales?number=15550000003' });
    const code = json(res).pairingCode as string;
    expect(code).toMatch(/^[A-Z0-9]{8}$/);
    expect(t.gw.engine.last('sales').pendingCode).toMatchObject({ phone: '15550000003', code });
  });

  it('create with qrcode: true starts connecting and answers the QR; with a number also a pairing code', async () => {
    const body = await create('quick', { qrcode: true });
    expect(body.qrcode).toMatchObject({ pairingCode: null, code: expect.stringMatching(/^2@/), base64: expect.stringMatching(PNG_DATA_URL) });
    expect(body.instance).toMatchObject({ status: 'connecting' });

    const withNumber = await create('quick2', { qrcode: true, number: '15550000004' });
    expect((withNumber.qrcode as Record<string, unknown>).pairingCode).toMatch(/^[A-Z0-9]{8}$/);
  });

  it('sendText → 201 with key, PENDING status, message and messageType; WhatsApp gets the text', async () => {
    await openInstance('sales');
    const res = await sendText('sales', '15550009999', 'Olá from n8n');
    expect(res.statusCode).toBe(201);
    const body = json(res);
    expect(body).toMatchObject({
      key: { remoteJid: '15550009999@s.whatsapp.net', fromMe: true, id: expect.any(String) },
      status: 'PENDING',
      message: { conversation: 'Olá from n8n' },
      messageType: 'conversation',
      messageTimestamp: expect.any(Number),
      instanceId: 'sales',
    });
    const outbox = t.gw.engine.last('sales').outbox;
    expect(outbox.at(-1)).toMatchObject({ to: '15550009999@s.whatsapp.net', content: { type: 'text', text: 'Olá from n8n' } });
    expect(outbox.at(-1)?.options.messageId).toBe((body.key as { id: string }).id);
  });

  it('delay shows "composing" for that long before sending, then "paused"', async () => {
    await openInstance('sales');
    const res = await n8n({ method: 'POST', uri: '/message/sendText/sales', body: { number: '15550009999', text: 'typed', delay: 50 } });
    expect(res.statusCode).toBe(201);
    const conn = t.gw.engine.last('sales');
    expect(conn.presences.map((p) => p.state)).toEqual(['composing', 'paused']);
    expect(conn.presences[0]?.chatJid).toBe('15550009999@s.whatsapp.net');
    expect(conn.outbox.at(-1)?.content).toMatchObject({ type: 'text', text: 'typed' });
  });

  it('a number not on WhatsApp → 400 {exists: false, jid, number} in Evolution\'s envelope; nothing is sent', async () => {
    await openInstance('sales');
    t.gw.engine.notOnWhatsApp.add('15550008888');
    const res = await sendText('sales', '15550008888', 'hello?');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      status: 400,
      error: 'Bad Request',
      response: { message: [{ jid: '15550008888@s.whatsapp.net', exists: false, number: '15550008888' }] },
    });
    expect(t.gw.engine.last('sales').outbox).toHaveLength(0);
  });

  it('sendText on an instance that is not open, or an unknown one, answers in Evolution\'s envelope', async () => {
    await create('idle');
    const notOpen = await sendText('idle', '15550009999', 'hi');
    expect(notOpen.statusCode).toBe(422);
    expect(json(notOpen)).toMatchObject({ status: 422, response: { message: [expect.stringContaining('not connected')] } });
    const unknown = await sendText('ghost', '15550009999', 'hi');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({ status: 404, error: 'Not Found', response: { message: ['The "ghost" instance does not exist'] } });
  });

  it('sendMedia (image, as sendImage builds it), sendWhatsAppAudio, sendLocation, sendContact and sendReaction', async () => {
    await openInstance('sales');
    const conn = t.gw.engine.last('sales');
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000a49444154789c6360000000020001e221bc330000000049454e44ae426082', 'hex');
    const headers = { 'Content-Type': 'application/json' };

    const image = await n8n({
      method: 'POST',
      uri: '/message/sendMedia/sales',
      headers,
      body: { number: '15550009999', mediatype: 'image', media: png.toString('base64'), mimetype: 'image/png', caption: '', fileName: 'image.jpg' },
    });
    expect(image.statusCode).toBe(201);
    expect(json(image)).toMatchObject({ messageType: 'imageMessage', message: { imageMessage: { mimetype: 'image/png' } } });
    expect(conn.outbox.at(-1)?.content).toMatchObject({ type: 'image' });

    const audio = await n8n({
      method: 'POST',
      uri: '/message/sendWhatsAppAudio/sales',
      headers,
      body: { number: '15550009999', audio: `data:audio/ogg;base64,${Buffer.from('OggS-fake-voice').toString('base64')}`, mimetype: 'audio/ogg', fileName: 'audio.mp3' },
    });
    expect(audio.statusCode).toBe(201);
    expect(json(audio)).toMatchObject({ messageType: 'audioMessage', message: { audioMessage: { ptt: true } } });

    const location = await n8n({
      method: 'POST',
      uri: '/message/sendLocation/sales',
      headers,
      body: { number: '15550009999', name: 'Office', address: 'Main St 1', latitude: -23.55, longitude: -46.63 },
    });
    expect(location.statusCode).toBe(201);
    expect(json(location)).toMatchObject({ messageType: 'locationMessage', message: { locationMessage: { degreesLatitude: -23.55, degreesLongitude: -46.63, name: 'Office' } } });

    const contact = await n8n({
      method: 'POST',
      uri: '/message/sendContact/sales',
      headers,
      body: { number: '15550009999', contact: [{ fullName: 'Ana Souza', wuid: '5511988887777', phoneNumber: '+55 11 98888-7777' }] },
    });
    expect(contact.statusCode).toBe(201);
    expect(json(contact)).toMatchObject({ messageType: 'contactMessage', message: { contactMessage: { displayName: 'Ana Souza', vcard: expect.stringContaining('waid=5511988887777') } } });

    const incoming = conn.receive({ chatJid: '15550009999@s.whatsapp.net', content: { type: 'text', text: 'react to me' } });
    await eventually(async () => {
      await t.gw.core.messages.get('sales', incoming.id);
    });
    const reaction = await n8n({
      method: 'POST',
      uri: '/message/sendReaction/sales',
      headers,
      body: { key: { remoteJid: '15550009999@s.whatsapp.net', fromMe: false, id: incoming.id }, reaction: '👍' },
    });
    expect(reaction.statusCode).toBe(201);
    expect(json(reaction)).toMatchObject({ messageType: 'reactionMessage', message: { reactionMessage: { key: { id: incoming.id }, text: '👍' } } });
    expect(conn.outbox.at(-1)?.content).toMatchObject({ type: 'reaction', messageId: incoming.id, emoji: '👍' });
  });

  it('sendMedia also takes the file as an upload (multipart field "file"), as Evolution\'s own clients send it', async () => {
    await openInstance('sales');
    const boundary = '----evolution-test';
    const pdf = Buffer.from('%PDF-1.4 invoice');
    const part = (name: string, value: string) => `--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
    const payload = Buffer.concat([
      Buffer.from(part('number', '15550009999') + part('mediatype', 'document') + part('caption', 'your invoice')),
      Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="invoice.pdf"\r\ncontent-type: application/pdf\r\n\r\n`),
      pdf,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const res = await t.inject({
      method: 'POST',
      url: `${SERVER_URL}/message/sendMedia/sales`,
      headers: { apikey, 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload,
    });
    expect(res.statusCode).toBe(201);
    expect(json(res)).toMatchObject({ messageType: 'documentMessage', message: { documentMessage: { fileName: 'invoice.pdf', mimetype: 'application/pdf', caption: 'your invoice' } } });
    const sent = t.gw.engine.last('sales').outbox.at(-1)!;
    expect((sent.content as { media: Buffer }).media.equals(pdf)).toBe(true);
  });

  it('chat: markMessageAsRead, sendPresence and getBase64FromMediaMessage, as the node\'s readMessages / sendPresence / getMediaBase64 send them', async () => {
    await openInstance('sales');
    const conn = t.gw.engine.last('sales');
    const pdf = Buffer.from('%PDF-1.4 fake invoice');
    conn.media.set('ref-1', pdf);
    const incoming = conn.receive({ chatJid: '15550009999@s.whatsapp.net', content: { type: 'document', mimetype: 'application/pdf', fileName: 'invoice.pdf', mediaRef: 'ref-1' } });
    await eventually(async () => {
      await t.gw.core.messages.get('sales', incoming.id);
    });

    const read = await n8n({ method: 'POST', uri: '/chat/markMessageAsRead/sales', body: { readMessages: [{ remoteJid: '15550009999@s.whatsapp.net', fromMe: false, id: incoming.id }] } });
    expect(read.statusCode).toBe(201);
    expect(read.json()).toEqual({ message: 'Read messages', read: 'success' });
    expect(conn.reads).toEqual([{ chatJid: '15550009999@s.whatsapp.net', ids: [incoming.id] }]);

    const presence = await n8n({ method: 'POST', uri: '/chat/sendPresence/sales', body: { number: '15550009999', presence: 'composing', delay: 20 } });
    expect(presence.statusCode).toBe(201);
    expect(presence.json()).toEqual({ presence: 'composing' });
    expect(conn.presences.map((p) => p.state)).toEqual(['composing', 'paused']);

    const media = await n8n({ method: 'POST', uri: '/chat/getBase64FromMediaMessage/sales', body: { message: { key: { id: incoming.id } }, convertToMp4: false } });
    expect(media.statusCode).toBe(201);
    expect(media.json()).toMatchObject({ mediaType: 'documentMessage', fileName: 'invoice.pdf', mimetype: 'application/pdf', base64: pdf.toString('base64') });
  });

  it('a received message renders as Evolution\'s messages.upsert webhook (no API key in the body)', async () => {
    await openInstance('sales');
    const seen: GatewayEvent[] = [];
    const unsubscribe = t.gw.core.events.subscribe('sales', (event) => seen.push(event));
    const incoming = t.gw.engine.last('sales').receive({ chatJid: '15550009999@s.whatsapp.net', content: { type: 'text', text: 'Oi!' } });
    await eventually(() => {
      if (!seen.some((e) => e.type === 'message.received')) throw new Error('no message.received yet');
    });
    unsubscribe();
    const event = seen.find((e) => e.type === 'message.received') as GatewayEvent;

    const rendered = evolutionDialect.renderEvent?.(event);
    expect(rendered?.event).toBe('messages.upsert');
    expect(rendered?.payload).toMatchObject({
      event: 'messages.upsert',
      instance: 'sales',
      data: {
        key: { remoteJid: '15550009999@s.whatsapp.net', fromMe: false, id: incoming.id },
        message: { conversation: 'Oi!' },
        messageType: 'conversation',
        messageTimestamp: incoming.timestamp,
        status: 'DELIVERY_ACK',
        instanceId: 'sales',
      },
      date_time: event.createdAt,
    });
    expect(JSON.stringify(rendered?.payload)).not.toMatch(/apikey/i);

    const full = renderEvolutionEvent(event, {
      destination: evolutionWebhookUrl('https://hooks.example.com/evo', 'messages.upsert', true),
      serverUrl: 'https://gw.example.com',
      sender: '15550000001@s.whatsapp.net',
    });
    expect(full?.payload).toMatchObject({
      destination: 'https://hooks.example.com/evo/messages-upsert',
      server_url: 'https://gw.example.com',
      sender: '15550000001@s.whatsapp.net',
    });
  });

  it('webhook/set and webhook/find keep the instance\'s webhook in the core\'s settings', async () => {
    await create('sales');
    const set = await n8n({
      method: 'POST',
      uri: '/webhook/set/sales',
      body: { webhook: { enabled: true, url: 'https://hooks.example.com/n8n', webhookByEvents: false, webhookBase64: false, events: ['MESSAGES_UPSERT'] } },
    });
    expect(set.statusCode).toBe(201);
    expect(json(set)).toMatchObject({ url: 'https://hooks.example.com/n8n', enabled: true, events: ['MESSAGES_UPSERT'], webhookByEvents: false });
    expect((await readEvolutionWebhook(t.gw.core.settings, 'sales'))?.url).toBe('https://hooks.example.com/n8n');
    const find = await n8n({ method: 'GET', uri: '/webhook/find/sales' });
    expect(json(find)).toMatchObject({ url: 'https://hooks.example.com/n8n', enabled: true });

    // The node sends "vazio" for an empty URL: no webhook.
    await n8n({ method: 'POST', uri: '/webhook/set/sales', body: { webhook: { enabled: false, url: 'vazio', webhookByEvents: false, webhookBase64: false, events: [] } } });
    expect(await readEvolutionWebhook(t.gw.core.settings, 'sales')).toBeUndefined();
    expect((await n8n({ method: 'GET', uri: '/webhook/find/sales' })).body).toBe('null');
  });

  it('fetchInstances lists instances in Evolution\'s record shape; an instance token sees only its own', async () => {
    const sales = await create('sales');
    await create('support');
    const all = await n8n({ method: 'GET', uri: '/instance/fetchInstances' });
    expect(all.statusCode).toBe(200);
    const list = all.json() as Array<Record<string, unknown>>;
    expect(list.map((i) => i.name).sort()).toEqual(['sales', 'support']);
    expect(list[0]).toMatchObject({ connectionStatus: 'close', integration: 'WHATSAPP-BAILEYS', ownerJid: null, token: null });

    const own = await n8n({ method: 'GET', uri: '/instance/fetchInstances' }, sales.hash as string);
    expect((own.json() as Array<Record<string, unknown>>).map((i) => i.name)).toEqual(['sales']);
    const one = await n8n({ method: 'GET', uri: '/instance/fetchInstances?instanceName=support' });
    expect((one.json() as Array<Record<string, unknown>>).map((i) => i.name)).toEqual(['support']);
    const missing = await n8n({ method: 'GET', uri: '/instance/fetchInstances?instanceName=ghost' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ status: 404, error: 'Not Found', response: { message: ['Instance "ghost" not found'] } });
  });

  it('restart reconnects a linked instance without a QR', async () => {
    await openInstance('sales');
    const res = await n8n({ method: 'POST', uri: '/instance/restart/sales' });
    expect(res.statusCode).toBe(200);
    await t.waitState('sales', 'connected');
    expect(t.gw.engine.connections.filter((c) => c.sessionId === 'sales')).toHaveLength(2);
  });

  it('logout → SUCCESS and the instance is closed and unlinked; a closed instance → 400 "not connected"', async () => {
    await openInstance('sales');
    const res = await n8n({ method: 'DELETE', uri: '/instance/logout/sales' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'SUCCESS', error: false, response: { message: 'Instance logged out' } });
    expect(t.gw.core.sessions.get('sales')).toMatchObject({ state: 'logged_out', paired: false });
    expect((await n8n({ method: 'GET', uri: '/instance/connectionState/sales' })).json()).toEqual({ instance: { instanceName: 'sales', state: 'close' } });
    const again = await n8n({ method: 'DELETE', uri: '/instance/logout/sales' });
    expect(again.statusCode).toBe(400);
    expect(again.json()).toEqual({ status: 400, error: 'Bad Request', response: { message: ['The "sales" instance is not connected'] } });
  });

  it('delete → SUCCESS; the instance, its token and its webhook are gone', async () => {
    const body = await create('sales', { webhook: { url: 'https://hooks.example.com/evo', byEvents: false, base64: false, events: [] } });
    await n8n({ method: 'GET', uri: '/instance/connect/sales' });
    await t.gw.engine.last('sales').link();
    await t.waitState('sales', 'connected');
    const res = await n8n({ method: 'DELETE', uri: '/instance/delete/sales' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'SUCCESS', error: false, response: { message: 'Instance deleted' } });
    expect(t.gw.core.sessions.has('sales')).toBe(false);
    expect(t.gw.engine.last('sales').loggedOut).toBe(true);
    expect(await readEvolutionWebhook(t.gw.core.settings, 'sales')).toBeUndefined();
    expect((await n8n({ method: 'GET', uri: '/instance/connectionState/sales' }, body.hash as string)).statusCode).toBe(401);
    const gone = await n8n({ method: 'GET', uri: '/instance/connectionState/sales' });
    expect(gone.statusCode).toBe(404);
  });

  it('unknown paths answer 404 in Evolution\'s envelope', async () => {
    const res = await n8n({ method: 'GET', uri: '/instance/nothing-here' });
    expect(res.statusCode).toBe(404);
    expect(json(res)).toMatchObject({ status: 404, error: 'Not Found', response: { message: [expect.stringContaining('Cannot GET')] } });
  });
});

describe('evolution dialect at the root (WAGATE_ROOT_DIALECT=evolution)', () => {
  let t: DialectTestApp;
  beforeEach(async () => {
    t = await createDialectTestApp({ WAGATE_ROOT_DIALECT: 'evolution' });
  });
  afterEach(async () => t.close());

  it('serves /instance and /message at the root paths the n8n node calls', async () => {
    const headers = { apikey: t.adminKey };
    const created = await t.inject({ method: 'POST', url: '/instance/create', headers, payload: { instanceName: 'root', integration: 'WHATSAPP-BAILEYS' } });
    expect(created.statusCode).toBe(201);
    const state = await t.inject({ method: 'GET', url: '/instance/connectionState/root', headers });
    expect(state.json()).toEqual({ instance: { instanceName: 'root', state: 'close' } });
    const unknown = await t.inject({ method: 'GET', url: '/instance/nope', headers });
    expect(json(unknown)).toMatchObject({ status: 404, error: 'Not Found' });
  });
});

describe('evolution renderEvent', () => {
  const event = (type: GatewayEvent['type'], data: Record<string, unknown>): GatewayEvent => ({ id: 1, type, sessionId: 'sales', seq: 1, createdAt: '2026-01-01T00:00:00.000Z', data });

  it.each([
    ['created', 'connecting', 'connecting'],
    ['qr', 'connected', 'open'],
    ['connected', 'inactive', 'close'],
    ['connected', 'logged_out', 'close'],
  ])('a state change %s → %s is connection.update %s', (previous, state, evolution) => {
    const rendered = renderEvolutionEvent(event('connection.state', { state, previous, code: null }));
    expect(rendered?.event).toBe('connection.update');
    expect(rendered?.payload).toMatchObject({ event: 'connection.update', instance: 'sales', data: { instance: 'sales', state: evolution, statusReason: 200 } });
  });

  it('a change within one Evolution state (connecting → qr) sends nothing', () => {
    expect(renderEvolutionEvent(event('connection.state', { state: 'qr', previous: 'connecting' }))).toBeNull();
  });

  it('auth.qr is qrcode.updated with the code and an image data URL', () => {
    const rendered = renderEvolutionEvent(event('auth.qr', { qr: '2@abc,def,ghi,jkl,1', ttlMs: 60_000 }));
    expect(rendered?.event).toBe('qrcode.updated');
    expect(rendered?.payload).toMatchObject({ data: { qrcode: { instance: 'sales', pairingCode: null, code: '2@abc,def,ghi,jkl,1', base64: expect.stringMatching(/^data:image\/svg\+xml;base64,/) } } });
  });

  it('a receipt is messages.update with Evolution\'s status words', () => {
    const rendered = renderEvolutionEvent(event('message.receipt', { messageId: 'ABC', chat: { jid: '15550009999@s.whatsapp.net' }, status: 'read' }));
    expect(rendered).toMatchObject({ event: 'messages.update', payload: { data: { keyId: 'ABC', remoteJid: '15550009999@s.whatsapp.net', fromMe: true, status: 'READ' } } });
  });

  it('byEvents puts the event name in the path, before any query string', () => {
    expect(evolutionWebhookUrl('https://h.example.com/hook', 'messages.upsert', false)).toBe('https://h.example.com/hook');
    expect(evolutionWebhookUrl('https://h.example.com/hook/', 'connection.update', true)).toBe('https://h.example.com/hook/connection-update');
    expect(evolutionWebhookUrl('https://h.example.com/hook?t=1', 'send.message', true)).toBe('https://h.example.com/hook/send-message?t=1');
  });

  it.each<GatewayEvent['type']>(['session.created', 'session.deleted', 'auth.pairing_code', 'auth.paired', 'message.failed'])('%s has no Evolution webhook here → null', (type) => {
    expect(renderEvolutionEvent(event(type, {}))).toBeNull();
  });
});
