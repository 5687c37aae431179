/**
 * What the dialects share for sending: a send that first gives a STARTING
 * session a moment to settle (as WAHA does before judging a status), media
 * sources from the originals' field forms, and message ids in the
 * originals' serialised forms reduced to ours.
 */
import { GatewayError } from '../../core/errors.js';
import type { GatewayCore } from '../../core/gateway.js';
import type { MediaSource, MessageView, SendMessageInput } from '../../core/messaging/model.js';
import { settleStarting } from './sessions.js';
import { STARTING_SETTLE_MS } from './timing.js';

/** base64 of WhatsApp's 16 MB media limit plus the JSON around it (the native send route's limit). */
export const DIALECT_SEND_BODY_LIMIT = 24 * 1024 * 1024;

/** Send through the core once a session that is still starting has settled (or the wait is over). */
export async function dialectSend(core: GatewayCore, sessionId: string, input: SendMessageInput): Promise<MessageView> {
  await settleStarting(core.sessions, sessionId, STARTING_SETTLE_MS);
  const { message } = await core.messages.send(sessionId, input);
  return message;
}

/** An uploaded file (multipart) as the dialects see it. */
export interface UploadedFile {
  bytes: Buffer;
  filename: string | null;
  mimetype: string | null;
}

export function isUploadedFile(value: unknown): value is UploadedFile {
  return value !== null && typeof value === 'object' && Buffer.isBuffer((value as { bytes?: unknown }).bytes);
}

/** The one media source among an uploaded file, a URL and base64 data; undefined when none is given. */
export function mediaSourceOf(options: { file?: unknown; url?: string; base64?: string }): MediaSource | undefined {
  if (isUploadedFile(options.file)) return { bytes: options.file.bytes };
  if (options.url !== undefined) return { url: options.url };
  if (options.base64 !== undefined) return { base64: options.base64 };
  return undefined;
}

/** A required field is missing: 400 naming it (in the dialect's envelope). */
export function missingField(name: string, hint = ''): GatewayError {
  return new GatewayError('VALIDATION_FAILED', `${name} is required${hint === '' ? '' : `: ${hint}`}`, { field: name });
}

/** A number field the originals may send as a string ("-6.2"). */
export function numberValue(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

/** A non-negative integer query value, or the default; 400 for anything else. */
export function integerQuery(value: unknown, name: string, fallback: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new GatewayError('VALIDATION_FAILED', `${name} must be a non-negative integer`, { field: `query.${name}` });
  return Math.min(n, max);
}
