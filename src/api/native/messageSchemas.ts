/** TypeBox schemas of the messaging routes (WADial's shapes). */
import { Type } from 'typebox';
import { CONTENT_TYPES } from '../../core/messaging/contentInput.js';
import type { MessageContentView } from '../../core/messaging/model.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
const IsoTime = Type.String({ format: 'date-time' });

export const ContentBody = Type.Object(
  {
    type: Type.Optional(Type.Enum([...CONTENT_TYPES], { description: 'Content type (on `/messages/{type}` it comes from the path)' })),
    text: Type.Optional(Type.String({ description: 'text' })),
    base64: Type.Optional(Type.String({ description: 'media: the file, base64 (a data: URL works too)' })),
    url: Type.Optional(Type.String({ description: 'media: a public http(s) URL the gateway fetches (no redirects, size-capped)' })),
    mimetype: Type.Optional(Type.String({ description: 'media: e.g. image/jpeg; defaults from the URL answer or the type' })),
    caption: Type.Optional(Type.String()),
    fileName: Type.Optional(Type.String({ description: 'document: the name shown' })),
    voiceNote: Type.Optional(Type.Boolean({ description: 'audio: send as a voice note' })),
    latitude: Type.Optional(Type.Number()),
    longitude: Type.Optional(Type.Number()),
    name: Type.Optional(Type.String()),
    address: Type.Optional(Type.String()),
    displayName: Type.Optional(Type.String({ description: 'contact: the name' })),
    vcard: Type.Optional(Type.String({ description: 'contact: a vCard (or give phoneNumber)' })),
    phoneNumber: Type.Optional(Type.String({ description: 'contact: the number, when no vCard is given' })),
    messageId: Type.Optional(Type.String({ description: 'reaction: the message reacted to' })),
    emoji: Type.Optional(Type.String({ description: 'reaction: the emoji; empty removes it' })),
  },
  { additionalProperties: false, description: 'What to send; fields by type' },
);

export const SendMessageBody = Type.Object(
  {
    to: Type.String({ description: 'Phone number (digits, country code first) or a JID (user or group `…@g.us`)', minLength: 1 }),
    content: ContentBody,
    replyTo: Type.Optional(Type.String({ description: 'Quote this message id' })),
    mentions: Type.Optional(Type.Array(Type.String(), { description: 'Numbers or JIDs mentioned' })),
  },
  { additionalProperties: false },
);

const AddressSchema = Type.Object({
  jid: Type.String({ description: 'Phone-number JID (or group JID) when known' }),
  lid: Nullable(Type.String({ description: 'LID, when WhatsApp gave one' })),
  phoneNumber: Nullable(Type.String()),
});

export const MessageSchema = Type.Object(
  {
    messageId: Type.String(),
    sessionId: Type.String(),
    chat: AddressSchema,
    from: Nullable(AddressSchema),
    fromMe: Type.Boolean(),
    pushName: Nullable(Type.String({ description: "The sender's own display name (WhatsApp's push name), when the message carried it" })),
    to: Nullable(Type.String()),
    contentType: Type.String(),
    content: Type.Unsafe<MessageContentView>(
      Type.Record(Type.String(), Type.Unknown(), { description: 'The content as sent or received (text, caption, mimetype, fileName, mediaUrl …)' }),
    ),
    status: Type.Enum(['pending', 'sent', 'delivered', 'read', 'played', 'failed', 'received']),
    statuses: Type.Array(Type.Object({ status: Type.String(), at: IsoTime, reason: Type.Optional(Type.String()), participant: Type.Optional(Type.String()) })),
    error: Nullable(Type.String()),
    replyTo: Nullable(Type.String()),
    timestamp: IsoTime,
    createdAt: IsoTime,
  },
  { description: 'A message and its status history: pending → sent → delivered → read, or failed with its reason' },
);

export const ChatSchema = Type.Object({
  chat: AddressSchema,
  isGroup: Type.Boolean(),
  lastMessageId: Type.String(),
  lastMessageAt: IsoTime,
  messages: Type.Integer(),
});

export const PageQuery = Type.Object(
  {
    before: Type.Optional(Type.String({ description: 'Cursor from the previous page\'s `nextCursor`' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  },
  { additionalProperties: false },
);

export const ReadBody = Type.Object({ messageIds: Type.Optional(Type.Array(Type.String(), { maxItems: 500 })) }, { additionalProperties: false });

export const PresenceBody = Type.Object(
  {
    state: Type.Enum(['available', 'unavailable', 'composing', 'recording', 'paused'], { description: 'typing is `composing`' }),
    chatId: Type.Optional(Type.String({ description: 'The chat to show typing/recording in (number or JID)' })),
  },
  { additionalProperties: false },
);

export const SendAnswerSchema = Type.Object(
  {
    ...MessageSchema.properties,
    to: Type.String({ description: 'The chat the message goes to' }),
    text: Nullable(Type.String({ description: 'The text or caption' })),
    mediaUrl: Nullable(Type.String()),
  },
  { description: 'The accepted message (WADial: to, text, contentType, mediaUrl, status, messageId) with its status history' },
);

/** The same send as a file upload (multipart/form-data): flat fields and one `file`. */
export const MultipartSendBody = Type.Object(
  {
    to: Type.String({ minLength: 1 }),
    type: Type.Optional(Type.Enum(['image', 'video', 'audio', 'document', 'sticker'])),
    caption: Type.Optional(Type.String()),
    fileName: Type.Optional(Type.String()),
    mimetype: Type.Optional(Type.String()),
    voiceNote: Type.Optional(Type.Enum(['true', 'false'])),
    replyTo: Type.Optional(Type.String()),
    mentions: Type.Optional(Type.String({ description: 'Comma-separated numbers or JIDs' })),
    file: Type.Unsafe<unknown>({ type: 'object', description: 'The file (binary form part)' }),
  },
  { additionalProperties: false },
);
