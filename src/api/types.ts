/**
 * How API plugins plug into the app (src/app.ts). Each plugin is
 * encapsulated (Fastify's plugin model): its hooks, decorators and error
 * handler stay inside it, so a dialect's envelope never leaks into another.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import type { GatewayCore, Principal } from '../core/gateway.js';

export interface ApiPluginOptions {
  core: GatewayCore;
  config: Config;
  /**
   * Resolves the dashboard's cookie session (if any) to a principal.
   * Provided by src/api/dashboard; the native API accepts it beside Bearer keys.
   * For unsafe methods it must also check the CSRF header and return undefined on mismatch.
   */
  cookieAuth?: (request: FastifyRequest) => Promise<Principal | undefined>;
}

export type ApiPlugin = FastifyPluginAsync<ApiPluginOptions>;

export interface Dialect {
  /** `bridge`, `gomulti`, `gowa`, `wawp`, `waha`: served under `/compat/<name>`. */
  name: string;
  /** Root path prefixes it claims when mounted at the root (for collision checks), e.g. ['/session']. */
  rootPaths: string[];
  plugin: ApiPlugin;
}
