/**
 * Builds the core from its parts. main.ts, the tests' harness and the
 * benchmark all assemble the gateway through this one function.
 */
import type { Logger } from 'pino';
import type { Engine } from '../engine/types.js';
import type { Store } from '../store/types.js';
import { StoreApiKeyService } from './apiKeys.js';
import { InMemoryEventBus } from './eventBus.js';
import type { GatewayCore } from './gateway.js';
import { FaultCounter } from './faults.js';
import { PairingRateLimiter, type PairingRequestLog } from './sessions/pairingRateLimiter.js';
import type { BackoffOptions } from './sessions/reconnectPolicy.js';
import { SessionManager } from './sessions/sessionManager.js';
import { MessageService } from './messaging/messageService.js';
import type { MediaLimits } from './messaging/mediaSource.js';
import { StoreWebhookService, type WebhookSettings } from './webhooks/webhookService.js';
import { Cluster } from './cluster/index.js';
import { DEFAULT_RESTORE_CONCURRENCY, DEFAULT_RESTORE_LOOP_DELAY_MS } from './sessions/restorePacer.js';

export interface CoreDeps {
  store: Store;
  engine: Engine;
  logger: Logger;
  sandbox: boolean;
  restoreConcurrency?: number;
  restoreLoopDelayMs?: number;
  pairingCodeTtlMs?: number;
  readyTimeoutMs?: number;
  backoff?: BackoffOptions;
  rateLimiter?: PairingRateLimiter;
  /** Pairing codes per phone number per window when no rateLimiter is given (default 3; 0 = no limit, for the sandbox). */
  pairingCodesPerWindow?: number;
  /** Media size, fetch timeout and the private-address rule for media URLs. */
  media?: MediaLimits;
  /** Messages per minute per session (0 = off). */
  sendRatePerMinute?: number;
  /** Most messages a session may have waiting to be sent (0 = no bound; default DEFAULT_MAX_PENDING_SENDS). */
  maxPendingSends?: number;
  /** Webhook delivery settings (timeouts, retries, SSRF rule …); defaults in webhookService.ts. */
  webhooks?: Partial<WebhookSettings>;
  /** Most sessions held at once (0 = no cap; default DEFAULT_MAX_SESSIONS). */
  maxSessions?: number;
  /** PostgreSQL only: this node's id and lease among the nodes sharing the database. */
  cluster?: { nodeId?: string; leaseMs?: number };
}

export interface Core extends GatewayCore {
  sessions: SessionManager;
  messages: MessageService;
  events: InMemoryEventBus;
  /** Failures the gateway survived (for /metrics). */
  faults: FaultCounter;
  webhooks: StoreWebhookService;
  /** Set when the store is PostgreSQL: this node's part in the cluster. */
  cluster: Cluster | undefined;
}

export async function createCore(deps: CoreDeps): Promise<Core> {
  const events = new InMemoryEventBus({ repo: deps.store.events, logger: deps.logger });
  await events.init();
  const faults = new FaultCounter();
  const rateLimiter =
    deps.rateLimiter ??
    new PairingRateLimiter({
      limit: deps.pairingCodesPerWindow === 0 ? Number.POSITIVE_INFINITY : deps.pairingCodesPerWindow,
      log: pairingRequestLog(deps.store),
      onLogFailure: (err) => {
        faults.record('store_write');
        deps.logger.error({ err }, 'could not record an issued pairing code; it counts until the next restart only');
      },
    });
  await rateLimiter.load();
  const sessions = new SessionManager({
    faults,
    store: deps.store,
    engine: deps.engine,
    events,
    logger: deps.logger,
    sandbox: deps.sandbox,
    restoreConcurrency: deps.restoreConcurrency,
    restoreLoopDelayMs: deps.restoreLoopDelayMs,
    pairingCodeTtlMs: deps.pairingCodeTtlMs,
    readyTimeoutMs: deps.readyTimeoutMs,
    backoff: deps.backoff,
    rateLimiter,
    maxSessions: deps.maxSessions,
    clustered: deps.store.cluster !== undefined,
  });
  let cluster: Cluster | undefined;
  if (deps.store.cluster) {
    cluster = new Cluster({
      store: deps.store.cluster,
      sessions,
      events,
      logger: deps.logger,
      nodeId: deps.cluster?.nodeId,
      leaseMs: deps.cluster?.leaseMs,
      pacing: {
        max: deps.restoreConcurrency ?? DEFAULT_RESTORE_CONCURRENCY,
        targetDelayMs: deps.restoreLoopDelayMs ?? DEFAULT_RESTORE_LOOP_DELAY_MS,
      },
    });
    // Before the first event: ids come from this node's slot.
    await cluster.join();
  }
  // Subscriptions are matched from the first event on, and what the last run left pending is delivered.
  const webhooks = new StoreWebhookService({
    store: deps.store,
    events,
    logger: deps.logger,
    sessionExists: (id) => sessions.has(id),
    settings: deps.webhooks,
    ...(cluster ? { routing: cluster.deliveries } : {}),
  });
  await webhooks.start();
  await sessions.load();
  const messages = new MessageService({
    store: deps.store,
    engine: deps.engine,
    sessions,
    events,
    faults,
    logger: deps.logger,
    sandbox: deps.sandbox,
    media: deps.media,
    sendRatePerMinute: deps.sendRatePerMinute,
    maxPendingSends: deps.maxPendingSends,
  });
  return {
    sessions,
    messages,
    events,
    faults,
    webhooks,
    cluster,
    apiKeys: new StoreApiKeyService(deps.store),
    sandbox: deps.sandbox,
    deriveSecret: (purpose) => deps.store.deriveSecret(purpose),
    settings: deps.store.settings,
    shared: deps.store.sharedState,
  };
}

/** The store's pairing-request table as the rate limiter's log (epoch ms ↔ ISO time). */
function pairingRequestLog(store: Store): PairingRequestLog {
  return {
    record: (phone, at) => store.pairingRequests.record(phone, new Date(at).toISOString()),
    since: async (since, phone) =>
      (await store.pairingRequests.since(new Date(since).toISOString(), phone)).map((r) => ({ phone: r.phone, at: Date.parse(r.requestedAt) })),
  };
}
