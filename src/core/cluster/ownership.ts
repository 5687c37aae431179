/**
 * Which node runs which session. A claim is one conditional update (no live
 * owner → this node, epoch + 1); the claimed row becomes this node's lease
 * on the session (`entry.lease`), and every write of the session after that
 * is fenced by it. A command on a session nobody runs claims it for the node
 * that received it; a session a live node runs is that node's (the HTTP
 * layer forwards the command there).
 */
import type { Logger } from 'pino';
import type { ClusterStore, OwnedRow } from '../../store/types.js';
import { GatewayError } from '../errors.js';
import type { InMemoryEventBus } from '../eventBus.js';
import type { SessionEntry } from '../sessions/sessionEntry.js';
import type { SessionManager } from '../sessions/sessionManager.js';
import type { ClusterDeliveryRouting } from './deliveryRouting.js';
import type { NodeLease } from './nodeLease.js';
import type { SessionMirror } from './sessionMirror.js';

export class Ownership {
  private readonly claiming = new Map<string, Promise<boolean>>();

  constructor(
    private readonly store: ClusterStore,
    private readonly sessions: SessionManager,
    private readonly events: InMemoryEventBus,
    private readonly mirror: SessionMirror,
    private readonly lease: NodeLease,
    readonly nodeId: string,
    private readonly logger: Logger,
    /** Webhook lanes follow the session: the new owner delivers them, the old one stops. */
    private readonly deliveries: ClusterDeliveryRouting,
  ) {}

  /** Sessions this node holds now. */
  held(): SessionEntry[] {
    return this.sessions.registry.all().filter((e) => e.lease !== null);
  }

  /** Make the session this node's, or throw SESSION_OWNED_ELSEWHERE when a live node has it. */
  async ensureLocal(sessionId: string): Promise<void> {
    const entry = this.sessions.registry.require(sessionId);
    if (entry.lease && this.lease.isValid()) return;
    if (!this.lease.isValid()) throw new GatewayError('SESSION_OWNED_ELSEWHERE', 'This node is not in the cluster right now (its lease ran out); retry', { sessionId });
    if (await this.claim([sessionId]).then((ids) => ids.includes(sessionId))) return;
    await this.mirror.reload([sessionId]);
    throw new GatewayError('SESSION_OWNED_ELSEWHERE', undefined, { sessionId, ownerNode: entry.ownerNode });
  }

  /** Claim sessions no live node holds; returns the ids this node holds now. */
  async claim(ids: string[], opts: { reclaimOwn?: boolean } = {}): Promise<string[]> {
    const fresh = ids.filter((id) => !this.claiming.has(id));
    const waiting = ids.filter((id) => this.claiming.has(id));
    const done = this.claimNow(fresh, opts);
    for (const id of fresh) {
      const mine = done.then((rows) => rows.some((r) => r.row.id === id));
      this.claiming.set(id, mine);
      void mine.finally(() => this.claiming.delete(id)).catch(() => undefined);
    }
    const claimed = (await done).map((r) => r.row.id);
    for (const id of waiting) if (await this.claiming.get(id)?.catch(() => false)) claimed.push(id);
    return claimed;
  }

  private async claimNow(ids: string[], opts: { reclaimOwn?: boolean }): Promise<OwnedRow[]> {
    if (ids.length === 0) return [];
    const rows = await this.store.claim(this.nodeId, ids, this.lease.leaseMs, opts);
    // Side by side: a failover claims hundreds at once, one sequence lookup each.
    await Promise.all(rows.map((row) => this.adopt(row)));
    if (rows.length > 0) this.logger.info({ sessions: rows.length }, 'claimed sessions');
    this.deliveries.gained(rows.map((r) => r.row.id));
    return rows;
  }

  /** A claimed row: this node's from now on, its events continuing the session's seq. */
  private async adopt(owned: OwnedRow): Promise<void> {
    const entry = this.mirror.apply(owned);
    await entry.queue.run(async () => {
      Object.assign(entry.row, owned.row);
      entry.ownerNode = this.nodeId;
      entry.lease = { nodeId: this.nodeId, epoch: owned.ownerEpoch };
      entry.unsaved = null;
    });
    this.events.continueSeq(owned.row.id, await this.events.committedSeq(owned.row.id));
  }

  /** The lease ran out: every session goes, nothing written. */
  async dropAll(): Promise<void> {
    const held = this.held();
    this.deliveries.lost(held.map((e) => e.row.id));
    await Promise.all(held.map((entry) => this.sessions.dropLocal(entry, 'lease ran out')));
  }

  /** Hand sessions over cleanly (drain, rebalance): close, record, release. */
  async handOver(entries: SessionEntry[]): Promise<void> {
    await Promise.all(entries.map((entry) => this.sessions.handOver(entry).catch((err: unknown) => this.logger.warn({ err, sessionId: entry.row.id }, 'hand-over failed'))));
    await this.store.release(this.nodeId, entries.map((e) => e.row.id));
    for (const entry of entries) entry.ownerNode = null;
    this.deliveries.lost(entries.map((e) => e.row.id));
  }
}
