/**
 * The guard's own endpoints: its status, sending an owner code, and
 * enrolling or removing an authenticator app.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
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

  app.post('/api/otp/send', async (request: FastifyRequest) => {
    const { action, sessionId } = body(request);
    if (typeof action !== 'string' || !GUARDED_ACTIONS.includes(action as GuardedAction)) {
      throw new GatewayError('VALIDATION_FAILED', `"action" must be one of ${GUARDED_ACTIONS.join(', ')}`, { field: 'action' });
    }
    if (typeof sessionId !== 'string' || sessionId === '') {
      throw new GatewayError('VALIDATION_FAILED', '"sessionId" is required', { field: 'sessionId' });
    }
    return guard.sendCode(action as GuardedAction, sessionId);
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
