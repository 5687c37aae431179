/**
 * What the API layers see of messages (WADial's shapes): what a client
 * sends, and a message with its status history.
 */
import type { MessageContentType } from '../../engine/types.js';

export type { MessageContentType };

/** Where media to send comes from: inline base64, a URL the gateway fetches, or bytes an API layer already read (multipart). */
export type MediaSource = { base64: string } | { url: string } | { bytes: Buffer };

/** Content as a client sends it. */
export type MessageContentInput =
  | { type: 'text'; text: string }
  | ({
      type: 'image' | 'video' | 'audio' | 'document' | 'sticker';
      mimetype?: string;
      caption?: string;
      fileName?: string;
      /** audio: a voice note rather than an audio file. */
      voiceNote?: boolean;
    } & MediaSource)
  | { type: 'location'; latitude: number; longitude: number; name?: string; address?: string }
  | { type: 'contact'; displayName: string; vcard?: string; phoneNumber?: string }
  | { type: 'reaction'; messageId: string; emoji: string };

export interface SendMessageInput {
  /** A phone number (E.164 digits) or a JID (user or group). */
  to: string;
  content: MessageContentInput;
  /** Quote this message (an id of this session's chat). */
  replyTo?: string;
  /** Phone numbers or JIDs mentioned. */
  mentions?: string[];
}

export type MessageStatus = 'pending' | 'sent' | 'delivered' | 'read' | 'played' | 'failed' | 'received';

export interface MessageStatusChange {
  status: MessageStatus;
  at: string;
  reason?: string;
  /** Group receipts: whose device reported it. */
  participant?: string;
}

/** An address as WhatsApp knows it: phone-number JID and LID, each when known. */
export interface Address {
  jid: string;
  lid: string | null;
  phoneNumber: string | null;
}

/** The content as shown back: no media bytes, no media keys. */
export interface MessageContentView {
  type: MessageContentType;
  text?: string;
  caption?: string;
  mimetype?: string;
  fileName?: string;
  fileLength?: number;
  voiceNote?: boolean;
  latitude?: number;
  longitude?: number;
  name?: string;
  address?: string;
  displayName?: string;
  vcard?: string;
  messageId?: string;
  emoji?: string;
  /** Path of the media download route, when the message carries media. */
  mediaUrl?: string;
}

export interface MessageView {
  messageId: string;
  sessionId: string;
  chat: Address;
  /** Who wrote it (for outgoing messages: this session's account). */
  from: Address | null;
  fromMe: boolean;
  /** The name the sender set on their own phone (WhatsApp's push name), when the message carried it. */
  pushName: string | null;
  /** For outgoing messages, the chat they go to (WADial's `to`). */
  to: string | null;
  contentType: MessageContentType;
  content: MessageContentView;
  status: MessageStatus;
  statuses: MessageStatusChange[];
  error: string | null;
  replyTo: string | null;
  /** WhatsApp's time of the message. */
  timestamp: string;
  createdAt: string;
}

export interface ChatView {
  chat: Address;
  isGroup: boolean;
  lastMessageId: string;
  lastMessageAt: string;
  messages: number;
}

export interface Page<T> {
  items: T[];
  /** Pass as `before` for the next (older) page; null at the end. */
  nextCursor: string | null;
}

/** Whether a phone number has WhatsApp, and its addresses when it does. */
export interface NumberCheck {
  /** E.164 digits, as normalised. */
  phoneNumber: string;
  exists: boolean;
  /** Phone-number JID, null when the number has no WhatsApp. */
  jid: string | null;
  /** The account's LID, when WhatsApp gave one. */
  lid: string | null;
}
