/**
 * Messages as Evolution API shows them (its `prepareMessage`): Baileys' key,
 * the message in WhatsApp's protobuf-JSON form, `messageType` naming that
 * form, and Evolution's status words. Used by the send answers and the
 * `messages.upsert` / `send.message` webhooks.
 */
import type { MessageContentView, MessageStatus, MessageView } from '../../core/messaging/model.js';

export type EvolutionMessageStatus = 'ERROR' | 'PENDING' | 'SERVER_ACK' | 'DELIVERY_ACK' | 'READ' | 'PLAYED';

export function evolutionMessageStatus(status: MessageStatus): EvolutionMessageStatus {
  switch (status) {
    case 'failed':
      return 'ERROR';
    case 'pending':
      return 'PENDING';
    case 'sent':
      return 'SERVER_ACK';
    case 'delivered':
    case 'received':
      return 'DELIVERY_ACK';
    case 'read':
      return 'READ';
    case 'played':
      return 'PLAYED';
  }
}

function defined(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

function mediaFields(content: MessageContentView): Record<string, unknown> {
  return defined({ mimetype: content.mimetype, caption: content.caption, fileName: content.fileName, fileLength: content.fileLength, mediaUrl: content.mediaUrl });
}

/** `[messageType, message]` in WhatsApp's protobuf-JSON form (Evolution names plain text `conversation`). */
export function evolutionMessage(view: MessageView): [string, Record<string, unknown>] {
  const c = view.content;
  switch (c.type) {
    case 'text':
      return ['conversation', { conversation: c.text ?? '' }];
    case 'image':
      return ['imageMessage', { imageMessage: mediaFields(c) }];
    case 'video':
      return ['videoMessage', { videoMessage: mediaFields(c) }];
    case 'audio':
      return ['audioMessage', { audioMessage: { ...mediaFields(c), ptt: c.voiceNote === true } }];
    case 'document':
      return ['documentMessage', { documentMessage: { ...mediaFields(c), title: c.fileName } }];
    case 'sticker':
      return ['stickerMessage', { stickerMessage: mediaFields(c) }];
    case 'location':
      return ['locationMessage', { locationMessage: defined({ degreesLatitude: c.latitude, degreesLongitude: c.longitude, name: c.name, address: c.address }) }];
    case 'contact':
      return ['contactMessage', { contactMessage: defined({ displayName: c.displayName, vcard: c.vcard }) }];
    case 'reaction':
      return ['reactionMessage', { reactionMessage: { key: { remoteJid: view.chat.jid, id: c.messageId }, text: c.emoji ?? '' } }];
    default:
      return ['unknown', {}];
  }
}

/** A message as Evolution's `messageRaw`. `status` overrides the mapped one (send answers say PENDING, as Evolution's do). */
export function evolutionMessageRecord(view: MessageView, status: EvolutionMessageStatus = evolutionMessageStatus(view.status)): Record<string, unknown> {
  const [messageType, message] = evolutionMessage(view);
  const group = view.chat.jid.endsWith('@g.us');
  const key = defined({
    remoteJid: view.chat.jid,
    fromMe: view.fromMe,
    id: view.messageId,
    participant: group && !view.fromMe ? view.from?.jid : undefined,
  });
  return {
    key,
    // The sender's WhatsApp name, as the message carried it (Evolution's own sends show null until the echo).
    pushName: view.pushName,
    status,
    message,
    ...(view.replyTo === null ? {} : { contextInfo: { stanzaId: view.replyTo } }),
    messageType,
    messageTimestamp: Math.floor(Date.parse(view.timestamp) / 1000),
    instanceId: view.sessionId,
    source: view.fromMe ? 'web' : 'unknown',
  };
}
