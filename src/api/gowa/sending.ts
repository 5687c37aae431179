/**
 * GOWA's send and message routes (`/send/message`, `/send/image`, …,
 * `/message/{id}/reaction|read|download`) over the core's messaging. Bodies
 * are JSON, form or multipart (files under `image`, `file`, `video`,
 * `audio`, `sticker`, or a `*_url` instead), as the original's binder takes
 * them. The device is the one of the /app routes (`X-Device-Id`,
 * `?device_id=`, or the only device). Answers are GOWA's envelope with
 * `results: {message_id, status}` and the original's status sentence.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayCore } from '../../core/gateway.js';
import type { MessageContentInput, MessageView, SendMessageInput } from '../../core/messaging/model.js';
import { booleanField, stringField } from '../compat-shared/credentials.js';
import { DIALECT_SEND_BODY_LIMIT, dialectSend, mediaSourceOf, missingField, numberValue } from '../compat-shared/messaging.js';
import { gowaSuccess } from './render.js';

type Body = Record<string, unknown> | undefined;
type MediaKind = 'image' | 'document' | 'video' | 'audio' | 'sticker';

/** Go's time.Time.String() in UTC: `2026-01-02 15:04:05 +0000 UTC`. */
function goTime(iso: string): string {
  return `${iso.slice(0, 19).replace('T', ' ')} +0000 UTC`;
}

/** GOWA's phone: a number, or a JID (`…@s.whatsapp.net`, `…@g.us`); user JIDs go to the core as numbers so it checks them. */
function recipient(phone: string): string {
  const [user, server] = phone.trim().split('@') as [string, string | undefined];
  return server === undefined || server === 's.whatsapp.net' ? user.split(':')[0]! : phone.trim();
}

/** The JID GOWA's sentences name (SanitizePhone appends @s.whatsapp.net). */
function sanitizedPhone(phone: string): string {
  return phone.includes('@') ? phone.trim() : `${phone.trim()}@s.whatsapp.net`;
}

export function gowaSendRoutes(app: FastifyInstance, core: GatewayCore, deviceOf: (request: FastifyRequest) => string): void {
  const limits = { bodyLimit: DIALECT_SEND_BODY_LIMIT };

  const phoneOf = (body: Body): string => {
    const phone = stringField(body, 'phone');
    if (phone === undefined) throw missingField('phone', 'e.g. "6289685028129@s.whatsapp.net" or a number');
    return phone;
  };

  const replyOf = (body: Body): Pick<SendMessageInput, 'replyTo'> => {
    const id = stringField(body, 'reply_message_id');
    return id === undefined ? {} : { replyTo: id };
  };

  const mentionsOf = (body: Body): Pick<SendMessageInput, 'mentions'> => {
    const raw = body?.mentions;
    const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : [];
    const mentions = list.filter((m): m is string => typeof m === 'string' && m.trim() !== '').map((m) => recipient(m));
    return mentions.length === 0 ? {} : { mentions };
  };

  const answer = (reply: FastifyReply, message: MessageView, sentence: (phone: string, at: string) => string, phone: string) => {
    const status = sentence(sanitizedPhone(phone), goTime(message.timestamp));
    return reply.send(gowaSuccess(status, { message_id: message.messageId, status }));
  };

  const sendFor = async (request: FastifyRequest, content: MessageContentInput, extra: Partial<SendMessageInput> = {}): Promise<{ message: MessageView; phone: string }> => {
    const body = request.body as Body;
    const deviceId = deviceOf(request);
    const phone = phoneOf(body);
    const message = await dialectSend(core, deviceId, { to: recipient(phone), content, ...extra });
    request.log.child({ sessionId: deviceId }).info({ messageId: message.messageId, contentType: message.contentType }, 'gowa message accepted');
    return { message, phone };
  };

  app.post('/send/message', limits, async (request, reply) => {
    const body = request.body as Body;
    const text = typeof body?.message === 'string' ? body.message : undefined;
    if (text === undefined || text.trim() === '') throw missingField('message');
    const { message, phone } = await sendFor(request, { type: 'text', text }, { ...replyOf(body), ...mentionsOf(body) });
    return answer(reply, message, (p, at) => `Message sent to ${p} (server timestamp: ${at})`, phone);
  });

  const mediaRoute = (path: string, field: string, kind: MediaKind, sentence: (phone: string, at: string) => string) => {
    app.post(path, limits, async (request, reply) => {
      const body = request.body as Body;
      const source = mediaSourceOf({ file: body?.[field], url: stringField(body, `${field}_url`) });
      if (source === undefined) throw missingField(field, `upload it as multipart field "${field}" or give ${field}_url`);
      const upload = body?.[field] as { filename?: string | null; mimetype?: string | null } | undefined;
      const caption = typeof body?.caption === 'string' && body.caption !== '' && kind !== 'audio' && kind !== 'sticker' ? body.caption : undefined;
      const mimetype = upload?.mimetype && upload.mimetype !== 'application/octet-stream' ? upload.mimetype : undefined;
      const content: MessageContentInput = {
        type: kind,
        ...source,
        ...(mimetype === undefined ? {} : { mimetype }),
        ...(upload?.filename ? { fileName: upload.filename } : {}),
        ...(caption === undefined ? {} : { caption }),
        ...(kind === 'audio' ? { voiceNote: booleanField(body, 'ptt') === true } : {}),
      };
      const { message, phone } = await sendFor(request, content, replyOf(body));
      return answer(reply, message, sentence, phone);
    });
  };
  mediaRoute('/send/image', 'image', 'image', (p, at) => `Message sent to ${p} (server timestamp: ${at})`);
  mediaRoute('/send/file', 'file', 'document', (p, at) => `Document sent to ${p} (server timestamp: ${at})`);
  mediaRoute('/send/video', 'video', 'video', (p, at) => `Video sent to ${p} (server timestamp: ${at})`);
  mediaRoute('/send/audio', 'audio', 'audio', (p, at) => `Send audio success ${p} (server timestamp: ${at})`);
  mediaRoute('/send/sticker', 'sticker', 'sticker', (p, at) => `Sticker sent to ${p} (server timestamp: ${at})`);

  app.post('/send/location', async (request, reply) => {
    const body = request.body as Body;
    const latitude = numberValue(body?.latitude);
    const longitude = numberValue(body?.longitude);
    if (latitude === undefined) throw missingField('latitude');
    if (longitude === undefined) throw missingField('longitude');
    const { message, phone } = await sendFor(request, { type: 'location', latitude, longitude });
    return answer(reply, message, (p, at) => `Send location success ${p} (server timestamp: ${at})`, phone);
  });

  app.post('/send/contact', async (request, reply) => {
    const body = request.body as Body;
    const name = stringField(body, 'contact_name');
    const contactPhone = stringField(body, 'contact_phone')?.replace(/\D/g, '');
    if (name === undefined) throw missingField('contact_name');
    if (contactPhone === undefined || contactPhone === '') throw missingField('contact_phone');
    const { message, phone } = await sendFor(request, { type: 'contact', displayName: name, phoneNumber: contactPhone });
    return answer(reply, message, (p, at) => `Contact sent to ${p} (server timestamp: ${at})`, phone);
  });

  app.post('/send/chat-presence', async (request, reply) => {
    const body = request.body as Body;
    const deviceId = deviceOf(request);
    const phone = phoneOf(body);
    const action = stringField(body, 'action');
    if (action !== 'start' && action !== 'stop') throw missingField('action', 'start or stop');
    await core.messages.presence(deviceId, action === 'start' ? 'composing' : 'paused', sanitizedPhone(phone));
    const status = `Chat presence ${action} success ${sanitizedPhone(phone)}`;
    return reply.send(gowaSuccess(status, { message_id: '', status }));
  });

  app.post('/send/presence', async (request, reply) => {
    const type = stringField(request.body, 'type') ?? 'available';
    if (type !== 'available' && type !== 'unavailable') throw missingField('type', 'available or unavailable');
    await core.messages.presence(deviceOf(request), type, null);
    const status = `Send presence success ${type}`;
    return reply.send(gowaSuccess(status, { message_id: '', status }));
  });

  type MessageParams = { Params: { message_id: string } };

  app.post<MessageParams>('/message/:message_id/reaction', async (request, reply) => {
    const body = request.body as Body;
    const emoji = typeof body?.emoji === 'string' ? body.emoji : undefined;
    if (emoji === undefined) throw missingField('emoji', 'an emoji, or "" to remove the reaction');
    const { message, phone } = await sendFor(request, { type: 'reaction', messageId: request.params.message_id, emoji });
    return answer(reply, message, (p, at) => `Reaction sent to ${p} (server timestamp: ${at})`, phone);
  });

  app.post<MessageParams>('/message/:message_id/read', async (request, reply) => {
    const deviceId = deviceOf(request);
    const phone = phoneOf(request.body as Body);
    await core.messages.markRead(deviceId, sanitizedPhone(phone), [request.params.message_id]);
    const status = `Mark as read success ${request.params.message_id}`;
    return reply.send(gowaSuccess(status, { message_id: request.params.message_id, status }));
  });

  // The original saves the file and answers where it lies; we stream it from WhatsApp on demand at file_url.
  app.get<MessageParams>('/message/:message_id/download', async (request, reply) => {
    const deviceId = deviceOf(request);
    const view = await core.messages.get(deviceId, request.params.message_id);
    const media = await core.messages.media(deviceId, view.messageId);
    const fileUrl = `${request.protocol}://${request.host}${request.url.split('?')[0]}/file${deviceQuery(request, deviceId)}`;
    return reply.send(
      gowaSuccess('Media downloaded successfully', {
        message_id: view.messageId,
        status: 'Media downloaded successfully',
        media_type: view.contentType,
        filename: media.fileName ?? view.messageId,
        file_path: '',
        file_url: fileUrl,
        file_size: media.bytes.length,
      }),
    );
  });

  app.get<MessageParams>('/message/:message_id/download/file', async (request, reply) => {
    const media = await core.messages.media(deviceOf(request), request.params.message_id);
    if (media.fileName) reply.header('content-disposition', `attachment; filename="${media.fileName.replace(/["\\\r\n]/g, '_')}"`);
    return reply.type(media.mimetype).header('cache-control', 'private, no-store').send(media.bytes);
  });
}

function deviceQuery(request: FastifyRequest, deviceId: string): string {
  return stringField(request.query, 'device_id') === undefined ? '' : `?device_id=${encodeURIComponent(deviceId)}`;
}
