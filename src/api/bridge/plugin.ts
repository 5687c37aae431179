/**
 * Seed 001: the single-session bridge. One session (config.dialects.bridge.sessionId)
 * created on first use; `/session/status|qr|pairing-code|groups|logout`.
 * Auth: `x-admin-token` (also `x-api-key` or `?apiKey=`) holding the admin
 * key or a key scoped to the bridge's session; `/session/status` is open.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatewayError, isGatewayError } from '../../core/errors.js';
import type { GatewayCore } from '../../core/gateway.js';
import type { SessionView } from '../../core/model.js';
import type { ApiPlugin } from '../types.js';
import { authorizeRequest } from '../http/auth.js';
import { headerValue, requirePrincipal, stringField } from '../compat-shared/credentials.js';
import { logoutIfLinked } from '../compat-shared/lifecycle.js';
import { installDialectHandlers } from '../compat-shared/dialectPlugin.js';
import { ensureSession } from '../compat-shared/sessions.js';
import { normalizePhoneNumber } from '../../core/phoneNumber.js';
import { PAIRING_CODE_WAIT_MS, QR_WAIT_MS } from '../compat-shared/timing.js';
import { renderBridgeError } from './render.js';
import { originalQrPayload } from '../compat-shared/qrPayload.js';

export const BRIDGE_ROOT_PATHS = ['/session'];

function presentedKey(request: FastifyRequest): string | undefined {
  return (
    headerValue(request, 'x-admin-token') ??
    headerValue(request, 'x-api-key') ??
    stringField(request.query, 'apiKey')
  );
}

/** The presented key as `request.principal`, allowed to use the bridge's session by the core's rule. */
async function authorize(core: GatewayCore, sessionId: string, request: FastifyRequest): Promise<void> {
  await requirePrincipal(request, core, presentedKey(request), new GatewayError('UNAUTHORIZED', 'Unauthorized'));
  authorizeRequest(request, { action: 'session.use', sessionId });
}

/** A linked bridge that is not running reconnects on first use, as the original auto-reconnects. */
async function ensureRunning(core: GatewayCore, sessionId: string): Promise<SessionView> {
  const view = await ensureSession(core.sessions, sessionId);
  if (view.paired && !view.active) return core.sessions.connect(sessionId);
  return view;
}

export const bridgePlugin: ApiPlugin = async (app: FastifyInstance, opts) => {
  const { core, config } = opts;
  const sessionId = config.dialects.bridge.sessionId;
  const log = app.log.child({ sessionId, dialect: 'bridge' });
  installDialectHandlers(app, { name: 'bridge', render: renderBridgeError, rootPaths: BRIDGE_ROOT_PATHS, sessionIdOf: () => sessionId, routeSessionOf: () => sessionId });

  app.get('/session/status', async () => {
    const connected = core.sessions.has(sessionId) && core.sessions.get(sessionId).connected;
    return { connected };
  });

  app.get('/session/qr', async (request, reply) => {
    await authorize(core, sessionId, request);
    const view = await ensureRunning(core, sessionId);
    if (view.paired) return reply.code(404).send({ error: 'The session is already linked; no QR code is needed.' });
    try {
      const qr = await core.sessions.waitForQr(sessionId, QR_WAIT_MS);
      return { qr: originalQrPayload(qr.qr) };
    } catch (err) {
      if (isGatewayError(err) && (err.code === 'TIMEOUT' || err.code === 'ALREADY_PAIRED' || err.code === 'SESSION_NOT_READY')) {
        return reply.code(404).send({ error: 'No QR code is available yet; try again shortly.' });
      }
      throw err;
    }
  });

  app.post('/session/pairing-code', async (request) => {
    await authorize(core, sessionId, request);
    const number = stringField(request.body, 'number', 'phoneNumber', 'phone');
    if (number === undefined) throw new GatewayError('BAD_REQUEST', 'number is required');
    // A number that cannot work is refused before the bridge's session is created on first use.
    normalizePhoneNumber(number, { sandbox: core.sandbox });
    await ensureSession(core.sessions, sessionId);
    const info = await core.sessions.connectAndRequestPairingCode(sessionId, number, PAIRING_CODE_WAIT_MS);
    log.info('pairing code issued');
    return { code: info.code.replace(/-/g, '') };
  });

  app.get('/session/groups', async (request) => {
    await authorize(core, sessionId, request);
    // Nothing to list before the bridge was ever used: refusing must not create the session.
    if (!core.sessions.has(sessionId)) throw new GatewayError('SESSION_NOT_READY', 'WhatsApp is not connected');
    let view = await ensureRunning(core, sessionId);
    if (view.paired && !view.connected) {
      try {
        view = await core.sessions.waitForState(sessionId, ['connected'], QR_WAIT_MS);
      } catch (err) {
        if (!(isGatewayError(err) && err.code === 'TIMEOUT')) throw err;
      }
    }
    if (!core.sessions.get(sessionId).connected) throw new GatewayError('SESSION_NOT_READY', 'WhatsApp is not connected');
    return core.sessions.groups(sessionId);
  });

  app.post('/session/logout', async (request) => {
    await authorize(core, sessionId, request);
    await ensureSession(core.sessions, sessionId);
    // Clearing an unlinked, idle bridge has nothing to do: the answer is the same.
    await logoutIfLinked(core.sessions, sessionId);
    log.info('session cleared through the bridge API');
    return { status: 'success', message: 'Session cleared.' };
  });
};
