/**
 * Many nodes on one PostgreSQL (src/core/cluster): the database is the truth
 * for the session list, each session's connection is owned by exactly one
 * node under that node's lease with a fencing epoch, commands reach the
 * owner (the HTTP layer forwards them to the address the owner advertises),
 * events fan out to every node, and a dead or draining node's sessions are
 * taken over by the others. SQLite runs single-node and never builds this.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { GatewayError } from '../errors.js';
import type { ClusterStore } from '../../store/types.js';
import type { InMemoryEventBus } from '../eventBus.js';
import type { SessionManager, SessionOwnership } from '../sessions/sessionManager.js';
import { Balancer } from './balancer.js';
import { ClusterDeliveryRouting } from './deliveryRouting.js';
import { EventFanout } from './eventFanout.js';
import { NodeLease } from './nodeLease.js';
import { Ownership } from './ownership.js';
import { SessionMirror } from './sessionMirror.js';
import { NODE_SLOTS_STRIDE } from './slots.js';

export const DEFAULT_LEASE_MS = 15_000;

export interface ClusterOptions {
  store: ClusterStore;
  sessions: SessionManager;
  events: InMemoryEventBus;
  logger: Logger;
  /** WAGATE_NODE_ID; generated when absent. */
  nodeId?: string;
  leaseMs?: number;
  pacing: { max: number; targetDelayMs: number };
}

/** Where a session's command runs. */
export type Route = { kind: 'local' } | { kind: 'remote'; nodeId: string; address: string };

export class Cluster implements SessionOwnership {
  readonly nodeId: string;
  private readonly lease: NodeLease;
  private readonly mirror: SessionMirror;
  private readonly ownership: Ownership;
  private readonly balancer: Balancer;
  /** Which webhook lanes this node delivers (the outbox attaches to it). */
  readonly deliveries: ClusterDeliveryRouting;
  private fanout: EventFanout | null = null;
  private listening: { close(): Promise<void> } | null = null;
  private address: string | null = null;
  private stopped = false;

  constructor(private readonly opts: ClusterOptions) {
    this.nodeId = opts.nodeId ?? `node-${randomUUID()}`;
    const logger = opts.logger.child({ component: 'cluster', nodeId: this.nodeId });
    this.lease = new NodeLease({
      store: opts.store,
      nodeId: this.nodeId,
      leaseMs: opts.leaseMs ?? DEFAULT_LEASE_MS,
      logger,
      onLost: () => this.ownership.dropAll(),
      onBeat: () => this.rebalance(),
    });
    this.mirror = new SessionMirror(opts.store, opts.sessions, this.nodeId, logger);
    this.deliveries = new ClusterDeliveryRouting({
      store: opts.store,
      sessions: opts.sessions,
      lease: this.lease,
      nodeId: this.nodeId,
      alive: () => this.balancer.alive,
      logger,
    });
    this.ownership = new Ownership(opts.store, opts.sessions, opts.events, this.mirror, this.lease, this.nodeId, logger, this.deliveries);
    this.balancer = new Balancer({
      store: opts.store,
      sessions: opts.sessions,
      ownership: this.ownership,
      lease: this.lease,
      logger,
      pacing: opts.pacing,
    });
  }

  /** A balancing round nobody waits for (a heartbeat, a wake-up); round() logs its own failures. */
  private rebalance(): void {
    this.balancer.round().catch((err: unknown) => this.opts.logger.warn({ err, nodeId: this.nodeId }, 'cluster balancing round failed'));
  }

  /** Join: register (event-id slot), listen for other nodes' changes and events. Before any event is emitted. */
  async join(): Promise<void> {
    const { store, events, logger } = this.opts;
    await this.lease.start();
    events.useIdSlot(this.lease.slot, NODE_SLOTS_STRIDE);
    const channels = await store.channels();
    this.balancer.wakeChannel = channels.wake;
    this.deliveries.channel = channels.deliveries;
    this.fanout = new EventFanout(store, events, this.nodeId, channels.events, logger.child({ component: 'cluster' }));
    this.fanout.start();
    events.useFeed(this.fanout);
    this.listening = await store.listen(
      [channels.sessions, channels.events, channels.wake, channels.webhooks, channels.deliveries],
      (channel, payload) => {
        if (channel === channels.sessions) this.mirror.changed(payload);
        else if (channel === channels.events) this.fanout?.notified(payload);
        else if (channel === channels.webhooks) this.deliveries.endpointChanged(payload);
        else if (channel === channels.deliveries) this.deliveries.notified(payload);
        // A node's own hand-over wake-up is for the others (its next heartbeat runs its next round).
        else if (payload !== `rebalance ${this.nodeId}`) this.rebalance();
      },
      // Notifications may have been missed while the connection was down: catch up in full.
      () => {
        this.mirror.loadAll().catch((err: unknown) => logger.warn({ err }, 'could not reload sessions'));
        this.deliveries.resync();
      },
    );
    this.opts.sessions.attachOwnership(this);
  }

  /** SessionOwnership: every session with its owner. */
  load(): Promise<void> {
    return this.mirror.loadAll();
  }

  ensureLocal(sessionId: string): Promise<void> {
    return this.ownership.ensureLocal(sessionId);
  }

  /** Before answering a request: the registry holds every change committed before now. */
  sync(): Promise<void> {
    return this.mirror.sync();
  }

  /** Start serving: advertise the address, take back this node's own sessions, then balance with the others. */
  async serve(address: string): Promise<void> {
    this.address = address;
    this.lease.address = address;
    await this.lease.beat();
    const mine = this.opts.sessions.registry
      .all()
      .filter((e) => e.ownerNode === this.nodeId && e.lease === null)
      .map((e) => e.row.id);
    await this.balancer.reclaimOwn(mine);
    await this.balancer.round();
  }

  /** Where a command on this session runs: here, or the live node that owns it. */
  route(sessionId: string): Route {
    const entry = this.opts.sessions.registry.find(sessionId);
    if (!entry || entry.lease || entry.ownerNode === null || entry.ownerNode === this.nodeId) return { kind: 'local' };
    const owner = this.balancer.alive.find((n) => n.id === entry.ownerNode);
    if (!owner?.address || owner.address === this.address) return { kind: 'local' };
    return { kind: 'remote', nodeId: owner.id, address: owner.address };
  }

  /**
   * route() for a command (anything but a read): a session no live node
   * holds is claimed here first, before the request body is read, so when
   * two nodes receive a command for it at the same moment exactly one claim
   * wins and the other node forwards to the winner instead of refusing.
   */
  async routeCommand(sessionId: string): Promise<Route> {
    const first = this.route(sessionId);
    const entry = this.opts.sessions.registry.find(sessionId);
    if (first.kind === 'remote' || !entry || entry.lease || !this.lease.isValid()) return first;
    if ((await this.ownership.claim([sessionId])).includes(sessionId)) return { kind: 'local' };
    // Lost the claim: learn the winner (its change notice may not have arrived yet).
    await this.mirror.reload([sessionId]);
    return this.route(sessionId);
  }

  /**
   * The address a command on this session goes to now, after its owner
   * answered that it moved: the new owner's, or this node's own when the
   * session is (or just became) this node's.
   */
  async ownerAddress(sessionId: string): Promise<string> {
    await this.mirror.reload([sessionId]);
    const route = await this.routeCommand(sessionId);
    if (route.kind === 'remote') return route.address;
    if (this.address === null) throw new GatewayError('SESSION_OWNED_ELSEWHERE', 'This node is not serving yet; retry', { sessionId });
    return this.address;
  }

  /** Nodes alive as of the last round, and how many sessions this node holds. */
  status(): { nodeId: string; nodes: number; held: number } {
    return { nodeId: this.nodeId, nodes: this.balancer.alive.length, held: this.ownership.held().length };
  }

  /**
   * Leave after the sessions were shut down (their connections closed):
   * release them and wake the other nodes, which take them over at once.
   */
  async leave(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.balancer.stop();
    this.lease.stop();
    await this.fanout?.stop();
    try {
      await this.opts.store.leave(this.nodeId);
      const channels = await this.opts.store.channels();
      await this.opts.store.wake(channels.wake, `left ${this.nodeId}`);
    } catch (err) {
      this.opts.logger.warn({ err }, 'could not leave the cluster cleanly; the others take over when the lease runs out');
    }
    await this.listening?.close();
  }

  /** Announce draining (no new sessions come here) before shutting the sessions down. */
  async drain(): Promise<void> {
    // A draining node takes nothing more (the others' rounds see it draining too).
    this.balancer.stop();
    await this.opts.store.setDraining(this.nodeId).catch(() => undefined);
  }
}
