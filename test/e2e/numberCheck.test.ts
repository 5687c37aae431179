/**
 * The number check end to end: the real engine asks the sandbox network
 * (WhatsApp's usync query), through the native API and each dialect's own
 * route and shape: WAHA's check-exists (and legacy checkNumberStatus),
 * GOWA's /user/check and Evolution's whatsappNumbers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startE2E, type E2E } from '../support/e2e.js';
import { basic } from '../api/dialects/helpers.js';

const LINKED = '15550710001';
const FRIEND = '15550710002';
const NOBODY = '15550719999';

let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E({ env: { WAGATE_GOWA_USERS: 'user:pass' } });
  for (const phoneNumber of [LINKED, FRIEND]) expect((await e2e.client.post('/sandbox/phones', { phoneNumber })).status).toBe(201);
  expect((await e2e.client.post('/api/v1/sessions', { sessionId: 'check' })).status).toBe(201);
  expect((await e2e.client.post('/api/v1/sessions/check/connect')).status).toBe(202);
  const qr = await e2e.client.qr('check');
  expect((await e2e.client.post(`/sandbox/phones/${LINKED}/scan`, { qr })).status).toBe(200);
  await e2e.client.waitForState('check', 'connected');
});
afterAll(async () => e2e?.close());

async function raw(method: string, url: string, headers: Record<string, string>, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(e2e.client.baseUrl + url, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

describe('number check (real engine ↔ sandbox)', () => {
  it('native: one number, and a list in the order given, with JID and LID for the ones on WhatsApp', async () => {
    const one = await e2e.client.get(`/api/v1/sessions/check/contacts/${encodeURIComponent(`+${FRIEND}`)}/exists`);
    expect(one.status).toBe(200);
    expect(one.body.data).toMatchObject({ phoneNumber: FRIEND, exists: true, jid: `${FRIEND}@s.whatsapp.net` });
    // The sandbox answers the LID query as WhatsApp does.
    expect(one.body.data.lid).toMatch(/^\d+@lid$/);

    const list = await e2e.client.post('/api/v1/sessions/check/contacts/check', { phoneNumbers: [NOBODY, FRIEND] });
    expect(list.status).toBe(200);
    expect(list.body.data).toEqual([
      { phoneNumber: NOBODY, exists: false, jid: null, lid: null },
      expect.objectContaining({ phoneNumber: FRIEND, exists: true, jid: `${FRIEND}@s.whatsapp.net` }),
    ]);
  });

  it('native: bad input is a 4xx that says what to do, before WhatsApp is asked', async () => {
    const bad = await e2e.client.get('/api/v1/sessions/check/contacts/0123/exists');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('INVALID_PHONE_NUMBER');
    const empty = await e2e.client.post('/api/v1/sessions/check/contacts/check', { phoneNumbers: [] });
    expect(empty.status).toBe(400);
    const many = await e2e.client.post('/api/v1/sessions/check/contacts/check', { phoneNumbers: Array.from({ length: 51 }, (_, i) => `1555071${String(i).padStart(4, '0')}`) });
    expect(many.status).toBe(400);
    expect((await e2e.client.post('/api/v1/sessions', { sessionId: 'idle' })).status).toBe(201);
    const idle = await e2e.client.get(`/api/v1/sessions/idle/contacts/${FRIEND}/exists`);
    expect(idle.status).toBe(422);
    expect(idle.body.error.code).toBe('SESSION_NOT_READY');
  });

  it('WAHA: GET /api/contacts/check-exists and the legacy /api/checkNumberStatus answer {numberExists, chatId}', async () => {
    const key = { 'x-api-key': e2e.client.key };
    const yes = await raw('GET', `/compat/waha/api/contacts/check-exists?session=check&phone=${FRIEND}`, key);
    expect(yes).toEqual({ status: 200, body: { numberExists: true, chatId: `${FRIEND}@c.us` } });
    const no = await raw('GET', `/compat/waha/api/contacts/check-exists?session=check&phone=${NOBODY}`, key);
    expect(no).toEqual({ status: 200, body: { numberExists: false } });
    const legacy = await raw('GET', `/compat/waha/api/checkNumberStatus?session=check&phone=${FRIEND}@c.us`, key);
    expect(legacy.body).toEqual({ numberExists: true, chatId: `${FRIEND}@c.us` });
  });

  it('GOWA: GET /user/check?phone= answers results.is_on_whatsapp for the device', async () => {
    const auth = { authorization: basic('user', 'pass'), 'x-device-id': 'check' };
    const yes = await raw('GET', `/compat/gowa/user/check?phone=${FRIEND}`, auth);
    expect(yes).toEqual({ status: 200, body: { code: 'SUCCESS', message: 'Success check user', results: { is_on_whatsapp: true } } });
    const no = await raw('GET', `/compat/gowa/user/check?phone=${NOBODY}@s.whatsapp.net`, auth);
    expect(no.body.results).toEqual({ is_on_whatsapp: false });
  });

  it('Evolution: POST /chat/whatsappNumbers/{instance} answers [{exists, jid, number}] in the order asked', async () => {
    const res = await raw('POST', '/compat/evolution/chat/whatsappNumbers/check', { apikey: e2e.client.key }, { numbers: [FRIEND, NOBODY] });
    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      expect.objectContaining({ exists: true, jid: `${FRIEND}@s.whatsapp.net`, number: FRIEND }),
      { exists: false, jid: `${NOBODY}@s.whatsapp.net`, number: NOBODY },
    ]);
    const bad = await raw('POST', '/compat/evolution/chat/whatsappNumbers/check', { apikey: e2e.client.key }, { numbers: 'x' });
    expect(bad.status).toBe(400);
  });
});
