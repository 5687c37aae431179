/**
 * Seed 002: go-whatsapp-multi-session. Devices are core sessions. The admin
 * key (`X-API-Key`) creates devices; every `/devices/me…` call carries the
 * device's JWT as `Authorization: Bearer <jwt>` or the raw token.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError, isGatewayError } from '../../core/errors.js';
import type { SessionView } from '../../core/model.js';
import type { ApiPlugin } from '../types.js';
import { authorizeRequest } from '../http/auth.js';
import { refuseWrongCredentials } from '../http/authThrottle.js';
import { headerValue, queryOrBodyField, requirePrincipal, stringField } from '../compat-shared/credentials.js';
import { installDialectHandlers } from '../compat-shared/dialectPlugin.js';
import { qrDataUrl } from '../compat-shared/qrImage.js';
import { secondsUntil } from '../compat-shared/sessions.js';
import { PAIRING_CODE_WAIT_MS, QR_WAIT_MS } from '../compat-shared/timing.js';
import { DeviceTokens } from './deviceTokens.js';
import { gomultiClientError, gomultiConnection, gomultiDeviceStatus } from './deviceStatus.js';
import { gomultiSuccess, renderGomultiError } from './render.js';
import { gomultiMessagingRoutes } from './messaging.js';
import { installMultipartBodies } from '../compat-shared/multipartBodies.js';

export const GOMULTI_ROOT_PATHS = ['/devices', '/chats', '/messages'];

const MISSING_AUTH = 'Invalid or missing authentication';
const BAD_TOKEN = 'Invalid or expired JWT token';

function deviceView(view: SessionView): Record<string, unknown> {
  return {
    device_id: view.sessionId,
    device_name: view.displayName ?? view.sessionId,
    whatsmeow_jid: view.me?.jid ?? '',
    status: gomultiDeviceStatus(view),
    created_at: view.createdAt,
    last_active: view.connectedAt ?? view.updatedAt,
  };
}

function qrPage(dataUrl: string, timeoutSeconds: number): string {
  return `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="${timeoutSeconds}"><title>WhatsApp login</title></head><body style="display:flex;justify-content:center;align-items:center;height:100vh;margin:0"><img alt="WhatsApp QR code" src="${dataUrl}"></body></html>`;
}

export const gomultiPlugin: ApiPlugin = async (app: FastifyInstance, opts) => {
  const { core } = opts;
  const tokens = new DeviceTokens(core);
  /** The device of a request whose token the /devices/me hook accepted: its principal's session. */
  const deviceOfRequest = (request: FastifyRequest): string | undefined =>
    request.principal?.kind === 'session' ? request.principal.sessionId : undefined;
  installDialectHandlers(app, {
    name: 'gomulti',
    render: renderGomultiError,
    rootPaths: GOMULTI_ROOT_PATHS,
    sessionIdOf: deviceOfRequest,
    routeSessionOf: (request) => tokens.deviceNamedBy(headerValue(request, 'authorization')),
  });

  await installMultipartBodies(app); // media routes take the file as multipart, as the original does

  const requireDevice = async (request: FastifyRequest): Promise<void> => {
    const header = headerValue(request, 'authorization');
    if (header === undefined) throw new GatewayError('UNAUTHORIZED', MISSING_AUTH);
    // The seed's curl sends the raw token; the original's code wants `Bearer <jwt>`.
    const token = header.replace(/^Bearer\s+/i, '').trim();
    if (token === '') throw new GatewayError('UNAUTHORIZED', BAD_TOKEN);
    const principal = await tokens.verify(token);
    if (principal === undefined) return refuseWrongCredentials(request, new GatewayError('UNAUTHORIZED', BAD_TOKEN));
    request.principal = principal;
  };

  /** The token's device, once the core's rule allowed the token to use it. */
  const deviceIdOf = (request: FastifyRequest): string => {
    const deviceId = deviceOfRequest(request);
    if (deviceId === undefined) throw new GatewayError('UNAUTHORIZED', MISSING_AUTH);
    authorizeRequest(request, { action: 'session.use', sessionId: deviceId });
    return deviceId;
  };

  app.post('/devices', async (request, reply) => {
    const principal = await requirePrincipal(request, core, headerValue(request, 'x-api-key'), new GatewayError('UNAUTHORIZED', MISSING_AUTH));
    // The seed documents 401 for any key that may not create devices.
    if (principal.kind !== 'admin') throw new GatewayError('UNAUTHORIZED', MISSING_AUTH);
    authorizeRequest(request, { action: 'session.create' });
    const name = stringField(request.body, 'device_name', 'name');
    const view = await core.sessions.create(name === undefined ? {} : { displayName: name });
    const secret = await tokens.createSecret(view.sessionId);
    const token = await tokens.mint(view.sessionId, secret.keyId);
    request.log.child({ sessionId: view.sessionId }).info('gomulti device created');
    return reply.code(201).send(
      gomultiSuccess(
        'Device created successfully',
        { device_id: view.sessionId, device_secret: secret.key, device_name: view.displayName ?? view.sessionId, token },
        201,
      ),
    );
  });

  app.post('/devices/token', async (request) => {
    const deviceId = stringField(request.body, 'device_id');
    const secret = stringField(request.body, 'device_secret');
    if (deviceId === undefined || secret === undefined) {
      throw new GatewayError('BAD_REQUEST', 'device_id and device_secret are required');
    }
    let secretKeyId: string;
    try {
      if (!core.sessions.has(deviceId)) throw new GatewayError('UNAUTHORIZED', 'Invalid device credentials');
      secretKeyId = await tokens.checkSecret(deviceId, secret);
    } catch (err) {
      // A wrong device secret is a wrong key like any other: it counts towards the throttle.
      if (isGatewayError(err) && err.code === 'UNAUTHORIZED') return refuseWrongCredentials(request, err);
      throw err;
    }
    const token = await tokens.mint(deviceId, secretKeyId);
    request.log.child({ sessionId: deviceId }).info('gomulti token minted; older tokens revoked');
    return gomultiSuccess('Token generated successfully', { device_id: deviceId, token });
  });

  // Everything under /devices/me, and the chat and message routes, need the device's token.
  await app.register(async (me) => {
    me.addHook('onRequest', requireDevice);

    me.get('/devices/me', async (request) => gomultiSuccess('Success', deviceView(core.sessions.get(deviceIdOf(request)))));

    // The original's handler fields, exactly: its status from the database, whether a client is loaded, the flags, the last error.
    me.get('/devices/me/status', async (request) => {
      const view = core.sessions.get(deviceIdOf(request));
      const connection = gomultiConnection(view);
      return gomultiSuccess('Device status', {
        db_status: gomultiDeviceStatus(view),
        client_loaded: view.active,
        connected: connection.is_connected && connection.is_logged_in,
        ...connection,
        error: connection.is_logged_in ? '' : gomultiClientError(view),
      });
    });

    const login = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      const deviceId = deviceIdOf(request);
      const qr = await core.sessions.waitForQr(deviceId, QR_WAIT_MS);
      const dataUrl = await qrDataUrl(qr.qr);
      const timeout = secondsUntil(qr.expiresAt);
      if (stringField(request.query, 'output') === 'json') {
        return reply.send(gomultiSuccess('Success', { QRCode: dataUrl, Timeout: timeout }));
      }
      return reply.type('text/html; charset=utf-8').send(qrPage(dataUrl, timeout));
    };
    me.get('/devices/me/login', login);
    me.post('/devices/me/login', login);

    me.post('/devices/me/login-code', async (request) => {
      const deviceId = deviceIdOf(request);
      const phone = queryOrBodyField(request, 'phone', 'phone_number', 'phoneNumber');
      if (phone === undefined) throw new GatewayError('BAD_REQUEST', 'Phone number is required');
      try {
        const info = await core.sessions.connectAndRequestPairingCode(deviceId, phone, PAIRING_CODE_WAIT_MS);
        return gomultiSuccess('Pairing code generated successfully', { pair_code: info.code, timeout: secondsUntil(info.expiresAt) });
      } catch (err) {
        // The seed documents one 500 for every failure to obtain a code from WhatsApp.
        if (isGatewayError(err) && err.status >= 500) {
          throw new GatewayError('INTERNAL', 'Failed to generate pairing code', undefined, { cause: err });
        }
        throw err;
      }
    });

    me.post('/devices/me/reconnect', async (request) => {
      await core.sessions.connect(deviceIdOf(request));
      return gomultiSuccess('Success reconnect device');
    });

    me.delete('/devices/me/session', async (request) => {
      await core.sessions.logout(deviceIdOf(request));
      return gomultiSuccess('Success logout device');
    });

    gomultiMessagingRoutes(me, core, deviceIdOf);
  });
};
