/**
 * A gateway for dashboard tests: the real core with the fake engine (the
 * lead's harness) and the app with the dashboard mounted at /dashboard,
 * optionally listening on a random loopback port for browsers.
 */
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { dashboardPlugin } from '../../src/api/dashboard/index.js';
import type { ApiPlugin } from '../../src/api/types.js';
import { loadConfig } from '../../src/config.js';
import { createTestGateway, silentLogger, type TestGateway, type TestGatewayOptions } from '../support/harness.js';

export interface DashboardGateway {
  gw: TestGateway;
  app: FastifyInstance;
  /** `http://127.0.0.1:<port>` once `listen` was asked for. */
  baseUrl: string;
  close(): Promise<void>;
}

export interface StartDashboardOptions {
  ownerNumber?: string;
  /** WAGATE_TRUST_PROXY */
  trustProxy?: string;
  /** Listen on a random loopback port (for browsers and raw HTTP). */
  listen?: boolean;
  now?: () => number;
  gateway?: TestGatewayOptions;
}

export async function startDashboard(opts: StartDashboardOptions = {}): Promise<DashboardGateway> {
  const gw = await createTestGateway(opts.gateway);
  const env: NodeJS.ProcessEnv = {};
  if (opts.ownerNumber) env.WAGATE_OWNER_NUMBER = opts.ownerNumber;
  if (opts.trustProxy) env.WAGATE_TRUST_PROXY = opts.trustProxy;
  const config = loadConfig(env, []);
  const plugin: ApiPlugin = opts.now
    ? async (app, pluginOpts) => dashboardPlugin(app, { ...pluginOpts, now: opts.now } as typeof pluginOpts)
    : dashboardPlugin;
  const app = await buildApp({ core: gw.core, config, logger: silentLogger, plugins: [{ plugin, prefix: '/dashboard' }] });
  let baseUrl = '';
  if (opts.listen) baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    gw,
    app,
    baseUrl,
    close: async () => {
      await app.close();
      await gw.close();
    },
  };
}

export interface SignedIn {
  cookie: string;
  csrf: string;
}

export async function signIn(app: FastifyInstance, apiKey: string): Promise<SignedIn> {
  const res = await app.inject({ method: 'POST', url: '/dashboard/api/sign-in', payload: { apiKey } });
  if (res.statusCode !== 200) throw new Error(`sign-in failed: ${res.statusCode} ${res.body}`);
  const setCookie = String(res.headers['set-cookie']);
  return { cookie: setCookie.split(';')[0], csrf: (res.json() as { csrfToken: string }).csrfToken };
}

/** Headers of a signed-in write from the dashboard page. */
export function writeHeaders(user: SignedIn, extra: Record<string, string> = {}): Record<string, string> {
  return { cookie: user.cookie, 'x-csrf-token': user.csrf, origin: 'http://localhost:80', ...extra };
}
