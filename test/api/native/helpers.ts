/**
 * A native API over the real SessionManager and the fake engine, for tests
 * through the HTTP layer. `close()` tears down the app, the core, the store
 * and the temp dir.
 */
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../../src/app.js';
import { loadConfig } from '../../../src/config.js';
import { createTestGateway, silentLogger, type TestGateway, type TestGatewayOptions } from '../../support/harness.js';

export interface NativeTestApp {
  app: FastifyInstance;
  gw: TestGateway;
  adminKey: string;
  /** inject with the admin key unless headers say otherwise. */
  call(opts: InjectOptions & { key?: string | null }): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export async function createNativeTestApp(
  opts: TestGatewayOptions & { sseHeartbeatMs?: number; ready?: () => boolean } = {},
): Promise<NativeTestApp> {
  const gw = await createTestGateway(opts);
  const config = loadConfig({ WAGATE_SANDBOX: opts.sandbox === false ? '0' : '1', DATA_DIR: gw.dataDir }, []);
  const app = await buildApp({
    core: gw.core,
    config,
    logger: silentLogger,
    sseHeartbeatMs: opts.sseHeartbeatMs,
    ready: opts.ready,
  });
  await app.ready();
  return {
    app,
    gw,
    adminKey: gw.adminKey,
    call: ({ key, ...rest }) => {
      const headers: Record<string, string> = { ...(rest.headers as Record<string, string> | undefined) };
      const k = key === undefined ? gw.adminKey : key;
      if (k !== null) headers.authorization = `Bearer ${k}`;
      return app.inject({ ...rest, headers });
    },
    close: async () => {
      await app.close();
      await gw.close();
    },
  };
}
