/**
 * The whole HTTP app (native API + every dialect, mounted as the gateway
 * mounts them) over the real SessionManager and the fake engine.
 */
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { mountDialects } from '../../../src/api/dialects.js';
import { buildApp } from '../../../src/app.js';
import { loadConfig, type Config } from '../../../src/config.js';
import type { SessionView } from '../../../src/core/model.js';
import { createTestGateway, eventually, silentLogger, type TestGateway, type TestGatewayOptions } from '../../support/harness.js';

export interface DialectTestApp {
  app: FastifyInstance;
  gw: TestGateway;
  config: Config;
  adminKey: string;
  inject(opts: InjectOptions): Promise<LightMyRequestResponse>;
  /** Wait until the session reaches `state` in the core. */
  waitState(sessionId: string, state: SessionView['state']): Promise<SessionView>;
  close(): Promise<void>;
}

/** `dataDir`: reuse a data dir (a restart); the caller removes it. */
export async function createDialectTestApp(
  env: Record<string, string> = {},
  opts: { dataDir?: string; webhooks?: TestGatewayOptions['webhooks']; maxPendingSends?: number } = {},
): Promise<DialectTestApp> {
  const gw = await createTestGateway({
    ...(opts.dataDir === undefined ? {} : { dataDir: opts.dataDir }),
    ...(opts.webhooks === undefined ? {} : { webhooks: opts.webhooks }),
    ...(opts.maxPendingSends === undefined ? {} : { maxPendingSends: opts.maxPendingSends }),
  });
  const config = loadConfig({ WAGATE_SANDBOX: '1', DATA_DIR: gw.dataDir, ...env }, []);
  const app = await buildApp({
    core: gw.core,
    config,
    logger: silentLogger,
    plugins: [{ plugin: async (instance: FastifyInstance) => mountDialects(instance, { core: gw.core, config, rootDialect: config.dialects.root }) }],
  });
  await app.ready();
  return {
    app,
    gw,
    config,
    adminKey: gw.adminKey,
    inject: (opts) => app.inject(opts),
    waitState: async (sessionId, state) => {
      let view: SessionView | undefined;
      await eventually(() => {
        view = gw.core.sessions.get(sessionId);
        if (view.state !== state) throw new Error(`state ${view.state}, want ${state}`);
      });
      return view as SessionView;
    },
    close: async () => {
      await app.close();
      await gw.close();
    },
  };
}

export function json(res: LightMyRequestResponse): Record<string, unknown> {
  return res.json() as Record<string, unknown>;
}

export function basic(user: string, pass: string): string {
  return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
