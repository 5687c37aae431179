/**
 * The sandbox control API (`/sandbox`, sandbox mode only): lets a developer
 * play the phone — create simulated accounts, scan a QR, type a pairing
 * code, remove a linked device — and inject the network's faults into a
 * session's connection; conversations (conversations.ts): phones send, groups,
 * presence. Admin key only. The routes talk to the simulated
 * network through the narrow `SandboxControl` interface below.
 */
import { Type } from 'typebox';
import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../../core/errors.js';
import type { GatewayCore } from '../../core/gateway.js';
import { RUNNING_STATES } from '../../core/model.js';
import { normalizePhoneNumber } from '../../core/phoneNumber.js';
import { apiKeyHook, authorizeRequest } from '../http/auth.js';
import { conversationRoutes, type SandboxConversationsControl } from './conversations.js';

export const FAULT_KINDS = ['restart-required', 'replaced', 'unavailable', 'closed', 'timeout', 'drop', 'silence'] as const;
export type SandboxFaultKind = (typeof FAULT_KINDS)[number];

export interface SandboxPhone {
  phoneNumber: string;
  name: string;
  lid: string;
}

export interface SandboxDevice {
  deviceId: number;
  jid: string;
  lid: string;
  platform: string;
  linkedAt: string;
  connected: boolean;
}

export interface SandboxMessage {
  id: string;
  from: string;
  text: string;
  receivedAt: string;
}

/** What the routes need from the simulated network. */
export interface SandboxControl {
  createPhone(phoneNumber: string, name?: string): SandboxPhone;
  getOrCreatePhone(phoneNumber: string): SandboxPhone;
  phone(phoneNumber: string): SandboxPhone | undefined;
  listPhones(): SandboxPhone[];
  devices(phoneNumber: string): SandboxDevice[];
  scan(phoneNumber: string, qr: string): Promise<SandboxDevice>;
  enterCode(phoneNumber: string, code: string): Promise<SandboxDevice>;
  removeDevice(phoneNumber: string, deviceId: number): boolean;
  fault(noiseKey: string, kind: SandboxFaultKind): boolean;
  messages?(phoneNumber: string): SandboxMessage[];
  /** Phones sending, groups, presence (conversations.ts); without it only the inbox is readable. */
  conversations?: SandboxConversationsControl;
}

const PhoneParams = Type.Object({ phoneNumber: Type.String({ description: 'E.164 digits, with or without +' }) });

export interface SandboxRoutesOptions {
  core: GatewayCore;
  network: SandboxControl;
}

/** Sandbox errors carry a `code`; map them onto the catalogue with their reason. */
function translate(err: unknown): never {
  if (err instanceof GatewayError) throw err;
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  switch (code) {
    case 'INVALID_QR':
    case 'QR_EXPIRED':
    case 'NO_SUCH_CONNECTION':
      throw new GatewayError('INVALID_QR', message, { reason: code });
    case 'WRONG_CODE':
    case 'NO_PENDING_CODE':
      throw new GatewayError('INVALID_PAIRING_CODE', message, { reason: code });
    case 'PAIRING_REFUSED':
      // The companion's device signature did not verify: the phone refuses the link.
      throw new GatewayError('BAD_REQUEST', message, { reason: code });
    case 'INVALID_PHONE_NUMBER':
      throw new GatewayError('INVALID_PHONE_NUMBER', message);
    case 'PHONE_EXISTS':
      throw new GatewayError('BAD_REQUEST', message, { reason: code });
    case 'PAIRING_BUSY':
      throw new GatewayError('RATE_LIMITED', message, { reason: code }, { retryAfterSeconds: 1 });
    case 'PAIRING_TIMEOUT':
      throw new GatewayError('TIMEOUT', message, { reason: code });
    case 'NO_SUCH_PHONE':
      throw new GatewayError('PHONE_NOT_FOUND', message);
    case 'NO_SUCH_GROUP':
      throw new GatewayError('NOT_FOUND', message, { reason: code });
    case 'NOT_A_PARTICIPANT':
    case 'ALREADY_A_PARTICIPANT':
    case 'INVALID_GROUP':
    case 'INVALID_MESSAGE':
      throw new GatewayError('BAD_REQUEST', message, { reason: code });
    case 'INVALID_MEDIA':
      throw new GatewayError('INVALID_MEDIA', message, { reason: code });
    case 'STOPPED':
      throw new GatewayError('SHUTTING_DOWN', message);
    default:
      throw err;
  }
}

export async function sandboxRoutes(app: FastifyInstance, opts: SandboxRoutesOptions): Promise<void> {
  const { core, network } = opts;
  const phoneOf = (raw: string): string => normalizePhoneNumber(raw, { sandbox: true });
  const known = (raw: string): string => {
    const phone = phoneOf(raw);
    if (!network.phone(phone)) throw new GatewayError('PHONE_NOT_FOUND', `No simulated phone +${phone}`, { phoneNumber: phone });
    return phone;
  };

  const hook = apiKeyHook(core.apiKeys);
  app.addHook('onRequest', async (request) => {
    await hook(request);
    // Playing the phone is an operator's action, never a session key's.
    authorizeRequest(request, { action: 'gateway.operate' });
  });

  const tags = ['sandbox'];

  app.get('/phones', { schema: { tags, summary: 'List simulated phones' } }, async () => ({ data: network.listPhones() }));

  app.post(
    '/phones',
    {
      schema: {
        tags,
        summary: 'Create a simulated WhatsApp account (a primary phone)',
        body: Type.Object({ phoneNumber: Type.String(), name: Type.Optional(Type.String({ maxLength: 100 })) }, { additionalProperties: false }),
      },
    },
    async (request, reply) => {
      const body = request.body as { phoneNumber: string; name?: string };
      const phone = phoneOf(body.phoneNumber);
      if (network.phone(phone)) throw new GatewayError('BAD_REQUEST', `A simulated phone +${phone} already exists`, { phoneNumber: phone });
      const created = network.createPhone(phone, body.name);
      return reply.code(201).send({ data: created });
    },
  );

  app.get(
    '/phones/:phoneNumber/devices',
    { schema: { tags, summary: 'Devices linked to a simulated account', params: PhoneParams } },
    async (request) => {
      const phone = known((request.params as { phoneNumber: string }).phoneNumber);
      return { data: network.devices(phone) };
    },
  );

  app.post(
    '/phones/:phoneNumber/scan',
    {
      schema: {
        tags,
        summary: 'The phone scans a QR code (the `qr` string from GET /api/v1/sessions/{id}/auth/qr)',
        params: PhoneParams,
        body: Type.Object({ qr: Type.String({ minLength: 1, maxLength: 2048 }) }, { additionalProperties: false }),
      },
    },
    async (request) => {
      const phone = phoneOf((request.params as { phoneNumber: string }).phoneNumber);
      network.getOrCreatePhone(phone);
      const device = await network.scan(phone, (request.body as { qr: string }).qr).catch(translate);
      return { data: device };
    },
  );

  app.post(
    '/phones/:phoneNumber/link-code',
    {
      schema: {
        tags,
        summary: 'The phone enters a pairing code (Linked devices → Link with phone number instead)',
        params: PhoneParams,
        body: Type.Object({ code: Type.String({ minLength: 1, maxLength: 16 }) }, { additionalProperties: false }),
      },
    },
    async (request) => {
      const phone = phoneOf((request.params as { phoneNumber: string }).phoneNumber);
      network.getOrCreatePhone(phone);
      const device = await network.enterCode(phone, (request.body as { code: string }).code).catch(translate);
      return { data: device };
    },
  );

  app.delete(
    '/phones/:phoneNumber/devices/:deviceId',
    {
      schema: {
        tags,
        summary: 'The phone removes a linked device (the gateway sees 401)',
        params: Type.Object({ phoneNumber: Type.String(), deviceId: Type.Integer({ minimum: 1 }) }),
      },
    },
    async (request) => {
      const params = request.params as { phoneNumber: string; deviceId: number };
      const phone = known(params.phoneNumber);
      if (!network.removeDevice(phone, params.deviceId)) {
        throw new GatewayError('DEVICE_NOT_FOUND', `+${phone} has no linked device ${params.deviceId}`);
      }
      return { data: { phoneNumber: phone, deviceId: params.deviceId, removed: true } };
    },
  );

  if (network.conversations) {
    await conversationRoutes(app, { conversations: network.conversations, phoneOf, known, translate });
  } else {
    app.get(
      '/phones/:phoneNumber/messages',
      { schema: { tags, summary: 'Messages the simulated phone received', params: PhoneParams } },
      async (request) => {
        const phone = known((request.params as { phoneNumber: string }).phoneNumber);
        return { data: network.messages ? network.messages(phone) : [] };
      },
    );
  }

  app.post(
    '/connections/:sessionId/fault',
    {
      schema: {
        tags,
        summary: "Inject a network fault into a session's live connection",
        params: Type.Object({ sessionId: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }) }),
        body: Type.Object({ kind: Type.Union(FAULT_KINDS.map((k) => Type.Literal(k))) }, { additionalProperties: false }),
      },
    },
    async (request) => {
      const { sessionId } = request.params as { sessionId: string };
      const { kind } = request.body as { kind: SandboxFaultKind };
      const view = core.sessions.get(sessionId);
      const key = core.sessions.connectionKey(sessionId);
      if (!key || !network.fault(key, kind)) {
        throw new GatewayError('SESSION_NOT_READY', 'The session has no live connection to fault', {
          sessionId,
          state: view.state,
          expected: [...RUNNING_STATES],
        });
      }
      return { data: { sessionId, kind, injected: true } };
    },
  );
}
