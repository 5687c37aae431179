/**
 * The admin dashboard at /dashboard: our own Preact front end (built from
 * web/ by `npm run build`; at start only when missing), cookie sign-in with the admin key, JSON
 * endpoints under /dashboard/api/* calling the core, a live event stream, and
 * the one-time-code guard for destructive actions.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiPlugin, ApiPluginOptions } from '../types.js';
import { registerAuth } from './auth.js';
import { DIST_DIR, ensureDashboardBuilt } from './build.js';
import { dashboardErrorHandler, dashboardSurface, sendGatewayError } from './errorEnvelope.js';
import { GatewayError } from '../../core/errors.js';
import { registerEventStream } from './eventStream.js';
import { OtpGuard } from './otp/otpGuard.js';
import { registerOtpRoutes } from './otp/otpRoutes.js';
import { registerNativeRoutes } from './nativeRoutes.js';
import { registerSessionRoutes } from './sessionRoutes.js';
import { SignInSessions } from './signInSessions.js';
import { SECURITY_HEADERS, loadDashboardFiles, type StaticFile } from './staticFiles.js';
import { DASHBOARD_CSRF_PURPOSE, DASHBOARD_OTP_PURPOSE } from './secretPurposes.js';

export interface DashboardPluginOptions extends ApiPluginOptions {
  /** For tests: a clock for the guard and sign-in expiry. */
  now?: () => number;
}

function serve(reply: FastifyReply, file: StaticFile): FastifyReply {
  return reply.header('content-type', file.contentType).header('cache-control', file.cacheControl).send(file.body);
}

const plugin = async (app: FastifyInstance, opts: DashboardPluginOptions): Promise<void> => {
  const { core, config } = opts;
  const now = opts.now ?? Date.now;
  const log = app.log.child({ component: 'dashboard' });

  let files;
  try {
    const { dir, built } = await ensureDashboardBuilt();
    if (built) log.info({ dir }, 'dashboard front end built');
    files = await loadDashboardFiles(dir);
  } catch (err) {
    // A read-only install may still hold an older bundle: serve that rather than not start.
    log.warn({ err }, 'dashboard build failed; serving the existing bundle');
    files = await loadDashboardFiles(DIST_DIR);
  }

  const signIns = new SignInSessions({ shared: core.shared, csrfKey: core.deriveSecret(DASHBOARD_CSRF_PURPOSE), now });
  const guard = new OtpGuard({
    ownerNumber: config.dashboard.ownerNumber,
    sessions: core.sessions,
    settings: core.settings,
    shared: core.shared,
    codeKey: core.deriveSecret(DASHBOARD_OTP_PURPOSE),
    now,
    logger: log,
  });
  // Before any route is served, so an enabled authenticator guards from the first request.
  await guard.load();

  app.errorSurfaces?.add(dashboardSurface, [app.prefix === '' ? '/dashboard' : app.prefix]);
  app.setErrorHandler(dashboardErrorHandler);
  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) =>
    sendGatewayError(reply, new GatewayError('NOT_FOUND', `No dashboard route ${request.method} ${request.url.split('?')[0]}`)),
  );
  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  });

  app.get('/', async (_request: FastifyRequest, reply: FastifyReply) => serve(reply, files.index));
  app.get('/assets/:name', async (request: FastifyRequest<{ Params: { name: string } }>, reply: FastifyReply) => {
    const file = files.assets.get(request.params.name);
    if (!file) throw new GatewayError('NOT_FOUND', 'No such dashboard asset');
    return serve(reply, file);
  });

  await registerAuth(app, { core, signIns, publicUrl: config.server.publicUrl });
  await registerSessionRoutes(app, { core, guard });
  await registerEventStream(app, { core });
  await registerOtpRoutes(app, { guard });
  await registerNativeRoutes(app, { core, config });
};

export const dashboardPlugin: ApiPlugin = plugin;
