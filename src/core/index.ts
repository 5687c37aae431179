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
import type { PairingRateLimiter } from './sessions/pairingRateLimiter.js';
import type { BackoffOptions } from './sessions/reconnectPolicy.js';
import { SessionManager } from './sessions/sessionManager.js';

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
}

export interface Core extends GatewayCore {
  sessions: SessionManager;
  events: InMemoryEventBus;
  /** Failures the gateway survived (for /metrics). */
  faults: FaultCounter;
}

export async function createCore(deps: CoreDeps): Promise<Core> {
  const events = new InMemoryEventBus({ repo: deps.store.events, logger: deps.logger });
  const faults = new FaultCounter();
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
    rateLimiter: deps.rateLimiter,
  });
  await sessions.load();
  return {
    sessions,
    events,
    faults,
    apiKeys: new StoreApiKeyService(deps.store.apiKeys),
    sandbox: deps.sandbox,
    deriveSecret: (purpose) => deps.store.deriveSecret(purpose),
    settings: deps.store.settings,
  };
}
