/**
 * go-whatsapp-multi-session's chat routes (`/chats/{chat_jid}/messages`,
 * `/images`, `/videos`, `/audio`, `/stickers`, `/documents`, `/locations`,
 * `/contacts`, `/mark-read`, `/presence`; `/messages/{id}/reaction|read`)
 * over the core's messaging, under the device's JWT like `/devices/me`.
 * Text and location come as JSON (Go binds field names case-insensitively,
 * so `text`/`Text`, `chat_jid`/`ChatJID`); media as multipart `file`.
 * Answers: `{status: true, code: 200, message: "Success send …", data: {message_id}}`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GatewayCore } from '../../core/gateway.js';
import type { MessageContentInput, MessageView } from '../../core/messaging/model.js';
import { booleanField, stringField } from '../compat-shared/credentials.js';
import { DIALECT_SEND_BODY_LIMIT, dialectSend, integerQuery, isUploadedFile, mediaSourceOf, missingField, numberValue } from '../compat-shared/messaging.js';
import { gomultiSuccess } from './render.js';

type Body = Record<string, unknown> | undefined;
type ChatParams = { Params: { chat_jid: string } };
type MessageParams = { Params: { message_id: string } };

/** A user JID goes to the core as its number (the core checks it is on WhatsApp); groups and LIDs as they are. */
function recipient(chatJid: string): string {
  const [user, server] = chatJid.trim().split('@') as [string, string | undefined];
  return server === undefined || server === 's.whatsapp.net' ? user.split(':')[0]! : chatJid.trim();
}

function asJid(chatJid: string): string {
  return chatJid.includes('@') ? chatJid.trim() : `${chatJid.trim()}@s.whatsapp.net`;
}

/** A message as the original's webhook `data` shows it, plus what it says. */
export function gomultiMessage(message: MessageView): Record<string, unknown> {
  return {
    message_id: message.messageId,
    from: message.from?.jid ?? message.chat.jid,
    chat: message.chat.jid,
    timestamp: Math.floor(Date.parse(message.timestamp) / 1000),
    is_from_me: message.fromMe,
    type: message.contentType,
    ...(message.content.text !== undefined ? { text: message.content.text } : {}),
    ...(message.content.caption !== undefined ? { caption: message.content.caption } : {}),
  };
}

export function gomultiMessagingRoutes(app: FastifyInstance, core: GatewayCore, deviceIdOf: (request: FastifyRequest) => string): void {
  const limits = { bodyLimit: DIALECT_SEND_BODY_LIMIT };

  const send = async (request: FastifyRequest<ChatParams>, content: MessageContentInput, replyTo?: string): Promise<string> => {
    const deviceId = deviceIdOf(request);
    const message = await dialectSend(core, deviceId, { to: recipient(request.params.chat_jid), content, ...(replyTo ? { replyTo } : {}) });
    request.log.child({ sessionId: deviceId }).info({ messageId: message.messageId, contentType: message.contentType }, 'gomulti message accepted');
    return message.messageId;
  };

  app.post<ChatParams>('/chats/:chat_jid/messages', limits, async (request) => {
    const body = request.body as Body;
    const text = stringField(body, 'text', 'Text', 'message', 'Message');
    if (text === undefined) throw missingField('text');
    const replyTo = stringField(body, 'reply_message_id', 'ReplyMessageID', 'replymessageid');
    return gomultiSuccess('Success send message', { message_id: await send(request, { type: 'text', text }, replyTo) });
  });

  const mediaRoute = (path: string, kind: 'image' | 'video' | 'audio' | 'sticker' | 'document', what: string) => {
    app.post<ChatParams>(path, limits, async (request) => {
      const body = request.body as Body;
      const file = body?.file;
      const source = mediaSourceOf({ file, url: stringField(body, 'url', 'file_url') });
      if (source === undefined) throw missingField('file', kind === 'sticker' ? 'must be WebP format' : 'upload it as multipart field "file"');
      const upload = isUploadedFile(file) ? file : undefined;
      const caption = kind === 'audio' || kind === 'sticker' ? undefined : stringField(body, 'caption');
      const fileName = stringField(body, 'filename') ?? upload?.filename ?? undefined;
      const mimetype = upload?.mimetype && upload.mimetype !== 'application/octet-stream' ? upload.mimetype : undefined;
      const content: MessageContentInput = {
        type: kind,
        ...source,
        ...(mimetype === undefined ? {} : { mimetype }),
        ...(fileName === undefined ? {} : { fileName }),
        ...(caption === undefined ? {} : { caption }),
        ...(kind === 'audio' ? { voiceNote: booleanField(body, 'voice_note') === true || booleanField(body, 'ptt') === true } : {}),
      };
      return gomultiSuccess(`Success send ${what}`, { message_id: await send(request, content) });
    });
  };
  mediaRoute('/chats/:chat_jid/images', 'image', 'image');
  mediaRoute('/chats/:chat_jid/videos', 'video', 'video');
  mediaRoute('/chats/:chat_jid/audio', 'audio', 'audio');
  mediaRoute('/chats/:chat_jid/stickers', 'sticker', 'sticker');
  mediaRoute('/chats/:chat_jid/documents', 'document', 'document');

  app.post<ChatParams>('/chats/:chat_jid/locations', async (request) => {
    const body = request.body as Body;
    const latitude = numberValue(body?.latitude ?? body?.Latitude);
    const longitude = numberValue(body?.longitude ?? body?.Longitude);
    if (latitude === undefined || longitude === undefined || (latitude === 0 && longitude === 0)) throw missingField('latitude and longitude', 'both are required');
    const name = stringField(body, 'name', 'Name');
    const address = stringField(body, 'address', 'Address');
    const content: MessageContentInput = { type: 'location', latitude, longitude, ...(name ? { name } : {}), ...(address ? { address } : {}) };
    return gomultiSuccess('Success send location', { message_id: await send(request, content) });
  });

  app.post<ChatParams>('/chats/:chat_jid/contacts', async (request) => {
    const body = request.body as Body;
    const name = stringField(body, 'name', 'Name');
    const phone = stringField(body, 'phone', 'Phone')?.replace(/\D/g, '');
    if (name === undefined) throw missingField('name');
    if (phone === undefined || phone === '') throw missingField('phone');
    return gomultiSuccess('Success send contact', { message_id: await send(request, { type: 'contact', displayName: name, phoneNumber: phone }) });
  });

  app.get<ChatParams>('/chats/:chat_jid/messages', async (request) => {
    const deviceId = deviceIdOf(request);
    const query = request.query as Record<string, unknown>;
    const limit = integerQuery(query.limit, 'limit', 50, 500);
    const before = stringField(query, 'before');
    const page = await core.messages.chatMessages(deviceId, asJid(request.params.chat_jid), before, limit);
    return gomultiSuccess('Success get chat messages', {
      chat_jid: asJid(request.params.chat_jid),
      limit,
      before: before ?? '',
      after: stringField(query, 'after') ?? '',
      messages: page.items.map(gomultiMessage),
      next_before: page.nextCursor ?? '',
    });
  });

  app.post<ChatParams>('/chats/:chat_jid/mark-read', async (request) => {
    await core.messages.markRead(deviceIdOf(request), asJid(request.params.chat_jid));
    return gomultiSuccess('Success mark chat read');
  });

  app.post<ChatParams>('/chats/:chat_jid/presence', async (request) => {
    const body = request.body as Body;
    const state = stringField(body, 'state', 'presence', 'State') ?? 'composing';
    const known = ['composing', 'recording', 'paused', 'available', 'unavailable'] as const;
    const chosen = known.find((s) => s === state);
    if (chosen === undefined) throw missingField('state', known.join(', '));
    await core.messages.presence(deviceIdOf(request), chosen, asJid(request.params.chat_jid));
    return gomultiSuccess('Success send chat presence');
  });

  app.post<MessageParams>('/messages/:message_id/reaction', async (request) => {
    const body = request.body as Body;
    const chatJid = stringField(body, 'chat_jid', 'ChatJID', 'chatjid', 'chatJid');
    if (chatJid === undefined) throw missingField('chat_jid');
    const emoji = typeof body?.emoji === 'string' ? body.emoji : typeof body?.Emoji === 'string' ? body.Emoji : '';
    const deviceId = deviceIdOf(request);
    const message = await dialectSend(core, deviceId, { to: recipient(chatJid), content: { type: 'reaction', messageId: request.params.message_id, emoji } });
    return gomultiSuccess('Success react to message', { message_id: message.messageId });
  });

  app.post<MessageParams>('/messages/:message_id/read', async (request) => {
    const body = request.body as Body;
    const chatJid = stringField(body, 'chat_jid', 'ChatJID', 'chatjid', 'chatJid');
    if (chatJid === undefined) throw missingField('chat_jid');
    await core.messages.markRead(deviceIdOf(request), asJid(chatJid), [request.params.message_id]);
    return gomultiSuccess('Success mark message as read');
  });
}
