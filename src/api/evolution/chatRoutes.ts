/**
 * The `/chat/*` calls n8n flows use around messages: which numbers have
 * WhatsApp, mark as read, send a presence, and fetch a received message's
 * media as base64 (for transcription or storage).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatewayError } from '../../core/errors.js';
import type { GatewayCore } from '../../core/gateway.js';
import { authorizeRequest } from '../http/auth.js';
import { stringField } from '../compat-shared/credentials.js';
import { MAX_DELAY_MS } from './messageRoutes.js';
import { asBody, delayOf } from './sendBodies.js';

type InstanceParams = { instanceName: string };

const PRESENCES = ['available', 'unavailable', 'composing', 'recording', 'paused'] as const;

export function registerChatRoutes(app: FastifyInstance, core: GatewayCore): void {
  const instance = (request: FastifyRequest<{ Params: InstanceParams }>): string => {
    const name = request.params.instanceName;
    authorizeRequest(request, { action: 'session.use', sessionId: name });
    core.sessions.get(name);
    return name;
  };

  // Evolution answers [{exists, jid, number}] in the order asked, with the JID also for a number without WhatsApp.
  app.post<{ Params: InstanceParams }>('/chat/whatsappNumbers/:instanceName', async (request, reply) => {
    const name = instance(request);
    const numbers = asBody(request.body).numbers;
    if (!Array.isArray(numbers) || numbers.length === 0 || numbers.some((n) => typeof n !== 'string' || n.trim() === '')) {
      throw new GatewayError('BAD_REQUEST', '"numbers" must list the phone numbers to check', { field: 'numbers' });
    }
    const asked = (numbers as string[]).map((n) => n.trim());
    const checks = await core.messages.checkNumbers(name, asked.map((n) => n.split('@')[0]!.split(':')[0]!));
    return reply.code(200).send(
      checks.map((check, i) => ({
        exists: check.exists,
        jid: check.jid ?? `${check.phoneNumber}@s.whatsapp.net`,
        number: asked[i],
        ...(check.lid === null ? {} : { lid: check.lid }),
      })),
    );
  });

  app.post<{ Params: InstanceParams }>('/chat/markMessageAsRead/:instanceName', async (request, reply) => {
    const name = instance(request);
    const keys = asBody(request.body).readMessages;
    if (!Array.isArray(keys) || keys.length === 0) throw new GatewayError('BAD_REQUEST', '"readMessages" must list the message keys to mark', { field: 'readMessages' });
    const byChat = new Map<string, string[]>();
    for (const key of keys.map(asBody)) {
      const chat = stringField(key, 'remoteJid');
      const id = stringField(key, 'id');
      if (chat === undefined || id === undefined) throw new GatewayError('BAD_REQUEST', 'every key in "readMessages" needs remoteJid and id', { field: 'readMessages' });
      byChat.set(chat, [...(byChat.get(chat) ?? []), id]);
    }
    for (const [chat, ids] of byChat) await core.messages.markRead(name, chat, ids);
    return reply.code(201).send({ message: 'Read messages', read: 'success' });
  });

  app.post<{ Params: InstanceParams }>('/chat/sendPresence/:instanceName', async (request, reply) => {
    const name = instance(request);
    const body = asBody(request.body);
    const number = stringField(body, 'number');
    if (number === undefined) throw new GatewayError('BAD_REQUEST', '"number" is required', { field: 'number' });
    const presence = PRESENCES.find((p) => p === stringField(body, 'presence'));
    if (presence === undefined) throw new GatewayError('BAD_REQUEST', `"presence" must be one of ${PRESENCES.join(', ')}`, { field: 'presence' });
    await core.messages.presence(name, presence, number);
    // As Evolution: hold the presence for `delay` ms, then pause.
    const delayMs = Math.min(delayOf(body), MAX_DELAY_MS);
    if (delayMs > 0 && (presence === 'composing' || presence === 'recording')) {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      await core.messages.presence(name, 'paused', number);
    }
    return reply.code(201).send({ presence });
  });

  app.post<{ Params: InstanceParams }>('/chat/getBase64FromMediaMessage/:instanceName', async (request, reply) => {
    const name = instance(request);
    const id = stringField(asBody(asBody(asBody(request.body).message).key), 'id');
    if (id === undefined) throw new GatewayError('BAD_REQUEST', '"message.key.id" is required', { field: 'message.key.id' });
    const message = await core.messages.get(name, id);
    const media = await core.messages.media(name, id);
    return reply.code(201).send({
      mediaType: `${message.content.type}Message`,
      fileName: media.fileName ?? message.content.fileName ?? null,
      caption: message.content.caption ?? null,
      size: { fileLength: media.bytes.length },
      mimetype: media.mimetype,
      base64: media.bytes.toString('base64'),
      buffer: null,
    });
  });
}
