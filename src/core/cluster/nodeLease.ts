/**
 * This node's membership: its row in `nodes`, renewed by a heartbeat every
 * third of the lease. The lease is the heartbeat: every session this node
 * owns is held by it (no write per session per interval). The node counts
 * its lease from when it *sent* its last acknowledged heartbeat, minus a
 * safety margin, so it knows it is gone before any other node can think so
 * (the others count from when the database received it). A node that finds
 * its lease run out (a pause, a lost database) lets every session go before
 * it heartbeats again.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { ClusterStore } from '../../store/types.js';

export interface NodeLeaseOptions {
  store: ClusterStore;
  nodeId: string;
  leaseMs: number;
  logger: Logger;
  /** The lease ran out: drop every session now, writing nothing. */
  onLost(): Promise<void>;
  /** After each heartbeat (the balancer runs then). */
  onBeat(): void;
}

export class NodeLease {
  private validUntil = 0;
  private timer: NodeJS.Timeout | null = null;
  private beating = false;
  private stopped = false;
  slot = -1;
  /** Where the other nodes reach this one (set once the HTTP server listens). */
  address: string | null = null;

  constructor(private readonly opts: NodeLeaseOptions) {}

  get leaseMs(): number {
    return this.opts.leaseMs;
  }

  /** True while no other node can have taken this node's sessions. */
  isValid(): boolean {
    return !this.stopped && performance.now() < this.validUntil;
  }

  async start(): Promise<void> {
    const sentAt = performance.now();
    this.slot = await this.opts.store.register(this.opts.nodeId, this.address, this.opts.leaseMs * 20);
    this.validUntil = sentAt + this.safeMs();
    this.opts.logger.info({ nodeId: this.opts.nodeId, slot: this.slot, leaseMs: this.opts.leaseMs }, 'joined the cluster');
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** Renew now (also used by the check that runs every interval). */
  async beat(): Promise<void> {
    if (this.beating || this.stopped) return;
    this.beating = true;
    try {
      if (!this.isValid() && this.validUntil > 0) {
        this.opts.logger.warn({ nodeId: this.opts.nodeId }, 'lease ran out (paused or cut off from the database); letting every session go');
        this.validUntil = 0;
        await this.opts.onLost();
      }
      const sentAt = performance.now();
      let alive = await this.opts.store.heartbeat(this.opts.nodeId, this.address);
      if (!alive) {
        this.slot = await this.opts.store.register(this.opts.nodeId, this.address, this.opts.leaseMs * 20);
        alive = true;
      }
      if (!this.stopped) this.validUntil = sentAt + this.safeMs();
      this.opts.onBeat();
    } catch (err) {
      this.opts.logger.warn({ err }, 'cluster heartbeat failed');
    } finally {
      this.beating = false;
    }
  }

  /** The part of the lease this node trusts: a fifth short, for clock drift and slow queries. */
  private safeMs(): number {
    return this.opts.leaseMs * 0.8;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      // beat() catches its own failures; the catch here keeps a future change from ending the process.
      this.beat()
        .catch((err: unknown) => this.opts.logger.warn({ err }, 'cluster heartbeat failed'))
        .finally(() => this.schedule());
    }, Math.max(200, Math.floor(this.opts.leaseMs / 4)));
    this.timer.unref();
  }
}
