/**
 * A whole gateway core for tests: the real SessionManager over a real
 * (SQLite, temp dir) store, with the fake engine. `app()` adds the HTTP
 * layer. Everything is torn down by `close()`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { ensureAdminKey } from '../../src/core/apiKeys.js';
import { createCore, type Core, type CoreDeps } from '../../src/core/index.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { FakeEngine } from './fakeEngine.js';

export const TEST_ADMIN_KEY = 'wg_test_admin_key_0123456789abcdef';
export const TEST_MASTER_KEY = '11'.repeat(32);

export interface TestGateway {
  core: Core;
  engine: FakeEngine;
  store: Store;
  dataDir: string;
  adminKey: string;
  /** Close the core and the store, keep the data dir (to reopen it). */
  stop(): Promise<void>;
  /** stop() and remove the data dir. */
  close(): Promise<void>;
}

export interface TestGatewayOptions extends Partial<Omit<CoreDeps, 'store' | 'engine' | 'logger'>> {
  engine?: FakeEngine;
  dataDir?: string;
}

export const silentLogger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

export async function createTestGateway(opts: TestGatewayOptions = {}): Promise<TestGateway> {
  const dataDir = opts.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'wagate-test-')));
  const store = await openStore({ url: `sqlite:${path.join(dataDir, 'wagate.db')}`, dataDir, masterKey: TEST_MASTER_KEY }, silentLogger);
  await ensureAdminKey(store, TEST_ADMIN_KEY);
  const engine = opts.engine ?? new FakeEngine();
  const core = await createCore({
    store,
    engine,
    logger: silentLogger,
    sandbox: opts.sandbox ?? true,
    restoreConcurrency: opts.restoreConcurrency,
    pairingCodeTtlMs: opts.pairingCodeTtlMs,
    readyTimeoutMs: opts.readyTimeoutMs ?? 2_000,
    backoff: opts.backoff ?? { baseMs: 20, maxMs: 200 },
    rateLimiter: opts.rateLimiter,
    webhooks: opts.webhooks,
    maxSessions: opts.maxSessions,
    maxPendingSends: opts.maxPendingSends,
  });
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await core.webhooks.stop();
    await core.sessions.shutdown();
    await store.close();
  };
  return {
    core,
    engine,
    store,
    dataDir,
    adminKey: TEST_ADMIN_KEY,
    stop,
    close: async () => {
      await stop();
      if (!opts.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Resolve when `check` passes (polling), or fail after timeoutMs. */
export async function eventually(check: () => void | Promise<void>, timeoutMs = 5_000, stepMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, stepMs));
    }
  }
}
