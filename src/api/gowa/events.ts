/**
 * Gateway events as GOWA's webhooks name and shape them (its
 * docs/webhook-payload.md): `message` (text, media, location, contact,
 * replies), `message.reaction`, and `message.ack` for delivered / read /
 * played receipts. GOWA has no device lifecycle webhooks and no event for
 * our own sends (the server's ack is no receipt there), so those are null.
 * The webhook sender adds the top level (`event`, `device_id`, `payload`).
 */
import type { MessageStatus, MessageView } from '../../core/messaging/model.js';
import type { GatewayEvent } from '../../core/model.js';
import type { DialectEvent } from '../types.js';

/** RFC 3339 without fractions, as Go's time.RFC3339 formats UTC times. */
function rfc3339(iso: string): string {
  return `${iso.slice(0, 19)}Z`;
}

const RECEIPTS: Partial<Record<MessageStatus, { type: string; description: string }>> = {
  delivered: { type: 'delivered', description: 'means the message was delivered to the device (but the user might not have noticed).' },
  read: { type: 'read', description: 'the user opened the chat and saw the message.' },
  played: {
    type: 'played',
    description:
      'This is dispatched for both incoming and outgoing messages when played. If the current user opened the media,\n\tit means the media should be removed from all devices. If a recipient opened the media, it\'s just a notification\n\tfor the sender that the media was viewed.',
  },
};

/** Where a GOWA client fetches a received message's media (the original's download route). */
function downloadPath(message: MessageView): string {
  return `/message/${encodeURIComponent(message.messageId)}/download`;
}

function mediaFields(message: MessageView): Record<string, unknown> {
  const content = message.content;
  const url = content.mediaUrl === undefined ? null : downloadPath(message);
  switch (content.type) {
    case 'image':
    case 'video':
      return { [content.type]: { url, ...(content.caption === undefined ? {} : { caption: content.caption }) } };
    case 'audio':
    case 'sticker':
      return { [content.type]: url };
    case 'document':
      return { document: { url, filename: content.fileName ?? '' } };
    case 'location':
      return { location: { degreesLatitude: content.latitude, degreesLongitude: content.longitude, name: content.name, address: content.address } };
    case 'contact':
      return {
        contact: {
          displayName: content.displayName,
          vcard: content.vcard,
          phone_number: /TEL[^:]*:([^\n\r]+)/.exec(content.vcard ?? '')?.[1]?.trim() ?? '',
        },
      };
    default:
      return {};
  }
}

function sender(message: MessageView): Record<string, unknown> {
  const from = message.from;
  return {
    from: from?.jid ?? message.chat.jid,
    ...(from?.lid ? { from_lid: from.lid } : {}),
    from_name: message.fromMe ? '' : (message.pushName ?? ''),
  };
}

function messageEvent(message: MessageView): DialectEvent {
  const common = { id: message.messageId, chat_id: message.chat.jid, ...sender(message), timestamp: rfc3339(message.timestamp), is_from_me: message.fromMe };
  if (message.contentType === 'reaction') {
    return { event: 'message.reaction', payload: { ...common, reaction: message.content.emoji ?? '', reacted_message_id: message.content.messageId ?? '' } };
  }
  const body = message.content.text ?? message.content.caption;
  return {
    event: 'message',
    payload: {
      ...common,
      ...(body === undefined ? {} : { body }),
      ...(message.replyTo === null ? {} : { replied_to_id: message.replyTo }),
      ...mediaFields(message),
    },
  };
}

export function renderGowaEvent(event: GatewayEvent): DialectEvent | null {
  if (event.type === 'message.received') {
    const message = event.data.message as MessageView | undefined;
    return message === undefined || typeof message.messageId !== 'string' ? null : messageEvent(message);
  }
  if (event.type === 'message.receipt') {
    const { messageId, chat, status, participant } = event.data as { messageId?: string; chat?: { jid?: string }; status?: MessageStatus; participant?: string | null };
    const receipt = status === undefined ? undefined : RECEIPTS[status];
    if (typeof messageId !== 'string' || typeof chat?.jid !== 'string' || receipt === undefined) return null;
    return {
      event: 'message.ack',
      payload: { ids: [messageId], chat_id: chat.jid, from: participant ?? chat.jid, receipt_type: receipt.type, receipt_type_description: receipt.description },
    };
  }
  return null;
}
