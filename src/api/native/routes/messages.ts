/** Messaging: send (any type, idempotent), read back with status history, chats, media, read receipts, presence. */
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { GatewayError } from '../../../core/errors.js';
import { CONTENT_TYPES, parseContentInput } from '../../../core/messaging/contentInput.js';
import type { MessageContentInput, MessageView } from '../../../core/messaging/model.js';
import { SessionIdSchema } from '../../http/params.js';
import { BEARER, type NativeApp, type NativeContext } from '../context.js';
import { ChatSchema, MessageSchema, MultipartSendBody, PageQuery, PresenceBody, ReadBody, SendAnswerSchema, SendMessageBody } from '../messageSchemas.js';
import { dataOf, errorResponses } from '../schemas.js';

const TAGS = ['Messages'];
/** base64 of WhatsApp's 16 MB media limit, plus the JSON around it. */
export const SEND_BODY_LIMIT_BYTES = 24 * 1024 * 1024;

const SessionParams = Type.Object({ sessionId: SessionIdSchema });
const MessageParams = Type.Object({ sessionId: SessionIdSchema, messageId: Type.String({ minLength: 1, maxLength: 128 }) });
const ChatParams = Type.Object({ sessionId: SessionIdSchema, chatId: Type.String({ minLength: 1, maxLength: 128 }) });
const TypeParams = Type.Object({ sessionId: SessionIdSchema, type: Type.Enum([...CONTENT_TYPES]) });
const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'Same key and content within 24 h: the stored record, nothing sent again' })),
});

/** WADial's send answer: the message plus its `to`, `text` and `mediaUrl` at the top. */
function sendAnswer(message: MessageView) {
  return {
    ...message,
    to: message.to ?? message.chat.jid,
    text: message.content.text ?? message.content.caption ?? null,
    mediaUrl: message.content.mediaUrl ?? null,
  };
}

const SEND_ERRORS = errorResponses(
  'VALIDATION_FAILED',
  'INVALID_PHONE_NUMBER',
  'INVALID_MEDIA',
  'URL_NOT_ALLOWED',
  'FORBIDDEN',
  'SESSION_NOT_FOUND',
  'MESSAGE_NOT_FOUND',
  'IDEMPOTENCY_CONFLICT',
  'MEDIA_TOO_LARGE',
  'SESSION_NOT_READY',
  'NOT_ON_WHATSAPP',
  'MEDIA_FETCH_FAILED',
  'SEND_BACKLOG_FULL',
);

/** JSON, or a file upload: multipart fields `to`, `type`, `caption`, `fileName`, `voiceNote`, `replyTo`, `mentions` and one `file`. */
const SEND_BODY = {
  content: {
    'application/json': { schema: SendMessageBody },
    'multipart/form-data': { schema: MultipartSendBody },
  },
};

interface Upload {
  bytes: Buffer;
  mimetype: string;
  fileName: string;
}

interface SendBody {
  to: string;
  content: Record<string, unknown>;
  file?: Upload;
  replyTo?: string;
  mentions?: string[];
}

/** One shape for both encodings; the path's type wins only when the body agrees. */
function sendBodyOf(raw: unknown, pathType: string | undefined): SendBody {
  const body = raw as Record<string, unknown>;
  let parsed: SendBody;
  if (body.file !== undefined || body.content === undefined) {
    // multipart: flat fields
    const text = (name: string): string | undefined => (typeof body[name] === 'string' ? (body[name] as string) : undefined);
    const mentions = text('mentions');
    parsed = {
      to: text('to') ?? '',
      content: {
        ...(text('type') !== undefined ? { type: text('type') } : {}),
        ...(text('caption') !== undefined ? { caption: text('caption') } : {}),
        ...(text('fileName') !== undefined ? { fileName: text('fileName') } : {}),
        ...(text('mimetype') !== undefined ? { mimetype: text('mimetype') } : {}),
        ...(text('voiceNote') !== undefined ? { voiceNote: text('voiceNote') === 'true' } : {}),
      },
      ...(body.file !== undefined ? { file: body.file as Upload } : {}),
      ...(text('replyTo') !== undefined ? { replyTo: text('replyTo') } : {}),
      ...(mentions !== undefined ? { mentions: mentions.split(',').map((m) => m.trim()).filter(Boolean) } : {}),
    };
  } else {
    parsed = body as unknown as SendBody;
  }
  if (pathType !== undefined) {
    if (parsed.content.type !== undefined && parsed.content.type !== pathType) {
      throw new GatewayError('VALIDATION_FAILED', `content.type is ${String(parsed.content.type)} but the path says ${pathType}`, { field: 'body.content.type' });
    }
    parsed = { ...parsed, content: { ...parsed.content, type: pathType } };
  }
  return parsed;
}

const UPLOAD_TYPES = new Set(['image', 'video', 'audio', 'document', 'sticker']);

function uploadedContent(fields: Record<string, unknown>, file: Upload): MessageContentInput {
  const type = String(fields.type ?? '');
  if (!UPLOAD_TYPES.has(type)) {
    throw new GatewayError('VALIDATION_FAILED', 'A file upload needs type image, video, audio, document or sticker', { field: 'body.type' });
  }
  return {
    type: type as 'image' | 'video' | 'audio' | 'document' | 'sticker',
    bytes: file.bytes,
    mimetype: typeof fields.mimetype === 'string' ? fields.mimetype : file.mimetype,
    fileName: typeof fields.fileName === 'string' ? fields.fileName : file.fileName,
    ...(typeof fields.caption === 'string' ? { caption: fields.caption } : {}),
    ...(typeof fields.voiceNote === 'boolean' ? { voiceNote: fields.voiceNote } : {}),
  };
}

export function messageRoutes(app: NativeApp, { core }: NativeContext): void {
  const messages = core.messages;

  const send = async (
    sessionId: string,
    raw: unknown,
    key: string | undefined,
    reply: FastifyReply,
    pathType?: string,
  ) => {
    const body = sendBodyOf(raw, pathType);
    const content = body.file ? uploadedContent(body.content, body.file) : parseContentInput(body.content);
    const { message, replayed } = await messages.send(
      sessionId,
      { to: body.to, content, ...(body.replyTo !== undefined ? { replyTo: body.replyTo } : {}), ...(body.mentions ? { mentions: body.mentions } : {}) },
      key,
    );
    if (replayed) reply.header('idempotent-replayed', 'true');
    return reply.status(replayed ? 200 : 201).send({ data: sendAnswer(message) });
  };

  app.post(
    '/sessions/:sessionId/messages',
    {
      bodyLimit: SEND_BODY_LIMIT_BYTES,
      schema: {
        summary: 'Send a message',
        description:
          'Sends `{to, content: {type, …}}`: text, image, video, audio (voiceNote), document, sticker, location, contact, ' +
          'reaction. The message is stored and queued before WhatsApp is asked, so it survives a restart and is sent once. ' +
          'Refused before queueing: a session that is not connected (422 SESSION_NOT_READY; a linked session that is ' +
          'reconnecting or moving between nodes gets up to 10 s first), a number not on WhatsApp ' +
          '(422 NOT_ON_WHATSAPP), a session with as many messages waiting to be sent as it may (429 SEND_BACKLOG_FULL, ' +
          'with `Retry-After`: nothing is stored and the `Idempotency-Key` stays free; WAGATE_MAX_PENDING_SENDS). ' +
          'With `Idempotency-Key`, a retry returns the stored record (200) and sends nothing.',
        tags: TAGS,
        security: BEARER,
        params: SessionParams,
        headers: IdempotencyHeaders,
        body: SEND_BODY,
        response: { 201: dataOf(SendAnswerSchema, 'Accepted (status pending or sent)'), 200: dataOf(SendAnswerSchema, 'An idempotent replay'), ...SEND_ERRORS },
      },
    },
    async (request, reply) =>
      send(request.params.sessionId, request.body, request.headers['idempotency-key'], reply as unknown as FastifyReply),
  );

  app.post(
    '/sessions/:sessionId/messages/:type',
    {
      bodyLimit: SEND_BODY_LIMIT_BYTES,
      schema: {
        summary: 'Send a message of one type',
        description: 'The same as `POST …/messages`, with the content type in the path.',
        tags: TAGS,
        security: BEARER,
        params: TypeParams,
        headers: IdempotencyHeaders,
        body: SEND_BODY,
        response: { 201: dataOf(SendAnswerSchema), 200: dataOf(SendAnswerSchema), ...SEND_ERRORS },
      },
    },
    async (request, reply) =>
      send(request.params.sessionId, request.body, request.headers['idempotency-key'], reply as unknown as FastifyReply, request.params.type),
  );

  app.get(
    '/sessions/:sessionId/messages/:messageId',
    {
      schema: {
        summary: 'A message and its status history',
        tags: TAGS,
        security: BEARER,
        params: MessageParams,
        response: { 200: dataOf(MessageSchema), ...errorResponses('FORBIDDEN', 'SESSION_NOT_FOUND', 'MESSAGE_NOT_FOUND') },
      },
    },
    async (request) => ({ data: await messages.get(request.params.sessionId, request.params.messageId) }),
  );

  app.get(
    '/sessions/:sessionId/messages/:messageId/media',
    {
      schema: {
        summary: 'Download the media of a received message',
        description: 'Streams the file, decrypted on demand. The gateway keeps only the reference, not the file.',
        tags: TAGS,
        security: BEARER,
        params: MessageParams,
        response: {
          200: { description: 'The file', content: { 'application/octet-stream': { schema: Type.String({ format: 'binary' }) } } },
          ...errorResponses('FORBIDDEN', 'SESSION_NOT_FOUND', 'MESSAGE_NOT_FOUND', 'MEDIA_NOT_AVAILABLE', 'SESSION_NOT_READY', 'ENGINE_ERROR'),
        },
      },
    },
    async (request, reply) => {
      const media = await messages.media(request.params.sessionId, request.params.messageId);
      const raw = reply as unknown as FastifyReply;
      if (media.fileName) raw.header('content-disposition', `attachment; filename="${media.fileName.replace(/["\\\r\n]/g, '_')}"`);
      return raw.type(media.mimetype).header('cache-control', 'private, no-store').send(media.bytes);
    },
  );

  app.get(
    '/sessions/:sessionId/chats',
    {
      schema: {
        summary: 'Chats, newest first',
        description: 'Chats this session sent or received messages in. Cursor-paged: pass `nextCursor` as `before`.',
        tags: TAGS,
        security: BEARER,
        params: SessionParams,
        querystring: PageQuery,
        response: {
          200: Type.Object({ data: Type.Array(ChatSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }),
          ...errorResponses('VALIDATION_FAILED', 'FORBIDDEN', 'SESSION_NOT_FOUND'),
        },
      },
    },
    async (request) => {
      const page = await messages.chats(request.params.sessionId, request.query.before, request.query.limit ?? 50);
      return { data: page.items, nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/sessions/:sessionId/chats/:chatId/messages',
    {
      schema: {
        summary: 'Messages of one chat, newest first',
        description: '`chatId` is a phone number or a JID. Cursor-paged: pass `nextCursor` as `before`.',
        tags: TAGS,
        security: BEARER,
        params: ChatParams,
        querystring: PageQuery,
        response: {
          200: Type.Object({ data: Type.Array(MessageSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }),
          ...errorResponses('VALIDATION_FAILED', 'INVALID_PHONE_NUMBER', 'FORBIDDEN', 'SESSION_NOT_FOUND'),
        },
      },
    },
    async (request) => {
      const page = await messages.chatMessages(request.params.sessionId, request.params.chatId, request.query.before, request.query.limit ?? 50);
      return { data: page.items, nextCursor: page.nextCursor };
    },
  );

  app.post(
    '/sessions/:sessionId/chats/:chatId/read',
    {
      schema: {
        summary: 'Mark a chat read',
        description: 'Sends read receipts for the chat\'s received messages (the newest 100), or for `messageIds`.',
        tags: TAGS,
        security: BEARER,
        params: ChatParams,
        body: ReadBody,
        response: {
          200: dataOf(Type.Object({ read: Type.Integer() })),
          ...errorResponses('VALIDATION_FAILED', 'FORBIDDEN', 'SESSION_NOT_FOUND', 'SESSION_NOT_READY', 'ENGINE_ERROR'),
        },
      },
    },
    async (request) => ({ data: await messages.markRead(request.params.sessionId, request.params.chatId, request.body.messageIds) }),
  );

  app.post(
    '/sessions/:sessionId/presence',
    {
      schema: {
        summary: 'Set presence',
        description: 'Typing (`composing`), `recording`, `paused` in a chat, or `available`/`unavailable` for the account.',
        tags: TAGS,
        security: BEARER,
        params: SessionParams,
        body: PresenceBody,
        response: {
          200: dataOf(Type.Object({ state: Type.String(), chatId: Type.Union([Type.String(), Type.Null()]) })),
          ...errorResponses('VALIDATION_FAILED', 'FORBIDDEN', 'SESSION_NOT_FOUND', 'SESSION_NOT_READY', 'ENGINE_ERROR'),
        },
      },
    },
    async (request) => {
      const chatId = request.body.chatId ?? null;
      await messages.presence(request.params.sessionId, request.body.state, chatId);
      return { data: { state: request.body.state, chatId } };
    },
  );
}
