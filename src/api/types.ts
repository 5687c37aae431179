/**
 * How API plugins plug into the app (src/app.ts). Each plugin is
 * encapsulated (Fastify's plugin model): its hooks, decorators and error
 * handler stay inside it, so a dialect's envelope never leaks into another.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../config.js';
import type { GatewayCore } from '../core/gateway.js';

export interface ApiPluginOptions {
  core: GatewayCore;
  config: Config;
}

export type ApiPlugin = FastifyPluginAsync<ApiPluginOptions>;

export interface Dialect {
  /** `bridge`, `gomulti`, `gowa`, `wawp`, `waha`: served under `/compat/<name>`. */
  name: string;
  /** Root path prefixes it claims when mounted at the root (for collision checks), e.g. ['/session']. */
  rootPaths: string[];
  plugin: ApiPlugin;
}
