/**
 * Issue 18 item 17, with the real engine against the sandbox network: the
 * native API hands out the engine's QR payload (WhatsApp Web's
 * `https://wa.me/settings/linked_devices#2@…` form), every dialect the
 * bare `2@ref,noise,identity,adv` its original returns, and both link.
 */
import QRCode from 'qrcode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { originalQrPayload } from '../../src/api/compat-shared/qrPayload.js';
import { E2E_ADMIN_KEY, startE2E, type E2E } from '../support/e2e.js';

let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E({ env: { WAGATE_BRIDGE_SESSION: 'q' } });
});
afterAll(async () => e2e?.close());

const PREFIX = 'https://wa.me/settings/linked_devices#';
const BARE = /^2@[^,]+,[A-Za-z0-9+/=]{44},[A-Za-z0-9+/=]{44},[A-Za-z0-9+/=]{44}$/;

async function getJson(path: string, headers: Record<string, string>): Promise<{ status: number; body: any }> {
  const res = await fetch(e2e.client.baseUrl + path, { headers });
  return { status: res.status, body: await res.json() };
}

/** The keys part (noise, identity, adv) stays for the connection; only the ref rotates. */
const keysOf = (payload: string): string => payload.replace(PREFIX, '').split(',').slice(1, 4).join(',');

describe('QR payload per API', () => {
  it('native: the engine\'s wa.me form; bridge, WAHA, Wawp and Evolution API: the bare 2@… form of the same QR', async () => {
    expect((await e2e.client.post('/api/v1/sessions', { sessionId: 'q' })).status).toBe(201);
    expect((await e2e.client.post('/api/v1/sessions/q/connect')).status).toBe(202);
    const native = await e2e.client.qr('q');
    expect(native.startsWith(PREFIX)).toBe(true);
    expect(native.slice(PREFIX.length).split(',')).toHaveLength(5);

    const bridge = await getJson('/compat/bridge/session/qr', { 'x-admin-token': E2E_ADMIN_KEY });
    const waha = await getJson('/compat/waha/api/q/auth/qr?format=raw', { 'x-api-key': E2E_ADMIN_KEY });
    const wawp = await getJson(`/compat/wawp/v2/auth/qr?access_token=${E2E_ADMIN_KEY}&instance_id=q`, {});
    const evolution = await getJson('/compat/evolution/instance/connect/q', { apikey: E2E_ADMIN_KEY });
    const given = { bridge: bridge.body.qr, waha: waha.body.value, wawp: wawp.body.value, evolution: evolution.body.code };
    for (const [dialect, payload] of Object.entries(given)) {
      expect(payload, dialect).toMatch(BARE);
      expect(keysOf(payload), dialect).toBe(keysOf(native));
    }
    expect(JSON.parse(Buffer.from(wawp.body.data, 'base64').toString()).value).toBe(wawp.body.value);

    // A QR image from a dialect encodes the bare form too (the same bytes as encoding it ourselves).
    for (;;) {
      const before = await e2e.client.qr('q');
      const png = await fetch(`${e2e.client.baseUrl}/compat/waha/api/q/auth/qr`, { headers: { 'x-api-key': E2E_ADMIN_KEY } });
      const bytes = Buffer.from(await png.arrayBuffer());
      if ((await e2e.client.qr('q')) !== before) continue; // rotated in between: try again
      const expected = await QRCode.toBuffer(originalQrPayload(before), { type: 'png', errorCorrectionLevel: 'L', margin: 2, scale: 6 });
      expect(bytes.equals(expected)).toBe(true);
      break;
    }

    // The phone links with the bare form (a fresh one: the ref rotates).
    const fresh = (await getJson('/compat/waha/api/q/auth/qr?format=raw', { 'x-api-key': E2E_ADMIN_KEY })).body.value;
    const scan = await e2e.client.post('/sandbox/phones/15550000001/scan', { qr: fresh });
    expect(scan.status).toBe(200);
    await e2e.client.waitForState('q', 'connected');
  });
});
