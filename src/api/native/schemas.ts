/**
 * TypeBox schemas of the native API (seed 000 field names). They validate
 * requests, shape responses and generate the OpenAPI document at /docs.
 */
import { Type, type TSchema } from 'typebox';
import { ERRORS, type ErrorCode } from '../../core/errors.js';
import { CONNECTION_STATES, GATEWAY_EVENT_TYPES, SESSION_STATES } from '../../core/model.js';

const IsoTime = Type.String({ format: 'date-time', description: 'ISO 8601 time' });
const Nullable = <T extends TSchema>(schema: T, description?: string) =>
  Type.Union([schema, Type.Null()], description === undefined ? {} : { description });

export const SessionStateSchema = Type.Enum([...SESSION_STATES], { description: 'Fine-grained session state' });

export const ConnectionStateSchema = Type.Enum([...CONNECTION_STATES], {
  description: 'Coarse connection state; `inactive` = paired but no runtime',
});

export const LastDisconnectSchema = Type.Object(
  {
    code: Nullable(Type.Integer(), 'WhatsApp close code (401, 408, 440, 515 …), null when the gateway closed it'),
    reason: Type.String(),
    at: IsoTime,
  },
  { description: 'Why the last connection ended' },
);

export const LinkedAccountSchema = Type.Object(
  {
    jid: Type.String({ description: 'Device JID, e.g. `15551234567:7@s.whatsapp.net`' }),
    lid: Nullable(Type.String()),
    phoneNumber: Type.String({ description: 'E.164 digits without "+"' }),
    name: Nullable(Type.String()),
  },
  { description: 'The WhatsApp account this session is linked to' },
);

/** WADial's `status`; its clients read it, so it stays, but it is not the current state. */
const LifetimeStatusSchema = Type.Union([Type.Literal('created'), Type.Literal('connected')], {
  description:
    'Lifetime marker (WADial\'s `status`): `created` until the session first connects, then `connected` for good, ' +
    'also after a disconnect or a logout. It is not the current state: read `state` (or `connectionState`, `connected`) for that.',
});

export const SessionViewSchema = Type.Object(
  {
    sessionId: Type.String(),
    displayName: Nullable(Type.String()),
    deviceBrowser: Type.String({ description: 'Browser name shown in the phone\'s linked devices' }),
    status: LifetimeStatusSchema,
    state: SessionStateSchema,
    connectionState: ConnectionStateSchema,
    paired: Type.Boolean({ description: 'Credentials exist (the device is linked)' }),
    active: Type.Boolean({ description: 'A runtime is loaded' }),
    connected: Type.Boolean({ description: 'Ready to send' }),
    me: Nullable(LinkedAccountSchema),
    qrAvailable: Type.Boolean(),
    lastDisconnect: Nullable(LastDisconnectSchema),
    createdAt: IsoTime,
    updatedAt: IsoTime,
    connectedAt: Nullable(IsoTime, 'When the session last became connected; kept after it disconnects'),
  },
  { description: 'A session (a "token" in WADial\'s words)' },
);

export const SessionStatusSchema = Type.Object(
  {
    sessionId: Type.String(),
    paired: Type.Boolean(),
    active: Type.Boolean(),
    connected: Type.Boolean(),
    connectionState: ConnectionStateSchema,
    state: SessionStateSchema,
    status: LifetimeStatusSchema,
    me: Nullable(LinkedAccountSchema),
    qrAvailable: Type.Boolean(),
    lastDisconnect: Nullable(LastDisconnectSchema),
  },
  { description: 'Connection status of a session' },
);

export const QrSchema = Type.Object({
  qr: Type.String({
    description:
      'The QR payload as WhatsApp Web builds it today: `https://wa.me/settings/linked_devices#2@…,<noise key>,<identity key>,<adv secret>,<platform>`. ' +
      'Encode it as a QR code as it is (or ask for `?format=png|svg`); the phone\'s Linked devices scanner reads it. ' +
      'The compatibility dialects return the older bare `2@…` form their originals return.',
  }),
  ttlMs: Type.Integer({ description: 'How long this QR lives' }),
  createdAt: IsoTime,
  expiresAt: IsoTime,
});

export const PairingCodeSchema = Type.Object({
  code: Type.String({ description: 'Code to type on the phone, `ABCD-1234`', examples: ['ABCD-1234'] }),
  phoneNumber: Type.String({ description: 'Normalised phone number (E.164 digits without "+")' }),
  ttlMs: Type.Integer(),
  createdAt: IsoTime,
  expiresAt: IsoTime,
});

export const ApiKeyInfoSchema = Type.Object({
  keyId: Type.String(),
  sessionId: Nullable(Type.String()),
  label: Nullable(Type.String()),
  createdAt: IsoTime,
  lastUsedAt: Nullable(IsoTime),
});

export const CreatedApiKeySchema = Type.Object({
  keyId: Type.String(),
  key: Type.String({ description: 'The key itself; shown only this once' }),
  sessionId: Type.String(),
  label: Nullable(Type.String()),
  createdAt: IsoTime,
});

export const GatewayEventSchema = Type.Object({
  id: Type.Integer({ description: 'Monotonic id; send it back as Last-Event-ID to resume' }),
  type: Type.String({ description: GATEWAY_EVENT_TYPES.join(', ') }),
  sessionId: Type.String(),
  seq: Type.Integer({ description: 'Per-session sequence of durable events, increasing across restarts' }),
  createdAt: IsoTime,
  data: Type.Record(Type.String(), Type.Unknown()),
});

// ---- requests

export const CreateSessionBody = Type.Object(
  {
    sessionId: Type.Optional(Type.String({ description: 'Your own id; a UUIDv7 is generated when absent', examples: ['support-line'] })),
    id: Type.Optional(Type.String({ description: 'Alias of sessionId' })),
    displayName: Type.Optional(Nullable(Type.String({ maxLength: 200 }), 'Human-readable name')),
    name: Type.Optional(Nullable(Type.String({ maxLength: 200 }), 'Alias of displayName')),
    deviceBrowser: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'Browser shown on the phone, default `Chrome`', examples: ['Chrome'] }),
    ),
  },
  { additionalProperties: false },
);

export const PairingCodeBody = Type.Object(
  {
    phoneNumber: Type.String({
      minLength: 1,
      maxLength: 40,
      description: 'The phone\'s number with country code; "+", spaces and dashes are allowed',
      examples: ['15551234567'],
    }),
  },
  { additionalProperties: false },
);

export const CreateKeyBody = Type.Object(
  { label: Type.Optional(Nullable(Type.String({ maxLength: 200 }), 'What the key is for')) },
  { additionalProperties: false },
);

export const QrQuery = Type.Object(
  {
    format: Type.Optional(
      Type.Union([Type.Literal('json'), Type.Literal('png'), Type.Literal('svg')], {
        description: '`json` (default), `png` image or `svg` image',
      }),
    ),
  },
  { additionalProperties: false },
);

export const HistoryQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Most recent events to return (default 100)' })) },
  { additionalProperties: false },
);

export const EventStreamQuery = Type.Object(
  { lastEventId: Type.Optional(Type.String({ description: 'Resume after this event id (same as the Last-Event-ID header)' })) },
  { additionalProperties: false },
);

export const KeyParams = Type.Object({
  sessionId: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }),
  keyId: Type.String({ minLength: 1, maxLength: 64 }),
});

// ---- envelopes

export function dataOf<T extends TSchema>(schema: T, description = 'Success') {
  return Type.Object({ data: schema }, { description });
}

export const ErrorSchema = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable machine code' }),
      message: Type.String(),
      details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    }),
  },
  { description: 'Error envelope' },
);

/** Documented error responses: status → schema with the codes that may appear. */
export function errorResponses(...codes: ErrorCode[]): Record<number, TSchema> {
  const byStatus = new Map<number, string[]>();
  for (const code of ['UNAUTHORIZED', 'AUTH_RATE_LIMITED', ...codes] as ErrorCode[]) {
    const status = ERRORS[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const out: Record<number, TSchema> = {};
  for (const [status, list] of byStatus) {
    out[status] = Type.Object(ErrorSchema.properties, {
      description: [...new Set(list)].map((c) => `\`${c}\`: ${ERRORS[c as ErrorCode].message}`).join('; '),
    });
  }
  return out;
}
