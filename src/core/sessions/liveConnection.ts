/**
 * The one lookup every service that *uses* a session goes through: "the
 * live engine connection of session X, or a clear error saying why there is
 * none". Messaging and group calls build on this and on nothing else of the
 * session modules.
 */
import type { Logger } from 'pino';
import type { EngineConnection } from '../../engine/types.js';
import { GatewayError } from '../errors.js';
import type { InMemoryEventBus } from '../eventBus.js';
import { fromLowerLayer } from '../lowerErrors.js';
import { requireState } from './sessionGuard.js';
import type { SessionRegistry } from './sessionRegistry.js';
import { waitForSession } from './waitFor.js';

export class LiveConnections {
  constructor(
    private readonly registry: SessionRegistry,
    private readonly events: InMemoryEventBus,
    private readonly logger: Logger,
    /** Cluster mode: a session is this node's while it holds its lease. */
    private readonly clustered = false,
  ) {}

  /**
   * Like require(), but a linked session on its way up (a reconnect, a
   * restore, a hand-over between nodes) gets up to `waitMs` to come up
   * first: a send during a sub-second move should not fail. One that this
   * node does not hold (handed over meanwhile, or before a forwarded
   * request arrived) is SESSION_MOVED, which the node that forwarded the
   * request retries at the new owner (clusterForward.ts).
   */
  async ready(sessionId: string, action: string, waitMs: number): Promise<EngineConnection> {
    const entry = this.registry.require(sessionId);
    const held = () => !this.clustered || entry.lease !== null;
    // Linked, held here and on its way up: connecting; inactive while it wants a connection (not yet
    // restored, or just claimed in a hand-over, before its connect starts); or still recorded connected
    // while its connection is being closed for a hand-over to another node.
    const coming = () =>
      entry.row.meJid !== null &&
      held() &&
      (entry.row.state === 'connecting' ||
        (entry.row.wantConnected && (entry.row.state === 'inactive' || (entry.row.state === 'connected' && entry.runtime?.connected !== true))));
    if (coming() && waitMs > 0) {
      await waitForSession(this.events, sessionId, () => !coming() || this.registry.find(sessionId) !== entry, waitMs, () => entry.row.state).catch(
        () => undefined, // still connecting: require() below says so
      );
    }
    if (!held()) throw new GatewayError('SESSION_MOVED', undefined, { sessionId }, { retryAfterSeconds: 1 });
    return this.require(sessionId, action);
  }

  /**
   * The open connection of a connected session. Throws SESSION_NOT_FOUND, or
   * SESSION_NOT_READY naming the state the session is in and the one `action` needs.
   */
  require(sessionId: string, action: string): EngineConnection {
    const entry = this.registry.require(sessionId);
    requireState({ sessionId, state: entry.row.state, paired: entry.row.meJid !== null }, { states: ['connected'], action });
    const connection = entry.runtime?.current;
    if (!connection) {
      throw new GatewayError('SESSION_NOT_READY', `Cannot ${action}: the session is not connected`, {
        sessionId,
        state: entry.row.state,
        expected: ['connected'],
      });
    }
    return connection;
  }

  /** Run `call` on the session's open connection; engine failures become catalogue errors. */
  async call<T>(sessionId: string, action: string, call: (connection: EngineConnection) => Promise<T>): Promise<T> {
    const connection = this.require(sessionId, action);
    try {
      return await call(connection);
    } catch (err) {
      const error = fromLowerLayer(err, { sessionId, action });
      if (error.status >= 500) this.logger.child({ sessionId }).warn({ err }, `engine failed to ${action}`);
      throw error;
    }
  }

  /** Engine connection id (base64 Noise key) of the running runtime, open or not (sandbox fault injection). */
  connectionKey(sessionId: string): string | null {
    return this.registry.require(sessionId).runtime?.current?.noiseKey ?? null;
  }

  /** Epoch ms of the last frame the session's connection received, when the engine reports it. */
  lastFrameAt(sessionId: string): number | null {
    return this.registry.find(sessionId)?.runtime?.current?.lastFrameAt?.() ?? null;
  }
}
