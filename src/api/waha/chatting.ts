/**
 * WAHA's chatting routes (`/api/sendText`, `/api/sendImage`, …, `PUT
 * /api/reaction`, `/api/sendSeen`, typing) and chat history
 * (`/api/{session}/chats…`, `/api/messages`), over the core's messaging.
 * The session comes in the body (`session`, default `default`), as in WAHA.
 * Sends answer 201 (NestJS's default for POST) with WAHA NOWEB's message
 * record; a session that is not WORKING is WAHA's 422 listing the expected status.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatewayError } from '../../core/errors.js';
import type { GatewayCore } from '../../core/gateway.js';
import type { MessageContentInput, MessageView, SendMessageInput } from '../../core/messaging/model.js';
import { authorizeRequest } from '../http/auth.js';
import { stringField } from '../compat-shared/credentials.js';
import { DIALECT_SEND_BODY_LIMIT, dialectSend, integerQuery, mediaSourceOf, missingField, numberValue } from '../compat-shared/messaging.js';
import { chatTarget, parseMessageId, toCus, toJid } from './ids.js';
import { wahaMessage, wahaSendAnswer } from './wahaMessage.js';

export const WAHA_CHATTING_ROOT_PATHS = [
  '/api/sendText',
  '/api/sendImage',
  '/api/sendFile',
  '/api/sendVoice',
  '/api/sendVideo',
  '/api/sendLocation',
  '/api/sendContactVcard',
  '/api/reply',
  '/api/reaction',
  '/api/sendSeen',
  '/api/startTyping',
  '/api/stopTyping',
  '/api/messages',
  '/api/files',
  '/api/:session/chats',
];

const DEFAULT_SESSION = 'default';
const MAX_PAGE = 1000;

type Body = Record<string, unknown> | undefined;
type MediaKind = 'image' | 'document' | 'audio' | 'video';

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

export function wahaChattingRoutes(app: FastifyInstance, core: GatewayCore): void {
  const send = { bodyLimit: DIALECT_SEND_BODY_LIMIT };

  /** The session a request names (body or query, default `default`), once the key may use it (404 when unknown). */
  const sessionOf = (request: FastifyRequest, source: unknown): string => {
    const name = stringField(source, 'session', 'sessionName') ?? DEFAULT_SESSION;
    authorizeRequest(request, { action: 'session.use', sessionId: name });
    core.sessions.get(name);
    return name;
  };

  const chatIdOf = (body: Body): string => {
    const chatId = stringField(body, 'chatId', 'phone');
    if (chatId === undefined) throw missingField('chatId', 'e.g. "11111111111@c.us"');
    return chatId;
  };

  /** `reply_to` as WAHA sends it (`false_111@c.us_ABC`) or a bare id. */
  const replyOf = (body: Body): Pick<SendMessageInput, 'replyTo'> => {
    const replyTo = stringField(body, 'reply_to', 'replyTo', 'quotedMessageId');
    return replyTo === undefined ? {} : { replyTo: parseMessageId(replyTo).id };
  };

  const mentionsOf = (body: Body): Pick<SendMessageInput, 'mentions'> => {
    const mentions = body?.mentions;
    if (!Array.isArray(mentions)) return {};
    return { mentions: mentions.filter((m): m is string => typeof m === 'string').map(chatTarget) };
  };

  const sendAndAnswer = async (request: FastifyRequest, content: MessageContentInput, extra: Partial<SendMessageInput> = {}, body = request.body as Body) => {
    const session = sessionOf(request, body);
    const to = chatTarget(chatIdOf(body));
    const message = await dialectSend(core, session, { to, content, ...extra });
    request.log.child({ sessionId: session }).info({ messageId: message.messageId, contentType: message.contentType }, 'waha message accepted');
    return wahaSendAnswer(message);
  };

  const sendText = async (request: FastifyRequest) => {
    const body = request.body as Body;
    const text = typeof body?.text === 'string' ? body.text : undefined;
    if (text === undefined) throw missingField('text');
    return sendAndAnswer(request, { type: 'text', text }, { ...replyOf(body), ...mentionsOf(body) });
  };

  app.post('/api/sendText', send, async (request, reply) => reply.code(201).send(await sendText(request)));
  // Deprecated in WAHA, still served: reply = sendText with reply_to.
  app.post('/api/reply', send, async (request, reply) => reply.code(201).send(await sendText(request)));
  // WAHA's deprecated GET form: ?session=&phone=&text=
  app.get('/api/sendText', async (request) => {
    const query = request.query as Record<string, unknown>;
    const text = stringField(query, 'text');
    if (text === undefined) throw missingField('text');
    return sendAndAnswer(request, { type: 'text', text }, {}, query);
  });

  /** `file: {mimetype, filename?, url? | data?}` → media content of `kind`. */
  const mediaRoute = (path: string, kind: MediaKind, extra: { voiceNote?: boolean } = {}) => {
    app.post(path, send, async (request, reply) => {
      const body = request.body as Body;
      const file = record(body?.file);
      if (file === undefined) throw missingField('file', 'send {mimetype, url} or {mimetype, data} (base64)');
      const source = mediaSourceOf({ url: stringField(file, 'url'), base64: stringField(file, 'data') });
      if (source === undefined) throw missingField('file.url', 'or file.data (base64)');
      const caption = typeof body?.caption === 'string' ? body.caption : undefined;
      const content: MessageContentInput = {
        type: kind,
        ...source,
        ...(stringField(file, 'mimetype') === undefined ? {} : { mimetype: stringField(file, 'mimetype') }),
        ...(stringField(file, 'filename') === undefined ? {} : { fileName: stringField(file, 'filename') }),
        ...(caption === undefined || kind === 'audio' ? {} : { caption }),
        ...extra,
      };
      return reply.code(201).send(await sendAndAnswer(request, content, replyOf(body)));
    });
  };
  mediaRoute('/api/sendImage', 'image');
  mediaRoute('/api/sendFile', 'document');
  mediaRoute('/api/sendVoice', 'audio', { voiceNote: true });
  mediaRoute('/api/sendVideo', 'video');

  app.post('/api/sendLocation', async (request, reply) => {
    const body = request.body as Body;
    const latitude = numberValue(body?.latitude);
    const longitude = numberValue(body?.longitude);
    if (latitude === undefined) throw missingField('latitude');
    if (longitude === undefined) throw missingField('longitude');
    const title = stringField(body, 'title');
    const content: MessageContentInput = { type: 'location', latitude, longitude, ...(title === undefined ? {} : { name: title }) };
    return reply.code(201).send(await sendAndAnswer(request, content, replyOf(body)));
  });

  // contacts: [{vcard}] or [{fullName, organization?, phoneNumber, whatsappId?}]; one message each, as WhatsApp shows them.
  app.post('/api/sendContactVcard', async (request, reply) => {
    const body = request.body as Body;
    const contacts = Array.isArray(body?.contacts) ? body.contacts.map(record) : [];
    if (contacts.length === 0 || contacts.some((c) => c === undefined)) throw missingField('contacts', 'a list of {vcard} or {fullName, phoneNumber}');
    const answers: Record<string, unknown>[] = [];
    for (const contact of contacts as Record<string, unknown>[]) {
      const vcard = stringField(contact, 'vcard');
      const fullName = stringField(contact, 'fullName') ?? (vcard === undefined ? undefined : /^FN:(.*)$/m.exec(vcard)?.[1]?.trim());
      const phone = stringField(contact, 'whatsappId', 'phoneNumber')?.replace(/\D/g, '');
      if (fullName === undefined) throw missingField('contacts[].fullName');
      if (vcard === undefined && (phone === undefined || phone === '')) throw missingField('contacts[].phoneNumber', 'or contacts[].vcard');
      const content: MessageContentInput = { type: 'contact', displayName: fullName, ...(vcard === undefined ? { phoneNumber: phone } : { vcard }) };
      answers.push(await sendAndAnswer(request, content));
    }
    return reply.code(201).send(answers.length === 1 ? answers[0] : answers);
  });

  /** The chat and bare id of a WAHA message id; a bare id is looked up in the session. */
  const messageRef = async (session: string, messageId: string): Promise<{ id: string; chatJid: string }> => {
    const parsed = parseMessageId(messageId);
    if (parsed.chatJid !== null) return { id: parsed.id, chatJid: parsed.chatJid };
    const stored: MessageView = await core.messages.get(session, parsed.id);
    return { id: parsed.id, chatJid: stored.chat.jid };
  };

  app.put('/api/reaction', async (request) => {
    const body = request.body as Body;
    const session = sessionOf(request, body);
    const messageId = stringField(body, 'messageId');
    if (messageId === undefined) throw missingField('messageId', 'e.g. "false_11111111111@c.us_AAAAAAAAAAAAAAAAAAAA"');
    const reaction = typeof body?.reaction === 'string' ? body.reaction : undefined;
    if (reaction === undefined) throw missingField('reaction', 'an emoji, or "" to remove the reaction');
    const target = await messageRef(session, messageId);
    const message = await dialectSend(core, session, { to: chatTarget(target.chatJid), content: { type: 'reaction', messageId: target.id, emoji: reaction } });
    return wahaSendAnswer(message);
  });

  app.post('/api/sendSeen', async (request, reply) => {
    const body = request.body as Body;
    const session = sessionOf(request, body);
    const messageId = stringField(body, 'messageId');
    const ids = Array.isArray(body?.messageIds) ? body.messageIds.filter((m): m is string => typeof m === 'string') : [];
    if (messageId !== undefined) ids.push(messageId);
    const chatId = stringField(body, 'chatId') ?? (ids[0] === undefined ? undefined : parseMessageId(ids[0]).chatJid ?? undefined);
    if (chatId === undefined) throw missingField('chatId');
    await core.messages.markRead(session, toJid(chatId), ids.length === 0 ? undefined : ids.map((id) => parseMessageId(id).id));
    return reply.code(201).send();
  });

  const typing = (path: string, state: 'composing' | 'paused') => {
    app.post(path, async (request, reply) => {
      const body = request.body as Body;
      const session = sessionOf(request, body);
      await core.messages.presence(session, state, toJid(chatIdOf(body)));
      return reply.code(201).send({ result: true });
    });
  };
  typing('/api/startTyping', 'composing');
  typing('/api/stopTyping', 'paused');

  // ---- history ---------------------------------------------------------------

  /** WAHA pages by offset; the core by cursor: walk the cursor to the offset. */
  const chatMessages = async (session: string, chatId: string, limit: number, offset = 0): Promise<Record<string, unknown>[]> => {
    const page = await core.messages.chatMessages(session, toJid(chatId), undefined, Math.min(offset + limit, MAX_PAGE));
    return page.items.slice(offset, offset + limit).map(wahaMessage);
  };

  app.get<{ Params: { session: string } }>('/api/:session/chats', async (request) => {
    const session = sessionOf(request, { session: request.params.session });
    const query = request.query as Record<string, unknown>;
    const limit = integerQuery(query.limit, 'limit', 100, MAX_PAGE);
    const offset = integerQuery(query.offset, 'offset', 0, MAX_PAGE);
    const page = await core.messages.chats(session, undefined, Math.min(offset + limit, MAX_PAGE));
    return page.items.slice(offset, offset + limit).map((chat) => ({
      id: toCus(chat.chat.jid),
      name: null,
      conversationTimestamp: Math.floor(Date.parse(chat.lastMessageAt) / 1000),
    }));
  });

  app.get<{ Params: { session: string; chatId: string } }>('/api/:session/chats/:chatId/messages', async (request) => {
    const session = sessionOf(request, { session: request.params.session });
    const query = request.query as Record<string, unknown>;
    return chatMessages(session, request.params.chatId, integerQuery(query.limit, 'limit', 100, MAX_PAGE), integerQuery(query.offset, 'offset', 0, MAX_PAGE));
  });

  // The older form: GET /api/messages?session=&chatId=&limit=
  app.get('/api/messages', async (request) => {
    const query = request.query as Record<string, unknown>;
    const session = sessionOf(request, query);
    const chatId = stringField(query, 'chatId');
    if (chatId === undefined) throw missingField('chatId');
    return chatMessages(session, chatId, integerQuery(query.limit, 'limit', 100, MAX_PAGE));
  });

  // Media of received messages (WAMessage.media.url points here); `downloadMedia` needs no work: media is always offered by URL.
  app.get<{ Params: { session: string; file: string } }>('/api/files/:session/:file', async (request, reply) => {
    const session = sessionOf(request, { session: request.params.session });
    const messageId = parseMessageId(request.params.file.replace(/\.[A-Za-z0-9]+$/, '')).id;
    const media = await core.messages.media(session, messageId);
    if (media.fileName) reply.header('content-disposition', `attachment; filename="${media.fileName.replace(/["\\\r\n]/g, '_')}"`);
    return reply.type(media.mimetype).header('cache-control', 'private, no-store').send(media.bytes);
  });

}
