/**
 * Seed 004: Wawp. Every call carries `access_token` (the admin key, or a key
 * scoped to the instance) and `instance_id` (the session id) in the query or
 * the body. Explicit start; QR and code only in SCAN_QR_CODE, else 422
 * "Session Status Not Expected".
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import { GatewayError } from '../../core/errors.js';
import type { SessionView } from '../../core/model.js';
import type { ApiPlugin } from '../types.js';
import { mayAccess, type Action } from '../../core/access.js';
import { authorizeRequest } from '../http/auth.js';
import { headerValue, queryOrBodyField, requirePrincipal, stringField } from '../compat-shared/credentials.js';
import { logoutIfLinked, restartSession, startSession, stopIfRunning } from '../compat-shared/lifecycle.js';
import { installDialectHandlers } from '../compat-shared/dialectPlugin.js';
import { qrDataUrl, qrPng } from '../compat-shared/qrImage.js';
import { requireScanQrCode } from '../compat-shared/scanQrGuard.js';
import { wahaMe } from '../compat-shared/wahaStatus.js';
import { newInstanceId } from './instanceId.js';
import { wawpInstance } from './instanceInfo.js';
import { makeWawpRenderer } from './render.js';
import { originalQrPayload } from '../compat-shared/qrPayload.js';

export const WAWP_ROOT_PATHS = ['/v2'];

const GET_POST: HTTPMethods[] = ['GET', 'POST'];

function required(request: FastifyRequest, name: string, ...aliases: string[]): string {
  const value = queryOrBodyField(request, name, ...aliases);
  if (value === undefined) throw new GatewayError('BAD_REQUEST', `Missing required parameter: ${name}`);
  return value;
}

export const wawpPlugin: ApiPlugin = async (app: FastifyInstance, opts) => {
  const { core } = opts;
  installDialectHandlers(app, {
    name: 'wawp',
    render: makeWawpRenderer(core),
    rootPaths: WAWP_ROOT_PATHS,
    sessionIdOf: (request) => queryOrBodyField(request, 'instance_id'),
    // Before the body is read: the query's instance_id (a body-only one is served where it lands).
    routeSessionOf: (request) => stringField(request.query, 'instance_id'),
  });

  const INVALID_TOKEN = 'Invalid or missing access token';

  /** The request's access token as `request.principal`, or 401. */
  const authenticate = async (request: FastifyRequest): Promise<void> => {
    await requirePrincipal(request, core, required(request, 'access_token'), new GatewayError('UNAUTHORIZED', INVALID_TOKEN));
  };

  /** The instance a request names, once the core's rule allowed its access token this action on it. */
  const instanceOf = async (request: FastifyRequest, action: Action = 'session.use'): Promise<SessionView> => {
    await authenticate(request);
    const instanceId = required(request, 'instance_id');
    // Wawp answers a token of another instance as an invalid token (401), as before.
    if (!mayAccess(request.principal, instanceId)) throw new GatewayError('UNAUTHORIZED', INVALID_TOKEN);
    authorizeRequest(request, { action, sessionId: instanceId });
    return core.sessions.get(instanceId);
  };

  const info = async (view: SessionView): Promise<Record<string, unknown>> => {
    const qr = view.state === 'qr' && view.qrAvailable ? await qrDataUrl(core.sessions.getQr(view.sessionId).qr) : null;
    return wawpInstance(view, qr);
  };

  const route = (
    methods: HTTPMethods[],
    url: string,
    handler: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>,
  ): void => {
    app.route({ method: methods, url, handler });
  };

  route(GET_POST, '/v2/session/create', async (request) => {
    await authenticate(request);
    authorizeRequest(request, { action: 'session.create' });
    const name = queryOrBodyField(request, 'session_name', 'name');
    const view = await core.sessions.create({
      sessionId: queryOrBodyField(request, 'instance_id') ?? newInstanceId(),
      ...(name === undefined ? {} : { displayName: name }),
    });
    request.log.child({ sessionId: view.sessionId }).info('wawp instance created');
    return { ...(await info(view)), session_name: view.displayName ?? view.sessionId };
  });

  route(GET_POST, '/v2/session/start', async (request) => info(await startSession(core.sessions, (await instanceOf(request)).sessionId)));
  route(GET_POST, '/v2/session/stop', async (request) => info(await stopIfRunning(core.sessions, (await instanceOf(request)).sessionId)));
  route(GET_POST, '/v2/session/restart', async (request) =>
    info(await restartSession(core.sessions, (await instanceOf(request)).sessionId)),
  );

  // Wawp's logout unlinks the device and keeps the instance alive for a new QR.
  route(GET_POST, '/v2/session/logout', async (request) => {
    const view = await instanceOf(request);
    await logoutIfLinked(core.sessions, view.sessionId);
    request.log.child({ sessionId: view.sessionId }).info('wawp instance logged out');
    return info(await startSession(core.sessions, view.sessionId));
  });

  route(['DELETE', 'POST'], '/v2/session/delete', async (request) => {
    const view = await instanceOf(request, 'session.delete');
    await core.sessions.delete(view.sessionId);
    request.log.child({ sessionId: view.sessionId }).info('wawp instance deleted');
    return { instance_id: view.sessionId, deleted: true };
  });

  route(GET_POST, '/v2/session/info', async (request) => info(await instanceOf(request)));
  route(GET_POST, '/v2/session/me', async (request) => wahaMe(await instanceOf(request)));

  route(GET_POST, '/v2/auth/qr', async (request, reply) => {
    const view = await requireScanQrCode(core.sessions, (await instanceOf(request)).sessionId);
    const qr = core.sessions.getQr(view.sessionId);
    if (queryOrBodyField(request, 'format') === 'image') {
      return reply.type('image/png').header('cache-control', 'no-store').send(await qrPng(qr.qr));
    }
    // Wawp's raw form: base64 of {value, expiry}; `value` also given plainly.
    const expiry = Date.parse(qr.expiresAt);
    const value = originalQrPayload(qr.qr);
    const data = Buffer.from(JSON.stringify({ value, expiry })).toString('base64');
    return reply.header('cache-control', 'no-store').send({ mimetype: 'application/json', data, value, expiry });
  });

  // An <img src> GET gets the PNG; Wawp's documented POST (or Accept: application/json) gets `{"qr": <data URL>}`.
  route(GET_POST, '/v2/auth/qr-image', async (request, reply) => {
    const view = await requireScanQrCode(core.sessions, (await instanceOf(request)).sessionId);
    const qr = core.sessions.getQr(view.sessionId);
    reply.header('cache-control', 'no-store');
    if (request.method === 'POST' || headerValue(request, 'accept') === 'application/json') {
      return reply.send({ qr: await qrDataUrl(qr.qr) });
    }
    return reply.type('image/png').send(await qrPng(qr.qr));
  });

  app.post('/v2/auth/request-code', async (request) => {
    const view = await instanceOf(request);
    const phone = required(request, 'phone_number', 'phoneNumber', 'phone');
    await requireScanQrCode(core.sessions, view.sessionId);
    const code = await core.sessions.requestPairingCode(view.sessionId, phone);
    request.log.child({ sessionId: view.sessionId }).info('wawp pairing code issued');
    return { code: code.code };
  });
};
