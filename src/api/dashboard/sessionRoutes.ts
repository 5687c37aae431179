/**
 * The dashboard's session endpoints: thin calls into core.sessions, with the
 * one-time-code guard in front of logout, delete and QR reveal.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import QRCode from 'qrcode';
import { GatewayError } from '../../core/errors.js';
import type { GatewayCore } from '../../core/gateway.js';
import type { CreateSessionInput } from '../../core/model.js';
import { authorizeRequest } from '../http/auth.js';
import { signedInUser } from './auth.js';
import type { OtpGuard } from './otp/otpGuard.js';
import { parseBulkRequest, runBulk } from './bulkActions.js';
import { publicEvent } from './publicEvent.js';
import { parseSessionQuery, querySessions } from './sessionQuery.js';

export const OTP_HEADER = 'x-otp-code';

type SessionRequest = FastifyRequest<{ Params: { sessionId: string } }>;

function otpCode(request: FastifyRequest): string | undefined {
  const value = request.headers[OTP_HEADER];
  return typeof value === 'string' ? value : undefined;
}

function bodyObject(request: FastifyRequest): Record<string, unknown> {
  const body = request.body;
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new GatewayError('BAD_REQUEST', 'The body must be a JSON object');
  return body as Record<string, unknown>;
}

function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new GatewayError('VALIDATION_FAILED', `"${field}" must be text`, { field });
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

export async function renderQrImage(payload: string): Promise<string> {
  const svg = await QRCode.toString(payload, { type: 'svg', errorCorrectionLevel: 'M', margin: 2, color: { dark: '#111111', light: '#ffffff' } });
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
}

export async function registerSessionRoutes(app: FastifyInstance, opts: { core: GatewayCore; guard: OtpGuard }): Promise<void> {
  const { core, guard } = opts;
  const sessions = core.sessions;

  app.get('/api/sessions', async (request: FastifyRequest<{ Querystring: Record<string, unknown> }>) =>
    querySessions(sessions.list(), parseSessionQuery(request.query ?? {})),
  );

  app.post('/api/sessions/bulk', async (request: FastifyRequest) => {
    const bulk = parseBulkRequest(bodyObject(request));
    // The one permission rule, as for single-session routes elsewhere (the signed-in page acts as the admin).
    for (const sessionId of bulk.sessionIds) authorizeRequest(request, { action: 'session.use', sessionId });
    const results = await runBulk(sessions, bulk, (sessionId, err) =>
      request.log.error({ sessionId, err }, `bulk ${bulk.action} failed unexpectedly`),
    );
    request.log.info({ action: bulk.action, sessions: bulk.sessionIds.length }, 'bulk action from the dashboard');
    return { results };
  });

  app.post('/api/sessions', async (request: FastifyRequest, reply: FastifyReply) => {
    const body = bodyObject(request);
    const input: CreateSessionInput = {};
    const sessionId = optionalString(body, 'sessionId');
    const displayName = optionalString(body, 'displayName');
    if (sessionId !== undefined) input.sessionId = sessionId;
    if (displayName !== undefined) input.displayName = displayName;
    const view = await sessions.create(input);
    request.log.info({ sessionId: view.sessionId }, 'session created from the dashboard');
    return reply.code(201).send(view);
  });

  app.get('/api/sessions/:sessionId', async (request: SessionRequest) => sessions.get(request.params.sessionId));

  app.post('/api/sessions/:sessionId/connect', async (request: SessionRequest) => {
    const { sessionId } = request.params;
    const view = await sessions.connect(sessionId);
    request.log.info({ sessionId }, 'session connect from the dashboard');
    return view;
  });

  app.post('/api/sessions/:sessionId/disconnect', async (request: SessionRequest) => {
    const { sessionId } = request.params;
    const view = await sessions.disconnect(sessionId);
    request.log.info({ sessionId }, 'session disconnect from the dashboard');
    return view;
  });

  app.post('/api/sessions/:sessionId/logout', async (request: SessionRequest) => {
    const { sessionId } = request.params;
    sessions.get(sessionId); // 404 before asking for a code
    await guard.authorize('logout', sessionId, otpCode(request), signedInUser(request).id);
    const view = await sessions.logout(sessionId);
    request.log.info({ sessionId }, 'session logged out from the dashboard');
    return view;
  });

  app.delete('/api/sessions/:sessionId', async (request: SessionRequest, reply: FastifyReply) => {
    const { sessionId } = request.params;
    sessions.get(sessionId);
    await guard.authorize('delete', sessionId, otpCode(request), signedInUser(request).id);
    await sessions.delete(sessionId);
    request.log.info({ sessionId }, 'session deleted from the dashboard');
    return reply.code(204).send();
  });

  app.get('/api/sessions/:sessionId/qr', async (request: SessionRequest) => {
    const { sessionId } = request.params;
    // Ask for a code only when there is a QR to reveal.
    sessions.getQr(sessionId);
    await guard.authorize('qr', sessionId, otpCode(request), signedInUser(request).id);
    const qr = sessions.getQr(sessionId); // it may have rotated while the code was checked
    return { ...qr, image: await renderQrImage(qr.qr) };
  });

  app.post('/api/sessions/:sessionId/pairing-code', async (request: SessionRequest) => {
    const { sessionId } = request.params;
    const phoneNumber = bodyObject(request).phoneNumber;
    if (typeof phoneNumber !== 'string' || phoneNumber.trim() === '') {
      throw new GatewayError('INVALID_PHONE_NUMBER', 'Enter the phone number with its country code', { field: 'phoneNumber' });
    }
    const info = await sessions.requestPairingCode(sessionId, phoneNumber.trim());
    request.log.info({ sessionId }, 'pairing code requested from the dashboard');
    return info;
  });

  app.get('/api/sessions/:sessionId/events', async (request: FastifyRequest<{ Params: { sessionId: string }; Querystring: { limit?: string } }>) => {
    const { sessionId } = request.params;
    sessions.get(sessionId);
    const asked = Number.parseInt(request.query.limit ?? '', 10);
    const limit = Number.isFinite(asked) ? Math.min(Math.max(asked, 1), 200) : 50;
    const events = await core.events.history(sessionId, limit);
    return { events: events.map(publicEvent) };
  });
}
