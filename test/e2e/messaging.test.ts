/**
 * End to end: the gateway's real engine sends Signal-encrypted texts through
 * the sandbox to the owner's simulated phone, which decrypts them; the
 * dashboard's WhatsApp one-time codes travel the same way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2E_ADMIN_KEY, sleep, startE2E, type E2E } from '../support/e2e.js';

const OWNER = '15550000001';

let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E({ env: { WAGATE_OWNER_NUMBER: OWNER } });
});
afterAll(async () => e2e?.close());

interface PhoneMessage {
  id: string;
  from: string;
  text: string;
  receivedAt: string;
}

/** Link a new session to the owner's phone by QR through the HTTP API. */
async function pairedSession(id: string): Promise<void> {
  expect((await e2e.client.post('/api/v1/sessions', { sessionId: id })).status).toBe(201);
  expect((await e2e.client.post(`/api/v1/sessions/${id}/connect`)).status).toBe(202);
  const qr = await e2e.client.qr(id);
  expect((await e2e.client.post(`/sandbox/phones/${OWNER}/scan`, { qr })).status).toBe(200);
  await e2e.client.waitForState(id, 'connected');
}

/** The phone's inbox once a message matching `predicate` is in it (delivery lands just after the send returns). */
async function phoneMessage(phone: string, predicate: (m: PhoneMessage) => boolean, timeoutMs = 10_000): Promise<PhoneMessage> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await e2e.client.get<{ data: PhoneMessage[] }>(`/sandbox/phones/${phone}/messages`);
    expect(res.status).toBe(200);
    const found = res.body.data.find(predicate);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no matching message on +${phone}; inbox: ${JSON.stringify(res.body.data)}`);
    await sleep(50);
  }
}

/** A signed-in dashboard user: cookie + CSRF token on every call. */
async function dashboard() {
  const base = `${e2e.client.baseUrl}/dashboard`;
  const signIn = await fetch(`${base}/api/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ apiKey: E2E_ADMIN_KEY }),
  });
  expect(signIn.status).toBe(200);
  const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
  const { csrfToken } = (await signIn.json()) as { csrfToken: string };
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(base + path, {
      method,
      headers: {
        cookie,
        'x-csrf-token': csrfToken,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as any };
  };
}

describe('messaging end to end (real engine → sandbox phone)', () => {
  it("sendText to the session's own number reaches the phone, decrypted", async () => {
    await pairedSession('msg-self');
    const sent = await e2e.gateway.core.sessions.sendText('msg-self', OWNER, 'Your code is 123456');
    const received = await phoneMessage(OWNER, (m) => m.id === sent.messageId);
    expect(received).toMatchObject({ from: OWNER, text: 'Your code is 123456' });

    const again = await e2e.gateway.core.sessions.sendText('msg-self', OWNER, 'and a second one');
    expect((await phoneMessage(OWNER, (m) => m.id === again.messageId)).text).toBe('and a second one');
  });

  it('a text to another sandbox account reaches that phone', async () => {
    expect((await e2e.client.post('/sandbox/phones', { phoneNumber: '15550000077', name: 'Bob' })).status).toBe(201);
    const sent = await e2e.gateway.core.sessions.sendText('msg-self', '15550000077', 'hello Bob');
    expect(await phoneMessage('15550000077', (m) => m.id === sent.messageId)).toMatchObject({ from: OWNER, text: 'hello Bob' });
  });

  it('dashboard logout needs the one-time code the owner received on WhatsApp; a wrong code is refused', async () => {
    await pairedSession('otp-target');
    const call = await dashboard();
    expect((await call('GET', '/api/otp')).body).toMatchObject({ method: 'whatsapp' });

    const withoutCode = await call('POST', '/api/sessions/otp-target/logout');
    expect(withoutCode.status).toBe(403);
    expect(JSON.stringify(withoutCode.body)).toContain('OTP_REQUIRED');

    const sent = await call('POST', '/api/otp/send', { action: 'logout', sessionId: 'otp-target' });
    expect(sent.status).toBe(200);
    expect(sent.body.sentTo).toMatch(/0001$/);

    const message = await phoneMessage(OWNER, (m) => m.text.includes('"otp-target"'));
    const code = /\b(\d{6})\b/.exec(message.text)![1]!;
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');

    const refused = await call('POST', '/api/sessions/otp-target/logout', undefined, { 'x-otp-code': wrong });
    expect(refused.status).toBe(403);
    expect(JSON.stringify(refused.body)).toContain('OTP_INVALID');
    expect((await e2e.client.status('otp-target')).state).toBe('connected');

    const done = await call('POST', '/api/sessions/otp-target/logout', undefined, { 'x-otp-code': code });
    expect(done.status).toBe(200);
    await e2e.client.waitForState('otp-target', 'logged_out');
  });
});

describe('the native messaging API end to end (real engine → sandbox phone)', () => {
  it('POST /messages reaches the phone with the id it answered, once; the record says sent', async () => {
    await pairedSession('api-send');
    const res = await e2e.client.post<{ data: { messageId: string; status: string; to: string } }>('/api/v1/sessions/api-send/messages', {
      to: '15550000077',
      content: { type: 'text', text: 'order #1 shipped' },
    });
    expect(res.status).toBe(201);
    const { messageId } = res.body.data;
    expect(res.body.data.to).toBe('15550000077@s.whatsapp.net');
    expect(await phoneMessage('15550000077', (m) => m.id === messageId)).toMatchObject({ from: OWNER, text: 'order #1 shipped' });
    const record = await e2e.client.get<{ data: { status: string; statuses: Array<{ status: string }> } }>(`/api/v1/sessions/api-send/messages/${messageId}`);
    expect(record.body.data.statuses.map((s) => s.status).slice(0, 2)).toEqual(['pending', 'sent']);
  });

  it('an idempotent retry answers the stored record and the phone gets the message once', async () => {
    const body = { to: '15550000077', content: { type: 'text', text: 'pay once' } };
    const headers = { 'idempotency-key': 'invoice-7' };
    const first = await e2e.client.post<{ data: { messageId: string } }>('/api/v1/sessions/api-send/messages', body, headers);
    const again = await e2e.client.post<{ data: { messageId: string } }>('/api/v1/sessions/api-send/messages', body, headers);
    expect([first.status, again.status]).toEqual([201, 200]);
    expect(again.body.data.messageId).toBe(first.body.data.messageId);
    await phoneMessage('15550000077', (m) => m.id === first.body.data.messageId);
    await sleep(300);
    const inbox = await e2e.client.get<{ data: PhoneMessage[] }>('/sandbox/phones/15550000077/messages');
    expect(inbox.body.data.filter((m) => m.text === 'pay once')).toHaveLength(1);
  });

  it('a send while disconnected is refused with the state and what to do, and nothing is queued', async () => {
    await e2e.client.post('/api/v1/sessions/api-send/disconnect');
    const res = await e2e.client.post<{ error: { code: string; message: string; details: { state: string } } }>('/api/v1/sessions/api-send/messages', {
      to: '15550000077',
      content: { type: 'text', text: 'not now' },
    });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'SESSION_NOT_READY', details: { state: 'inactive' } });
    expect(res.body.error.message).toContain('connect');
    await e2e.client.post('/api/v1/sessions/api-send/connect');
    await e2e.client.waitForState('api-send', 'connected');
    await sleep(300);
    const inbox = await e2e.client.get<{ data: PhoneMessage[] }>('/sandbox/phones/15550000077/messages');
    expect(inbox.body.data.some((m) => m.text === 'not now')).toBe(false);
  });
});

describe('media through the API end to end (real engine → sandbox media host → phone)', () => {
  it.each([
    ['image', 'image/png', {}],
    ['document', 'application/pdf', { fileName: 'invoice.pdf', caption: 'March' }],
    ['audio', 'audio/ogg; codecs=opus', { voiceNote: true }],
    ['video', 'video/mp4', { caption: 'clip' }],
    ['sticker', 'image/webp', {}],
  ] as const)('a %s sent as base64 reaches the phone equal byte for byte after decryption', async (type, mimetype, extra) => {
    await pairedSession(`media-${type}`);
    const bytes = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 31 + type.length) % 256));
    const res = await e2e.client.post<{ data: { messageId: string; status: string } }>(`/api/v1/sessions/media-${type}/messages`, {
      to: '15550000077',
      content: { type, base64: bytes.toString('base64'), mimetype, ...extra },
    });
    expect(res.status).toBe(201);
    const { messageId } = res.body.data;
    await phoneMessage('15550000077', (m) => m.id === messageId);
    const received = e2e.gateway.sandbox!.receivedMedia('15550000077', messageId);
    expect(received.equals(bytes)).toBe(true);
  });
});

describe('media from a phone end to end (sandbox phone → real engine → gateway API)', () => {
  it.each([
    ['image', 'image/jpeg'],
    ['document', 'application/pdf'],
    ['voice', 'audio/ogg; codecs=opus'],
    ['video', 'video/mp4'],
    ['sticker', 'image/webp'],
  ] as const)('a %s the phone sends arrives as message.received and downloads equal byte for byte', async (type, mimetype) => {
    const sessionId = `inbound-${type}`;
    await e2e.client.post('/sandbox/phones', { phoneNumber: '15550000077', name: 'Bob' }); // 409 when it exists already
    await pairedSession(sessionId);
    const bytes = Buffer.from(Array.from({ length: 2500 }, (_, i) => (i * 7 + type.length) % 256));
    const sent = await e2e.client.post<{ data: { id: string } }>('/sandbox/phones/15550000077/messages', {
      to: OWNER,
      media: { type, base64: bytes.toString('base64'), mimetype, caption: type === 'sticker' || type === 'voice' ? undefined : `a ${type}` },
    });
    expect(sent.status).toBe(201);
    const id = sent.body.data.id;
    const deadline = Date.now() + 10_000;
    let message: { content: { mediaUrl?: string; type: string } } | undefined;
    while (!message && Date.now() < deadline) {
      const res = await e2e.client.get<{ data: { content: { mediaUrl?: string; type: string } } }>(`/api/v1/sessions/${sessionId}/messages/${id}`);
      if (res.status === 200) message = res.body.data;
      else await sleep(50);
    }
    expect(message?.content.type).toBe(type === 'voice' ? 'audio' : type);
    const media = await fetch(`${e2e.client.baseUrl}${message!.content.mediaUrl}`, { headers: { authorization: `Bearer ${E2E_ADMIN_KEY}` } });
    expect(media.status).toBe(200);
    expect(Buffer.from(await media.arrayBuffer()).equals(bytes)).toBe(true);
  });
});
