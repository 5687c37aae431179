/** What every native route module receives. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { GatewayCore } from '../../core/gateway.js';

export type NativeApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export interface NativeContext {
  core: GatewayCore;
  sseHeartbeatMs: number | undefined;
}

export const BEARER: Array<Record<string, string[]>> = [{ bearerAuth: [] }, { apiKeyHeader: [] }];
