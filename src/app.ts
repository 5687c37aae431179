/**
 * Builds the HTTP application: Fastify with TypeBox validation, our error
 * envelope, OpenAPI docs, health/readiness, the native API under /api/v1
 * and every other API plugin (dialects, dashboard), each encapsulated.
 */
import { readFileSync } from 'node:fs';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { TypeBoxValidatorCompiler, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type onRequestAsyncHookHandler, type RouteOptions } from 'fastify';
import type { Logger } from 'pino';
import { Type } from 'typebox';
import type { ApiPlugin } from './api/types.js';
import { installAuthThrottle, type AuthThrottleOptions } from './api/http/authThrottle.js';
import { installBodyParsers } from './api/http/bodyParsers.js';
import { StreamSlots, limitConnectionsPerAddress, timeoutCheckIntervalMs } from './api/http/limits.js';
import { logIfServerError, renderNativeError, toGatewayError } from './api/http/errors.js';
import { authenticate, authorizeRequest, extractApiKey } from './api/http/auth.js';
import { ErrorSurfaces, nativeSurface } from './api/http/errorSurfaces.js';
import { clientErrorHandler, frameworkErrorHandler } from './api/http/routerErrors.js';
import { REDACT_PATHS, serializeRequest } from './api/http/logging.js';
import { createNativeApi } from './api/native/index.js';
import type { Config } from './config.js';
import { GatewayError } from './core/errors.js';
import type { GatewayCore } from './core/gateway.js';

export const BODY_LIMIT_BYTES = 64 * 1024;

export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export interface BuildAppOptions {
  core: GatewayCore;
  config: Config;
  logger: Logger;
  plugins?: Array<{ plugin: ApiPlugin; prefix?: string }>;
  /** Extra fields for /health (engine, store, sandbox details …). */
  health?: () => Record<string, unknown>;
  /** /ready answers 200 only when this returns true (default: always). */
  ready?: () => boolean;
  /** Wrong-key throttle limits (default: src/api/http/authThrottle.ts constants). */
  authThrottle?: AuthThrottleOptions;
  /** SSE heartbeat interval (default 15 s). */
  sseHeartbeatMs?: number;
  /** Sees every route as it is added (the route fuzz test lists them this way). */
  onRoute?: (route: RouteOptions) => void;
  /** Runs first for every request (cluster mode: bring the session list up to date, forward to a session's owner). */
  onRequest?: onRequestAsyncHookHandler;
}

export async function buildApp(opts: BuildAppOptions): Promise<FastifyInstance> {
  const { core, config } = opts;
  const startedAt = Date.now();
  const logger = opts.logger.child({}, { serializers: { req: serializeRequest }, redact: REDACT_PATHS });

  // Native by default; dialects and the dashboard add their prefixes as they register.
  const surfaces = new ErrorSurfaces(nativeSurface);
  surfaces.add(nativeSurface, ['/api/v1', '/sandbox']);

  const limits = config.limits;
  const app = Fastify({
    loggerInstance: logger,
    // A client trickling its headers or body is cut off (408 in its surface's envelope, see routerErrors.ts).
    // Both bound receiving the request only: a response (an SSE stream) may last as long as it likes.
    requestTimeout: limits.requestTimeoutMs,
    http: { headersTimeout: limits.headersTimeoutMs, connectionsCheckingInterval: timeoutCheckIntervalMs(limits) },
    frameworkErrors: frameworkErrorHandler(surfaces),
    clientErrorHandler: clientErrorHandler(surfaces),
    bodyLimit: BODY_LIMIT_BYTES,
    // SSE streams never go idle; close them too when the server stops.
    forceCloseConnections: true,
    routerOptions: { ignoreTrailingSlash: true },
    // Behind a TLS proxy: request.protocol, .ip and .host come from its X-Forwarded-* headers (WAGATE_TRUST_PROXY).
    trustProxy: config.server.trustProxy,
  }).withTypeProvider<TypeBoxTypeProvider>();

  // TypeBox checks bodies strictly (no coercion: a number is not a string) and
  // never strips unknown fields, so `additionalProperties: false` means 400.
  app.setValidatorCompiler(TypeBoxValidatorCompiler);

  if (opts.onRoute) app.addHook('onRoute', opts.onRoute);
  if (opts.onRequest) app.addHook('onRequest', opts.onRequest);
  app.decorate('errorSurfaces', surfaces);
  app.decorate('streamSlots', new StreamSlots(limits));
  limitConnectionsPerAddress(app.server, limits.maxConnectionsPerAddress);
  // The provider type does not matter to parsers and the throttle.
  installBodyParsers(app as unknown as FastifyInstance);
  await installAuthThrottle(app as unknown as FastifyInstance, core.shared, opts.authThrottle);

  app.setErrorHandler((err, request, reply) => {
    const error = toGatewayError(err);
    logIfServerError(request, error, err);
    return renderNativeError(error, reply);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    return renderNativeError(new GatewayError('NOT_FOUND', `No route ${request.method} ${path}`), reply);
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'wagate',
        version: VERSION,
        description:
          'Self-hosted, multi-session WhatsApp HTTP gateway. Authenticate with `Authorization: Bearer <key>` ' +
          '(or `X-Api-Key: <key>`). Successful responses are `{"data": …}`; errors are ' +
          '`{"error": {"code", "message", "details"}}` with a stable `code`.',
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'Admin key (`wg_…`) or session key (`wgs_…`)' },
          apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
        },
      },
      tags: [
        { name: 'Sessions', description: 'Create and manage WhatsApp sessions' },
        { name: 'Pairing', description: 'Link a device by QR code or pairing code' },
        { name: 'API keys', description: 'Keys limited to one session' },
        { name: 'Messages', description: 'Send and receive messages; chats, media, read receipts, presence' },
        { name: 'Groups', description: 'Groups of the linked account' },
        { name: 'Contacts', description: 'Which phone numbers have WhatsApp' },
        { name: 'Events', description: 'Live events (SSE) and history' },
        { name: 'Webhooks', description: 'Signed, retried, ordered HTTP callbacks for events, with delivery logs and replay' },
        { name: 'Operations', description: 'Health and readiness' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  // A browser at the root wants the dashboard; an API client wants to know where things are.
  app.get('/', { schema: { hide: true } }, async (request, reply) => {
    const accept = String(request.headers.accept ?? '');
    if (accept.includes('text/html')) return reply.redirect('/dashboard', 302);
    return reply
      .type('application/json; charset=utf-8')
      .serializer((p: unknown) => JSON.stringify(p))
      .send({ name: 'wagate', version: VERSION, links: { dashboard: '/dashboard', docs: '/docs', openapi: '/openapi.json', health: '/health', api: '/api/v1' } });
  });

  app.get(
    '/health',
    {
      schema: {
        summary: 'Health',
        description:
          'Liveness for load balancers: status, version and whether this is a sandbox. No authentication. ' +
          'Sent with the admin key it adds uptime, session counts by state, engine and store.',
        tags: ['Operations'],
        response: {
          200: Type.Object(
            {
              status: Type.Literal('ok'),
              sandbox: Type.Boolean(),
              version: Type.String(),
              uptimeS: Type.Optional(Type.Integer({ description: 'With the admin key' })),
              sessions: Type.Optional(
                Type.Record(Type.String(), Type.Integer(), { description: 'With the admin key: session count per state, plus `total`' }),
              ),
            },
            { additionalProperties: true },
          ),
        },
      },
    },
    async (request, reply) => {
      let body: { status: 'ok'; sandbox: boolean; version: string } & Record<string, unknown> = {
        status: 'ok',
        sandbox: config.sandbox.enabled,
        version: VERSION,
      };
      // Counts tell an outsider how the gateway is used: only for the admin key.
      if (extractApiKey(request) !== undefined) {
        await authenticate(request, core.apiKeys);
        authorizeRequest(request, { action: 'gateway.operate' });
        const sessions: Record<string, number> = { total: 0 };
        for (const view of core.sessions.list()) {
          sessions[view.state] = (sessions[view.state] ?? 0) + 1;
          sessions.total! += 1;
        }
        body = { ...body, uptimeS: Math.floor((Date.now() - startedAt) / 1000), sessions, ...opts.health?.() };
      }
      // Extra health fields are free-form: skip the schema's trimming.
      return reply
        .type('application/json; charset=utf-8')
        .serializer((p: unknown) => JSON.stringify(p))
        .send(body);
    },
  );

  app.get(
    '/ready',
    {
      schema: {
        summary: 'Readiness',
        description: '200 once the gateway has restored its sessions and can take traffic, else 503. No authentication.',
        tags: ['Operations'],
        response: {
          200: Type.Object({ ready: Type.Literal(true) }),
          503: Type.Object({ ready: Type.Literal(false) }),
        },
      },
    },
    async (_request, reply) => {
      const ready = opts.ready?.() ?? true;
      return reply.status(ready ? 200 : 503).send({ ready });
    },
  );

  await app.register(createNativeApi({ sseHeartbeatMs: opts.sseHeartbeatMs }), { prefix: '/api/v1', core, config });
  for (const { plugin, prefix } of opts.plugins ?? []) {
    await app.register(plugin, { prefix, core, config });
  }
  // Callers see a plain instance; the TypeBox provider only matters to route typing here.
  return app as unknown as FastifyInstance;
}
