/**
 * Evolution API's send bodies (`/message/send*`) as the core's send input.
 * Clients such as the n8n node send optional fields as empty strings, so ""
 * counts as absent everywhere. Media is a URL or base64 (a data URL too).
 */
import { GatewayError } from '../../core/errors.js';
import type { MediaSource, MessageContentInput, SendMessageInput } from '../../core/messaging/model.js';
import { stringField } from '../compat-shared/credentials.js';

export type Body = Record<string, unknown>;

export function asBody(value: unknown): Body {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Body) : {};
}

function required(body: Body, field: string): string {
  const value = stringField(body, field);
  if (value === undefined) throw new GatewayError('BAD_REQUEST', `"${field}" is required`, { field });
  return value;
}

/** Message text as sent: not trimmed, but present. */
function text(body: Body, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value.trim() === '') throw new GatewayError('BAD_REQUEST', `"${field}" is required`, { field });
  return value;
}

function optional(body: Body, field: string): string | undefined {
  return stringField(body, field);
}

function coordinate(body: Body, field: string): number {
  const raw = body[field];
  const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new GatewayError('BAD_REQUEST', `"${field}" must be a number`, { field });
  return value;
}

/** A URL, a data URL or bare base64. */
export function mediaSource(value: string): MediaSource {
  if (/^https?:\/\//i.test(value)) return { url: value };
  const dataUrl = /^data:[^;,]*;base64,(.*)$/s.exec(value);
  return { base64: dataUrl ? (dataUrl[1] as string) : value };
}

/** Options every send takes: `quoted.key.id` and `mentioned`. */
function common(body: Body, to: string, content: MessageContentInput): SendMessageInput {
  const quoted = asBody(asBody(body.quoted).key);
  const replyTo = stringField(quoted, 'id');
  const mentioned = Array.isArray(body.mentioned) ? body.mentioned.filter((m): m is string => typeof m === 'string' && m.trim() !== '') : [];
  return { to, content, ...(replyTo === undefined ? {} : { replyTo }), ...(mentioned.length > 0 ? { mentions: mentioned } : {}) };
}

export function textInput(body: Body): SendMessageInput {
  return common(body, required(body, 'number'), { type: 'text', text: text(body, 'text') });
}

const MEDIA_TYPES = ['image', 'video', 'document', 'audio'] as const;

/** An uploaded `file` (multipart), as the plugin's multipart hook leaves it. */
interface Upload {
  bytes: Buffer;
  mimetype: string;
  fileName: string;
}

function uploadOf(body: Body): Upload | undefined {
  const file = body.file;
  return file !== null && typeof file === 'object' && Buffer.isBuffer((file as Upload).bytes) ? (file as Upload) : undefined;
}

/** The media: an uploaded `file`, else the `field` as URL or base64 (upload's type and name unless the body names them). */
function mediaOf(body: Body, field: string, named: string[]): Record<string, unknown> {
  const upload = uploadOf(body);
  const given = fields(body, ...named);
  if (upload === undefined) return { ...mediaSource(required(body, field)), ...given };
  return { bytes: upload.bytes, mimetype: upload.mimetype, ...(named.includes('fileName') ? { fileName: upload.fileName } : {}), ...given };
}

export function mediaInput(body: Body): SendMessageInput {
  const to = required(body, 'number');
  const mediatype = required(body, 'mediatype');
  const type = MEDIA_TYPES.find((t) => t === mediatype);
  if (type === undefined) {
    throw new GatewayError('BAD_REQUEST', `"mediatype" must be one of ${MEDIA_TYPES.join(', ')}`, { field: 'mediatype' });
  }
  const content = { type, ...mediaOf(body, 'media', ['mimetype', 'caption', 'fileName']) } as MessageContentInput;
  return common(body, to, content);
}

/** `sendWhatsAppAudio`: a voice note. */
export function audioInput(body: Body): SendMessageInput {
  const content = { type: 'audio', voiceNote: true, ...mediaOf(body, 'audio', ['mimetype']) } as MessageContentInput;
  return common(body, required(body, 'number'), content);
}

export function stickerInput(body: Body): SendMessageInput {
  return common(body, required(body, 'number'), { type: 'sticker', ...mediaOf(body, 'sticker', []) } as MessageContentInput);
}

export function locationInput(body: Body): SendMessageInput {
  const content: MessageContentInput = {
    type: 'location',
    latitude: coordinate(body, 'latitude'),
    longitude: coordinate(body, 'longitude'),
    ...fields(body, 'name', 'address'),
  };
  return common(body, required(body, 'number'), content);
}

/** One contact card as a vCard, from Evolution's `{fullName, wuid, phoneNumber, organization?, email?, url?}`. */
function vcardOf(contact: Body): { displayName: string; vcard: string; phoneNumber: string } {
  const fullName = required(contact, 'fullName');
  const phoneNumber = required(contact, 'phoneNumber');
  const wuid = (optional(contact, 'wuid') ?? phoneNumber).replace(/\D/g, '');
  const lines = ['BEGIN:VCARD', 'VERSION:3.0', `N:${fullName}`, `FN:${fullName}`];
  const organization = optional(contact, 'organization');
  if (organization !== undefined) lines.push(`ORG:${organization};`);
  const email = optional(contact, 'email');
  if (email !== undefined) lines.push(`EMAIL:${email}`);
  const url = optional(contact, 'url');
  if (url !== undefined) lines.push(`URL:${url}`);
  lines.push(`item1.TEL;waid=${wuid}:${phoneNumber}`, 'item1.X-ABLabel:Celular', 'END:VCARD');
  return { displayName: fullName, vcard: lines.join('\n'), phoneNumber };
}

export function contactInput(body: Body): SendMessageInput {
  const contacts = Array.isArray(body.contact) ? body.contact.map(asBody) : [];
  if (contacts.length === 0) throw new GatewayError('BAD_REQUEST', '"contact" must list one contact', { field: 'contact' });
  if (contacts.length > 1) {
    throw new GatewayError('BAD_REQUEST', 'wagate sends one contact card per message; send each contact in its own request', { field: 'contact' });
  }
  return common(body, required(body, 'number'), { type: 'contact', ...vcardOf(contacts[0] as Body) });
}

/** `sendReaction {key: {remoteJid, fromMe, id}, reaction}`; an empty reaction removes it. */
export function reactionInput(body: Body): SendMessageInput {
  const key = asBody(body.key);
  const remoteJid = required(key, 'remoteJid');
  const id = required(key, 'id');
  const reaction = typeof body.reaction === 'string' ? body.reaction : '';
  return { to: remoteJid, content: { type: 'reaction', messageId: id, emoji: reaction } };
}

function fields(body: Body, ...names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = optional(body, name);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** `delay` (ms): how long Evolution shows "typing…" before sending. */
export function delayOf(body: Body): number {
  const raw = body.delay;
  const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}
