/**
 * Evolution API's `/message/send*` routes on the core's messaging. Answers
 * are 201 with the message as Evolution shows it, status PENDING (receipts
 * follow as `messages.update` webhooks), as Evolution's own answers are.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GatewayCore } from '../../core/gateway.js';
import type { SendMessageInput } from '../../core/messaging/model.js';
import { authorizeRequest } from '../http/auth.js';
// Bodies with base64 media are large: the same cap as the native send route.
import { SEND_BODY_LIMIT_BYTES } from '../native/routes/messages.js';
import { evolutionMessageRecord } from './messageRecord.js';
import { asBody, audioInput, contactInput, delayOf, locationInput, mediaInput, reactionInput, stickerInput, textInput, type Body } from './sendBodies.js';

type InstanceParams = { instanceName: string };

/** The longest "typing…" pause a `delay` buys; longer values are cut to this (a request must not hang for minutes). */
export const MAX_DELAY_MS = 20_000;


const ROUTES: Record<string, (body: Body) => SendMessageInput> = {
  sendText: textInput,
  sendMedia: mediaInput,
  sendWhatsAppAudio: audioInput,
  sendSticker: stickerInput,
  sendLocation: locationInput,
  sendContact: contactInput,
  sendReaction: reactionInput,
};

export function registerMessageRoutes(app: FastifyInstance, core: GatewayCore): void {
  /** Evolution's `delay`: show "composing" for that long, then send. A presence that fails does not stop the send. */
  const typingPause = async (request: FastifyRequest, name: string, input: SendMessageInput, delayMs: number): Promise<void> => {
    if (delayMs <= 0 || !core.sessions.get(name).connected || input.content.type === 'reaction') return;
    const log = request.log.child({ sessionId: name });
    const presence = async (state: 'composing' | 'recording' | 'paused'): Promise<void> => {
      try {
        await core.messages.presence(name, state, input.to);
      } catch (err) {
        log.warn({ err }, 'evolution delay: could not send a presence');
      }
    };
    await presence(input.content.type === 'audio' ? 'recording' : 'composing');
    await new Promise((resolve) => setTimeout(resolve, Math.min(delayMs, MAX_DELAY_MS)));
    await presence('paused');
  };

  for (const [route, parse] of Object.entries(ROUTES)) {
    app.post<{ Params: InstanceParams }>(`/message/${route}/:instanceName`, { bodyLimit: SEND_BODY_LIMIT_BYTES }, async (request, reply) => {
      const name = request.params.instanceName;
      authorizeRequest(request, { action: 'session.use', sessionId: name });
      core.sessions.get(name);
      const body = asBody(request.body);
      const input = parse(body);
      await typingPause(request, name, input, delayOf(body));
      const { message } = await core.messages.send(name, input);
      return reply.code(201).send(evolutionMessageRecord(message, message.status === 'failed' ? 'ERROR' : 'PENDING'));
    });
  }
}
