/**
 * Failover and spread, run after every heartbeat (and when another node
 * wakes it): each node aims at its fair share of the sessions that want a
 * connection (ceil(wanted / live nodes)). Below it, it claims sessions with
 * no live owner — a dead node's, after its lease ran out, or a drained
 * node's at once — and reconnects them paced (no QR: the credentials are in
 * the database). Above the even spread while another node is well below (a
 * node joined), it hands sessions over, a paced number a round (spread.ts):
 * connection closed first, then released, so no session is ever connected
 * from two nodes.
 */
import type { Logger } from 'pino';
import { LINKING_OR_CONNECTING, SESSION_STATES, type SessionState } from '../../domain/sessionState.js';
import type { ClusterStore, NodeRow } from '../../store/types.js';
import { runPaced } from '../sessions/restorePacer.js';
import type { SessionManager } from '../sessions/sessionManager.js';
import type { NodeLease } from './nodeLease.js';
import { shareOf, toHandOver } from './spread.js';
import type { Ownership } from './ownership.js';

/** Sessions a take-over reconnects at once however loaded the machine is (a fresh login is mostly waiting, little CPU). */
const TAKE_OVER_FLOOR = 8;
const SETTLED: SessionState[] = SESSION_STATES.filter((state) => !LINKING_OR_CONNECTING.includes(state));

export interface BalancerOptions {
  store: ClusterStore;
  sessions: SessionManager;
  ownership: Ownership;
  lease: NodeLease;
  logger: Logger;
  /** Most sessions reconnecting at once, and the event-loop delay the pacing aims at. */
  pacing: { max: number; targetDelayMs: number };
}

export class Balancer {
  private running = false;
  private again = false;
  private stopped = false;
  private readonly reconnecting = new Set<string>();
  private expiryTimer: NodeJS.Timeout | null = null;
  /** NOTIFY channel that wakes the other nodes' balancers (set once the channels are known). */
  wakeChannel = '';
  /** Live nodes as of the last round (forwarding reads it). */
  alive: NodeRow[] = [];

  constructor(private readonly opts: BalancerOptions) {}

  stop(): void {
    this.stopped = true;
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
  }

  /** Sessions this node owned before a restart with the same node id: take them back at once. */
  async reclaimOwn(ids: string[]): Promise<void> {
    const claimed = await this.opts.ownership.claim(ids, { reclaimOwn: true });
    this.reconnect(claimed);
  }

  /** One round; a call while one runs schedules one more after it. */
  async round(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      do {
        this.again = false;
        await this.once();
      } while (this.again && !this.stopped);
    } catch (err) {
      this.opts.logger.warn({ err }, 'cluster balancing round failed');
    } finally {
      this.running = false;
    }
  }

  private async once(): Promise<void> {
    const { store, lease, ownership } = this.opts;
    if (this.stopped || !lease.isValid()) return;
    const me = ownership.nodeId;
    this.alive = await store.aliveNodes(lease.leaseMs);
    const serving = this.alive.filter((n) => !n.draining);
    if (!serving.some((n) => n.id === me)) return;
    await this.watchSilent();
    // Sessions the database still names this node for, dropped here when the lease ran out
    // (a pause, a database outage) and taken by no one since: take them back (the claim is conditional).
    const stray = this.opts.sessions.registry
      .all()
      .filter((e) => e.ownerNode === me && e.lease === null && !this.reconnecting.has(e.row.id))
      .map((e) => e.row.id);
    if (stray.length > 0) await this.reclaimOwn(stray);
    // Held, wanted, paired and idle: claimed by a command that does not connect (a send, a
    // settings change on a session nobody held). A conflict or an error leaves another state.
    this.reconnect(
      ownership
        .held()
        .filter((e) => e.runtime === null && e.row.state === 'inactive')
        .map((e) => e.row.id),
    );
    const counts = await store.wantedCounts();
    const countOf = (id: string): number => counts.byOwner.get(id) ?? 0;
    const share = shareOf(counts.total, serving.length);
    const mine = countOf(me);
    if (mine < share) {
      const orphans = await store.orphans(lease.leaseMs, share - mine);
      if (orphans.length > 0) {
        const claimed = await ownership.claim(orphans);
        this.opts.logger.info({ claimed: claimed.length, share }, 'taking over sessions with no live owner');
        this.reconnect(claimed);
        // Another node claimed some of the same ones at the same moment: look again now, not a heartbeat later.
        if (claimed.length < orphans.length) this.again = true;
        return;
      }
    }
    const surplus = toHandOver({ me, nodes: serving.map((n) => n.id), countOf, total: counts.total, most: this.opts.pacing.max });
    if (surplus === 0) return;
    const leaving = ownership
      .held()
      .filter((e) => e.row.wantConnected && e.row.meJid !== null && e.runtime !== null && !this.reconnecting.has(e.row.id))
      .slice(0, surplus);
    if (leaving.length === 0) return;
    this.opts.logger.info({ handing: leaving.length, share }, 'handing sessions over to a node with fewer');
    await ownership.handOver(leaving);
    await store.wake(this.wakeChannel, `rebalance ${me}`);
  }

  /**
   * Another node silent for over half its lease has probably died: run a
   * round the moment its lease runs out (database clock), so its sessions
   * are claimed then rather than up to a heartbeat later.
   */
  private async watchSilent(): Promise<void> {
    if (this.expiryTimer) return;
    const { store, lease, ownership, logger } = this.opts;
    const oldest = Math.min(...this.alive.filter((n) => n.id !== ownership.nodeId).map((n) => n.heartbeatAt));
    if (!Number.isFinite(oldest)) return;
    const silentMs = (await store.now()) - oldest;
    if (silentMs < lease.leaseMs / 2) return;
    this.expiryTimer = setTimeout(
      () => {
        this.expiryTimer = null;
        this.round().catch((err: unknown) => logger.warn({ err }, 'cluster balancing round failed'));
      },
      Math.max(0, lease.leaseMs - silentMs) + 50,
    );
    this.expiryTimer.unref();
  }

  /** Connect claimed sessions that want a connection, a paced number at a time. */
  private reconnect(ids: string[]): void {
    const { sessions, logger } = this.opts;
    const todo = ids.filter((id) => {
      const entry = sessions.registry.find(id);
      return entry?.lease && entry.row.wantConnected && entry.row.meJid !== null && !this.reconnecting.has(id);
    });
    if (todo.length === 0) return;
    for (const id of todo) this.reconnecting.add(id);
    // A take-over is against the clock (the 30 s a failover may take): under another process's load the
    // event-loop delay would halve the limit to one at a time, so it keeps a floor of a few at once.
    void runPaced(todo, { ...this.opts.pacing, min: Math.min(TAKE_OVER_FLOOR, this.opts.pacing.max) }, async (id) => {
      try {
        if (this.stopped || !sessions.registry.find(id)?.lease) return;
        await sessions.connectOwned(id, 'taken over by this node');
        await sessions.waitForState(id, SETTLED, 60_000).catch(() => undefined);
      } catch (err) {
        logger.child({ sessionId: id }).warn({ err }, 'could not reconnect a session taken over');
      } finally {
        this.reconnecting.delete(id);
      }
    });
  }
}
