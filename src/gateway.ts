/**
 * Starts a whole gateway from a Config: store, engine (or sandbox), core,
 * HTTP app, restore. main.ts runs it as a process; the end-to-end tests and
 * the benchmark run it in-process the same way.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import { clusterRequestHook } from './api/http/clusterForward.js';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp, VERSION } from './app.js';
import { dashboardPlugin } from './api/dashboard/index.js';
import { mountDialects } from './api/dialects.js';
import { listenOrExplain } from './api/http/listen.js';
import { sandboxRoutes } from './api/sandbox/index.js';
import type { ApiPlugin } from './api/types.js';
import { SANDBOX_SUBDIR, type Config } from './config.js';
import { ensureAdminKey } from './core/apiKeys.js';
import { createCore, type Core } from './core/index.js';
import type { WebhookSettings } from './core/webhooks/webhookService.js';
import { BaileysEngine } from './engine/baileys/index.js';
import { SandboxMediaAgent, sandboxMediaDispatcher } from './engine/baileys/sandboxMedia.js';
import { installFastCurve } from './engine/baileys/fastCurve.js';
import { trustSandboxRoot } from './engine/baileys/sandboxTrust.js';
import { registerMetrics } from './observability/metrics.js';
import { SandboxNetwork } from './sandbox/index.js';
import { claimNetwork, openStore, prepareDataDir, restrictTree, sqlitePath } from './store/index.js';
import type { Store } from './store/types.js';

export interface RunningGateway {
  app: FastifyInstance;
  core: Core;
  store: Store;
  port: number;
  storeDialect: Store['dialect'];
  sandbox: SandboxNetwork | undefined;
  sandboxPhone: string | undefined;
  /** The admin key, when this start generated it (first start without WAGATE_API_KEY). */
  generatedKey: string | undefined;
  /** Resolves when every paired session was given its restore attempt. */
  restored: Promise<void>;
  stop(): Promise<void>;
}

export interface GatewayOverrides {
  /** Engine timings for tests (short QR refs, fast keepalive). */
  engine?: {
    qrTimeoutMs?: number;
    keepAliveIntervalMs?: number;
    connectTimeoutMs?: number;
    /** The benchmark switches these levers off to measure them. */
    sharedAsyncStorage?: boolean;
    sharedCaches?: boolean;
  };
  /** Sandbox options for tests. */
  sandbox?: { qrRefTtlMs?: number; refsPerPairDevice?: number };
  backoff?: { baseMs: number; maxMs: number };
  sseHeartbeatMs?: number;
  /** false keeps the stock pure-JS curve (the benchmark measures the WASM curve against it). */
  fastCurve?: boolean;
}

export async function startGateway(config: Config, logger: Logger, overrides: GatewayOverrides = {}): Promise<RunningGateway> {
  prepareDataDir(config.store.dataDir, logger);
  const store = await openStore(
    { url: config.store.databaseUrl, dataDir: config.store.dataDir, masterKey: config.store.masterKey, listenUrl: config.store.listenUrl },
    logger,
  );
  const cleanup: Array<() => Promise<void>> = [() => store.close()];
  try {
    // Sandbox sessions must never be restored against WhatsApp, nor the reverse.
    await claimNetwork(store, {
      network: config.sandbox.enabled ? 'sandbox' : 'whatsapp',
      allowSwitch: config.store.allowNetworkSwitch,
      where: describeStore(config.store.databaseUrl),
      olderSandboxLayout:
        !config.sandbox.enabled && existsSync(path.join(config.store.dataDir, SANDBOX_SUBDIR, 'sandbox-state.json')),
      logger,
    });
    const curve = overrides.fastCurve === false ? { installed: false, reason: 'disabled by override' } : installFastCurve(logger);
    logger.info({ fastCurve: curve.installed, reason: curve.reason }, 'curve25519 implementation');

    let socketUrl = config.engine.waUrl;
    let sandbox: SandboxNetwork | undefined;
    if (config.sandbox.enabled) {
      const stateDir = path.join(config.store.dataDir, 'network');
      prepareDataDir(stateDir, logger);
      restrictTree(stateDir);
      sandbox = await SandboxNetwork.start({
        host: '127.0.0.1',
        port: 0,
        stateDir,
        logger: logger.child({ component: 'sandbox' }),
        ...overrides.sandbox,
      });
      cleanup.unshift(() => sandbox!.stop());
      trustSandboxRoot(sandbox.rootPublicKey, sandbox.rootSerial, logger);
      socketUrl = sandbox.url;
      sandbox.getOrCreatePhone(config.sandbox.phone);
      logger.warn({ url: sandbox.url }, 'SANDBOX MODE: using the simulated WhatsApp network, not WhatsApp');
    } else if (config.engine.sandboxRootKey !== undefined) {
      // An external sandbox (tests, benchmarks): only when the operator names its root explicitly.
      trustSandboxRoot(Buffer.from(config.engine.sandboxRootKey, 'base64'), 0, logger);
      logger.warn({ url: socketUrl }, 'WAGATE_SANDBOX_ROOT_KEY set: trusting an external sandbox network, not WhatsApp');
    }

    const engine = new BaileysEngine({
      socketUrl,
      logger,
      // The simulated network's media host is plain HTTP on loopback; real hosts keep TLS either way.
      ...(sandbox ? { mediaAgent: new SandboxMediaAgent(), mediaDispatcher: sandboxMediaDispatcher() } : {}),
      // 20 s keepalive by default: a half-open connection is noticed within ~45 s.
      keepAliveIntervalMs: config.engine.keepAliveMs,
      ...overrides.engine,
    });
    const { generatedKey } = await ensureAdminKey(store, config.server.apiKey);
    const core = await createCore({
      store,
      engine,
      logger,
      sandbox: config.sandbox.enabled,
      // Real WhatsApp blocks numbers that ask too often; simulated phones need not be protected from a developer retrying.
      pairingCodesPerWindow: config.sandbox.enabled ? config.sandbox.pairingCodeLimit : undefined,
      restoreConcurrency: config.engine.restoreConcurrency,
      restoreLoopDelayMs: config.engine.restoreLoopDelayMs,
      backoff: overrides.backoff,
      sendRatePerMinute: config.messaging.sendRatePerMinute,
      maxPendingSends: config.messaging.maxPendingSends,
      media: {
        maxBytes: config.messaging.mediaMaxMb * 1024 * 1024,
        fetchTimeoutMs: 20_000,
        urlRule: { allowPrivate: config.messaging.allowPrivateUrls },
      },
      webhooks: webhookSettings(config),
      maxSessions: config.limits.maxSessions,
      cluster: { nodeId: config.cluster.nodeId, leaseMs: config.cluster.leaseMs },
    });
    const cluster = core.cluster;
    // Runs after the sessions shut down (connections closed): release them so the other nodes take over at once.
    if (cluster) cleanup.unshift(() => cluster.leave());
    const stopRetention = core.messages.startRetention(config.messaging.messageRetentionDays);
    cleanup.unshift(async () => stopRetention());
    cleanup.unshift(() => core.sessions.shutdown());
    if (cluster) cleanup.unshift(() => cluster.drain());
    // Deliveries stop first; what is still pending is delivered after the next start.
    cleanup.unshift(() => core.webhooks.stop());

    let ready = false;
    const app = await buildApp({
      core,
      config,
      logger,
      sseHeartbeatMs: overrides.sseHeartbeatMs,
      ...(cluster ? { onRequest: clusterRequestHook(cluster, logger) } : {}),
      health: () => ({
        engine: engine.name,
        store: store.dialect,
        ...(cluster ? { cluster: cluster.status() } : {}),
        ...(sandbox ? { sandbox: { url: sandbox.url, phones: sandbox.listPhones().length } } : {}),
      }),
      ready: () => ready,
      plugins: [
        { plugin: dashboardPlugin, prefix: '/dashboard' },
        ...(sandbox ? [{ plugin: sandboxPlugin(sandbox), prefix: '/sandbox' }] : []),
        // Dialects mount themselves under /compat/<name> (and at the root for WAGATE_ROOT_DIALECT).
        { plugin: async (instance: FastifyInstance) => mountDialects(instance, { core, config, rootDialect: config.dialects.root }) },
      ],
    });
    cleanup.unshift(() => app.close());
    // GET /metrics (Prometheus) and per-route HTTP latency for every route.
    registerMetrics(app, core, { public: config.server.metricsPublic, metricsKey: config.server.metricsKey });
    await listenOrExplain(app, config.server.host, config.server.port);
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.server.port;

    if (cluster) await cluster.serve(config.cluster.nodeAddress ?? nodeAddress(config.server.host, port));
    const restored = core.sessions.restore().then(
      () => undefined,
      (err: unknown) => logger.error({ err }, 'restore failed'),
    );
    ready = true;

    let stopped = false;
    return {
      app,
      core,
      store,
      port,
      storeDialect: store.dialect,
      sandbox,
      sandboxPhone: sandbox ? config.sandbox.phone : undefined,
      generatedKey,
      restored,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        ready = false;
        for (const step of cleanup) await step().catch((err: unknown) => logger.warn({ err }, 'shutdown step failed'));
      },
    };
  } catch (err) {
    for (const step of cleanup) await step().catch(() => undefined);
    throw err;
  }
}

/** Where the other nodes reach this one when WAGATE_NODE_ADDRESS is not set. */
function nodeAddress(host: string, port: number): string {
  const reachable = host === '0.0.0.0' || host === '::' ? os.hostname() : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

/** The store as the operator knows it: the SQLite file, or PostgreSQL (never the URL: it may hold a password). */
function describeStore(url: string): string {
  const file = sqlitePath(url);
  return file === undefined ? 'The PostgreSQL database (DATABASE_URL)' : `The database ${file}`;
}

function webhookSettings(config: Config): Partial<WebhookSettings> {
  const w = config.webhooks;
  return {
    net: { allowPrivate: w.allowPrivate, allowList: w.allowHosts },
    timeoutMs: w.timeoutMs,
    concurrency: w.concurrency,
    secretOverlapMs: w.secretOverlapHours * 3_600_000,
    deliveredRetentionMs: w.deliveredRetentionDays * 86_400_000,
    failedRetentionMs: w.failedRetentionDays * 86_400_000,
    userAgent: `wagate/${VERSION} (webhooks)`,
  };
}

function sandboxPlugin(network: SandboxNetwork): ApiPlugin {
  return async (instance, opts) => sandboxRoutes(instance, { core: opts.core, network });
}
