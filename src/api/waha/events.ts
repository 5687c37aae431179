/**
 * Gateway events as WAHA's webhooks name and shape them.
 * - The session lifecycle is one event, `session.status` `{name, status}`,
 *   sent when the WAHA status changes. WAHA has no webhook for a QR (clients
 *   fetch /auth/qr once the status is SCAN_QR_CODE), a pairing code, or a
 *   session being created or deleted, so those render as null.
 * - Messages: an incoming message is `message` (and `message.any`, which
 *   also carries this account's own messages); a reaction is
 *   `message.reaction`; a receipt for our message is `message.ack`
 *   (a failed send is an ack of -1, ERROR). Payloads are WAMessage-shaped.
 */
import type { MessageStatus, MessageView } from '../../core/messaging/model.js';
import type { GatewayEvent } from '../../core/model.js';
import { isSessionState } from '../../domain/sessionState.js';
import { wahaStatus, type WahaStatus } from '../compat-shared/wahaStatus.js';
import type { DialectEvent } from '../types.js';
import { serializeMessageId, toCus } from './ids.js';
import { wahaAck, wahaMessage, wahaReaction } from './wahaMessage.js';

function statusOf(value: unknown): WahaStatus | undefined {
  return isSessionState(value) ? wahaStatus(value) : undefined;
}

function messageOf(event: GatewayEvent): MessageView | undefined {
  const message = event.data.message as MessageView | undefined;
  return message !== undefined && typeof message === 'object' && typeof message.messageId === 'string' ? message : undefined;
}

function sessionStatus(event: GatewayEvent): DialectEvent | null {
  const status = statusOf(event.data.state);
  if (status === undefined) return null;
  // Several of our states are one WAHA status (qr → pairing_code): WAHA sends only changes.
  if (statusOf(event.data.previous) === status) return null;
  return { event: 'session.status', payload: { name: event.sessionId, status } };
}

function ack(event: GatewayEvent): DialectEvent | null {
  const { messageId, chat, status, participant } = event.data as {
    messageId?: string;
    chat?: { jid?: string };
    status?: MessageStatus;
    participant?: string | null;
  };
  if (typeof messageId !== 'string' || typeof chat?.jid !== 'string' || typeof status !== 'string') return null;
  const isGroup = chat.jid.endsWith('@g.us');
  return {
    event: 'message.ack',
    payload: {
      id: serializeMessageId(true, chat.jid, messageId),
      from: toCus(chat.jid),
      to: isGroup ? toCus(chat.jid) : null,
      participant: toCus(participant) ?? null,
      fromMe: true,
      ...wahaAck(status),
    },
  };
}

/** Every WAHA webhook event for a gateway event, in the order WAHA sends them. */
export function renderWahaEvents(event: GatewayEvent): DialectEvent[] {
  switch (event.type) {
    case 'connection.state': {
      const rendered = sessionStatus(event);
      return rendered === null ? [] : [rendered];
    }
    case 'message.received': {
      const message = messageOf(event);
      if (message === undefined) return [];
      if (message.contentType === 'reaction') return [{ event: 'message.reaction', payload: wahaReaction(message) }];
      const payload = wahaMessage(message);
      // `message` is what others write; `message.any` is every message, ours from other devices too.
      return message.fromMe ? [{ event: 'message.any', payload }] : [{ event: 'message', payload }, { event: 'message.any', payload }];
    }
    case 'message.sent': {
      const message = messageOf(event);
      return message === undefined ? [] : [{ event: 'message.any', payload: wahaMessage(message) }];
    }
    case 'message.receipt': {
      const rendered = ack(event);
      return rendered === null ? [] : [rendered];
    }
    case 'message.failed': {
      const message = messageOf(event);
      if (message === undefined) return [];
      const rendered = ack({ ...event, data: { messageId: message.messageId, chat: message.chat, status: 'failed', participant: null } });
      return rendered === null ? [] : [rendered];
    }
    default:
      return [];
  }
}

/** The first (main) WAHA event for a gateway event, or null when WAHA has none. */
export function renderWahaEvent(event: GatewayEvent): DialectEvent | null {
  return renderWahaEvents(event)[0] ?? null;
}
