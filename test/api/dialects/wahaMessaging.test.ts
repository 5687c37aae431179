/** WAHA's chatting routes and message webhooks, through HTTP over the real core with the fake engine. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dialectEvents } from '../../../src/api/dialects.js';
import { wahaDialect } from '../../../src/api/waha/index.js';
import { renderWahaEvent, renderWahaEvents } from '../../../src/api/waha/events.js';
import type { GatewayEvent } from '../../../src/core/model.js';
import { eventually } from '../../support/harness.js';
import { createDialectTestApp, json, type DialectTestApp } from './helpers.js';

const BASE = '/compat/waha';
const PHONE = '15550001234';
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');

describe('waha chatting', () => {
  let t: DialectTestApp;
  let key: Record<string, string>;
  beforeEach(async () => {
    t = await createDialectTestApp();
    key = { 'x-api-key': t.adminKey };
  });
  afterEach(async () => t.close());

  const working = async (name = 'default'): Promise<void> => {
    await t.inject({ method: 'POST', url: `${BASE}/api/sessions`, headers: key, payload: { name } });
    await t.waitState(name, 'qr');
    await t.gw.engine.last(name).link('15550000001');
    await t.waitState(name, 'connected');
  };

  const post = (url: string, payload: Record<string, unknown>, method: 'POST' | 'PUT' = 'POST') =>
    t.inject({ method, url: `${BASE}${url}`, headers: key, payload });

  it('a send past the session\'s backlog bound → 429 in NestJS\'s shape with Retry-After, and nothing is stored', async () => {
    await t.close();
    t = await createDialectTestApp({}, { maxPendingSends: 1 });
    await working();
    const { EngineError } = await import('../../../src/engine/errors.js');
    t.gw.engine.last('default').failSends = new EngineError('NOT_CONNECTED', 'socket closed');
    expect((await post('/api/sendText', { session: 'default', chatId: `${PHONE}@c.us`, text: 'waits' })).statusCode).toBe(201);
    const refused = await post('/api/sendText', { session: 'default', chatId: `${PHONE}@c.us`, text: 'refused' });
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    expect(json(refused)).toMatchObject({ statusCode: 429, error: 'Too Many Requests', message: expect.stringContaining('1 message waiting') });
    expect(await t.gw.store.messages.pending('default')).toHaveLength(1);
  });

  it('POST /api/sendText → 201 with NOWEB\'s message record and WAMessage fields; the engine sends the text to the @s.whatsapp.net JID', async () => {
    await working();
    const res = await post('/api/sendText', { session: 'default', chatId: `${PHONE}@c.us`, text: 'hello' });
    expect(res.statusCode).toBe(201);
    const body = json(res);
    const outbox = t.gw.engine.last('default').outbox;
    expect(outbox).toHaveLength(1);
    const sent = outbox[0]!;
    expect(sent).toMatchObject({ to: `${PHONE}@s.whatsapp.net`, content: { type: 'text', text: 'hello' } });
    const id = sent.options.messageId;
    expect(body).toMatchObject({
      key: { remoteJid: `${PHONE}@s.whatsapp.net`, fromMe: true, id },
      message: { extendedTextMessage: { text: 'hello' } },
      messageTimestamp: expect.stringMatching(/^\d+$/),
      status: 'SERVER_ACK',
      id: `true_${PHONE}@c.us_${id}`,
      to: `${PHONE}@c.us`,
      from: '15550000001@c.us',
      fromMe: true,
      body: 'hello',
      hasMedia: false,
      ack: 1,
      ackName: 'SERVER',
    });

    // reply_to in WAHA's serialised form quotes the message; the session defaults to "default".
    const reply = await post('/api/sendText', { chatId: `${PHONE}@c.us`, text: 'again', reply_to: `true_${PHONE}@c.us_${id}` });
    expect(reply.statusCode).toBe(201);
    expect(outbox[1]?.options.replyTo).toMatchObject({ messageId: id, fromMe: true });
  });

  it('POST /api/sendImage with file.data (base64) sends the image with its mimetype and caption', async () => {
    await working();
    const res = await post('/api/sendImage', {
      session: 'default',
      chatId: `${PHONE}@c.us`,
      file: { mimetype: 'image/png', filename: 'logo.png', data: PNG.toString('base64') },
      caption: 'our logo',
    });
    expect(res.statusCode).toBe(201);
    const sent = t.gw.engine.last('default').outbox.at(-1)!;
    expect(sent.content).toMatchObject({ type: 'image', mimetype: 'image/png', caption: 'our logo', fileName: 'logo.png' });
    expect((sent.content as { media: Buffer }).media.equals(PNG)).toBe(true);
    expect(json(res)).toMatchObject({ message: { imageMessage: { mimetype: 'image/png', caption: 'our logo' } }, hasMedia: true, body: 'our logo' });

    const voice = await post('/api/sendVoice', { chatId: `${PHONE}@c.us`, file: { mimetype: 'audio/ogg; codecs=opus', data: PNG.toString('base64') } });
    expect(voice.statusCode).toBe(201);
    expect(t.gw.engine.last('default').outbox.at(-1)!.content).toMatchObject({ type: 'audio', voiceNote: true });
  });

  it('bad input is a 400 in WAHA\'s envelope and sends nothing', async () => {
    await working();
    const noFile = await post('/api/sendImage', { chatId: `${PHONE}@c.us` });
    expect(noFile.statusCode).toBe(400);
    expect(json(noFile)).toMatchObject({ error: 'Bad Request', statusCode: 400, message: expect.stringContaining('file is required') });
    const privateUrl = await post('/api/sendFile', { chatId: `${PHONE}@c.us`, file: { mimetype: 'application/pdf', url: 'http://127.0.0.1:9/x.pdf' } });
    expect(privateUrl.statusCode).toBe(400);
    expect(json(privateUrl)).toMatchObject({ error: 'Bad Request', statusCode: 400 });
    expect(t.gw.engine.last('default').outbox).toHaveLength(0);
  });

  it('a session that is not WORKING → 422 listing WORKING as expected; an unknown one → 404', async () => {
    await t.inject({ method: 'POST', url: `${BASE}/api/sessions`, headers: key, payload: { name: 'default' } });
    await t.waitState('default', 'qr');
    const res = await post('/api/sendText', { session: 'default', chatId: `${PHONE}@c.us`, text: 'hi' });
    expect(res.statusCode).toBe(422);
    expect(json(res)).toEqual({
      error: 'Session status is not as expected. Try again later or restart the session',
      session: 'default',
      status: 'SCAN_QR_CODE',
      expected: ['WORKING'],
    });
    const missing = await post('/api/sendText', { session: 'ghost', chatId: `${PHONE}@c.us`, text: 'hi' });
    expect(missing.statusCode).toBe(404);
    expect(json(missing)).toEqual({ message: 'Session not found', error: 'Not Found', statusCode: 404 });
  });

  it('location, contact vcard, reaction (PUT → 200), seen and typing reach the engine', async () => {
    await working();
    const conn = t.gw.engine.last('default');
    expect((await post('/api/sendLocation', { chatId: `${PHONE}@c.us`, latitude: 38.89, longitude: -77.09, title: 'Our office' })).statusCode).toBe(201);
    expect(conn.outbox.at(-1)!.content).toMatchObject({ type: 'location', latitude: 38.89, longitude: -77.09, name: 'Our office' });
    const contact = await post('/api/sendContactVcard', { chatId: `${PHONE}@c.us`, contacts: [{ fullName: 'John Doe', phoneNumber: '+1 555 000 9999' }] });
    expect(contact.statusCode).toBe(201);
    expect(conn.outbox.at(-1)!.content).toMatchObject({ type: 'contact', displayName: 'John Doe', vcard: expect.stringContaining('waid=15550009999') });

    conn.receive({ id: 'IN1', chatJid: `${PHONE}@s.whatsapp.net`, content: { type: 'text', text: 'hi' } });
    await eventually(async () => expect((await t.gw.core.messages.get('default', 'IN1')).messageId).toBe('IN1'));
    const reaction = await post('/api/reaction', { session: 'default', messageId: `false_${PHONE}@c.us_IN1`, reaction: '👍' }, 'PUT');
    expect(reaction.statusCode).toBe(200);
    expect(conn.outbox.at(-1)).toMatchObject({ to: `${PHONE}@s.whatsapp.net`, content: { type: 'reaction', messageId: 'IN1', emoji: '👍', fromMe: false } });

    const seen = await post('/api/sendSeen', { session: 'default', chatId: `${PHONE}@c.us`, messageId: `false_${PHONE}@c.us_IN1` });
    expect(seen.statusCode).toBe(201);
    expect(conn.reads.at(-1)).toEqual({ chatJid: `${PHONE}@s.whatsapp.net`, ids: ['IN1'] });
    const typing = await post('/api/startTyping', { session: 'default', chatId: `${PHONE}@c.us` });
    expect(typing.statusCode).toBe(201);
    expect(json(typing)).toEqual({ result: true });
    expect(conn.presences.at(-1)).toEqual({ state: 'composing', chatJid: `${PHONE}@s.whatsapp.net` });
  });

  it('GET /api/{session}/chats and …/chats/{chatId}/messages list WAHA-shaped chats and messages; media downloads from /api/files', async () => {
    await working();
    const conn = t.gw.engine.last('default');
    conn.media.set('ref-1', Buffer.from('PDFDATA'));
    conn.receive({ id: 'IN1', chatJid: `${PHONE}@s.whatsapp.net`, timestamp: 1_700_000_000, content: { type: 'text', text: 'hi' } });
    conn.receive({ id: 'DOC1', chatJid: `${PHONE}@s.whatsapp.net`, timestamp: 1_700_000_010, content: { type: 'document', mimetype: 'application/pdf', fileName: 'a.pdf', mediaRef: 'ref-1' } });
    await eventually(async () => expect((await t.gw.core.messages.get('default', 'DOC1')).messageId).toBe('DOC1'));

    const chats = await t.inject({ method: 'GET', url: `${BASE}/api/default/chats?limit=10&offset=0`, headers: key });
    expect(chats.statusCode).toBe(200);
    expect(chats.json()).toEqual([{ id: `${PHONE}@c.us`, name: null, conversationTimestamp: 1_700_000_010 }]);

    const messages = await t.inject({ method: 'GET', url: `${BASE}/api/default/chats/${PHONE}@c.us/messages?limit=10&downloadMedia=true`, headers: key });
    expect(messages.statusCode).toBe(200);
    const [doc, text] = messages.json() as Array<Record<string, unknown>>;
    expect(text).toMatchObject({ id: `false_${PHONE}@c.us_IN1`, from: `${PHONE}@c.us`, fromMe: false, body: 'hi', hasMedia: false, timestamp: 1_700_000_000 });
    expect(doc).toMatchObject({ id: `false_${PHONE}@c.us_DOC1`, hasMedia: true, media: { mimetype: 'application/pdf', filename: 'a.pdf' } });
    const file = await t.inject({ method: 'GET', url: `${BASE}${(doc as { media: { url: string } }).media.url}`, headers: key });
    expect(file.statusCode).toBe(200);
    expect(file.rawPayload.toString()).toBe('PDFDATA');
    expect(JSON.stringify(doc)).not.toContain('ref-1');
  });
});

describe('waha message webhooks (renderEvent)', () => {
  let t: DialectTestApp;
  beforeEach(async () => {
    t = await createDialectTestApp();
  });
  afterEach(async () => t.close());

  it('a received message is `message` and `message.any` with WAHA\'s WAMessage payload; a receipt is `message.ack`', async () => {
    const key = { 'x-api-key': t.adminKey };
    await t.inject({ method: 'POST', url: `${BASE}/api/sessions`, headers: key, payload: { name: 'default' } });
    await t.waitState('default', 'qr');
    await t.gw.engine.last('default').link('15550000001');
    await t.waitState('default', 'connected');
    const events: GatewayEvent[] = [];
    t.gw.core.events.subscribe('default', (e) => events.push(e));
    const conn = t.gw.engine.last('default');
    conn.receive({ id: 'IN7', chatJid: `${PHONE}@s.whatsapp.net`, timestamp: 1_700_000_000, content: { type: 'text', text: 'is it in stock?' } });
    await eventually(() => expect(events.some((e) => e.type === 'message.received')).toBe(true));
    const received = events.find((e) => e.type === 'message.received')!;

    const rendered = renderWahaEvents(received);
    expect(rendered.map((r) => r.event)).toEqual(['message', 'message.any']);
    expect(dialectEvents(wahaDialect, received)).toEqual(rendered);
    expect(renderWahaEvent(received)?.event).toBe('message');
    expect(rendered[0]!.payload).toMatchObject({
      id: `false_${PHONE}@c.us_IN7`,
      timestamp: 1_700_000_000,
      from: `${PHONE}@c.us`,
      fromMe: false,
      body: 'is it in stock?',
      hasMedia: false,
      media: null,
      ack: 2,
      ackName: 'DEVICE',
      _data: { key: { remoteJid: `${PHONE}@s.whatsapp.net`, fromMe: false, id: 'IN7' }, message: { conversation: 'is it in stock?' } },
    });

    const sent = await t.inject({ method: 'POST', url: `${BASE}/api/sendText`, headers: key, payload: { chatId: `${PHONE}@c.us`, text: 'yes' } });
    const id = (json(sent).key as { id: string }).id;
    conn.status({ messageId: id, chatJid: `${PHONE}@s.whatsapp.net`, status: 'read' });
    await eventually(() => expect(events.some((e) => e.type === 'message.receipt')).toBe(true));
    expect(renderWahaEvent(events.find((e) => e.type === 'message.sent')!)?.event).toBe('message.any');
    expect(renderWahaEvent(events.find((e) => e.type === 'message.receipt')!)).toEqual({
      event: 'message.ack',
      payload: { id: `true_${PHONE}@c.us_${id}`, from: `${PHONE}@c.us`, to: null, participant: null, fromMe: true, ack: 3, ackName: 'READ' },
    });
  });
});

describe('waha chatting at the root (WAGATE_ROOT_DIALECT=waha)', () => {
  it('serves /api/sendText at the root, beside the native API, in WAHA\'s envelope', async () => {
    const t = await createDialectTestApp({ WAGATE_ROOT_DIALECT: 'waha' });
    try {
      const key = { 'x-api-key': t.adminKey };
      await t.inject({ method: 'POST', url: '/api/sessions', headers: key, payload: { name: 'default', start: false } });
      const res = await t.inject({ method: 'POST', url: '/api/sendText', headers: key, payload: { chatId: `${PHONE}@c.us`, text: 'hi' } });
      expect(res.statusCode).toBe(422);
      expect(json(res)).toMatchObject({ session: 'default', status: 'STOPPED', expected: ['WORKING'] });
      const unknown = await t.inject({ method: 'GET', url: '/api/default/chats/nope/unknown', headers: key });
      expect(unknown.statusCode).toBe(404);
      expect((await t.inject({ method: 'GET', url: '/api/v1/sessions', headers: { authorization: `Bearer ${t.adminKey}` } })).statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });
});
