/**
 * The guard's own endpoints: its status, sending an owner code, and
 * enrolling or removing an authenticator app.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import QRCode from 'qrcode';
import { GatewayError } from '../../../core/errors.js';
import { GUARDED_ACTIONS, type GuardedAction, type OtpGuard } from './otpGuard.js';

function body(request: FastifyRequest): Record<string, unknown> {
  const value = request.body;
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function codeFrom(request: FastifyRequest): string {
  const code = body(request).code;
  if (typeof code !== 'string' || !/^\s*\d{6}\s*$/.test(code)) {
    throw new GatewayError('VALIDATION_FAILED', 'Enter the 6-digit code from your authenticator app', { field: 'code' });
  }
  return code.trim();
}

export async function registerOtpRoutes(app: FastifyInstance, opts: { guard: OtpGuard }): Promise<void> {
  const { guard } = opts;

  app.get('/api/otp', async () => guard.status());

  const codeRequest = (request: FastifyRequest): { action: GuardedAction; sessionId: string } => {
    const { action, sessionId } = body(request);
    if (typeof action !== 'string' || !GUARDED_ACTIONS.includes(action as GuardedAction)) {
      throw new GatewayError('VALIDATION_FAILED', `"action" must be one of ${GUARDED_ACTIONS.join(', ')}`, { field: 'action' });
    }
    if (typeof sessionId !== 'string' || sessionId === '') {
      throw new GatewayError('VALIDATION_FAILED', '"sessionId" is required', { field: 'sessionId' });
    }
    return { action: action as GuardedAction, sessionId };
  };

  app.post('/api/otp/send', async (request: FastifyRequest, reply: FastifyReply) => {
    const { action, sessionId } = codeRequest(request);
    const courier = guard.deliverySessionId();
    if (courier === undefined || guard.runsHere(courier)) return guard.sendCode(action, sessionId);
    // With many nodes, the courier session runs on another node: the courier route below is
    // about that session, so the cluster layer hands the request (cookie, CSRF token, Host) to its node.
    const answer = await app.inject({
      method: 'POST',
      url: `${app.prefix}/api/otp/send/${encodeURIComponent(courier)}`,
      headers: pick(request.headers, ['cookie', 'x-csrf-token', 'host', 'origin', 'user-agent']),
      payload: { action, sessionId },
    });
    return reply.code(answer.statusCode).header('content-type', answer.headers['content-type'] ?? 'application/json').send(answer.body);
  });

  // The same, through a chosen connected session (the route the one above uses across nodes).
  // The path names the courier `sessionId`: that is the parameter the cluster layer routes by.
  app.post('/api/otp/send/:sessionId', async (request: FastifyRequest<{ Params: { sessionId: string } }>) => {
    const { action, sessionId } = codeRequest(request);
    return guard.sendCode(action, sessionId, request.params.sessionId);
  });

  app.post('/api/otp/totp/setup', async () => {
    const setup = await guard.beginTotpSetup('dashboard');
    const svg = await QRCode.toString(setup.uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    return { ...setup, image: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}` };
  });

  app.post('/api/otp/totp/enable', async (request: FastifyRequest) => {
    await guard.enableTotp(codeFrom(request));
    return guard.status();
  });

  app.post('/api/otp/totp/disable', async (request: FastifyRequest) => {
    await guard.disableTotp(codeFrom(request));
    return guard.status();
  });
}

function pick(headers: FastifyRequest['headers'], names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = headers[name];
    if (typeof value === 'string') out[name] = value;
  }
  return out;
}
