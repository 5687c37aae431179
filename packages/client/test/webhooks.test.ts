/**
 * The signature helpers against the gateway's own signing code
 * (src/core/webhooks/signing.ts): what they accept, and every way they refuse.
 */
import { describe, expect, it } from 'vitest';
import { generateSecret, signatureHeaders } from '../../../src/core/webhooks/signing.js';
import { verifyStandardWebhook, verifyWadialWebhook, verifyWebhook, WebhookVerificationError } from '../src/index.js';

const event = { id: 1795969000000123, type: 'message.received', sessionId: 'support', seq: 7, createdAt: '2026-01-01T00:00:00.000Z', data: { text: 'héllo' } };
const body = JSON.stringify(event);
const now = 1_800_000_000;

function signed(secrets: string[], timestamp = now): Record<string, string> {
  return signatureHeaders({ eventId: String(event.id), eventType: event.type, body, timestamp, secrets });
}

describe('webhook signature helpers', () => {
  const secret = generateSecret();
  const at = { now: now * 1000 };

  it('accept what the gateway signs, as a string or bytes, with any header container', () => {
    const headers = signed([secret]);
    expect(verifyStandardWebhook(secret, body, headers, at)).toEqual(event);
    expect(verifyWadialWebhook(secret, Buffer.from(body), headers, at)).toEqual(event);
    expect(verifyWebhook(secret, body, new Headers(headers), at)).toEqual(event);
    // Node's req.headers: lower-case names, a repeated header as an array.
    const node = { ...headers, 'wadial-signature': [headers['wadial-signature']!, 'ignored'] };
    expect(verifyWadialWebhook(secret, body, node, at)).toEqual(event);
    const upper = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), v]));
    expect(verifyWebhook(secret, body, upper, at)).toEqual(event);
  });

  it('accept either secret while a rotated-out one still signs', () => {
    const next = generateSecret();
    const headers = signed([next, secret]);
    for (const key of [next, secret]) {
      expect(verifyStandardWebhook(key, body, headers, at).id).toBe(event.id);
      expect(verifyWadialWebhook(key, body, headers, at).id).toBe(event.id);
    }
    expect(() => verifyWebhook(generateSecret(), body, headers, at)).toThrow(WebhookVerificationError);
  });

  it('refuse a changed body, a changed id, another secret and a stale or future timestamp', () => {
    const headers = signed([secret]);
    const changed = body.replace('héllo', 'hello');
    expect(() => verifyStandardWebhook(secret, changed, headers, at)).toThrow(/No webhook-signature matches/);
    expect(() => verifyWadialWebhook(secret, changed, headers, at)).toThrow(/No wadial-signature matches/);
    expect(() => verifyStandardWebhook(secret, body, { ...headers, 'webhook-id': '1' }, at)).toThrow(WebhookVerificationError);
    expect(() => verifyWadialWebhook(generateSecret(), body, headers, at)).toThrow(WebhookVerificationError);

    const old = signed([secret], now - 301);
    expect(() => verifyStandardWebhook(secret, body, old, at)).toThrow(/301 s from now/);
    expect(() => verifyWadialWebhook(secret, body, old, at)).toThrow(/301 s from now/);
    expect(() => verifyWadialWebhook(secret, body, signed([secret], now + 400), at)).toThrow(/from now/);
    // A wider window, when the receiver's queue is slow.
    expect(verifyStandardWebhook(secret, body, old, { ...at, toleranceSeconds: 600 })).toEqual(event);
  });

  it('say what is missing or malformed', () => {
    const headers = signed([secret]);
    expect(() => verifyWebhook(secret, body, {}, at)).toThrow(/not a signed wagate delivery/);
    expect(() => verifyStandardWebhook(secret, body, { 'webhook-id': '1' }, at)).toThrow(/Missing webhook-id, webhook-timestamp or webhook-signature/);
    expect(() => verifyWadialWebhook(secret, body, { 'wadial-signature': 'v1=abc' }, at)).toThrow(/t=<unix>,v1=<hex>/);
    expect(() => verifyWadialWebhook(secret, body, { 'wadial-signature': 't=soon,v1=abc' }, at)).toThrow(/not unix seconds/);
    expect(() => verifyStandardWebhook('not-a-secret!', body, headers, at)).toThrow(/whsec_/);
    // A valid signature over something that is not an event is still refused.
    const text = 'plain text';
    const textHeaders = signatureHeaders({ eventId: '5', eventType: 'x', body: text, timestamp: now, secrets: [secret] });
    expect(() => verifyStandardWebhook(secret, text, textHeaders, at)).toThrow(/not JSON/);
  });
});
