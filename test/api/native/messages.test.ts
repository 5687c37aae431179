/** The messaging routes through HTTP, over the real core and store with the fake engine. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually } from '../../support/harness.js';
import { createNativeTestApp, type NativeTestApp } from './helpers.js';

let t: NativeTestApp;
const PHONE = '15550001234';

async function connectedSession(id = 'shop'): Promise<void> {
  await t.call({ method: 'POST', url: '/api/v1/sessions', payload: { sessionId: id } });
  await t.gw.core.sessions.connect(id);
  await eventually(() => expect(t.gw.core.sessions.get(id).state).toBe('qr'));
  await t.gw.engine.last(id).link('15550000001');
  await eventually(() => expect(t.gw.core.sessions.get(id).state).toBe('connected'));
}

beforeEach(async () => {
  t = await createNativeTestApp();
});
afterEach(async () => t.close());

describe('POST /sessions/{id}/messages', () => {
  it('sends text: 201 with messageId, to, contentType and status sent; the status history says pending → sent', async () => {
    await connectedSession();
    const res = await t.call({ method: 'POST', url: '/api/v1/sessions/shop/messages', payload: { to: PHONE, content: { type: 'text', text: 'hello' } } });
    expect(res.statusCode).toBe(201);
    const data = res.json().data;
    expect(data).toMatchObject({ to: `${PHONE}@s.whatsapp.net`, contentType: 'text', text: 'hello', status: 'sent', fromMe: true });
    expect(t.gw.engine.last('shop').outbox).toEqual([
      { to: `${PHONE}@s.whatsapp.net`, content: { type: 'text', text: 'hello' }, options: { messageId: data.messageId } },
    ]);
    const got = await t.call({ method: 'GET', url: `/api/v1/sessions/shop/messages/${data.messageId}` });
    expect(got.json().data.statuses.map((s: { status: string }) => s.status)).toEqual(['pending', 'sent']);
  });

  it('serves each type at /messages/{type} and refuses a mismatched content.type', async () => {
    await connectedSession();
    const loc = await t.call({
      method: 'POST',
      url: '/api/v1/sessions/shop/messages/location',
      payload: { to: PHONE, content: { latitude: 52.37, longitude: 4.89, name: 'Dam' } },
    });
    expect(loc.statusCode).toBe(201);
    expect(loc.json().data.contentType).toBe('location');
    const bad = await t.call({ method: 'POST', url: '/api/v1/sessions/shop/messages/image', payload: { to: PHONE, content: { type: 'text', text: 'x' } } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('VALIDATION_FAILED');
  });

  it('sends base64 media with its mimetype; refuses a wrong file type and bad base64 before queueing', async () => {
    await connectedSession();
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    const ok = await t.call({
      method: 'POST',
      url: '/api/v1/sessions/shop/messages',
      payload: { to: PHONE, content: { type: 'image', base64: png.toString('base64'), mimetype: 'image/png', caption: 'logo' } },
    });
    expect(ok.statusCode).toBe(201);
    const sent = t.gw.engine.last('shop').outbox.at(-1)!;
    expect(sent.content).toMatchObject({ type: 'image', mimetype: 'image/png', caption: 'logo' });
    expect((sent.content as { media: Buffer }).media.equals(png)).toBe(true);
    const wrong = await t.call({
      method: 'POST',
      url: '/api/v1/sessions/shop/messages',
      payload: { to: PHONE, content: { type: 'image', base64: png.toString('base64'), mimetype: 'application/pdf' } },
    });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error.code).toBe('INVALID_MEDIA');
    const garbage = await t.call({ method: 'POST', url: '/api/v1/sessions/shop/messages', payload: { to: PHONE, content: { type: 'image', base64: '%%%' } } });
    expect(garbage.json().error.code).toBe('INVALID_MEDIA');
    expect(t.gw.engine.last('shop').outbox).toHaveLength(1);
  });

  it('takes a file upload (multipart/form-data) with its own mimetype and name', async () => {
    await connectedSession();
    const boundary = '----wagate-test';
    const pdf = Buffer.from('%PDF-1.4 test');
    const part = (name: string, value: string) => `--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
    const payload = Buffer.concat([
      Buffer.from(part('to', PHONE) + part('type', 'document') + part('caption', 'your invoice')),
      Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="invoice.pdf"\r\ncontent-type: application/pdf\r\n\r\n`),
      pdf,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const res = await t.call({
      method: 'POST',
      url: '/api/v1/sessions/shop/messages',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload,
    });
    expect(res.statusCode).toBe(201);
    expect(res.json().data).toMatchObject({ contentType: 'document', content: { fileName: 'invoice.pdf', mimetype: 'application/pdf', caption: 'your invoice' } });
    const sent = t.gw.engine.last('shop').outbox.at(-1)!;
    expect((sent.content as { media: Buffer }).media.equals(pdf)).toBe(true);
  });

  it('refuses a media URL on a private address, naming the rule', async () => {
    await connectedSession();
    const res = await t.call({
      method: 'POST',
      url: '/api/v1/sessions/shop/messages',
      payload: { to: PHONE, content: { type: 'image', url: 'http://127.0.0.1:9/x.png' } },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'URL_NOT_ALLOWED' });
  });

  it('with an Idempotency-Key: the same content returns the stored record and sends nothing; other content gets 409', async () => {
    await connectedSession();
    const payload = { to: PHONE, content: { type: 'text', text: 'once' } };
    const headers = { 'idempotency-key': 'order-42' };
    const first = await t.call({ method: 'POST', url: '/api/v1/sessions/shop/messages', payload, headers });
    const again = await t.call({ method: 'POST', url: '/api/v1/sessions/shop/messages', payload, headers });
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json().data.messageId).toBe(first.json().data.messageId);
    expect(t.gw.engine.last('shop').outbox).toHaveLength(1);
    const other = await t.call({ method: 'POST', url: '/api/v1/sessions/shop/messages', payload: { ...payload, content: { type: 'text', text: 'twice' } }, headers });
    expect(other.statusCode).toBe(409);
    expect(other.json().error.code).toBe('IDEMPOTENCY_CONFLICT');
  });

  it('refuses before queueing: a session that is not connected (naming its state and what to do), a number not on WhatsApp', async () => {
    await t.call({ method: 'POST', url: '/api/v1/sessions', payload: { sessionId: 'idle' } });
    const idle = await t.call({ method: 'POST', url: '/api/v1/sessions/idle/messages', payload: { to: PHONE, content: { type: 'text', text: 'hi' } } });
    expect(idle.statusCode).toBe(422);
    expect(idle.json().error).toMatchObject({ code: 'SESSION_NOT_READY', details: { state: 'created', expected: ['connected'] } });
    expect(idle.json().error.message).toContain('POST /api/v1/sessions/idle/connect');
    await connectedSession();
    t.gw.engine.notOnWhatsApp.add('15550004444');
    const nobody = await t.call({ method: 'POST', url: '/api/v1/sessions/shop/messages', payload: { to: '15550004444', content: { type: 'text', text: 'hi' } } });
    expect(nobody.statusCode).toBe(422);
    expect(nobody.json().error).toMatchObject({ code: 'NOT_ON_WHATSAPP', details: { phoneNumber: '15550004444' } });
    const chats = await t.call({ method: 'GET', url: '/api/v1/sessions/shop/chats' });
    expect(chats.json().data).toEqual([]);
  });
});

describe('receiving, receipts and chats', () => {
  it('stores a received message, emits message.received with both addresses, and lists it in its chat', async () => {
    await connectedSession();
    const seen: Array<{ type: string; data: Record<string, unknown> }> = [];
    t.gw.core.events.subscribe('shop', (e) => seen.push(e));
    t.gw.engine.last('shop').receive({
      id: 'IN1',
      chatJid: '15550002222@s.whatsapp.net',
      chatAlt: '99990002222@lid',
      senderJid: '15550002222@s.whatsapp.net',
      senderAlt: '99990002222@lid',
      pushName: 'Ann',
      content: { type: 'text', text: 'is it in stock?' },
    });
    await eventually(() => expect(seen.some((e) => e.type === 'message.received')).toBe(true));
    const event = seen.find((e) => e.type === 'message.received')!;
    expect(event.data.message).toMatchObject({
      messageId: 'IN1',
      chat: { jid: '15550002222@s.whatsapp.net', lid: '99990002222@lid', phoneNumber: '15550002222' },
      from: { jid: '15550002222@s.whatsapp.net', lid: '99990002222@lid' },
      content: { type: 'text', text: 'is it in stock?' },
      status: 'received',
    });
    const list = await t.call({ method: 'GET', url: '/api/v1/sessions/shop/chats/15550002222/messages' });
    expect(list.json().data.map((m: { messageId: string }) => m.messageId)).toEqual(['IN1']);
    const read = await t.call({ method: 'POST', url: '/api/v1/sessions/shop/chats/15550002222/read', payload: {} });
    expect(read.json().data).toEqual({ read: 1 });
    expect(t.gw.engine.last('shop').reads).toEqual([{ chatJid: '15550002222@s.whatsapp.net', ids: ['IN1'] }]);
  });

  it('turns receipts into message.receipt and the status history; a late delivery never moves read back', async () => {
    await connectedSession();
    const res = await t.call({ method: 'POST', url: '/api/v1/sessions/shop/messages', payload: { to: PHONE, content: { type: 'text', text: 'x' } } });
    const id = res.json().data.messageId as string;
    const receipts: string[] = [];
    t.gw.core.events.subscribe('shop', (e) => {
      if (e.type === 'message.receipt') receipts.push(String(e.data.status));
    });
    const conn = t.gw.engine.last('shop');
    conn.status({ messageId: id, chatJid: `${PHONE}@s.whatsapp.net`, status: 'read' });
    conn.status({ messageId: id, chatJid: `${PHONE}@s.whatsapp.net`, status: 'delivered' });
    await eventually(() => expect(receipts).toEqual(['read', 'delivered']));
    const got = (await t.call({ method: 'GET', url: `/api/v1/sessions/shop/messages/${id}` })).json().data;
    expect(got.status).toBe('read');
    expect(got.statuses.map((s: { status: string }) => s.status)).toEqual(['pending', 'sent', 'read', 'delivered']);
  });

  it('pages chats and messages with cursors', async () => {
    await connectedSession();
    const conn = t.gw.engine.last('shop');
    for (let i = 0; i < 5; i++) conn.receive({ id: `M${i}`, chatJid: '15550003333@s.whatsapp.net', timestamp: 1_700_000_000 + i, content: { type: 'text', text: `${i}` } });
    for (let i = 0; i < 3; i++) conn.receive({ id: `C${i}`, chatJid: `1555000400${i}@s.whatsapp.net`, timestamp: 1_600_000_000 + i, content: { type: 'text', text: 'x' } });
    await eventually(async () => expect((await t.gw.store.messages.chats('shop', { limit: 10 })).length).toBe(4));
    const first = (await t.call({ method: 'GET', url: '/api/v1/sessions/shop/chats/15550003333/messages?limit=2' })).json();
    expect(first.data.map((m: { messageId: string }) => m.messageId)).toEqual(['M4', 'M3']);
    const second = (await t.call({ method: 'GET', url: `/api/v1/sessions/shop/chats/15550003333/messages?limit=2&before=${first.nextCursor}` })).json();
    expect(second.data.map((m: { messageId: string }) => m.messageId)).toEqual(['M2', 'M1']);
    const chats = (await t.call({ method: 'GET', url: '/api/v1/sessions/shop/chats?limit=3' })).json();
    expect(chats.data.map((c: { chat: { jid: string } }) => c.chat.jid)[0]).toBe('15550003333@s.whatsapp.net');
    expect(chats.nextCursor).not.toBeNull();
    const rest = (await t.call({ method: 'GET', url: `/api/v1/sessions/shop/chats?limit=3&before=${chats.nextCursor}` })).json();
    expect(rest.data).toHaveLength(1);
    expect(rest.nextCursor).toBeNull();
    const bad = await t.call({ method: 'GET', url: '/api/v1/sessions/shop/chats?before=zzz' });
    expect(bad.statusCode).toBe(400);
  });

  it('streams received media, decrypted through the engine', async () => {
    await connectedSession();
    const conn = t.gw.engine.last('shop');
    conn.media.set('ref-1', Buffer.from('PDFDATA'));
    conn.receive({ id: 'DOC1', content: { type: 'document', mimetype: 'application/pdf', fileName: 'invoice.pdf', mediaRef: 'ref-1' } });
    await eventually(async () => expect((await t.call({ method: 'GET', url: '/api/v1/sessions/shop/messages/DOC1' })).statusCode).toBe(200));
    const view = (await t.call({ method: 'GET', url: '/api/v1/sessions/shop/messages/DOC1' })).json().data;
    expect(view.content.mediaUrl).toBe('/api/v1/sessions/shop/messages/DOC1/media');
    expect(JSON.stringify(view)).not.toContain('ref-1');
    const media = await t.call({ method: 'GET', url: view.content.mediaUrl });
    expect(media.statusCode).toBe(200);
    expect(media.headers['content-type']).toBe('application/pdf');
    expect(media.rawPayload.toString()).toBe('PDFDATA');
  });
});

describe('the send queue', () => {
  it('a message accepted while WhatsApp drops the line is sent once after the reconnect', async () => {
    await connectedSession();
    const conn = t.gw.engine.last('shop');
    const { EngineError } = await import('../../../src/engine/errors.js');
    conn.failSends = new EngineError('NOT_CONNECTED', 'socket closed');
    const res = await t.call({ method: 'POST', url: '/api/v1/sessions/shop/messages', payload: { to: PHONE, content: { type: 'text', text: 'later' } } });
    expect(res.json().data.status).toBe('pending');
    conn.drop(428);
    await eventually(() => expect(t.gw.engine.last('shop')).not.toBe(conn));
    const next = t.gw.engine.last('shop');
    await eventually(() => expect(t.gw.core.sessions.get('shop').state).toBe('connected'));
    await eventually(() => expect(next.outbox.map((o) => o.options.messageId)).toEqual([res.json().data.messageId]));
    await eventually(async () => expect((await t.call({ method: 'GET', url: `/api/v1/sessions/shop/messages/${res.json().data.messageId}` })).json().data.status).toBe('sent'));
  });

  it('a send while a linked session reconnects waits for the connection instead of a 422', async () => {
    await connectedSession();
    const conn = t.gw.engine.last('shop');
    conn.drop(428);
    await eventually(() => expect(t.gw.core.sessions.get('shop').state).toBe('connecting'));
    const res = await t.call({ method: 'POST', url: '/api/v1/sessions/shop/messages', payload: { to: PHONE, content: { type: 'text', text: 'mid-reconnect' } } });
    expect(res.statusCode).toBe(201);
    const next = t.gw.engine.last('shop');
    expect(next).not.toBe(conn);
    await eventually(() => expect(next.outbox.map((o) => o.options.messageId)).toEqual([res.json().data.messageId]));
  });

  it('gives up after three refusals with message.failed and its reason', async () => {
    await connectedSession();
    t.gw.engine.last('shop').failSends = new Error('not-acceptable');
    const failed: unknown[] = [];
    t.gw.core.events.subscribe('shop', (e) => e.type === 'message.failed' && failed.push(e.data));
    const res = await t.call({ method: 'POST', url: '/api/v1/sessions/shop/messages', payload: { to: PHONE, content: { type: 'text', text: 'no' } } });
    const id = res.json().data.messageId as string;
    await eventually(async () => expect((await t.call({ method: 'GET', url: `/api/v1/sessions/shop/messages/${id}` })).json().data.status).toBe('failed'), 5_000);
    expect(failed).toHaveLength(1);
    const got = (await t.call({ method: 'GET', url: `/api/v1/sessions/shop/messages/${id}` })).json().data;
    expect(got.error).toContain('not-acceptable');
  });
});

describe('the send backlog bound', () => {
  it('past the bound a send gets 429 SEND_BACKLOG_FULL with Retry-After, stores nothing and leaves its Idempotency-Key free; once the backlog is sent, sends are accepted again', async () => {
    await t.close();
    t = await createNativeTestApp({ maxPendingSends: 2 });
    await connectedSession();
    const conn = t.gw.engine.last('shop');
    const { EngineError } = await import('../../../src/engine/errors.js');
    // WhatsApp takes nothing for now: accepted messages wait in the queue.
    conn.failSends = new EngineError('NOT_CONNECTED', 'socket closed');
    const url = '/api/v1/sessions/shop/messages';
    const accepted: string[] = [];
    for (const text of ['one', 'two']) {
      const res = await t.call({ method: 'POST', url, payload: { to: PHONE, content: { type: 'text', text } } });
      expect(res.statusCode).toBe(201);
      expect(res.json().data.status).toBe('pending');
      accepted.push(res.json().data.messageId as string);
    }

    const payload = { to: PHONE, content: { type: 'text', text: 'three' } };
    const headers = { 'idempotency-key': 'order-43' };
    const refused = await t.call({ method: 'POST', url, payload, headers });
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    const error = refused.json().error;
    expect(error).toMatchObject({ code: 'SEND_BACKLOG_FULL', details: { sessionId: 'shop', waiting: 2, limit: 2 } });
    expect(error.message).toContain('2 messages waiting');
    expect(error.message).toContain(`retry in ${refused.headers['retry-after']} seconds`);
    // The refused request left nothing: the chat holds the two accepted messages only.
    const chat = await t.call({ method: 'GET', url: `/api/v1/sessions/shop/chats/${PHONE}/messages` });
    expect(chat.json().data.map((m: { messageId: string }) => m.messageId).sort()).toEqual([...accepted].sort());
    // The typed route is bounded the same way.
    const typed = await t.call({ method: 'POST', url: `${url}/text`, payload: { to: PHONE, content: { text: 'typed' } } });
    expect(typed.statusCode).toBe(429);

    // WhatsApp takes messages again: the reconnect sends the backlog.
    conn.failSends = null;
    conn.drop(428);
    await eventually(() => expect(t.gw.engine.last('shop')).not.toBe(conn));
    const next = t.gw.engine.last('shop');
    await eventually(() => expect(next.outbox.map((o) => o.options.messageId)).toEqual(accepted));
    for (const id of accepted) {
      await eventually(async () => expect((await t.call({ method: 'GET', url: `${url}/${id}` })).json().data.status).toBe('sent'));
    }

    // The key of the refused request was never used: the retry (as a client retries a 429) is a new message, 201 and not a replay.
    let retried = await t.call({ method: 'POST', url, payload, headers });
    await eventually(async () => {
      if (retried.statusCode === 429) retried = await t.call({ method: 'POST', url, payload, headers });
      expect(retried.statusCode).toBe(201);
    });
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    await eventually(() => expect(next.outbox.map((o) => o.options.messageId)).toEqual([...accepted, retried.json().data.messageId]));
  });
});

describe('groups', () => {
  it('lists groups and shows one with its participants', async () => {
    await connectedSession();
    t.gw.engine.last('shop').groupList = [{ id: '120363000000000001@g.us', subject: 'Team', participants: 3 }];
    const list = await t.call({ method: 'GET', url: '/api/v1/sessions/shop/groups' });
    expect(list.json().data).toEqual([{ id: '120363000000000001@g.us', subject: 'Team', participants: 3 }]);
    const one = await t.call({ method: 'GET', url: '/api/v1/sessions/shop/groups/120363000000000001' });
    expect(one.statusCode).toBe(200);
    expect(one.json().data).toMatchObject({ id: '120363000000000001@g.us', subject: 'Team' });
    expect(one.json().data.participants).toHaveLength(3);
    expect(one.json().data.participants[0]).toMatchObject({ admin: 'superadmin', phoneNumber: '15550000000' });
  });
});

describe('number check', () => {
  it('answers each number in the order given (duplicates asked once); a bad list is a 400 before WhatsApp is asked', async () => {
    await connectedSession();
    t.gw.engine.notOnWhatsApp.add('15550004444');
    const res = await t.call({ method: 'POST', url: '/api/v1/sessions/shop/contacts/check', payload: { phoneNumbers: ['+1 555 000 4444', PHONE, PHONE] } });
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toEqual([
      { phoneNumber: '15550004444', exists: false, jid: null, lid: null },
      { phoneNumber: PHONE, exists: true, jid: `${PHONE}@s.whatsapp.net`, lid: expect.stringMatching(/@lid$/) },
      { phoneNumber: PHONE, exists: true, jid: `${PHONE}@s.whatsapp.net`, lid: expect.stringMatching(/@lid$/) },
    ]);
    expect(t.gw.engine.last('shop').checked).toEqual(['15550004444', PHONE]);

    for (const phoneNumbers of [[], ['0123'], Array.from({ length: 51 }, (_, i) => `1555000${String(i).padStart(4, '0')}`)]) {
      const bad = await t.call({ method: 'POST', url: '/api/v1/sessions/shop/contacts/check', payload: { phoneNumbers } });
      expect(bad.statusCode).toBe(400);
    }
    expect(t.gw.engine.last('shop').checked).toHaveLength(2);
  });
});
