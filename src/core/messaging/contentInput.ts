/**
 * A client's `content` object, checked field by field for its type, so a
 * mistake is answered with the field and what to do — the same for the
 * native API and every dialect that builds content from its own shapes.
 */
import { GatewayError } from '../errors.js';
import type { MessageContentInput } from './model.js';

export const CONTENT_TYPES = ['text', 'image', 'video', 'audio', 'document', 'sticker', 'location', 'contact', 'reaction'] as const;
export type ContentTypeName = (typeof CONTENT_TYPES)[number];

const MEDIA = new Set(['image', 'video', 'audio', 'document', 'sticker']);

function invalid(field: string, message: string): GatewayError {
  return new GatewayError('VALIDATION_FAILED', `content.${field} ${message}`, { field: `body.content.${field}` });
}

function str(raw: Record<string, unknown>, field: string, required: boolean): string | undefined {
  const value = raw[field];
  if (value === undefined || value === null) {
    if (required) throw invalid(field, 'is required');
    return undefined;
  }
  if (typeof value !== 'string') throw invalid(field, 'must be a string');
  return value;
}

function num(raw: Record<string, unknown>, field: string): number {
  const value = raw[field];
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(field, 'must be a number');
  return value;
}

/** `raw` as content of `type`; throws VALIDATION_FAILED naming the field. */
export function parseContentInput(raw: Record<string, unknown>): MessageContentInput {
  const type = raw.type;
  if (typeof type !== 'string' || !(CONTENT_TYPES as readonly string[]).includes(type)) {
    throw invalid('type', `must be one of ${CONTENT_TYPES.join(', ')}`);
  }
  switch (type) {
    case 'text':
      return { type, text: str(raw, 'text', true)! };
    case 'location':
      return { type, latitude: num(raw, 'latitude'), longitude: num(raw, 'longitude'), name: str(raw, 'name', false), address: str(raw, 'address', false) };
    case 'contact':
      return { type, displayName: str(raw, 'displayName', true)!, vcard: str(raw, 'vcard', false), phoneNumber: str(raw, 'phoneNumber', false) };
    case 'reaction':
      return { type, messageId: str(raw, 'messageId', true)!, emoji: str(raw, 'emoji', false) ?? '' };
    default: {
      if (!MEDIA.has(type)) throw invalid('type', 'is not supported');
      const base64 = str(raw, 'base64', false);
      const url = str(raw, 'url', false);
      if ((base64 === undefined) === (url === undefined)) throw invalid('base64', 'or content.url is required (exactly one of them)');
      if (raw.voiceNote !== undefined && typeof raw.voiceNote !== 'boolean') throw invalid('voiceNote', 'must be true or false');
      const common = {
        type: type as 'image' | 'video' | 'audio' | 'document' | 'sticker',
        mimetype: str(raw, 'mimetype', false),
        caption: str(raw, 'caption', false),
        fileName: str(raw, 'fileName', false),
        ...(raw.voiceNote !== undefined ? { voiceNote: raw.voiceNote as boolean } : {}),
      };
      return base64 !== undefined ? { ...common, base64 } : { ...common, url: url! };
    }
  }
}
