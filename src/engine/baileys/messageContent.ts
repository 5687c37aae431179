/**
 * Translation between the engine interface's message shapes and Baileys'
 * protobuf messages: what to send, what arrived, what a receipt says. Pure
 * functions, so the connection stays about sockets.
 */
import {
  downloadMediaMessage,
  getContentType,
  normalizeMessageContent,
  proto,
  type AnyMessageContent,
  type MiscMessageGenerationOptions,
  type WAMessage,
  type WAMessageKey,
} from 'baileys';
import type { Dispatcher } from 'undici';
import type {
  EngineDeliveryStatus,
  EngineMessage,
  EngineMessageStatus,
  IncomingContent,
  OutgoingContent,
  SendOptions,
} from '../types.js';

/** Our content and options as Baileys' sendMessage wants them. */
export function toBaileysMessage(to: string, content: OutgoingContent, options: SendOptions): {
  content: AnyMessageContent;
  options: MiscMessageGenerationOptions;
} {
  const mentions = options.mentions && options.mentions.length > 0 ? { mentions: options.mentions } : {};
  const misc: MiscMessageGenerationOptions = { messageId: options.messageId };
  if (options.replyTo) {
    // Baileys builds the quote from a message; the id and author are what WhatsApp shows it by.
    misc.quoted = {
      key: { remoteJid: to, id: options.replyTo.messageId, fromMe: options.replyTo.fromMe, participant: options.replyTo.participant },
      message: { conversation: '' },
    } as WAMessage;
  }
  switch (content.type) {
    case 'text':
      // linkPreview: null stops Baileys from fetching URLs found in the text.
      return { content: { text: content.text, linkPreview: null, ...mentions }, options: misc };
    case 'image':
      return { content: { image: content.media, mimetype: content.mimetype, caption: content.caption, ...mentions }, options: misc };
    case 'video':
      return { content: { video: content.media, mimetype: content.mimetype, caption: content.caption, ...mentions }, options: misc };
    case 'audio':
      return { content: { audio: content.media, mimetype: content.mimetype, ptt: content.voiceNote === true }, options: misc };
    case 'document':
      return {
        content: {
          document: content.media,
          mimetype: content.mimetype,
          fileName: content.fileName ?? 'file',
          caption: content.caption,
          ...mentions,
        },
        options: misc,
      };
    case 'sticker':
      return { content: { sticker: content.media, mimetype: content.mimetype }, options: misc };
    case 'location':
      return {
        content: {
          location: { degreesLatitude: content.latitude, degreesLongitude: content.longitude, name: content.name, address: content.address },
        },
        options: misc,
      };
    case 'contact':
      return { content: { contacts: { displayName: content.displayName, contacts: [{ vcard: content.vcard }] } }, options: misc };
    case 'reaction':
      return {
        content: { react: { text: content.emoji, key: { remoteJid: to, id: content.messageId, fromMe: content.fromMe, participant: content.participant } } },
        options: misc,
      };
  }
}

function numberOf(value: number | { toNumber(): number } | null | undefined): number | undefined {
  if (value === null || value === undefined) return undefined;
  return typeof value === 'number' ? value : value.toNumber();
}

/** The parts of a received message we expose; null for protocol messages nobody reads. */
export function fromBaileysMessage(msg: WAMessage): EngineMessage | null {
  const key = msg.key as WAMessageKey;
  if (!key.remoteJid || !key.id || !msg.message) return null;
  if (key.remoteJid === 'status@broadcast') return null;
  const message = normalizeMessageContent(msg.message);
  const type = getContentType(message);
  if (!message || !type || type === 'protocolMessage' || type === 'senderKeyDistributionMessage' || type === 'messageContextInfo') {
    return null;
  }
  const content = contentOf(message, type);
  const context = contextInfoOf(message, type);
  const group = key.remoteJid.endsWith('@g.us');
  const senderJid = key.fromMe ? '' : group ? (key.participant ?? '') : key.remoteJid;
  return {
    id: key.id,
    chatJid: key.remoteJid,
    chatAlt: key.remoteJidAlt ?? null,
    senderJid,
    senderAlt: group ? (key.participantAlt ?? null) : (key.remoteJidAlt ?? null),
    fromMe: key.fromMe === true,
    timestamp: numberOf(msg.messageTimestamp as number | { toNumber(): number } | null | undefined) ?? Math.floor(Date.now() / 1000),
    pushName: msg.pushName ?? null,
    content: content.type === 'unsupported' ? { type: 'unsupported', text: type } : content,
    replyTo: context?.stanzaId ?? null,
    mentions: context?.mentionedJid ?? [],
  };
}

function contextInfoOf(message: proto.IMessage, type: keyof proto.IMessage): proto.IContextInfo | null {
  const part = message[type] as { contextInfo?: proto.IContextInfo | null } | null | undefined;
  return part && typeof part === 'object' && 'contextInfo' in part ? (part.contextInfo ?? null) : null;
}

function contentOf(message: proto.IMessage, type: keyof proto.IMessage): IncomingContent {
  const mediaRef = (): string =>
    // Everything downloadMediaMessage needs, and nothing else (the media key is a secret: the core stores it encrypted).
    JSON.stringify(proto.Message.toObject(proto.Message.fromObject({ [type]: message[type] }), { bytes: String }));
  switch (type) {
    case 'conversation':
      return { type: 'text', text: message.conversation ?? '' };
    case 'extendedTextMessage':
      return { type: 'text', text: message.extendedTextMessage?.text ?? '' };
    case 'imageMessage': {
      const m = message.imageMessage!;
      return { type: 'image', caption: m.caption ?? undefined, mimetype: m.mimetype ?? undefined, fileLength: numberOf(m.fileLength as never), mediaRef: mediaRef() };
    }
    case 'videoMessage': {
      const m = message.videoMessage!;
      return { type: 'video', caption: m.caption ?? undefined, mimetype: m.mimetype ?? undefined, fileLength: numberOf(m.fileLength as never), mediaRef: mediaRef() };
    }
    case 'audioMessage': {
      const m = message.audioMessage!;
      return { type: 'audio', mimetype: m.mimetype ?? undefined, voiceNote: m.ptt === true, fileLength: numberOf(m.fileLength as never), mediaRef: mediaRef() };
    }
    case 'documentMessage': {
      const m = message.documentMessage!;
      return {
        type: 'document',
        caption: m.caption ?? undefined,
        mimetype: m.mimetype ?? undefined,
        fileName: m.fileName ?? undefined,
        fileLength: numberOf(m.fileLength as never),
        mediaRef: mediaRef(),
      };
    }
    case 'stickerMessage': {
      const m = message.stickerMessage!;
      return { type: 'sticker', mimetype: m.mimetype ?? undefined, fileLength: numberOf(m.fileLength as never), mediaRef: mediaRef() };
    }
    case 'locationMessage': {
      const m = message.locationMessage!;
      return { type: 'location', latitude: m.degreesLatitude ?? 0, longitude: m.degreesLongitude ?? 0, name: m.name ?? undefined };
    }
    case 'contactMessage': {
      const m = message.contactMessage!;
      return { type: 'contact', displayName: m.displayName ?? '', vcard: m.vcard ?? '' };
    }
    case 'reactionMessage': {
      const m = message.reactionMessage!;
      return { type: 'reaction', targetId: m.key?.id ?? undefined, emoji: m.text ?? '' };
    }
    default:
      return { type: 'unsupported' };
  }
}

/** Download and decrypt the media a `mediaRef` names. */
export async function downloadMedia(mediaRef: string, dispatcher?: Dispatcher): Promise<Buffer> {
  const message = proto.Message.fromObject(JSON.parse(mediaRef) as Record<string, unknown>);
  const options = dispatcher ? { options: { dispatcher } as RequestInit } : {};
  return downloadMediaMessage({ key: {}, message } as WAMessage, 'buffer', options);
}

const STATUS_BY_PROTO: Partial<Record<number, EngineDeliveryStatus>> = {
  [proto.WebMessageInfo.Status.SERVER_ACK]: 'server_ack',
  [proto.WebMessageInfo.Status.DELIVERY_ACK]: 'delivered',
  [proto.WebMessageInfo.Status.READ]: 'read',
  [proto.WebMessageInfo.Status.PLAYED]: 'played',
};

/** A 1:1 status update (messages.update) of a message we sent. */
export function statusFromUpdate(key: WAMessageKey, status: number | null | undefined, now = Date.now()): EngineMessageStatus | null {
  if (!key.fromMe || !key.id || !key.remoteJid || status === null || status === undefined) return null;
  const mapped = STATUS_BY_PROTO[status];
  if (!mapped) return null;
  return { messageId: key.id, chatJid: key.remoteJid, status: mapped, participant: key.participant ?? null, at: now };
}

/**
 * Per-participant receipts (message-receipt.update, groups) of a message we
 * sent. Baileys' event buffer merges a delivery and a read receipt of one
 * participant into one entry, so each timestamp present is its own status.
 */
export function statusesFromReceipt(
  key: WAMessageKey,
  receipt: { userJid?: string | null; receiptTimestamp?: unknown; readTimestamp?: unknown; playedTimestamp?: unknown },
): EngineMessageStatus[] {
  if (!key.id || !key.remoteJid) return [];
  const seconds = (v: unknown): number | undefined => numberOf(v as number | { toNumber(): number } | null | undefined);
  const steps: Array<[EngineDeliveryStatus, number | undefined]> = [
    ['delivered', seconds(receipt.receiptTimestamp)],
    ['read', seconds(receipt.readTimestamp)],
    ['played', seconds(receipt.playedTimestamp)],
  ];
  return steps
    .filter((step): step is [EngineDeliveryStatus, number] => step[1] !== undefined)
    .map(([status, at]) => ({ messageId: key.id!, chatJid: key.remoteJid!, status, participant: receipt.userJid ?? null, at: at * 1000 }));
}

/**
 * Receipts Baileys folded into the upsert of a message we sent. A receipt
 * that arrives while the send's own upsert is still in Baileys' event buffer
 * (the recipient answered in the same tick) is merged into that upsert, as
 * its `status` (1:1) or `userReceipt` (groups), and never emitted as an
 * update: without this it is lost.
 */
export function statusesFromOwnUpsert(msg: WAMessage, now = Date.now()): EngineMessageStatus[] {
  const key = msg.key as WAMessageKey;
  if (!key.fromMe || !key.id || !key.remoteJid) return [];
  const statuses: EngineMessageStatus[] = [];
  // SERVER_ACK on an own upsert says nothing the send's answer did not; only what a recipient's device said counts.
  if (typeof msg.status === 'number' && msg.status >= proto.WebMessageInfo.Status.DELIVERY_ACK) {
    const status = statusFromUpdate(key, msg.status, now);
    if (status) statuses.push(status);
  }
  for (const receipt of msg.userReceipt ?? []) statuses.push(...statusesFromReceipt(key, receipt));
  return statuses;
}
