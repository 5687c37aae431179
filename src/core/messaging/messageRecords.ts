/** Stored message rows as the API shows them, and the small rules about addresses and statuses. */
import type { IncomingContent, OutgoingContent } from '../../engine/types.js';
import type { MessageRow } from '../../store/types.js';
import type { Address, MessageContentView, MessageStatus, MessageView } from './model.js';

/** Both forms of an address, from the one WhatsApp used and its alternative (phone-number JID ↔ LID). */
export function addressOf(jid: string, alt: string | null): Address {
  const pn = [jid, alt].find((j) => j?.endsWith('@s.whatsapp.net')) ?? null;
  const lid = [jid, alt].find((j) => j?.endsWith('@lid')) ?? null;
  const main = pn ?? jid;
  return { jid: main, lid, phoneNumber: pn ? pn.split('@')[0]!.split(':')[0]! : null };
}

/** Statuses in the order a sent message moves through them; a late receipt never moves one back. */
const RANK: Record<MessageStatus, number> = { failed: -1, pending: 0, received: 0, sent: 1, delivered: 2, read: 3, played: 4 };

export function isAdvance(from: MessageStatus, to: MessageStatus): boolean {
  return RANK[to] > RANK[from];
}

/** What the engine will send, as kept in the queue (media as base64). */
export interface QueuedSend {
  content: Omit<OutgoingContent, 'media'> & { media?: string };
  replyTo?: { messageId: string; fromMe: boolean; participant?: string };
  mentions?: string[];
}

export function toQueued(content: OutgoingContent, extra: Omit<QueuedSend, 'content'>): string {
  const queued: QueuedSend = { ...extra, content: 'media' in content ? { ...content, media: content.media.toString('base64') } : content };
  return JSON.stringify(queued);
}

export function fromQueued(payload: string): { content: OutgoingContent } & Omit<QueuedSend, 'content'> {
  const queued = JSON.parse(payload) as QueuedSend;
  const content = (typeof queued.content.media === 'string'
    ? { ...queued.content, media: Buffer.from(queued.content.media, 'base64') }
    : queued.content) as OutgoingContent;
  return { ...queued, content };
}

/** The stored body of a received message: what is shown, plus the engine's media reference (a secret, never shown). */
export interface StoredBody {
  view: MessageContentView;
  mediaRef?: string;
  /** The sender's push name, as the message carried it. */
  pushName?: string;
}

export function bodyOfIncoming(content: IncomingContent, pushName: string | null = null): StoredBody {
  const { mediaRef, targetId, ...rest } = content;
  const view: MessageContentView = { ...rest, ...(targetId !== undefined ? { messageId: targetId } : {}) };
  return { view, ...(mediaRef === undefined ? {} : { mediaRef }), ...(pushName ? { pushName } : {}) };
}

export function toMessageView(row: MessageRow, own: Address | null, mediaPath: (id: string) => string): MessageView {
  const body = JSON.parse(row.body) as StoredBody;
  const content: MessageContentView = body.mediaRef ? { ...body.view, mediaUrl: mediaPath(row.id) } : body.view;
  const chat = addressOf(row.chatJid, row.chatAlt);
  return {
    messageId: row.id,
    sessionId: row.sessionId,
    chat,
    from: row.fromMe ? own : row.senderJid ? addressOf(row.senderJid, row.senderAlt) : null,
    fromMe: row.fromMe,
    pushName: body.pushName ?? null,
    to: row.fromMe ? chat.jid : null,
    contentType: content.type,
    content,
    status: row.status as MessageStatus,
    statuses: row.statuses.map((s) => ({ ...s, status: s.status as MessageStatus })),
    error: row.error,
    replyTo: row.replyTo,
    timestamp: new Date(row.waTimestamp * 1000).toISOString(),
    createdAt: row.createdAt,
  };
}
