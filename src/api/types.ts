/**
 * How API plugins plug into the app (src/app.ts). Each plugin is
 * encapsulated (Fastify's plugin model): its hooks, decorators and error
 * handler stay inside it, so a dialect's envelope never leaks into another.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../config.js';
import type { GatewayCore } from '../core/gateway.js';
import type { GatewayEvent } from '../core/model.js';

export interface ApiPluginOptions {
  core: GatewayCore;
  config: Config;
}

export type ApiPlugin = FastifyPluginAsync<ApiPluginOptions>;

/** One gateway event in a dialect's own webhook vocabulary: its event name and payload. */
export interface DialectEvent {
  event: string;
  payload: unknown;
}

export interface Dialect {
  /** `bridge`, `gomulti`, `gowa`, `wawp`, `waha`: served under `/compat/<name>`. */
  name: string;
  /** Root path prefixes it claims when mounted at the root (for collision checks), e.g. ['/session']. */
  rootPaths: string[];
  plugin: ApiPlugin;
  /**
   * The event as the original product's webhook would name and shape it, or
   * null when the original has no such event (the webhook sender then skips
   * it for this dialect). The sender adds its own envelope (ids, timestamps).
   */
  renderEvent?(event: GatewayEvent): DialectEvent | null;
  /**
   * Every webhook event the original sends for this gateway event, when it
   * sends more than one (WAHA: `message` and `message.any` for one incoming
   * message). Absent: the one from renderEvent. Read both through
   * `dialectEvents()` (src/api/dialects.ts).
   */
  renderEvents?(event: GatewayEvent): DialectEvent[];
}
