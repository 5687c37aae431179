/** GOWA's send and message routes (JSON, form and multipart bodies) and message webhooks, over the real core with the fake engine. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderGowaEvent } from '../../../src/api/gowa/events.js';
import type { GatewayEvent } from '../../../src/core/model.js';
import { eventually } from '../../support/harness.js';
import { basic, createDialectTestApp, json, type DialectTestApp } from './helpers.js';

const BASE = '/compat/gowa';
const PHONE = '6289685028129';
const JPEG = Buffer.from('ffd8ffe000104a46494600010100000100010000', 'hex');

/** A multipart/form-data body with text fields and one file. */
function multipartBody(fields: Record<string, string>, file: { field: string; filename: string; mimetype: string; bytes: Buffer }) {
  const boundary = '----wagate-test-boundary';
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  parts.push(
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${file.field}"; filename="${file.filename}"\r\nContent-Type: ${file.mimetype}\r\n\r\n`),
    file.bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  );
  return { payload: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

describe('gowa sending', () => {
  let t: DialectTestApp;
  const auth = { authorization: basic('username', 'password') };
  beforeEach(async () => {
    t = await createDialectTestApp({ WAGATE_GOWA_USERS: 'username:password' });
  });
  afterEach(async () => t.close());

  const loggedIn = async (id = 'dev1'): Promise<void> => {
    await t.inject({ method: 'POST', url: `${BASE}/devices`, headers: auth, payload: { device_id: id } });
    await t.gw.core.sessions.connect(id);
    await t.waitState(id, 'qr');
    await t.gw.engine.last(id).link('15550000001');
    await t.waitState(id, 'connected');
  };

  it('a send past the device\'s backlog bound → 429 in GOWA\'s envelope with Retry-After, and nothing is stored', async () => {
    await t.close();
    t = await createDialectTestApp({ WAGATE_GOWA_USERS: 'username:password' }, { maxPendingSends: 1 });
    await loggedIn();
    const { EngineError } = await import('../../../src/engine/errors.js');
    t.gw.engine.last('dev1').failSends = new EngineError('NOT_CONNECTED', 'socket closed');
    const send = (message: string) =>
      t.inject({ method: 'POST', url: `${BASE}/send/message`, headers: { ...auth, 'x-device-id': 'dev1' }, payload: { phone: `${PHONE}@s.whatsapp.net`, message } });
    expect((await send('waits')).statusCode).toBe(200);
    const refused = await send('refused');
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    expect(json(refused)).toMatchObject({ code: 'SEND_BACKLOG_FULL', message: expect.stringContaining('1 message waiting') });
    expect(await t.gw.store.messages.pending('dev1')).toHaveLength(1);
  });

  it('POST /send/message {phone, message} → SUCCESS with results {message_id, status}; the engine sends the text', async () => {
    await loggedIn();
    const res = await t.inject({ method: 'POST', url: `${BASE}/send/message`, headers: { ...auth, 'x-device-id': 'dev1' }, payload: { phone: `${PHONE}@s.whatsapp.net`, message: 'halo' } });
    expect(res.statusCode).toBe(200);
    const sent = t.gw.engine.last('dev1').outbox.at(-1)!;
    expect(sent).toMatchObject({ to: `${PHONE}@s.whatsapp.net`, content: { type: 'text', text: 'halo' } });
    const status = expect.stringMatching(new RegExp(`^Message sent to ${PHONE}@s\\.whatsapp\\.net \\(server timestamp: \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d \\+0000 UTC\\)$`));
    expect(json(res)).toEqual({ code: 'SUCCESS', message: status, results: { message_id: sent.options.messageId, status } });

    // A form body and the only device (no X-Device-Id) work too; reply_message_id quotes.
    const form = await t.inject({
      method: 'POST',
      url: `${BASE}/send/message`,
      headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
      payload: `phone=${PHONE}&message=again&reply_message_id=${sent.options.messageId}`,
    });
    expect(form.statusCode).toBe(200);
    expect(t.gw.engine.last('dev1').outbox.at(-1)!.options.replyTo).toMatchObject({ messageId: sent.options.messageId, fromMe: true });
  });

  it('POST /send/image as multipart (field "image") sends the uploaded file with its mimetype and caption; image_url is read too', async () => {
    await loggedIn();
    const { payload, contentType } = multipartBody({ phone: PHONE, caption: 'produk baru' }, { field: 'image', filename: 'p.jpg', mimetype: 'image/jpeg', bytes: JPEG });
    const res = await t.inject({ method: 'POST', url: `${BASE}/send/image?device_id=dev1`, headers: { ...auth, 'content-type': contentType }, payload });
    expect(res.statusCode).toBe(200);
    expect(json(res)).toMatchObject({ code: 'SUCCESS', results: { message_id: expect.any(String) } });
    const sent = t.gw.engine.last('dev1').outbox.at(-1)!;
    expect(sent.content).toMatchObject({ type: 'image', mimetype: 'image/jpeg', caption: 'produk baru', fileName: 'p.jpg' });
    expect((sent.content as { media: Buffer }).media.equals(JPEG)).toBe(true);

    // image_url on a private address is refused before anything is sent, in GOWA's envelope.
    const url = await t.inject({ method: 'POST', url: `${BASE}/send/image`, headers: auth, payload: { phone: PHONE, image_url: 'http://127.0.0.1:9/p.jpg' } });
    expect(url.statusCode).toBe(400);
    expect(json(url)).toMatchObject({ code: 'URL_NOT_ALLOWED' });
    const none = await t.inject({ method: 'POST', url: `${BASE}/send/image`, headers: auth, payload: { phone: PHONE } });
    expect(none.statusCode).toBe(400);
    expect(json(none)).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('image is required') });
    expect(t.gw.engine.last('dev1').outbox).toHaveLength(1);
  });

  it('location, contact, reaction, read and chat presence reach the engine', async () => {
    await loggedIn();
    const conn = t.gw.engine.last('dev1');
    const loc = await t.inject({ method: 'POST', url: `${BASE}/send/location`, headers: auth, payload: { phone: PHONE, latitude: '-6.2088', longitude: '106.8456' } });
    expect(loc.statusCode).toBe(200);
    expect(conn.outbox.at(-1)!.content).toMatchObject({ type: 'location', latitude: -6.2088, longitude: 106.8456 });
    const contact = await t.inject({ method: 'POST', url: `${BASE}/send/contact`, headers: auth, payload: { phone: PHONE, contact_name: 'Budi', contact_phone: '+62 812 3456' } });
    expect(contact.statusCode).toBe(200);
    expect(conn.outbox.at(-1)!.content).toMatchObject({ type: 'contact', displayName: 'Budi', vcard: expect.stringContaining('waid=628123456') });

    conn.receive({ id: 'IN1', chatJid: `${PHONE}@s.whatsapp.net`, content: { type: 'text', text: 'hi' } });
    await eventually(async () => expect((await t.gw.core.messages.get('dev1', 'IN1')).messageId).toBe('IN1'));
    const reaction = await t.inject({ method: 'POST', url: `${BASE}/message/IN1/reaction`, headers: auth, payload: { phone: PHONE, emoji: '🙏' } });
    expect(reaction.statusCode).toBe(200);
    expect(json(reaction).message).toMatch(/^Reaction sent to /);
    expect(conn.outbox.at(-1)!.content).toMatchObject({ type: 'reaction', messageId: 'IN1', emoji: '🙏' });
    const read = await t.inject({ method: 'POST', url: `${BASE}/message/IN1/read`, headers: auth, payload: { phone: PHONE } });
    expect(json(read)).toMatchObject({ code: 'SUCCESS', message: 'Mark as read success IN1' });
    expect(conn.reads.at(-1)).toEqual({ chatJid: `${PHONE}@s.whatsapp.net`, ids: ['IN1'] });
    await t.inject({ method: 'POST', url: `${BASE}/send/chat-presence`, headers: auth, payload: { phone: PHONE, action: 'start' } });
    expect(conn.presences.at(-1)).toEqual({ state: 'composing', chatJid: `${PHONE}@s.whatsapp.net` });
  });

  it('a device that is not logged in → 401 AUTHENTICATION_ERROR, as the original; nothing is sent', async () => {
    await t.inject({ method: 'POST', url: `${BASE}/devices`, headers: auth, payload: { device_id: 'dev1' } });
    const idle = await t.inject({ method: 'POST', url: `${BASE}/send/message`, headers: auth, payload: { phone: PHONE, message: 'x' } });
    expect(idle.statusCode).toBe(401);
    expect(json(idle)).toEqual({ code: 'AUTHENTICATION_ERROR', message: 'you are not connect to services server, please reconnect' });
    await t.gw.core.sessions.connect('dev1');
    await t.waitState('dev1', 'qr');
    const waiting = await t.inject({ method: 'POST', url: `${BASE}/send/message`, headers: auth, payload: { phone: PHONE, message: 'x' } });
    expect(json(waiting)).toEqual({ code: 'AUTHENTICATION_ERROR', message: 'you are not logged in' });
    expect(t.gw.engine.last('dev1').outbox).toHaveLength(0);
  });

  it('renders a received message as GOWA\'s `message` webhook and a read receipt as `message.ack`', async () => {
    await loggedIn();
    const events: GatewayEvent[] = [];
    t.gw.core.events.subscribe('dev1', (e) => events.push(e));
    const conn = t.gw.engine.last('dev1');
    conn.media.set('ref-1', JPEG);
    conn.receive({
      id: '3EB0C127D7BACC83D6A3',
      chatJid: `${PHONE}@s.whatsapp.net`,
      senderAlt: '251556368777322@lid',
      timestamp: 1_752_404_751,
      content: { type: 'image', mimetype: 'image/jpeg', caption: 'Check this out!', mediaRef: 'ref-1' },
    });
    await eventually(() => expect(events.some((e) => e.type === 'message.received')).toBe(true));
    expect(renderGowaEvent(events.find((e) => e.type === 'message.received')!)).toEqual({
      event: 'message',
      payload: {
        id: '3EB0C127D7BACC83D6A3',
        chat_id: `${PHONE}@s.whatsapp.net`,
        from: `${PHONE}@s.whatsapp.net`,
        from_lid: '251556368777322@lid',
        from_name: '',
        timestamp: '2025-07-13T11:05:51Z',
        is_from_me: false,
        body: 'Check this out!',
        image: { url: '/message/3EB0C127D7BACC83D6A3/download', caption: 'Check this out!' },
      },
    });
    const download = await t.inject({ method: 'GET', url: `${BASE}/message/3EB0C127D7BACC83D6A3/download`, headers: auth });
    expect(json(download)).toMatchObject({ code: 'SUCCESS', results: { media_type: 'image', file_size: JPEG.length } });
    const file = await t.inject({ method: 'GET', url: new URL((json(download).results as { file_url: string }).file_url).pathname, headers: auth });
    expect(file.rawPayload.equals(JPEG)).toBe(true);

    const sent = await t.inject({ method: 'POST', url: `${BASE}/send/message`, headers: auth, payload: { phone: PHONE, message: 'ok' } });
    const id = (json(sent).results as { message_id: string }).message_id;
    conn.status({ messageId: id, chatJid: `${PHONE}@s.whatsapp.net`, status: 'read' });
    await eventually(() => expect(events.some((e) => e.type === 'message.receipt')).toBe(true));
    expect(renderGowaEvent(events.find((e) => e.type === 'message.receipt')!)).toEqual({
      event: 'message.ack',
      payload: { ids: [id], chat_id: `${PHONE}@s.whatsapp.net`, from: `${PHONE}@s.whatsapp.net`, receipt_type: 'read', receipt_type_description: 'the user opened the chat and saw the message.' },
    });
    expect(renderGowaEvent(events.find((e) => e.type === 'message.sent')!)).toBeNull();
  });
});
