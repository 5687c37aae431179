/**
 * Our messages in WAHA's shapes. WAHA's NOWEB engine answers a send with
 * Baileys' own message record (`key`, `message`, `messageTimestamp`,
 * `status`, serialised as protobuf JSON: 64-bit numbers and enums as
 * strings) and shows messages (webhooks, chat history) as `WAMessage`
 * (`id: "true_111@c.us_ABC"`, `from`, `to`, `body`, `hasMedia`, `ack` …).
 * The send answer carries both, so clients written against either engine's
 * documentation find what they read.
 */
import type { MessageContentView, MessageStatus, MessageView } from '../../core/messaging/model.js';
import { serializeMessageId, toCus } from './ids.js';

/** WAHA's ack: -1 error, 0 pending, 1 server, 2 device, 3 read, 4 played. */
const ACK: Record<MessageStatus, number> = { failed: -1, pending: 0, sent: 1, delivered: 2, received: 2, read: 3, played: 4 };
const ACK_NAMES: Record<string, string> = { '-1': 'ERROR', '0': 'PENDING', '1': 'SERVER', '2': 'DEVICE', '3': 'READ', '4': 'PLAYED' };
/** Baileys' WebMessageInfo.Status, which is WAHA's ack + 1. */
const PROTO_STATUS = ['ERROR', 'PENDING', 'SERVER_ACK', 'DELIVERY_ACK', 'READ', 'PLAYED'];

export function wahaAck(status: MessageStatus): { ack: number; ackName: string } {
  const ack = ACK[status];
  return { ack, ackName: ACK_NAMES[String(ack)] ?? 'UNKNOWN' };
}

const MEDIA_KEYS: Record<string, string> = {
  image: 'imageMessage',
  video: 'videoMessage',
  audio: 'audioMessage',
  document: 'documentMessage',
  sticker: 'stickerMessage',
};

/** The content as Baileys' `message` object (protobuf JSON). */
export function protoMessage(content: MessageContentView, fromMe: boolean, chatJid: string): Record<string, unknown> {
  switch (content.type) {
    case 'text':
      // Baileys sends text as extendedTextMessage; phones mostly send a plain conversation.
      return fromMe ? { extendedTextMessage: { text: content.text ?? '' } } : { conversation: content.text ?? '' };
    case 'location':
      return { locationMessage: { degreesLatitude: content.latitude, degreesLongitude: content.longitude, name: content.name, address: content.address } };
    case 'contact':
      return { contactMessage: { displayName: content.displayName, vcard: content.vcard } };
    case 'reaction':
      return { reactionMessage: { key: { remoteJid: chatJid, id: content.messageId }, text: content.emoji ?? '' } };
    case 'unsupported':
      return {};
    default:
      return {
        [MEDIA_KEYS[content.type] ?? 'documentMessage']: {
          mimetype: content.mimetype,
          caption: content.caption,
          fileName: content.fileName,
          fileLength: content.fileLength === undefined ? undefined : String(content.fileLength),
          ...(content.type === 'audio' ? { ptt: content.voiceNote === true } : {}),
        },
      };
  }
}

function epochSeconds(iso: string): number {
  return Math.floor(Date.parse(iso) / 1000);
}

/** Baileys' message record, as WAHA NOWEB returns it for a send. */
export function wahaProtoRecord(message: MessageView): Record<string, unknown> {
  const { ack } = wahaAck(message.status);
  return {
    key: { remoteJid: message.chat.jid, fromMe: message.fromMe, id: message.messageId },
    message: protoMessage(message.content, message.fromMe, message.chat.jid),
    messageTimestamp: String(epochSeconds(message.timestamp)),
    ...(message.pushName === null ? {} : { pushName: message.pushName }),
    status: PROTO_STATUS[ack + 1] ?? 'PENDING',
  };
}

function bodyOf(content: MessageContentView): string | null {
  return content.text ?? content.caption ?? null;
}

const MEDIA_TYPES = new Set(['image', 'video', 'audio', 'document', 'sticker']);

/** Where a WAHA client downloads a received message's media, relative to the WAHA base URL. */
export function wahaMediaPath(sessionId: string, messageId: string): string {
  return `/api/files/${encodeURIComponent(sessionId)}/${encodeURIComponent(messageId)}`;
}

/**
 * A message as WAHA's WAMessage. Incoming: `from` is the chat (the group in
 * groups, with the author in `participant`), as NOWEB reports it; our own
 * messages come from this account and go `to` the chat.
 */
export function wahaMessage(message: MessageView): Record<string, unknown> {
  const isGroup = message.chat.jid.endsWith('@g.us');
  const chat = toCus(message.chat.jid);
  const own = toCus(message.from?.jid);
  const { ack, ackName } = wahaAck(message.status);
  const hasMedia = MEDIA_TYPES.has(message.content.type);
  const mediaUrl = message.content.mediaUrl === undefined ? null : wahaMediaPath(message.sessionId, message.messageId);
  const content = message.content;
  return {
    id: serializeMessageId(message.fromMe, message.chat.jid, message.messageId),
    timestamp: epochSeconds(message.timestamp),
    from: message.fromMe ? (own ?? null) : chat,
    fromMe: message.fromMe,
    to: message.fromMe ? chat : isGroup ? chat : null,
    participant: isGroup && !message.fromMe ? (toCus(message.from?.jid) ?? null) : null,
    body: bodyOf(content),
    hasMedia,
    media: hasMedia ? { url: mediaUrl, mimetype: content.mimetype ?? null, filename: content.fileName ?? null, error: null } : null,
    mediaUrl,
    ack,
    ackName,
    location:
      content.type === 'location' ? { latitude: content.latitude, longitude: content.longitude, description: content.name ?? null } : undefined,
    vCards: content.type === 'contact' && content.vcard !== undefined ? [content.vcard] : undefined,
    replyTo: message.replyTo === null ? null : { id: message.replyTo, participant: null, body: null },
    _data: wahaProtoRecord(message),
  };
}

/** The send answer: Baileys' record (NOWEB) with WAMessage's fields beside it. */
export function wahaSendAnswer(message: MessageView): Record<string, unknown> {
  const { _data, ...fields } = wahaMessage(message);
  return { ...(_data as Record<string, unknown>), ...fields };
}

/** A reaction as WAHA's `message.reaction` payload. */
export function wahaReaction(message: MessageView): Record<string, unknown> {
  const chat = toCus(message.chat.jid);
  const isGroup = message.chat.jid.endsWith('@g.us');
  return {
    id: serializeMessageId(message.fromMe, message.chat.jid, message.messageId),
    timestamp: epochSeconds(message.timestamp),
    from: chat,
    fromMe: message.fromMe,
    to: isGroup ? chat : null,
    participant: isGroup ? (toCus(message.from?.jid) ?? null) : null,
    reaction: {
      text: message.content.emoji ?? '',
      // The reacted message's author is not kept with the reaction; ours are the usual target.
      messageId: message.content.messageId === undefined ? null : serializeMessageId(!message.fromMe, message.chat.jid, message.content.messageId),
    },
  };
}
