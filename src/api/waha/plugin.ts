/**
 * WAHA (devlikeapro). `X-Api-Key` header or `?x-api-key=`: the admin key, or a
 * key scoped to the session named in the path (or, for chatting, the body). Explicit start; QR and code
 * only in SCAN_QR_CODE (else 422 listing the expected statuses).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatewayError, isGatewayError } from '../../core/errors.js';
import { mayAccess, type Action } from '../../core/access.js';
import type { SessionView } from '../../core/model.js';
import type { ApiPlugin } from '../types.js';
import { authorizeRequest } from '../http/auth.js';
import { booleanField, headerValue, requirePrincipal, stringField } from '../compat-shared/credentials.js';
import { logoutIfLinked, restartSession, startSession, stopIfRunning } from '../compat-shared/lifecycle.js';
import { installDialectHandlers } from '../compat-shared/dialectPlugin.js';
import { qrPng } from '../compat-shared/qrImage.js';
import { requireScanQrCode } from '../compat-shared/scanQrGuard.js';
import { wahaStatus } from '../compat-shared/wahaStatus.js';
import { makeWahaRenderer } from './render.js';
import { applyOffsetQuery, offsetQuery } from '../compat-shared/paging.js';
import { sortByCreation } from '../http/sessionPaging.js';
import { wahaSession } from './sessionInfo.js';
import { WAHA_FORMAT, wahaWebhookFormat, wahaWebhooksOf } from './webhooks.js';
import { WAHA_CHATTING_ROOT_PATHS, wahaChattingRoutes } from './chatting.js';
import { originalQrPayload } from '../compat-shared/qrPayload.js';
import { WAHA_CONTACT_ROOT_PATHS, wahaContactRoutes } from './contacts.js';

export const WAHA_ROOT_PATHS = ['/api/sessions', '/api/:session/auth', ...WAHA_CHATTING_ROOT_PATHS, ...WAHA_CONTACT_ROOT_PATHS];

type SessionParams = { session: string };

export const wahaPlugin: ApiPlugin = async (app: FastifyInstance, opts) => {
  opts.core.webhooks.registerFormat(WAHA_FORMAT, wahaWebhookFormat);
  const { core } = opts;
  installDialectHandlers(app, { name: 'waha', render: makeWahaRenderer(core), rootPaths: WAHA_ROOT_PATHS });

  app.addHook('onRequest', async (request) => {
    const key = headerValue(request, 'x-api-key') ?? stringField(request.query, 'x-api-key');
    await requirePrincipal(request, core, key, new GatewayError('UNAUTHORIZED'));
  });

  /** The session's view, after the core's rule allowed the key this action on it (404 when it does not exist). */
  const sessionFor = (request: FastifyRequest, name: string, action: Action = 'session.use'): SessionView => {
    authorizeRequest(request, { action, sessionId: name });
    return core.sessions.get(name);
  };

  const start = (name: string): Promise<SessionView> => startSession(core.sessions, name);
  const stop = (name: string): Promise<SessionView> => stopIfRunning(core.sessions, name);
  const restart = (name: string): Promise<SessionView> => restartSession(core.sessions, name);
  const logout = (name: string): Promise<SessionView> => logoutIfLinked(core.sessions, name);

  app.get('/api/sessions', async (request) => {
    authorizeRequest(request, { action: 'session.list' });
    const all = booleanField(request.query, 'all') === true;
    const paging = offsetQuery(request.query, ['name', 'status']);
    const sessions = sortByCreation(core.sessions.list())
      .filter((view) => mayAccess(request.principal, view.sessionId))
      .map(wahaSession)
      .filter((session) => all || session.status !== 'STOPPED');
    return applyOffsetQuery(sessions, paging, (session, field) => (field === 'status' ? session.status : session.name));
  });

  app.post('/api/sessions', async (request, reply) => {
    authorizeRequest(request, { action: 'session.create' });
    const name = stringField(request.body, 'name');
    const config = (request.body as { config?: { metadata?: Record<string, unknown> } } | undefined)?.config;
    const displayName = stringField(config?.metadata, 'displayName');
    // Checked before anything is created: a bad webhook is a 400 that changes nothing.
    const webhooks = wahaWebhooksOf(config);
    for (const w of webhooks ?? []) await core.webhooks.checkUrl(w.url);
    let view: SessionView;
    try {
      view = await core.sessions.create({ ...(name === undefined ? {} : { sessionId: name }), ...(displayName === undefined ? {} : { displayName }) });
    } catch (err) {
      if (isGatewayError(err) && err.code === 'SESSION_EXISTS') {
        throw new GatewayError('SESSION_EXISTS', `Session '${name}' already exists. Use PUT to update it.`);
      }
      throw err;
    }
    if (webhooks) await core.webhooks.syncDialectWebhooks(WAHA_FORMAT, view.sessionId, webhooks.map((w) => ({ ...w, sessionId: view.sessionId })));
    request.log.child({ sessionId: view.sessionId }).info('waha session created');
    if (booleanField(request.body, 'start') !== false) view = await start(view.sessionId);
    return reply.code(201).send(wahaSession(view));
  });

  // WAHA's older body-addressed routes, still used by many clients.
  const bodyName = (request: FastifyRequest): string => {
    const name = stringField(request.body, 'name');
    if (name === undefined) throw new GatewayError('BAD_REQUEST', 'name is required');
    sessionFor(request, name);
    return name;
  };
  app.post('/api/sessions/start', async (request, reply) => reply.code(201).send(wahaSession(await start(bodyName(request)))));
  app.post('/api/sessions/stop', async (request, reply) => {
    const name = bodyName(request);
    const view = booleanField(request.body, 'logout') === true ? await logout(name) : await stop(name);
    return reply.code(201).send(wahaSession(view));
  });
  app.post('/api/sessions/logout', async (request, reply) => reply.code(201).send(wahaSession(await logout(bodyName(request)))));

  app.get<{ Params: SessionParams }>('/api/sessions/:session', async (request) =>
    wahaSession(sessionFor(request, request.params.session)),
  );
  // Of WAHA's config we keep the webhooks; PUT answers with the session as it is.
  app.put<{ Params: SessionParams }>('/api/sessions/:session', async (request) => {
    const view = sessionFor(request, request.params.session);
    const webhooks = wahaWebhooksOf((request.body as { config?: unknown } | undefined)?.config);
    if (webhooks) {
      for (const w of webhooks) await core.webhooks.checkUrl(w.url);
      await core.webhooks.syncDialectWebhooks(WAHA_FORMAT, view.sessionId, webhooks.map((w) => ({ ...w, sessionId: view.sessionId })));
    }
    return wahaSession(view);
  });
  app.delete<{ Params: SessionParams }>('/api/sessions/:session', async (request, reply) => {
    sessionFor(request, request.params.session, 'session.delete');
    await core.sessions.delete(request.params.session);
    return reply.code(200).send();
  });
  app.get<{ Params: SessionParams }>('/api/sessions/:session/me', async (request) =>
    wahaSession(sessionFor(request, request.params.session)).me,
  );

  const actions: Record<string, (name: string) => Promise<SessionView>> = { start, stop, restart, logout };
  for (const [action, run] of Object.entries(actions)) {
    app.post<{ Params: SessionParams }>(`/api/sessions/:session/${action}`, async (request, reply) => {
      sessionFor(request, request.params.session);
      const view = await run(request.params.session);
      request.log.child({ sessionId: request.params.session }).info({ action }, 'waha session action');
      return reply.code(201).send(wahaSession(view));
    });
  }

  app.get<{ Params: SessionParams }>('/api/:session/auth/qr', async (request, reply) => {
    const name = request.params.session;
    sessionFor(request, name);
    await requireScanQrCode(core.sessions, name);
    const qr = core.sessions.getQr(name);
    if (stringField(request.query, 'format') === 'raw') return { value: originalQrPayload(qr.qr) };
    const png = await qrPng(qr.qr);
    if (headerValue(request, 'accept') === 'application/json') {
      return { mimetype: 'image/png', data: png.toString('base64') };
    }
    return reply.type('image/png').header('cache-control', 'no-store').send(png);
  });

  // 201: NestJS's default for a POST; WAHA's handler sets no other.
  app.post<{ Params: SessionParams }>('/api/:session/auth/request-code', async (request, reply) => {
    const name = request.params.session;
    sessionFor(request, name);
    const phone = stringField(request.body, 'phoneNumber', 'phone_number', 'phone');
    if (phone === undefined) throw new GatewayError('BAD_REQUEST', 'phoneNumber is required');
    const view = await requireScanQrCode(core.sessions, name);
    const info = await core.sessions.requestPairingCode(name, phone);
    request.log.child({ sessionId: name }).info({ status: wahaStatus(view.state) }, 'waha pairing code issued');
    return reply.code(201).send({ code: info.code });
  });

  wahaChattingRoutes(app, core);
  wahaContactRoutes(app, core);
};
