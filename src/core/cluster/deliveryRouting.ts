/**
 * Which node delivers which webhook lane. A lane (endpoint, session) goes to
 * the session's owner: the session's events are produced there, and the
 * owner hears first when the session moves. Deliveries of a session with no
 * live owner (created and never connected, deleted, its owner dead and not
 * yet replaced) and those tied to no session (a test ping, sessionId '') go
 * to one node: the serving node with the lowest id among the live ones. That
 * rule needs no election and no extra writes: every node computes it from the
 * node list the balancer reads each heartbeat anyway. Two nodes may briefly
 * disagree (a node joined or died a moment ago), which is why routing only
 * decides who tries: before each attempt the node claims the delivery in the
 * database (held while its lease is live, let go with the result), so two
 * nodes never send the same delivery at once, and a lane's head is always
 * the oldest pending delivery, so the order holds across a move.
 */
import type { Logger } from 'pino';
import { deliveryKey } from '../../store/clusterRepo.js';
import type { ClusterStore, NodeRow } from '../../store/types.js';
import { GroupCommitter } from '../../shared/groupCommit.js';
import type { SessionManager } from '../sessions/sessionManager.js';
import type { DeliveryListener, DeliveryRouting } from '../webhooks/routing.js';
import type { NodeLease } from './nodeLease.js';

/** A NOTIFY payload is limited to 8000 bytes: past this, the notice says "any session". */
const NOTICE_MAX = 7_000;

interface ClaimItem {
  eventId: number;
  endpointId: string;
  granted: boolean;
}

export interface ClusterDeliveryRoutingOptions {
  store: ClusterStore;
  sessions: SessionManager;
  lease: NodeLease;
  nodeId: string;
  /** Live nodes as of the last balancing round. */
  alive(): readonly NodeRow[];
  logger: Logger;
}

export class ClusterDeliveryRouting implements DeliveryRouting {
  readonly nodeId: string;
  readonly scanMs: number;
  /** NOTIFY channel for "deliveries waiting" (set once the channels are known). */
  channel = '';
  private listener: DeliveryListener | null = null;
  private readonly claims: GroupCommitter<ClaimItem>;
  private announcing = new Set<string>();
  private announceScheduled = false;

  constructor(private readonly opts: ClusterDeliveryRoutingOptions) {
    this.nodeId = opts.nodeId;
    this.scanMs = Math.max(1_000, Math.floor(opts.lease.leaseMs / 2));
    // One statement per turn for every lane about to send.
    this.claims = new GroupCommitter(async (items) => {
      const held = await opts.store.claimDeliveries(opts.nodeId, opts.lease.leaseMs, items);
      for (const item of items) item.granted = held.has(deliveryKey(item.eventId, item.endpointId));
    });
  }

  attach(listener: DeliveryListener): void {
    this.listener = listener;
  }

  mine(sessionId: string): boolean {
    if (!this.opts.lease.isValid()) return false;
    const entry = this.opts.sessions.registry.find(sessionId);
    if (entry?.lease) return true;
    const owner = entry?.ownerNode ?? null;
    // Still named for this node in the database (dropped after a lapse, being taken back): the others leave it to us.
    if (owner === this.nodeId) return true;
    if (owner !== null && this.opts.alive().some((n) => n.id === owner)) return false;
    return this.opts.alive().find((n) => !n.draining)?.id === this.nodeId;
  }

  async claim(eventId: number, endpointId: string): Promise<boolean> {
    const item: ClaimItem = { eventId, endpointId, granted: false };
    await this.claims.submit(item);
    return item.granted;
  }

  announce(sessionIds: readonly string[]): void {
    for (const id of sessionIds) this.announcing.add(id);
    if (this.announceScheduled || this.announcing.size === 0) return;
    this.announceScheduled = true;
    setImmediate(() => {
      this.announceScheduled = false;
      const ids = [...this.announcing];
      this.announcing.clear();
      let list = ids.join(',');
      if (list.length > NOTICE_MAX || ids.some((id) => id.includes(','))) list = '*';
      this.opts.store.wake(this.channel, `${this.nodeId} ${list}`).catch((err: unknown) => {
        // The owner's periodic scan finds them anyway, a few seconds later.
        this.opts.logger.warn({ err }, 'could not announce webhook deliveries to the other nodes');
      });
    });
  }

  // ---- from the cluster (ownership, notifications)

  gained(sessionIds: readonly string[]): void {
    if (sessionIds.length > 0) this.listener?.gained(sessionIds);
  }

  lost(sessionIds: readonly string[]): void {
    if (sessionIds.length > 0) this.listener?.lost(sessionIds);
  }

  /** A notice on the deliveries channel: `<node> <id>,<id>,…` or `<node> *`. */
  notified(payload: string): void {
    const space = payload.indexOf(' ');
    if (space < 0 || payload.slice(0, space) === this.nodeId) return;
    const list = payload.slice(space + 1);
    this.listener?.waiting(list === '*' ? null : list.split(','));
  }

  endpointChanged(id: string | null): void {
    this.listener?.endpointChanged(id);
  }

  /** The listen connection came back: notices may have been missed. */
  resync(): void {
    this.listener?.endpointChanged(null);
    this.listener?.waiting(null);
  }
}
