/**
 * gomulti's envelope: `{"status", "code", "message", "error"}`. `message` is
 * the status in words ("Bad request"), `error` the specific text, as the seed shows.
 */
import type { GatewayError } from '../../core/errors.js';
import { reasonPhrase, type RenderedError } from '../compat-shared/dialectPlugin.js';

/** "Internal Server Error" → "Internal server error", the seed's casing. */
function sentenceCase(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1).toLowerCase();
}

export function gomultiFailure(status: number, error: string): RenderedError {
  return { status, body: { status: false, code: status, message: sentenceCase(reasonPhrase(status)), error } };
}

export function renderGomultiError(error: GatewayError): RenderedError {
  // A send on a device that is not logged in: the original answers 500 with whatsmeow's check.
  const expected = error.details?.expected;
  if (error.code === 'SESSION_NOT_READY' && Array.isArray(expected) && expected.includes('connected')) {
    const state = error.details?.state;
    const socketUp = state === 'qr' || state === 'pairing_code';
    return gomultiFailure(500, socketUp ? 'WhatsApp Client is not Logged In' : 'WhatsApp Client is not Connected');
  }
  // The seed documents no 409: an already linked device or a taken id is a bad request there.
  const status = error.status === 409 ? 400 : error.status;
  return gomultiFailure(status, error.message);
}

export function gomultiSuccess<T>(message: string, data?: T, code = 200): { status: true; code: number; message: string; data?: T } {
  return data === undefined ? { status: true, code, message } : { status: true, code, message, data };
}
