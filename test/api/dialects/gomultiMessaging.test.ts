/** go-whatsapp-multi-session's chat and message routes and message webhooks, over the real core with the fake engine. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderGomultiEvent } from '../../../src/api/gomulti/events.js';
import type { GatewayEvent } from '../../../src/core/model.js';
import { eventually } from '../../support/harness.js';
import { createDialectTestApp, json, type DialectTestApp } from './helpers.js';

const BASE = '/compat/gomulti';
const CHAT = '6281234567890@s.whatsapp.net';
const JPEG = Buffer.from('ffd8ffe000104a46494600010100000100010000', 'hex');

function multipartFile(fields: Record<string, string>, file: { filename: string; mimetype: string; bytes: Buffer }) {
  const boundary = '----gomulti-test';
  const parts: Buffer[] = Object.entries(fields).map(([n, v]) => Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${n}"\r\n\r\n${v}\r\n`));
  parts.push(
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.filename}"\r\nContent-Type: ${file.mimetype}\r\n\r\n`),
    file.bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  );
  return { payload: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

describe('gomulti messaging', () => {
  let t: DialectTestApp;
  let device: { device_id: string; token: string };
  let auth: Record<string, string>;
  beforeEach(async () => {
    t = await createDialectTestApp();
    const res = await t.inject({ method: 'POST', url: `${BASE}/devices`, headers: { 'x-api-key': t.adminKey }, payload: { device_name: 'Sales' } });
    device = (res.json() as { data: { device_id: string; token: string } }).data;
    auth = { authorization: `Bearer ${device.token}` };
  });
  afterEach(async () => t.close());

  const loggedIn = async (): Promise<void> => {
    await t.gw.core.sessions.connect(device.device_id);
    await t.waitState(device.device_id, 'qr');
    await t.gw.engine.last(device.device_id).link('15550000001');
    await t.waitState(device.device_id, 'connected');
  };

  it('POST /chats/{chat_jid}/messages {text} → 200 {status, code, message, data: {message_id}}; the engine sends it', async () => {
    await loggedIn();
    const res = await t.inject({ method: 'POST', url: `${BASE}/chats/${CHAT}/messages`, headers: auth, payload: { text: 'halo' } });
    expect(res.statusCode).toBe(200);
    const sent = t.gw.engine.last(device.device_id).outbox.at(-1)!;
    expect(sent).toMatchObject({ to: CHAT, content: { type: 'text', text: 'halo' } });
    expect(json(res)).toEqual({ status: true, code: 200, message: 'Success send message', data: { message_id: sent.options.messageId } });
  });

  it('POST /chats/{chat_jid}/images takes the multipart file and caption', async () => {
    await loggedIn();
    const { payload, contentType } = multipartFile({ caption: 'katalog' }, { filename: 'k.jpg', mimetype: 'image/jpeg', bytes: JPEG });
    const res = await t.inject({ method: 'POST', url: `${BASE}/chats/${CHAT}/images`, headers: { ...auth, 'content-type': contentType }, payload });
    expect(res.statusCode).toBe(200);
    expect(json(res)).toMatchObject({ status: true, message: 'Success send image', data: { message_id: expect.any(String) } });
    const sent = t.gw.engine.last(device.device_id).outbox.at(-1)!;
    expect(sent.content).toMatchObject({ type: 'image', mimetype: 'image/jpeg', caption: 'katalog' });
    expect((sent.content as { media: Buffer }).media.equals(JPEG)).toBe(true);

    const missing = await t.inject({ method: 'POST', url: `${BASE}/chats/${CHAT}/images`, headers: auth, payload: { caption: 'x' } });
    expect(missing.statusCode).toBe(400);
    expect(json(missing)).toMatchObject({ status: false, code: 400, message: 'Bad request', error: expect.stringContaining('file is required') });
  });

  it('a device that is not logged in → the original\'s 500 in its envelope; no token → 401', async () => {
    const res = await t.inject({ method: 'POST', url: `${BASE}/chats/${CHAT}/messages`, headers: auth, payload: { text: 'x' } });
    expect(res.statusCode).toBe(500);
    expect(json(res)).toEqual({ status: false, code: 500, message: 'Internal server error', error: 'WhatsApp Client is not Connected' });
    const anonymous = await t.inject({ method: 'POST', url: `${BASE}/chats/${CHAT}/messages`, payload: { text: 'x' } });
    expect(anonymous.statusCode).toBe(401);
  });

  it('renders a received message as `message.received` and a delivery receipt as `message.delivered`; history lists it', async () => {
    await loggedIn();
    const events: GatewayEvent[] = [];
    t.gw.core.events.subscribe(device.device_id, (e) => events.push(e));
    const conn = t.gw.engine.last(device.device_id);
    conn.receive({ id: '3EB0ABC123DEF456789', chatJid: CHAT, timestamp: 1_702_129_024, content: { type: 'text', text: 'ada stok?' } });
    await eventually(() => expect(events.some((e) => e.type === 'message.received')).toBe(true));
    expect(renderGomultiEvent(events.find((e) => e.type === 'message.received')!)).toEqual({
      event: 'message.received',
      payload: { message_id: '3EB0ABC123DEF456789', from: CHAT, chat: CHAT, timestamp: 1_702_129_024, is_from_me: false },
    });

    const history = await t.inject({ method: 'GET', url: `${BASE}/chats/${CHAT}/messages?limit=10`, headers: auth });
    expect(json(history)).toMatchObject({ status: true, data: { chat_jid: CHAT, limit: 10, messages: [{ message_id: '3EB0ABC123DEF456789', text: 'ada stok?' }] } });

    const sent = await t.inject({ method: 'POST', url: `${BASE}/chats/${CHAT}/messages`, headers: auth, payload: { text: 'ada' } });
    const id = (json(sent).data as { message_id: string }).message_id;
    conn.status({ messageId: id, chatJid: CHAT, status: 'delivered', at: 1_702_129_100_000 });
    await eventually(() => expect(events.some((e) => e.type === 'message.receipt')).toBe(true));
    expect(renderGomultiEvent(events.find((e) => e.type === 'message.receipt')!)).toEqual({
      event: 'message.delivered',
      payload: { message_id: id, chat: CHAT, sender: CHAT, timestamp: 1_702_129_100 },
    });
  });
});
