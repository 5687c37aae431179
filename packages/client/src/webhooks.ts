/**
 * Check that a webhook request came from your gateway. wagate signs every
 * delivery twice, so a receiver written for either convention works:
 *
 * - Standard Webhooks: `webhook-id`, `webhook-timestamp` and
 *   `webhook-signature: v1,<base64>` (verified with the `standardwebhooks` package);
 * - WADial: `wadial-signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`,
 *   keyed with the secret string exactly as shown (`whsec_…`).
 *
 * During a secret rotation a header carries one signature per secret; either
 * matching is enough. Pass the raw body as received (a string, or the bytes:
 * a Buffer is a Uint8Array): re-serialized JSON does not match its signature.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { isRecord } from './client.js';
import type { WagateEvent } from './events.js';

/** Request headers as Node's `req.headers`, a fetch `Headers` or a plain object. */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

export interface VerifyOptions {
  /** How far the signature's timestamp may be from now (default 300 s), against replays. */
  toleranceSeconds?: number;
  /** The current time in ms (default Date.now()). */
  now?: number;
}

export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';
}

const DEFAULT_TOLERANCE_S = 300;

/** Verify the Standard Webhooks signature and return the event; throws WebhookVerificationError. */
export function verifyStandardWebhook(secret: string, body: string | Uint8Array, headers: WebhookHeaders, options: VerifyOptions = {}): WagateEvent {
  const h = normalize(headers);
  const id = h['webhook-id'];
  const timestamp = h['webhook-timestamp'];
  const signature = h['webhook-signature'];
  if (!id || !timestamp || !signature) {
    throw new WebhookVerificationError('Missing webhook-id, webhook-timestamp or webhook-signature header');
  }
  // The package checks its own fixed 5-minute window against the real clock; ours honours the options.
  checkTimestamp(timestamp, options);
  const text = bodyText(body);
  const signed = standardSigner(secret).sign(id, new Date(Number(timestamp) * 1000), text);
  const expected = signed.slice(signed.indexOf(',') + 1);
  const matches = signature
    .split(' ')
    .map((part) => part.split(','))
    .some(([version, value]) => version === 'v1' && value !== undefined && safeEqual(value, expected));
  if (!matches) throw new WebhookVerificationError('No webhook-signature matches this secret and body');
  return parseEvent(text);
}

/** Verify WADial's `wadial-signature` header and return the event; throws WebhookVerificationError. */
export function verifyWadialWebhook(secret: string, body: string | Uint8Array, headers: WebhookHeaders, options: VerifyOptions = {}): WagateEvent {
  const header = normalize(headers)['wadial-signature'];
  if (!header) throw new WebhookVerificationError('Missing wadial-signature header');
  let timestamp: string | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') timestamp = value;
    else if (key === 'v1') signatures.push(value);
  }
  if (timestamp === undefined || signatures.length === 0) {
    throw new WebhookVerificationError('wadial-signature must read t=<unix>,v1=<hex>');
  }
  checkTimestamp(timestamp, options);
  const text = bodyText(body);
  const expected = createHmac('sha256', secret).update(`${timestamp}.${text}`).digest('hex');
  if (!signatures.some((s) => safeEqual(s, expected))) {
    throw new WebhookVerificationError('No wadial-signature matches this secret and body');
  }
  return parseEvent(text);
}

/**
 * Verify whichever signature the request carries (Standard Webhooks first,
 * then WADial's) and return the event; throws WebhookVerificationError.
 */
export function verifyWebhook(secret: string, body: string | Uint8Array, headers: WebhookHeaders, options: VerifyOptions = {}): WagateEvent {
  const h = normalize(headers);
  if (h['webhook-signature']) return verifyStandardWebhook(secret, body, headers, options);
  if (h['wadial-signature']) return verifyWadialWebhook(secret, body, headers, options);
  throw new WebhookVerificationError('No webhook-signature or wadial-signature header: not a signed wagate delivery');
}

function standardSigner(secret: string): Webhook {
  try {
    return new Webhook(secret);
  } catch {
    throw new TypeError('The webhook secret must be the whsec_… string shown when the webhook was created (or rotated)');
  }
}

function checkTimestamp(raw: string, options: VerifyOptions): void {
  const seconds = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(seconds)) {
    throw new WebhookVerificationError(`Signature timestamp ${JSON.stringify(raw)} is not unix seconds`);
  }
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_S;
  const skew = Math.abs((options.now ?? Date.now()) / 1000 - seconds);
  if (skew > tolerance) {
    throw new WebhookVerificationError(`Signature timestamp is ${Math.round(skew)} s from now (more than ${tolerance} s): a replay, or a clock is wrong`);
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The gateway signs the body's UTF-8 text. */
function bodyText(body: string | Uint8Array): string {
  return typeof body === 'string' ? body : new TextDecoder().decode(body);
}

function parseEvent(text: string): WagateEvent {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new WebhookVerificationError('The signed body is not JSON');
  }
  if (!isRecord(value) || typeof value.id !== 'number' || typeof value.type !== 'string') {
    throw new WebhookVerificationError('The signed body is not a wagate event');
  }
  return value as WagateEvent;
}

/** Lower-case names, first value of repeated headers. */
function normalize(headers: WebhookHeaders): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  if (headers instanceof Headers) {
    headers.forEach((value, key) => (out[key.toLowerCase()] = value));
    return out;
  }
  for (const [key, value] of Object.entries(headers)) out[key.toLowerCase()] = Array.isArray(value) ? value[0] : value;
  return out;
}
