/**
 * Gateway events as go-whatsapp-multi-session's webhooks name and shape
 * them (its docs/WEBHOOK_EVENTS.md): `message.received` `{message_id, from,
 * chat, timestamp, is_from_me}`, and `message.delivered|read|played`
 * `{message_id, chat, sender, timestamp}` for receipts. The webhook sender
 * adds the envelope (`event_type`, `device_id`, `timestamp`, `data`).
 */
import type { MessageStatus, MessageView } from '../../core/messaging/model.js';
import type { GatewayEvent } from '../../core/model.js';
import type { DialectEvent } from '../types.js';

const RECEIPT_EVENTS: Partial<Record<MessageStatus, string>> = { delivered: 'message.delivered', read: 'message.read', played: 'message.played' };

export function renderGomultiEvent(event: GatewayEvent): DialectEvent | null {
  if (event.type === 'message.received') {
    const message = event.data.message as MessageView | undefined;
    if (message === undefined || typeof message.messageId !== 'string') return null;
    return {
      event: 'message.received',
      payload: {
        message_id: message.messageId,
        from: message.from?.jid ?? message.chat.jid,
        chat: message.chat.jid,
        timestamp: Math.floor(Date.parse(message.timestamp) / 1000),
        is_from_me: message.fromMe,
      },
    };
  }
  if (event.type === 'message.receipt') {
    const { messageId, chat, status, participant, at } = event.data as {
      messageId?: string;
      chat?: { jid?: string };
      status?: MessageStatus;
      participant?: string | null;
      at?: string;
    };
    const name = status === undefined ? undefined : RECEIPT_EVENTS[status];
    if (name === undefined || typeof messageId !== 'string' || typeof chat?.jid !== 'string') return null;
    return {
      event: name,
      payload: {
        message_id: messageId,
        chat: chat.jid,
        sender: participant ?? chat.jid,
        timestamp: Math.floor(Date.parse(at ?? event.createdAt) / 1000),
      },
    };
  }
  return null;
}
