/** Signatures verify with an independent implementation (node:crypto), for both header families and during a rotation. */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateSecret, signatureHeaders } from '../../../src/core/webhooks/signing.js';

function standardSignature(secret: string, id: string, timestamp: string, body: string): string {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

function wadialSignature(secret: string, timestamp: string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

describe('webhook signatures', () => {
  it('a secret is whsec_ and base64 of 32 random bytes, different every time', () => {
    const a = generateSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(a.slice(6), 'base64')).toHaveLength(32);
    expect(generateSecret()).not.toBe(a);
  });

  it('Standard Webhooks and WADial headers verify with HMAC-SHA256 computed here', () => {
    const secret = generateSecret();
    const body = JSON.stringify({ id: 7, type: 'connection.state', sessionId: 's', seq: 3, createdAt: 'x', data: { state: 'qr' } });
    const h = signatureHeaders({ eventId: '7', eventType: 'connection.state', body, timestamp: 1_700_000_000, secrets: [secret] });
    expect(h['webhook-id']).toBe('7');
    expect(h['webhook-timestamp']).toBe('1700000000');
    expect(h['webhook-signature']).toBe(standardSignature(secret, '7', '1700000000', body));
    expect(h['wadial-event-id']).toBe('7');
    expect(h['wadial-event-type']).toBe('connection.state');
    expect(h['wadial-signature']).toBe(`t=1700000000,v1=${wadialSignature(secret, '1700000000', body)}`);
  });

  it('during a rotation each header carries a signature with the new and the old secret', () => {
    const fresh = generateSecret();
    const old = generateSecret();
    const body = '{"id":1}';
    const h = signatureHeaders({ eventId: '1', eventType: 'webhook.test', body, timestamp: 1_700_000_001, secrets: [fresh, old] });
    expect(h['webhook-signature']!.split(' ')).toEqual([
      standardSignature(fresh, '1', '1700000001', body),
      standardSignature(old, '1', '1700000001', body),
    ]);
    expect(h['wadial-signature']).toBe(
      `t=1700000001,v1=${wadialSignature(fresh, '1700000001', body)},v1=${wadialSignature(old, '1700000001', body)}`,
    );
  });
});
