/**
 * Conversation routes of the sandbox control API: a simulated phone sends a
 * text (to a number or a group), reads its messages and receipts, shows
 * presence or typing; groups among simulated accounts and linked devices are
 * created and their members changed. Mounted by `sandboxRoutes` (same prefix,
 * sandbox mode only, admin key). Every bad input is a 4xx that changes nothing.
 */
import { Type } from 'typebox';
import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../../core/errors.js';

export const PRESENCE_STATES = ['available', 'unavailable', 'composing', 'recording', 'paused'] as const;
export type SandboxPresence = (typeof PRESENCE_STATES)[number];

export interface SandboxReceipt {
  type: 'delivery' | 'read' | 'retry';
  by: string;
  deviceId: number;
  at: string;
}

export interface SandboxConversationMessage {
  id: string;
  direction: 'in' | 'out';
  from: string;
  to: string;
  text: string;
  receivedAt: string;
  receipts: SandboxReceipt[];
}

export interface SandboxGroup {
  id: string;
  subject: string;
  participants: string[];
}

/** A media message from a phone (the body's `media`). */
export interface SandboxMediaInput {
  type: string;
  base64: string;
  mimetype: string;
  caption?: string;
}

/** What the conversation routes need from the simulated network (`SandboxNetwork.conversations`). */
export interface SandboxConversationsControl {
  sendText(phoneNumber: string, to: string, text: string): Promise<{ id: string }>;
  /** Extension point for media messages: while absent, a media body is answered 400 "media not supported yet". */
  sendMedia?(phoneNumber: string, to: string, media: SandboxMediaInput): Promise<{ id: string }>;
  messages(phoneNumber: string): SandboxConversationMessage[];
  sendPresence(phoneNumber: string, to: string, state: SandboxPresence): void;
  /** The phone reads messages (all unread when `ids` is empty); returns the ids it marked. */
  markRead(phoneNumber: string, ids: string[]): string[];
  /** The phone's next `count` incoming messages fail to decrypt (it sends retry receipts). */
  failNextDecrypts(phoneNumber: string, count: number): void;
  createGroup(subject: string, participants: string[]): SandboxGroup;
  group(groupJid: string): SandboxGroup | undefined;
  addParticipant(groupJid: string, phoneNumber: string): SandboxGroup;
  removeParticipant(groupJid: string, phoneNumber: string): SandboxGroup;
}

export interface ConversationRoutesOptions {
  conversations: SandboxConversationsControl;
  /** A path or body number, normalised (E.164 digits), or a 400. */
  phoneOf(raw: string): string;
  /** Like phoneOf, and the phone must exist (404 otherwise). */
  known(raw: string): string;
  /** Sandbox errors onto the gateway's catalogue. */
  translate(err: unknown): never;
}

const tags = ['sandbox'];
const PhoneParams = Type.Object({ phoneNumber: Type.String({ description: 'E.164 digits, with or without +' }) });
const GroupParams = Type.Object({ groupJid: Type.String({ pattern: '^\\d{6,40}(-\\d+)?@g\\.us$', description: '<digits>@g.us' }) });
const GROUP_JID = /@g\.us$/;

const TextBody = Type.Object(
  {
    to: Type.String({ minLength: 1, maxLength: 64, description: 'A phone number (E.164, with or without +) or a group JID' }),
    text: Type.String({ minLength: 1, maxLength: 65_536 }),
  },
  { additionalProperties: false },
);
const MediaBody = Type.Object(
  {
    to: Type.String({ minLength: 1, maxLength: 64 }),
    media: Type.Object(
      {
        type: Type.String({ minLength: 1, maxLength: 32 }),
        base64: Type.String({ minLength: 1 }),
        mimetype: Type.String({ minLength: 1, maxLength: 255 }),
        caption: Type.Optional(Type.String({ maxLength: 4096 })),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export async function conversationRoutes(app: FastifyInstance, opts: ConversationRoutesOptions): Promise<void> {
  const { conversations, phoneOf, known, translate } = opts;
  /** A recipient: a group JID as is, anything else a phone number that must exist. */
  const recipient = (raw: string): string => (GROUP_JID.test(raw.trim()) ? raw.trim() : known(raw));
  const group = (jid: string): SandboxGroup => {
    const found = conversations.group(jid);
    if (!found) throw new GatewayError('NOT_FOUND', `No group ${jid}`, { groupJid: jid });
    return found;
  };

  app.post(
    '/phones/:phoneNumber/messages',
    {
      // A phone's media comes as base64 in the body.
      bodyLimit: 24 * 1024 * 1024,
      schema: {
        tags,
        summary: 'The simulated phone sends a message to a number or a group; answers with the message id',
        params: PhoneParams,
        body: Type.Union([TextBody, MediaBody]),
      },
    },
    async (request, reply) => {
      const phone = known((request.params as { phoneNumber: string }).phoneNumber);
      const body = request.body as { to: string; text?: string; media?: SandboxMediaInput };
      const to = recipient(body.to);
      if (body.media) {
        if (!conversations.sendMedia) throw new GatewayError('BAD_REQUEST', 'media not supported yet', { reason: 'MEDIA_NOT_SUPPORTED' });
        const sent = await conversations.sendMedia(phone, to, body.media).catch(translate);
        return reply.code(201).send({ data: { id: sent.id, from: phone, to } });
      }
      const sent = await conversations.sendText(phone, to, body.text!).catch(translate);
      return reply.code(201).send({ data: { id: sent.id, from: phone, to } });
    },
  );

  app.get(
    '/phones/:phoneNumber/messages',
    { schema: { tags, summary: 'Messages the simulated phone received and sent, with their receipts', params: PhoneParams } },
    async (request) => {
      const phone = known((request.params as { phoneNumber: string }).phoneNumber);
      return { data: conversations.messages(phone) };
    },
  );

  app.post(
    '/phones/:phoneNumber/presence',
    {
      schema: {
        tags,
        summary: 'The simulated phone shows presence (available/unavailable) or typing (composing/recording/paused) to a number or group',
        params: PhoneParams,
        body: Type.Object(
          { to: Type.String({ minLength: 1, maxLength: 64 }), state: Type.Union(PRESENCE_STATES.map((s) => Type.Literal(s))) },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const phone = known((request.params as { phoneNumber: string }).phoneNumber);
      const body = request.body as { to: string; state: SandboxPresence };
      const to = recipient(body.to);
      try {
        conversations.sendPresence(phone, to, body.state);
      } catch (err) {
        translate(err);
      }
      return { data: { from: phone, to, state: body.state } };
    },
  );

  app.post(
    '/phones/:phoneNumber/read',
    {
      schema: {
        tags,
        summary: 'The simulated phone reads messages it received (all unread when ids is absent): read receipts go to the senders',
        params: PhoneParams,
        body: Type.Object({ ids: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 200 })) }, { additionalProperties: false }),
      },
    },
    async (request) => {
      const phone = known((request.params as { phoneNumber: string }).phoneNumber);
      const ids = (request.body as { ids?: string[] } | undefined)?.ids ?? [];
      const unknown = ids.filter((id) => !conversations.messages(phone).some((m) => m.direction === 'in' && m.id === id));
      if (unknown.length) throw new GatewayError('NOT_FOUND', `+${phone} received no message ${unknown[0]}`, { ids: unknown });
      return { data: { read: conversations.markRead(phone, ids) } };
    },
  );

  app.post(
    '/phones/:phoneNumber/decrypt-failures',
    {
      schema: {
        tags,
        summary: "The simulated phone fails to decrypt its next `count` incoming messages and asks for each again (retry receipt), as WhatsApp does",
        params: PhoneParams,
        body: Type.Object({ count: Type.Integer({ minimum: 0, maximum: 100 }) }, { additionalProperties: false }),
      },
    },
    async (request) => {
      const phone = known((request.params as { phoneNumber: string }).phoneNumber);
      const { count } = request.body as { count: number };
      conversations.failNextDecrypts(phone, count);
      return { data: { phoneNumber: phone, failNext: count } };
    },
  );

  app.post(
    '/groups',
    {
      schema: {
        tags,
        summary: 'Create a group among simulated accounts (the first participant is its creator); every member device is notified',
        body: Type.Object(
          {
            subject: Type.String({ minLength: 1, maxLength: 100 }),
            participants: Type.Array(Type.String({ minLength: 1, maxLength: 32 }), { minItems: 1, maxItems: 1024 }),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => {
      const body = request.body as { subject: string; participants: string[] };
      const numbers = body.participants.map(phoneOf);
      if (!body.subject.trim()) throw new GatewayError('BAD_REQUEST', 'The subject is empty', { reason: 'INVALID_GROUP' });
      try {
        return reply.code(201).send({ data: conversations.createGroup(body.subject, numbers) });
      } catch (err) {
        translate(err);
      }
    },
  );

  app.post(
    '/groups/:groupJid/participants/:phoneNumber',
    {
      schema: {
        tags,
        summary: 'Add a participant to a group (members are notified, w:gp2 add)',
        params: Type.Intersect([GroupParams, PhoneParams]),
      },
    },
    async (request, reply) => {
      const params = request.params as { groupJid: string; phoneNumber: string };
      const phone = phoneOf(params.phoneNumber);
      const found = group(params.groupJid);
      if (found.participants.includes(phone)) {
        throw new GatewayError('BAD_REQUEST', `+${phone} is already in ${found.id}`, { reason: 'ALREADY_A_PARTICIPANT' });
      }
      try {
        return reply.code(201).send({ data: conversations.addParticipant(found.id, phone) });
      } catch (err) {
        translate(err);
      }
    },
  );

  app.delete(
    '/groups/:groupJid/participants/:phoneNumber',
    {
      schema: {
        tags,
        summary: 'Remove a participant from a group (members and the removed one are notified, w:gp2 remove)',
        params: Type.Intersect([GroupParams, PhoneParams]),
      },
    },
    async (request) => {
      const params = request.params as { groupJid: string; phoneNumber: string };
      const phone = phoneOf(params.phoneNumber);
      const found = group(params.groupJid);
      if (!found.participants.includes(phone)) {
        throw new GatewayError('NOT_FOUND', `+${phone} is not in ${found.id}`, { reason: 'NOT_A_PARTICIPANT' });
      }
      try {
        return { data: conversations.removeParticipant(found.id, phone) };
      } catch (err) {
        translate(err);
      }
    },
  );
}
