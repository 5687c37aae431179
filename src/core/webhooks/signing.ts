/**
 * Webhook secrets and signatures.
 *
 * - Standard Webhooks (standardwebhooks package): `webhook-id` (the event id,
 *   the same on every retry), `webhook-timestamp` (unix seconds of this
 *   attempt), `webhook-signature: v1,<base64 HMAC-SHA256(key, "id.timestamp.body")>`
 *   where key = base64-decoded part of `whsec_…`.
 * - WADial: `wadial-event-id`, `wadial-event-type`,
 *   `wadial-signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`,
 *   keyed with the secret string as shown (`whsec_…`).
 *
 * While a rotated-out secret is still in its overlap period, each header
 * carries a signature with both secrets (space-separated for Standard
 * Webhooks, a second `v1=` for WADial), so receivers can switch at leisure.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

export const SECRET_PREFIX = 'whsec_';

// A Webhook decodes its key once; endpoints sign thousands of times with the same secret.
const signers = new Map<string, Webhook>();
function signer(secret: string): Webhook {
  let w = signers.get(secret);
  if (!w) {
    if (signers.size >= 10_000) signers.clear();
    w = new Webhook(secret);
    signers.set(secret, w);
  }
  return w;
}

/** `whsec_` + base64 of 32 random bytes. */
export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

export interface SignInput {
  eventId: string;
  eventType: string;
  body: string;
  /** Unix seconds of this attempt. */
  timestamp: number;
  /** Newest first. */
  secrets: readonly string[];
}

export function signatureHeaders(input: SignInput): Record<string, string> {
  const { eventId, eventType, body, timestamp, secrets } = input;
  const at = new Date(timestamp * 1000);
  const standard = secrets.map((s) => signer(s).sign(eventId, at, body)).join(' ');
  const wadial = secrets.map((s) => `v1=${createHmac('sha256', s).update(`${timestamp}.${body}`).digest('hex')}`).join(',');
  return {
    'webhook-id': eventId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': standard,
    'wadial-event-id': eventId,
    'wadial-event-type': eventType,
    'wadial-signature': `t=${timestamp},${wadial}`,
  };
}
