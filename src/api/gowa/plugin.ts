/**
 * Seed 003: GOWA (go-whatsapp-web-multidevice). HTTP Basic auth on
 * everything but /statics. Devices are core sessions; the login calls start
 * the connection themselves. `/app/*` are the header-scoped twins, the device
 * chosen by `X-Device-Id` or `?device_id=` (or the only device there is).
 * The send and message routes (./sending.ts) pick their device the same way.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../../core/errors.js';
import type { ApiPlugin } from '../types.js';
import { authorizeRequest } from '../http/auth.js';
import { refuseWrongCredentials } from '../http/authThrottle.js';
import { headerValue, queryOrBodyField, stringField } from '../compat-shared/credentials.js';
import { installDialectHandlers, sessionIdFromParams } from '../compat-shared/dialectPlugin.js';
import { qrPng } from '../compat-shared/qrImage.js';
import { secondsUntil } from '../compat-shared/sessions.js';
import { PAIRING_CODE_WAIT_MS, QR_WAIT_MS } from '../compat-shared/timing.js';
import { basicCredentials, checkBasicAuth, parseGowaUsers } from './basicAuth.js';
import { gowaDevice, gowaStatus } from './deviceState.js';
import { QrFiles } from './qrFiles.js';
import { applyOffsetQuery, offsetQuery } from '../compat-shared/paging.js';
import { sortByCreation } from '../http/sessionPaging.js';
import { gowaUserRoutes } from './userCheck.js';
import { gowaSuccess, renderGowaError } from './render.js';
import { GOWA_FORMAT, gowaWebhookFormat, gowaWebhooks } from './webhooks.js';
import { gowaSendRoutes } from './sending.js';
import { installMultipartBodies } from '../compat-shared/multipartBodies.js';

export const GOWA_ROOT_PATHS = ['/devices', '/app', '/statics', '/send', '/message', '/user'];

type DeviceParams = { device_id: string };

export const gowaPlugin: ApiPlugin = async (app: FastifyInstance, opts) => {
  const { core, config } = opts;
  // The dialect's own renderEvent (index.ts imports this module, so it is read once both are loaded).
  const { gowaDialect } = await import('./index.js');
  core.webhooks.registerFormat(GOWA_FORMAT, gowaWebhookFormat((event) => gowaDialect.renderEvent?.(event) ?? null));
  // The configured URLs, exactly: added ones are created, removed ones (and their pending deliveries) dropped.
  await core.webhooks.syncDialectWebhooks(GOWA_FORMAT, null, gowaWebhooks(config.dialects.gowa.webhooks, config.dialects.gowa.webhookSecret));
  const users = parseGowaUsers(config.dialects.gowa.users);
  const files = new QrFiles(core.shared);
  await installMultipartBodies(app); // /send/image etc. take uploads, as the original does
  installDialectHandlers(app, {
    name: 'gowa',
    render: renderGowaError,
    rootPaths: GOWA_ROOT_PATHS,
    sessionIdOf: (request) =>
      sessionIdFromParams(request) ?? headerValue(request, 'x-device-id') ?? stringField(request.query, 'device_id'),
  });

  // QR images need no auth, as in the original (the file name is unguessable and short-lived).
  const servePng = async (request: FastifyRequest<{ Params: { file: string } }>, reply: FastifyReply) => {
    const png = await files.get(request.params.file);
    if (png === undefined) throw new GatewayError('NOT_FOUND', 'File not found');
    return reply.type('image/png').header('cache-control', 'no-store').send(png);
  };
  app.get('/statics/images/qrcode/:file', servePng);
  app.get('/statics/qrcode/:file', servePng);

  const baseUrl = (request: FastifyRequest): string =>
    (config.server.publicUrl?.replace(/\/+$/, '') ?? `${request.protocol}://${request.host}`) + app.prefix;

  const qrLogin = async (request: FastifyRequest, deviceId: string) => {
    core.sessions.get(deviceId); // 404 for an unknown device before anything starts
    const qr = await core.sessions.waitForQr(deviceId, QR_WAIT_MS);
    const duration = secondsUntil(qr.expiresAt);
    const file = await files.put(await qrPng(qr.qr), duration);
    request.log.child({ sessionId: deviceId }).info('gowa QR image issued');
    return gowaSuccess('QR code generated successfully', {
      qr_duration: duration,
      qr_link: `${baseUrl(request)}/statics/images/qrcode/${file}`,
      device_id: deviceId,
    });
  };

  const codeLogin = async (request: FastifyRequest, deviceId: string) => {
    core.sessions.get(deviceId);
    const phone = queryOrBodyField(request, 'phone', 'phone_number', 'phoneNumber');
    if (phone === undefined) throw new GatewayError('BAD_REQUEST', 'phone is required');
    const info = await core.sessions.connectAndRequestPairingCode(deviceId, phone, PAIRING_CODE_WAIT_MS);
    return gowaSuccess('Pairing code generated successfully', { pair_code: info.code, device_id: deviceId });
  };

  const logout = async (deviceId: string) => {
    await core.sessions.logout(deviceId);
    return gowaSuccess('Success logout', { device_id: deviceId });
  };

  const reconnect = async (deviceId: string) => {
    await core.sessions.connect(deviceId);
    return gowaSuccess('Reconnect success', { device_id: deviceId });
  };

  const listDevices = () => sortByCreation(core.sessions.list()).map(gowaDevice);

  await app.register(async (authed) => {
    authed.addHook('onRequest', async (request) => {
      const refusal = new GatewayError('UNAUTHORIZED', 'Unauthorized');
      if (basicCredentials(request) === undefined) throw refusal;
      if (!(await checkBasicAuth(core, users, request))) await refuseWrongCredentials(request, refusal);
    });

    // GOWA pages nothing; limit/offset are accepted so a long list can be fetched in parts.
    authed.get('/devices', async (request) =>
      gowaSuccess('Fetch device list success', applyOffsetQuery(listDevices(), offsetQuery(request.query), () => '')),
    );

    authed.post('/devices', async (request) => {
      authorizeRequest(request, { action: 'session.create' });
      const deviceId = stringField(request.body, 'device_id', 'id');
      const view = await core.sessions.create(deviceId === undefined ? {} : { sessionId: deviceId });
      request.log.child({ sessionId: view.sessionId }).info('gowa device created');
      return gowaSuccess('Device created', gowaDevice(view));
    });

    authed.get<{ Params: DeviceParams }>('/devices/:device_id', async (request) =>
      gowaSuccess('Fetch device success', gowaDevice(core.sessions.get(request.params.device_id))),
    );

    authed.delete<{ Params: DeviceParams }>('/devices/:device_id', async (request) => {
      authorizeRequest(request, { action: 'session.delete', sessionId: request.params.device_id });
      await core.sessions.delete(request.params.device_id);
      return gowaSuccess('Device removed');
    });

    authed.get<{ Params: DeviceParams }>('/devices/:device_id/login', async (request) => qrLogin(request, request.params.device_id));
    authed.post<{ Params: DeviceParams }>('/devices/:device_id/login/code', async (request) =>
      codeLogin(request, request.params.device_id),
    );
    authed.get<{ Params: DeviceParams }>('/devices/:device_id/status', async (request) =>
      gowaSuccess('Fetch device status success', gowaStatus(core.sessions.get(request.params.device_id))),
    );
    // The per-device twins answer as the original's device handlers do: their own words, no results.
    authed.post<{ Params: DeviceParams }>('/devices/:device_id/logout', async (request) => {
      await logout(request.params.device_id);
      return gowaSuccess('Logout requested');
    });
    authed.post<{ Params: DeviceParams }>('/devices/:device_id/reconnect', async (request) => {
      await reconnect(request.params.device_id);
      return gowaSuccess('Reconnect requested');
    });

    // The /app/* twins: the device comes from a header or the query, or is the only one.
    const scopedDevice = (request: FastifyRequest): string => {
      const named = headerValue(request, 'x-device-id') ?? stringField(request.query, 'device_id');
      if (named !== undefined) {
        core.sessions.get(named);
        return named;
      }
      const all = core.sessions.list();
      const [only] = all;
      if (all.length === 1 && only !== undefined) return only.sessionId;
      throw new GatewayError('BAD_REQUEST', 'device_id is required: send the X-Device-Id header or the device_id query parameter');
    };
    const both = ['GET', 'POST'] as const;
    authed.route({ method: [...both], url: '/app/login', handler: async (request) => qrLogin(request, scopedDevice(request)) });
    authed.route({ method: [...both], url: '/app/login-with-code', handler: async (request) => codeLogin(request, scopedDevice(request)) });
    authed.route({ method: [...both], url: '/app/logout', handler: async (request) => logout(scopedDevice(request)) });
    authed.route({ method: [...both], url: '/app/reconnect', handler: async (request) => reconnect(scopedDevice(request)) });
    authed.get('/app/status', async (request) => gowaSuccess('Fetch device status success', gowaStatus(core.sessions.get(scopedDevice(request)))));
    gowaSendRoutes(authed, core, scopedDevice);
    gowaUserRoutes(authed, core, scopedDevice);

    authed.get('/app/devices', async (request) =>
      gowaSuccess(
        'Fetch device success',
        applyOffsetQuery(
          sortByCreation(core.sessions.list()).map((view) => ({ name: view.displayName ?? view.sessionId, device: view.me?.jid ?? view.sessionId })),
          offsetQuery(request.query),
          () => '',
        ),
      ),
    );
  });
};
