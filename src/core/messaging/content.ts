/**
 * A client's content turned into what the engine sends and what the API
 * shows back. Media is loaded (and checked) here; the mimetype must fit the
 * type (an image is image/*), so a wrong file is refused before anything
 * is queued.
 */
import type { OutgoingContent } from '../../engine/types.js';
import { GatewayError } from '../errors.js';
import { loadMedia, type MediaLimits } from './mediaSource.js';
import type { MessageContentInput, MessageContentView } from './model.js';

const DEFAULT_MIMETYPES: Record<string, string> = {
  image: 'image/jpeg',
  video: 'video/mp4',
  audio: 'audio/ogg; codecs=opus',
  document: 'application/octet-stream',
  sticker: 'image/webp',
};

const FAMILY: Record<string, (mimetype: string) => boolean> = {
  image: (m) => m.startsWith('image/'),
  video: (m) => m.startsWith('video/'),
  audio: (m) => m.startsWith('audio/'),
  document: () => true,
  sticker: (m) => m === 'image/webp',
};

export interface PreparedContent {
  outgoing: OutgoingContent;
  view: MessageContentView;
}

export function contactVcard(displayName: string, phoneNumber: string): string {
  const safe = displayName.replace(/[\r\n;]/g, ' ');
  return ['BEGIN:VCARD', 'VERSION:3.0', `FN:${safe}`, `TEL;type=CELL;waid=${phoneNumber}:+${phoneNumber}`, 'END:VCARD'].join('\n');
}

export async function prepareContent(
  input: MessageContentInput,
  limits: MediaLimits,
  reaction: (messageId: string) => Promise<{ fromMe: boolean; participant?: string }>,
): Promise<PreparedContent> {
  switch (input.type) {
    case 'text':
      if (input.text.trim() === '') throw new GatewayError('VALIDATION_FAILED', 'content.text is empty', { field: 'content.text' });
      return { outgoing: { type: 'text', text: input.text }, view: { type: 'text', text: input.text } };
    case 'location':
      if (Math.abs(input.latitude) > 90 || Math.abs(input.longitude) > 180) {
        throw new GatewayError('VALIDATION_FAILED', 'content.latitude must be within ±90 and content.longitude within ±180', {
          field: 'content.latitude',
        });
      }
      return { outgoing: { ...input }, view: { ...input } };
    case 'contact': {
      const vcard = input.vcard ?? (input.phoneNumber ? contactVcard(input.displayName, input.phoneNumber) : undefined);
      if (!vcard) {
        throw new GatewayError('VALIDATION_FAILED', 'A contact needs content.vcard or content.phoneNumber', { field: 'content.vcard' });
      }
      return { outgoing: { type: 'contact', displayName: input.displayName, vcard }, view: { type: 'contact', displayName: input.displayName, vcard } };
    }
    case 'reaction': {
      const target = await reaction(input.messageId);
      return {
        outgoing: { type: 'reaction', messageId: input.messageId, emoji: input.emoji, fromMe: target.fromMe, participant: target.participant },
        view: { type: 'reaction', messageId: input.messageId, emoji: input.emoji },
      };
    }
    default: {
      const loaded = await loadMedia(input, limits);
      const declared = input.mimetype ?? loaded.mimetype ?? DEFAULT_MIMETYPES[input.type]!;
      const mimetype = declared.toLowerCase() === 'application/octet-stream' && input.type !== 'document' ? DEFAULT_MIMETYPES[input.type]! : declared;
      if (!FAMILY[input.type]!(mimetype.toLowerCase())) {
        throw new GatewayError('INVALID_MEDIA', `A ${input.type} needs a ${input.type === 'sticker' ? 'image/webp' : `${input.type}/*`} file; this one is ${mimetype}`, {
          field: 'content.mimetype',
        });
      }
      const outgoing: OutgoingContent = {
        type: input.type,
        media: loaded.bytes,
        mimetype,
        ...(input.caption !== undefined ? { caption: input.caption } : {}),
        ...(input.fileName !== undefined ? { fileName: input.fileName } : {}),
        ...(input.voiceNote !== undefined ? { voiceNote: input.voiceNote } : {}),
      };
      const view: MessageContentView = {
        type: input.type,
        mimetype,
        fileLength: loaded.bytes.length,
        ...(input.caption !== undefined ? { caption: input.caption } : {}),
        ...(input.fileName !== undefined ? { fileName: input.fileName } : {}),
        ...(input.type === 'audio' ? { voiceNote: input.voiceNote === true } : {}),
      };
      return { outgoing, view };
    }
  }
}
