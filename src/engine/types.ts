/**
 * The engine boundary. The core drives WhatsApp connections only through
 * these types; the Baileys adapter (src/engine/baileys) and the tests' fake
 * engine implement them. Nothing Baileys-specific crosses this line.
 */
import type { Logger } from 'pino';
import type { AuthStore } from '../store/types.js';

/** The account this device is linked to, as the engine learns it. */
export interface EngineIdentity {
  /** Device JID, e.g. `15551234567:7@s.whatsapp.net`. */
  jid: string;
  lid: string | null;
  name: string | null;
}

export type EngineEvent =
  /** A new QR payload; ttlMs is how long this ref lives. */
  | { type: 'qr'; qr: string; ttlMs: number }
  /** The phone accepted the link (pair-success). A 515 restart follows, handled inside the engine. */
  | { type: 'paired'; identity: EngineIdentity }
  /** The engine is restarting after 515 (normal after pairing; never an error). */
  | { type: 'restarting'; code: number; reason: string }
  /** Logged in and ready. */
  | { type: 'open'; identity: EngineIdentity }
  /** A pairing code was entered wrongly on the phone, or the engine could not complete it. */
  | { type: 'pairing_failed'; reason: string }
  /**
   * The connection ended and the engine will not retry by itself.
   * code: WhatsApp close code (401 logged out, 408 timed out / QR refs ended,
   * 428 closed, 440 replaced, 500 bad session, 503 unavailable …).
   * The core decides what happens next (reconnect with backoff, logged_out, conflict).
   */
  | { type: 'close'; code: number; reason: string; loggedOut: boolean }
  /** A message arrived in one of the account's chats (from a contact, or sent by the account's other devices). */
  | { type: 'message'; message: EngineMessage }
  /** What happened to a message this account sent: the server took it, a device got it, someone read or played it. */
  | { type: 'message_status'; update: EngineMessageStatus };

/** Kinds of message content the gateway sends and understands. */
export type MessageContentType =
  | 'text'
  | 'image'
  | 'video'
  | 'audio'
  | 'document'
  | 'sticker'
  | 'location'
  | 'contact'
  | 'reaction'
  | 'unsupported';

export const MEDIA_CONTENT_TYPES = ['image', 'video', 'audio', 'document', 'sticker'] as const;
export type MediaContentType = (typeof MEDIA_CONTENT_TYPES)[number];

/** What to send. Media arrives as bytes: fetching and decoding are the core's job. */
export type OutgoingContent =
  | { type: 'text'; text: string }
  | {
      type: MediaContentType;
      media: Buffer;
      mimetype: string;
      caption?: string;
      fileName?: string;
      /** audio only: a voice note (push-to-talk) rather than an audio file. */
      voiceNote?: boolean;
    }
  | { type: 'location'; latitude: number; longitude: number; name?: string; address?: string }
  | { type: 'contact'; displayName: string; vcard: string }
  | { type: 'reaction'; messageId: string; emoji: string; fromMe: boolean; participant?: string };

export interface SendOptions {
  /** The WhatsApp message id to use: chosen at acceptance, so a resend after a crash is the same message. */
  messageId: string;
  replyTo?: { messageId: string; fromMe: boolean; participant?: string };
  /** JIDs mentioned in the text or caption. */
  mentions?: string[];
}

/** A received message, without engine types. */
export interface EngineMessage {
  id: string;
  /** The chat: a user JID (1:1) or a group JID. */
  chatJid: string;
  /** The chat's other address when WhatsApp gives one (LID for a phone-number chat, or the reverse). */
  chatAlt: string | null;
  /** Who wrote it: the contact (or group participant), or this account. */
  senderJid: string;
  senderAlt: string | null;
  fromMe: boolean;
  /** Epoch seconds, as WhatsApp stamps it. */
  timestamp: number;
  pushName: string | null;
  content: IncomingContent;
  replyTo: string | null;
  mentions: string[];
}

export interface IncomingContent {
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
  displayName?: string;
  vcard?: string;
  /** reaction: the message reacted to, and the emoji ('' removes it). */
  targetId?: string;
  emoji?: string;
  /** media: opaque reference the same engine can download and decrypt later (holds the media key: a secret). */
  mediaRef?: string;
}

export type EngineDeliveryStatus = 'server_ack' | 'delivered' | 'read' | 'played';

export interface EngineMessageStatus {
  messageId: string;
  chatJid: string;
  status: EngineDeliveryStatus;
  /** In groups: the participant whose device reported it. */
  participant: string | null;
  /** Epoch ms. */
  at: number;
}

/** One number's answer from WhatsApp: does it have an account, and its addresses. */
export interface EngineNumberCheck {
  number: string;
  exists: boolean;
  /** The phone-number JID WhatsApp gave, null when it has no account. */
  jid: string | null;
  /** The account's LID, when WhatsApp gave one. */
  lid: string | null;
}

export interface EngineGroup {
  id: string;
  subject: string;
  description: string | null;
  owner: string | null;
  /** Epoch seconds. */
  createdAt: number | null;
  participants: Array<{ jid: string; phoneNumber: string | null; lid: string | null; admin: 'admin' | 'superadmin' | null }>;
}

export type PresenceState = 'available' | 'unavailable' | 'composing' | 'recording' | 'paused';

export interface EngineConnectOptions {
  sessionId: string;
  /** Credentials and Signal keys, persisted (encrypted) by the store. */
  auth: AuthStore;
  /** Browser shown on the phone's linked-devices list, e.g. `Chrome`. */
  deviceBrowser: string;
  /** Child logger; already carries the session id. */
  logger: Logger;
}

/** One logical connection of one session (survives the internal 515 restart). */
export interface EngineConnection {
  /** Subscribe to events. Returns an unsubscribe function. */
  on(listener: (event: EngineEvent) => void): () => void;
  /**
   * Ask WhatsApp for a pairing code for this phone number (E.164 digits, no '+').
   * Resolves with the 8-character code without dash (e.g. `ABCD1234`).
   */
  requestPairingCode(phoneNumber: string): Promise<string>;
  /** Unlink the device on WhatsApp's side, then close. Emits a final `close` with loggedOut=true. */
  logout(): Promise<void>;
  /** Close the socket without logging out (credentials stay valid). Emits no further events. */
  close(): Promise<void>;
  /** Groups the account participates in (needs `open`). */
  groups(): Promise<Array<{ id: string; subject: string; participants: number }>>;
  /** One group's metadata and participants (needs `open`). */
  groupMetadata(groupJid: string): Promise<EngineGroup>;
  /** Send a text message (needs `open`). `to` is a JID or E.164 digits. Resolves with the message id. */
  sendText(to: string, text: string): Promise<string>;
  /** Send a message (needs `open`). `to` is a user or group JID. Resolves when the server acknowledged it. */
  send(to: string, content: OutgoingContent, options: SendOptions): Promise<{ messageId: string; timestamp: number }>;
  /** Which of these numbers (E.164 digits) have WhatsApp, their JIDs and, where WhatsApp tells, their LIDs. */
  checkNumbers(numbers: string[]): Promise<EngineNumberCheck[]>;
  /** Download and decrypt the media of a received message (`IncomingContent.mediaRef`). */
  downloadMedia(mediaRef: string): Promise<Buffer>;
  /** Send read receipts for these messages of one chat. */
  markRead(chatJid: string, messages: Array<{ id: string; participant?: string | null; fromMe?: boolean }>): Promise<void>;
  /** Typing, recording, online. `chatJid` null: the account's global presence. */
  sendPresence(state: PresenceState, chatJid: string | null): Promise<void>;
  /** Opaque identifier the sandbox knows this connection by (base64 Noise public key). */
  readonly noiseKey: string;
  /**
   * Epoch ms of the last frame received from WhatsApp (keepalive answers
   * included), null before the first. Optional: lets /metrics tell a quiet
   * but healthy session from a ghost.
   */
  lastFrameAt?(): number | null;
}

export interface Engine {
  readonly name: string;
  /**
   * Start a connection for a session. Reads credentials through `auth`
   * (none → registration / QR; some → login). Never throws synchronously for
   * network problems: they arrive as a `close` event.
   */
  connect(opts: EngineConnectOptions): Promise<EngineConnection>;
  /** A fresh message id in the network's format, chosen before sending so a resend is the same message. */
  newMessageId(): string;
}
