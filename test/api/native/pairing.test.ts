import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually } from '../../support/harness.js';
import { createNativeTestApp, type NativeTestApp } from './helpers.js';

let t: NativeTestApp;
beforeEach(async () => {
  t = await createNativeTestApp();
});
afterEach(async () => {
  await t.close();
});

async function view(id: string): Promise<Record<string, unknown>> {
  return (await t.call({ method: 'GET', url: `/api/v1/sessions/${id}` })).json().data;
}

/** A session waiting for its QR to be scanned. */
async function linking(id: string): Promise<void> {
  expect((await t.call({ method: 'POST', url: '/api/v1/sessions', payload: { sessionId: id } })).statusCode).toBe(201);
  expect((await t.call({ method: 'POST', url: `/api/v1/sessions/${id}/connect` })).statusCode).toBe(202);
  await eventually(async () => expect((await view(id)).state).toBe('qr'));
}

function pairingCode(id: string, phoneNumber: unknown) {
  return t.call({ method: 'POST', url: `/api/v1/sessions/${id}/auth/pairing-code`, payload: { phoneNumber } });
}

describe('GET /api/v1/sessions/{id}/auth/qr', () => {
  it('is 422 SESSION_NOT_READY before connect, with the state and what was expected', async () => {
    await t.call({ method: 'POST', url: '/api/v1/sessions', payload: { sessionId: 's1' } });
    const res = await t.call({ method: 'GET', url: '/api/v1/sessions/s1/auth/qr' });
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toMatchObject({ code: 'SESSION_NOT_READY', details: { state: 'created', expected: expect.arrayContaining(['qr']) } });
    expect((await view('s1')).state).toBe('created');
  });

  it('returns the QR as JSON', async () => {
    await linking('s1');
    const res = await t.call({ method: 'GET', url: '/api/v1/sessions/s1/auth/qr' });
    expect(res.statusCode).toBe(200);
    const data = res.json().data;
    expect(data).toEqual({ qr: expect.stringMatching(/^2@/), ttlMs: 60_000, createdAt: expect.any(String), expiresAt: expect.any(String) });
    expect(Date.parse(data.expiresAt) - Date.parse(data.createdAt)).toBe(60_000);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('returns the QR as a PNG and as an SVG image', async () => {
    await linking('s1');
    const png = await t.call({ method: 'GET', url: '/api/v1/sessions/s1/auth/qr?format=png' });
    expect(png.statusCode).toBe(200);
    expect(png.headers['content-type']).toBe('image/png');
    expect(png.rawPayload.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));

    const svg = await t.call({ method: 'GET', url: '/api/v1/sessions/s1/auth/qr?format=svg' });
    expect(svg.statusCode).toBe(200);
    expect(svg.headers['content-type']).toContain('image/svg+xml');
    expect(svg.body).toMatch(/^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  });

  it('rejects an unknown format with 400', async () => {
    await linking('s1');
    const res = await t.call({ method: 'GET', url: '/api/v1/sessions/s1/auth/qr?format=gif' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'query.format' } });
  });

  it('is 409 ALREADY_PAIRED once linked', async () => {
    await linking('s1');
    await t.gw.engine.last('s1').link('15551234567');
    await eventually(async () => expect((await view('s1')).state).toBe('connected'));
    const res = await t.call({ method: 'GET', url: '/api/v1/sessions/s1/auth/qr' });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('ALREADY_PAIRED');
  });
});

describe('POST /api/v1/sessions/{id}/auth/pairing-code', () => {
  it('returns an ABCD-1234 code for the normalised number', async () => {
    await linking('s1');
    const res = await pairingCode('s1', '+1 (555) 123-4567');
    expect(res.statusCode).toBe(200);
    const data = res.json().data;
    expect(data).toMatchObject({ code: expect.stringMatching(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/), phoneNumber: '15551234567' });
    expect(data.ttlMs).toBeGreaterThan(0);
    expect(Date.parse(data.expiresAt)).toBeGreaterThan(Date.now());
    expect((await view('s1')).state).toBe('pairing_code');
    // The code is the one the phone must type.
    expect(t.gw.engine.last('s1').pendingCode).toMatchObject({ phone: '15551234567', code: data.code.replace('-', '') });
  });

  it('is 422 SESSION_NOT_READY when the session is not connecting', async () => {
    await t.call({ method: 'POST', url: '/api/v1/sessions', payload: { sessionId: 's1' } });
    const res = await pairingCode('s1', '15551234567');
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toMatchObject({ code: 'SESSION_NOT_READY', details: { state: 'created' } });
    expect((await view('s1')).state).toBe('created');
  });

  it('is 409 ALREADY_PAIRED for a linked session', async () => {
    await linking('s1');
    await t.gw.engine.last('s1').link('15551234567');
    await eventually(async () => expect((await view('s1')).state).toBe('connected'));
    const res = await pairingCode('s1', '15551234567');
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('ALREADY_PAIRED');
  });

  it.each([
    ['letters', 'call me', 'NOT_A_NUMBER'],
    ['a national number', '01112223333', 'NO_COUNTRY_CODE'],
    ['too short', '123', 'TOO_SHORT'],
    ['an unknown country code', '999123456', 'INVALID_COUNTRY_CODE'],
  ])('rejects %s with 400 INVALID_PHONE_NUMBER and leaves the session as it was', async (_name, phone, reason) => {
    await linking('s1');
    const res = await pairingCode('s1', phone);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'INVALID_PHONE_NUMBER', details: { reason } });
    expect((await view('s1')).state).toBe('qr');
    expect(t.gw.engine.last('s1').pendingCode).toBeNull();
  });

  it.each([
    ['a missing phoneNumber', {}, 'body.phoneNumber'],
    ['a number instead of a string', { phoneNumber: 15551234567 }, 'body.phoneNumber'],
    ['an unknown field', { phoneNumber: '15551234567', method: 'sms' }, 'body.method'],
  ])('rejects %s with 400 VALIDATION_FAILED', async (_name, payload, field) => {
    await linking('s1');
    const res = await t.call({ method: 'POST', url: '/api/v1/sessions/s1/auth/pairing-code', payload });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field } });
    expect((await view('s1')).state).toBe('qr');
  });

  it('allows three codes per number across sessions, then 429 PAIRING_RATE_LIMITED with Retry-After', async () => {
    for (const id of ['a', 'b', 'c', 'd']) await linking(id);
    for (const id of ['a', 'b', 'c']) expect((await pairingCode(id, '15551234567')).statusCode).toBe(200);

    const res = await pairingCode('d', '15551234567');
    expect(res.statusCode).toBe(429);
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(500);
    expect(retryAfter).toBeLessThanOrEqual(600);
    expect(res.json().error).toMatchObject({
      code: 'PAIRING_RATE_LIMITED',
      details: { phoneNumber: '15551234567', limit: 3, windowSeconds: 600, retryAfterSeconds: retryAfter },
    });
    expect((await view('d')).state).toBe('qr');
    expect(t.gw.engine.last('d').pendingCode).toBeNull();
    // Another number is not affected.
    expect((await pairingCode('d', '15557654321')).statusCode).toBe(200);
  });
});
