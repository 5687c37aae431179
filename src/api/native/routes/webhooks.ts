/**
 * Webhooks: endpoints that receive gateway events as signed HTTP POSTs,
 * their deliveries, test pings and replays. The admin key manages every
 * webhook; a session key only its own session's (another session's is a 404).
 */
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { WEBHOOK_EVENT_TYPES } from '../../../core/model.js';
import type { WebhookScope } from '../../../core/webhooks/types.js';
import { SessionIdSchema } from '../../http/params.js';
import { BEARER, type NativeApp, type NativeContext } from '../context.js';
import { dataOf, errorResponses } from '../schemas.js';

const TAGS = ['Webhooks'];
const IsoTime = Type.String({ format: 'date-time', description: 'ISO 8601 time' });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T, description?: string) =>
  Type.Union([schema, Type.Null()], description === undefined ? {} : { description });

const EventFilter = Type.Enum(['*', ...WEBHOOK_EVENT_TYPES], {
  description: 'An event type, or `*` for all. `auth.qr` is not offered: a QR code is a live secret that expires within a minute.',
});

const WebhookSchema = Type.Object(
  {
    id: Type.String({ examples: ['wh_0192f1c3a0b47c8e9d6f1e2a3b4c5d6e'] }),
    url: Type.String(),
    events: Type.Array(Type.String()),
    sessionId: Nullable(Type.String(), 'Only this session\'s events; null = every session'),
    enabled: Type.Boolean(),
    disabledReason: Nullable(Type.String(), 'Why the gateway disabled it (410 Gone, failing for 5 days)'),
    failingSince: Nullable(IsoTime, 'Deliveries have failed since then; null when healthy'),
    previousSecretValidUntil: Nullable(IsoTime, 'After a rotation, deliveries are also signed with the old secret until then'),
    createdAt: IsoTime,
    updatedAt: IsoTime,
  },
  { description: 'A webhook endpoint' },
);

const SecretField = Type.String({
  description: 'Signing secret (`whsec_…`, Standard Webhooks form). Shown only when created or rotated: store it.',
});
const WebhookWithSecretSchema = Type.Intersect([WebhookSchema, Type.Object({ secret: SecretField })]);
const UpdatedWebhookSchema = Type.Intersect([WebhookSchema, Type.Object({ secret: Type.Optional(SecretField) })]);

const DeliverySchema = Type.Object(
  {
    id: Type.Integer(),
    eventId: Type.Integer({ description: 'The event id, sent as `webhook-id` on every attempt' }),
    eventType: Type.String(),
    sessionId: Type.String(),
    seq: Type.Integer(),
    status: Type.Enum(['pending', 'delivered', 'failed']),
    attempts: Type.Integer(),
    lastStatusCode: Nullable(Type.Integer(), 'HTTP status of the last attempt; null when it got no answer'),
    lastError: Nullable(Type.String()),
    lastAttemptAt: Nullable(IsoTime),
    nextAttemptAt: Nullable(IsoTime, 'When the next attempt is due (pending only)'),
    createdAt: IsoTime,
  },
  { description: 'One event sent (or to be sent) to one webhook' },
);

const CreateBody = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2048, description: 'http(s) URL that receives POSTs', examples: ['https://example.com/hooks/wagate'] }),
    events: Type.Array(EventFilter, { minItems: 1, maxItems: 64 }),
    sessionId: Type.Optional(
      Type.Union([SessionIdSchema, Type.Null()], { description: 'Only this session\'s events. A session key may only give its own (the default for it).' }),
    ),
  },
  { additionalProperties: false },
);

const UpdateBody = Type.Object(
  {
    url: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
    events: Type.Optional(Type.Array(EventFilter, { minItems: 1, maxItems: 64 })),
    enabled: Type.Optional(
      Type.Boolean({ description: 'false stops deliveries: pending ones wait, new events are not queued for it; true resumes' }),
    ),
    rotateSecret: Type.Optional(
      Type.Boolean({ description: 'Issue a new secret (in this response only); the old one keeps signing for the overlap period' }),
    ),
  },
  { additionalProperties: false },
);

const WebhookParams = Type.Object({ webhookId: Type.String({ minLength: 1, maxLength: 100 }) });
const DeliveryParams = Type.Object({ webhookId: Type.String({ minLength: 1, maxLength: 100 }), deliveryId: Type.Integer({ minimum: 1 }) });
const DeliveriesQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    before: Type.Optional(Type.Integer({ minimum: 1, description: 'Cursor: `nextCursor` of the previous page' })),
    status: Type.Optional(Type.Enum(['pending', 'delivered', 'failed'])),
  },
  { additionalProperties: false },
);
const ReplayBody = Type.Object(
  {
    from: IsoTime,
    to: IsoTime,
  },
  { additionalProperties: false, description: 'Replay every failed delivery created in [from, to)' },
);

const config = { scopedByRoute: true };

function scopeOf(request: FastifyRequest): WebhookScope {
  const p = request.principal;
  return p?.kind === 'session' ? p.sessionId : undefined;
}

export function webhookRoutes(app: NativeApp, { core }: NativeContext): void {
  const webhooks = core.webhooks;

  app.post(
    '/webhooks',
    {
      config,
      schema: {
        summary: 'Create a webhook',
        description:
          'Every matching event is POSTed to `url` as JSON `{id, type, sessionId, seq, createdAt, data}`, signed with ' +
          'Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`) and WADial\'s ' +
          '(`wadial-event-id`, `wadial-event-type`, `wadial-signature`). The secret is in this response only. ' +
          'Only 2xx counts as delivered; failures are retried for about two days; each session\'s events arrive in order.',
        tags: TAGS,
        security: BEARER,
        body: CreateBody,
        response: {
          201: dataOf(WebhookWithSecretSchema, 'The new webhook and its secret (shown once)'),
          ...errorResponses('VALIDATION_FAILED', 'URL_NOT_ALLOWED', 'INVALID_SESSION_ID', 'FORBIDDEN', 'SESSION_NOT_FOUND'),
        },
      },
    },
    async (request, reply) => {
      const created = await webhooks.create(request.body, scopeOf(request));
      reply.header('cache-control', 'no-store');
      return reply.status(201).send({ data: created });
    },
  );

  app.get(
    '/webhooks',
    {
      config,
      schema: {
        summary: 'List webhooks',
        description: 'Every webhook for the admin key; the session\'s own for a session key. Never the secrets.',
        tags: TAGS,
        security: BEARER,
        response: { 200: dataOf(Type.Array(WebhookSchema)) },
      },
    },
    async (request) => ({ data: webhooks.list(scopeOf(request)) }),
  );

  app.get(
    '/webhooks/:webhookId',
    {
      config,
      schema: {
        summary: 'Get a webhook',
        tags: TAGS,
        security: BEARER,
        params: WebhookParams,
        response: { 200: dataOf(WebhookSchema), ...errorResponses('WEBHOOK_NOT_FOUND') },
      },
    },
    async (request) => ({ data: webhooks.get(request.params.webhookId, scopeOf(request)) }),
  );

  app.patch(
    '/webhooks/:webhookId',
    {
      config,
      schema: {
        summary: 'Change a webhook',
        description: 'Change its URL or events, disable or enable it, or rotate its secret (`rotateSecret: true`; the new secret is in this response only).',
        tags: TAGS,
        security: BEARER,
        params: WebhookParams,
        body: UpdateBody,
        response: {
          200: dataOf(UpdatedWebhookSchema),
          ...errorResponses('VALIDATION_FAILED', 'URL_NOT_ALLOWED', 'WEBHOOK_NOT_FOUND'),
        },
      },
    },
    async (request, reply) => {
      const updated = await webhooks.update(request.params.webhookId, request.body, scopeOf(request));
      if (updated.secret !== undefined) reply.header('cache-control', 'no-store');
      return { data: updated };
    },
  );

  app.delete(
    '/webhooks/:webhookId',
    {
      config,
      schema: {
        summary: 'Delete a webhook',
        description: 'Removes the webhook and its deliveries, pending ones included.',
        tags: TAGS,
        security: BEARER,
        params: WebhookParams,
        response: {
          200: dataOf(Type.Object({ id: Type.String(), deleted: Type.Literal(true) })),
          ...errorResponses('WEBHOOK_NOT_FOUND'),
        },
      },
    },
    async (request) => {
      await webhooks.delete(request.params.webhookId, scopeOf(request));
      return { data: { id: request.params.webhookId, deleted: true as const } };
    },
  );

  app.post(
    '/webhooks/:webhookId/test',
    {
      config,
      schema: {
        summary: 'Send a test event',
        description: 'Queues a `webhook.test` event to this webhook (signed like any other); follow it in its deliveries.',
        tags: TAGS,
        security: BEARER,
        params: WebhookParams,
        response: { 202: dataOf(DeliverySchema, 'The queued delivery'), ...errorResponses('WEBHOOK_NOT_FOUND') },
      },
    },
    async (request, reply) => reply.status(202).send({ data: await webhooks.test(request.params.webhookId, scopeOf(request)) }),
  );

  app.get(
    '/webhooks/:webhookId/deliveries',
    {
      config,
      schema: {
        summary: 'List deliveries',
        description:
          'Newest first, with status, attempts, last response code and time, and next attempt. Page with `before` = the previous page\'s `nextCursor`. ' +
          'Delivered ones are kept 3 days and failed ones 7 (configurable).',
        tags: TAGS,
        security: BEARER,
        params: WebhookParams,
        querystring: DeliveriesQuery,
        response: {
          200: Type.Object({ data: Type.Array(DeliverySchema), nextCursor: Nullable(Type.Integer(), 'null on the last page') }),
          ...errorResponses('VALIDATION_FAILED', 'WEBHOOK_NOT_FOUND'),
        },
      },
    },
    async (request) => {
      const { limit = 50, before, status } = request.query;
      const page = await webhooks.deliveries(request.params.webhookId, { limit, before, status }, scopeOf(request));
      return { data: page.items, nextCursor: page.nextCursor };
    },
  );

  app.post(
    '/webhooks/:webhookId/deliveries/:deliveryId/replay',
    {
      config,
      schema: {
        summary: 'Replay a delivery',
        description: 'Send this delivery again (same `webhook-id`, same body), whatever its status.',
        tags: TAGS,
        security: BEARER,
        params: DeliveryParams,
        response: { 202: dataOf(DeliverySchema), ...errorResponses('WEBHOOK_NOT_FOUND', 'DELIVERY_NOT_FOUND') },
      },
    },
    async (request, reply) =>
      reply.status(202).send({ data: await webhooks.replay(request.params.webhookId, request.params.deliveryId, scopeOf(request)) }),
  );

  app.post(
    '/webhooks/:webhookId/replay',
    {
      config,
      schema: {
        summary: 'Replay failed deliveries',
        description: 'Send every failed delivery created in [from, to) again, oldest first.',
        tags: TAGS,
        security: BEARER,
        params: WebhookParams,
        body: ReplayBody,
        response: {
          202: dataOf(Type.Object({ replayed: Type.Integer() })),
          ...errorResponses('VALIDATION_FAILED', 'WEBHOOK_NOT_FOUND'),
        },
      },
    },
    async (request, reply) =>
      reply.status(202).send({ data: await webhooks.replayFailed(request.params.webhookId, request.body, scopeOf(request)) }),
  );
}
