/**
 * Delivers the outbox. Deliveries run in lanes, one lane per (endpoint,
 * session): at most one delivery of a lane is in flight and a lane delivers
 * in commit order (= the session's seq order), so each session's events
 * arrive in order. Lanes share a bounded number of concurrent requests; a
 * slow or dead endpoint holds up only its own lanes. A lane keeps at most
 * LANE_CAP deliveries in memory and reads the rest from the store when it
 * gets there, so a dead endpoint cannot grow the heap.
 *
 * Nothing here throws into the event path or ends the process: every
 * attempt, store write and timer is caught and logged.
 *
 * Cluster mode (`routing`): only the lanes this node delivers run here; each
 * attempt first claims its delivery in the store and records its result only
 * while it holds the claim (routing.ts has the contract). A lane whose head
 * another node holds lets go of what it read and reads again a moment later.
 *
 * ~400 lines on purpose: lanes, the shared concurrency budget, the retry
 * timers and (cluster) the claim before each attempt form one scheduler
 * whose invariants (one in flight per lane, commit order, one node per
 * delivery) are easiest to check in one place. The HTTP request itself is
 * sender.ts.
 */
import type { Logger } from 'pino';
import type { DeliveryRow, DeliveryUpdate, WebhookRepo } from '../../store/types.js';
import { GroupCommitter } from '../../shared/groupCommit.js';
import type { PublicUrlOptions } from '../net/publicUrl.js';
import { nextDelayMs } from './retryPolicy.js';
import type { DeliveryRouting } from './routing.js';
import { WebhookSender } from './sender.js';

const LANE_CAP = 500;
const MAX_TIMER_MS = 2 ** 31 - 1;
/** A lane whose head another node holds reads again after this long. */
const HELD_ELSEWHERE_RETRY_MS = 1_000;

/** What the dispatcher needs to know about an endpoint. */
export interface DispatchEndpoint {
  id: string;
  url: string;
  enabled: boolean;
  /** Signature (and id) headers for one attempt's body. */
  headers(body: string, ctx: { eventId: string; eventType: string; timestamp: number }): Record<string, string>;
}

export interface EndpointHealth {
  get(id: string): DispatchEndpoint | undefined;
  /** A 2xx arrived. */
  healthy(id: string): void;
  /** An attempt failed; the owner disables the endpoint after failing long enough. */
  failing(id: string, at: number): void;
  /** The endpoint answered 410 Gone. */
  gone(id: string): void;
}

export interface DispatcherOptions {
  repo: WebhookRepo;
  endpoints: EndpointHealth;
  logger: Logger;
  net: PublicUrlOptions;
  timeoutMs: number;
  concurrency: number;
  retryDelaysMs: readonly number[];
  userAgent: string;
  random?: () => number;
  /** Cluster mode: which lanes run here, and the claim before each attempt. */
  routing?: DeliveryRouting;
}

export type DeliveryOutcome = 'delivered' | 'retry' | 'failed' | 'gone';

export interface DispatcherStats {
  outcomes: Record<DeliveryOutcome, number>;
  /** Pending deliveries the dispatcher holds in memory (a lower bound when lanes spilled). */
  pending: number;
  /** Creation time (epoch ms) of the oldest pending delivery, or null. */
  oldestPendingAt: number | null;
  inFlight: number;
}

/** One delivery; (eventId, endpoint) is its key, and eventId its place in the lane. */
interface Job {
  eventId: number;
  eventType: string;
  payload: string;
  attempts: number;
  nextAttemptAt: number;
  createdAt: number;
}

interface Lane {
  key: string;
  endpointId: string;
  sessionId: string;
  jobs: Job[];
  /** Highest event id read into memory in order; later ones may be only in the store. */
  lastLoadedId: number;
  /** The store holds pending deliveries of this lane that are not in memory. */
  spilled: boolean;
  loading: boolean;
  busy: boolean;
  queued: boolean;
  timer: NodeJS.Timeout | null;
}

function toJob(row: Pick<DeliveryRow, 'eventId' | 'eventType' | 'payload' | 'attempts' | 'nextAttemptAt' | 'createdAt'>): Job {
  return {
    eventId: row.eventId,
    eventType: row.eventType,
    payload: row.payload,
    attempts: row.attempts,
    nextAttemptAt: row.nextAttemptAt,
    createdAt: Date.parse(row.createdAt) || Date.now(),
  };
}

export class WebhookDispatcher {
  private readonly lanes = new Map<string, Lane>();
  private readonly ready: Lane[] = [];
  private inFlight = 0;
  private stopped = false;
  private readonly sender: WebhookSender;
  private readonly idle = new Set<() => void>();
  /** Attempt results of one turn, written in one transaction. */
  private readonly updates: GroupCommitter<DeliveryUpdate & { eventId: number; endpointId: string; applied: boolean }>;
  readonly outcomes: Record<DeliveryOutcome, number> = { delivered: 0, retry: 0, failed: 0, gone: 0 };

  constructor(private readonly opts: DispatcherOptions) {
    this.updates = new GroupCommitter(async (items) => {
      const applied = await opts.repo.updateDeliveries(items.map(({ applied: _, ...update }) => update));
      items.forEach((item, i) => (item.applied = applied[i] ?? false));
    });
    this.sender = new WebhookSender(opts);
  }

  /** Pick up every pending delivery in the store (start, re-enabled endpoint; cluster: sessions taken over, the periodic scan). */
  async load(endpointId?: string, sessionIds?: ReadonlySet<string>): Promise<void> {
    const lanes = await this.opts.repo.pendingLanes();
    for (const { endpointId: e, sessionId } of lanes) {
      if (endpointId !== undefined && e !== endpointId) continue;
      if (sessionIds !== undefined && !sessionIds.has(sessionId)) continue;
      if (this.opts.routing && !this.opts.routing.mine(sessionId)) continue;
      const lane = this.lane(e, sessionId);
      lane.spilled = true;
      this.schedule(lane);
    }
  }

  /** New deliveries, just committed (in commit order). */
  enqueue(rows: ReadonlyArray<Pick<DeliveryRow, 'eventId' | 'endpointId' | 'sessionId' | 'eventType' | 'payload' | 'createdAt'>>): void {
    for (const row of rows) {
      const lane = this.lane(row.endpointId, row.sessionId);
      if (row.eventId <= lane.lastLoadedId) continue;
      if (lane.spilled || lane.loading || lane.jobs.length >= LANE_CAP) {
        lane.spilled = true; // in the store; read when the lane gets there
      } else {
        lane.jobs.push(toJob({ ...row, attempts: 0, nextAttemptAt: 0 }));
        lane.lastLoadedId = row.eventId;
      }
      this.schedule(lane);
    }
  }

  /** Deliveries set back to pending (replay): sent next in their lane, before newer ones. */
  requeue(rows: readonly DeliveryRow[]): void {
    for (const row of rows) {
      const lane = this.lane(row.endpointId, row.sessionId);
      if (lane.jobs.some((j) => j.eventId === row.eventId)) continue;
      const job = toJob({ ...row, attempts: row.attempts, nextAttemptAt: 0 });
      const from = lane.busy ? 1 : 0;
      let at = lane.jobs.findIndex((j, i) => i >= from && j.eventId > row.eventId);
      if (at === -1) at = lane.jobs.length;
      lane.jobs.splice(Math.max(at, from), 0, job);
      this.schedule(lane);
    }
  }

  /** Drop an endpoint's lanes (deleted or disabled); its store rows stay as they are. */
  forget(endpointId: string): void {
    for (const lane of [...this.lanes.values()]) {
      if (lane.endpointId !== endpointId) continue;
      if (lane.timer) clearTimeout(lane.timer);
      lane.timer = null;
      this.lanes.delete(lane.key);
    }
  }

  /** Cluster mode: drop the lanes of sessions this node no longer delivers (a request in flight finishes). */
  forgetSessions(sessionIds: readonly string[]): void {
    const gone = new Set(sessionIds);
    for (const lane of [...this.lanes.values()]) {
      if (!gone.has(lane.sessionId)) continue;
      if (lane.timer) clearTimeout(lane.timer);
      lane.timer = null;
      this.lanes.delete(lane.key);
    }
  }

  stats(): DispatcherStats {
    let pending = 0;
    let oldest: number | null = null;
    for (const lane of this.lanes.values()) {
      pending += lane.jobs.length;
      const head = lane.jobs[0];
      if (head && (oldest === null || head.createdAt < oldest)) oldest = head.createdAt;
    }
    return { outcomes: { ...this.outcomes }, pending, oldestPendingAt: oldest, inFlight: this.inFlight };
  }

  /** Resolves when nothing is in flight or ready (tests, benchmark). */
  async drained(): Promise<void> {
    if (this.inFlight === 0 && this.ready.length === 0) return;
    await new Promise<void>((resolve) => this.idle.add(resolve));
  }

  /** Stop starting deliveries; abort those in flight after `graceMs`. */
  async stop(graceMs = 2_000): Promise<void> {
    this.stopped = true;
    for (const lane of this.lanes.values()) if (lane.timer) clearTimeout(lane.timer);
    const deadline = Date.now() + graceMs;
    while (this.inFlight > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    // Requests still in flight are cut off; their deliveries stay pending and go out after the next start.
    await this.sender.close();
    while (this.inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  private lane(endpointId: string, sessionId: string): Lane {
    const key = `${endpointId}\u0000${sessionId}`;
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { key, endpointId, sessionId, jobs: [], lastLoadedId: 0, spilled: false, loading: false, busy: false, queued: false, timer: null };
      this.lanes.set(key, lane);
    }
    return lane;
  }

  private schedule(lane: Lane): void {
    if (this.stopped || lane.busy || lane.queued || lane.timer || lane.loading) return;
    if (this.lanes.get(lane.key) !== lane) return; // forgotten
    if (this.opts.routing && !this.opts.routing.mine(lane.sessionId)) {
      // Another node delivers this session's lanes now; the rows stay for it.
      this.lanes.delete(lane.key);
      return;
    }
    const head = lane.jobs[0];
    if (!head) {
      if (lane.spilled) this.refill(lane);
      else this.lanes.delete(lane.key);
      return;
    }
    const endpoint = this.opts.endpoints.get(lane.endpointId);
    if (!endpoint || !endpoint.enabled) {
      // Parked: picked up again from the store when the endpoint is enabled.
      this.lanes.delete(lane.key);
      return;
    }
    const wait = head.nextAttemptAt - Date.now();
    if (wait > 0) {
      lane.timer = setTimeout(() => {
        lane.timer = null;
        this.schedule(lane);
      }, Math.min(wait, MAX_TIMER_MS));
      lane.timer.unref();
      return;
    }
    lane.queued = true;
    this.ready.push(lane);
    this.pump();
  }

  private refill(lane: Lane): void {
    lane.loading = true;
    lane.spilled = false;
    this.opts.repo.pendingInLane(lane.endpointId, lane.sessionId, lane.lastLoadedId, LANE_CAP).then(
      (rows) => {
        lane.loading = false;
        for (const row of rows) {
          if (lane.jobs.some((j) => j.eventId === row.eventId)) continue;
          lane.jobs.push(toJob(row));
          lane.lastLoadedId = Math.max(lane.lastLoadedId, row.eventId);
        }
        if (rows.length === LANE_CAP) lane.spilled = true;
        this.schedule(lane);
      },
      (err: unknown) => {
        lane.loading = false;
        lane.spilled = true;
        this.opts.logger.error({ err, webhookId: lane.endpointId, sessionId: lane.sessionId }, 'could not read pending webhook deliveries; retrying in 5 s');
        lane.timer = setTimeout(() => {
          lane.timer = null;
          this.schedule(lane);
        }, 5_000);
        lane.timer.unref();
      },
    );
  }

  private pump(): void {
    while (!this.stopped && this.inFlight < this.opts.concurrency && this.ready.length > 0) {
      const lane = this.ready.shift()!;
      lane.queued = false;
      const job = lane.jobs[0];
      if (!job || this.lanes.get(lane.key) !== lane) continue;
      lane.busy = true;
      this.inFlight++;
      this.attempt(lane, job)
        .catch((err: unknown) => {
          this.opts.logger.error({ err, webhookId: lane.endpointId, sessionId: lane.sessionId }, 'webhook delivery step failed');
          // Try the same delivery again later rather than lose it.
          job.nextAttemptAt = Date.now() + 5_000;
        })
        .finally(() => {
          this.inFlight--;
          lane.busy = false;
          this.schedule(lane);
          this.pump();
          if (this.inFlight === 0 && this.ready.length === 0) {
            for (const resolve of this.idle) resolve();
            this.idle.clear();
          }
        });
    }
  }

  private async attempt(lane: Lane, job: Job): Promise<void> {
    const endpoint = this.opts.endpoints.get(lane.endpointId);
    if (!endpoint || !endpoint.enabled) return;
    const routing = this.opts.routing;
    if (routing && !(await routing.claim(job.eventId, endpoint.id))) {
      this.heldElsewhere(lane);
      return;
    }
    const now = Date.now();
    const result = await this.sender.send(endpoint, job, now);
    const attempts = job.attempts + 1;
    const at = new Date().toISOString();
    const log = this.opts.logger.child({ webhookId: endpoint.id, sessionId: lane.sessionId, eventId: job.eventId });
    let outcome: DeliveryOutcome;
    let nextAttemptAt = 0;
    if (result.status !== null && result.status >= 200 && result.status < 300) {
      outcome = 'delivered';
    } else if (result.status === 410) {
      outcome = 'gone';
    } else {
      const delay = nextDelayMs(attempts, this.opts.retryDelaysMs, this.opts.random);
      if (delay === undefined) {
        outcome = 'failed';
      } else {
        outcome = 'retry';
        // From the answer, not the start: Retry-After counts from when it was said.
        nextAttemptAt = Date.now() + Math.max(delay, result.retryAfterMs ?? 0);
      }
    }
    const update = {
      eventId: job.eventId,
      endpointId: endpoint.id,
      status: outcome === 'delivered' ? ('delivered' as const) : outcome === 'retry' ? ('pending' as const) : ('failed' as const),
      attempts,
      nextAttemptAt,
      lastStatusCode: result.status,
      lastError: result.error,
      lastAttemptAt: at,
      ...(routing ? { claimedBy: routing.nodeId } : {}),
      applied: true,
    };
    await this.updates.submit(update);
    if (routing && !update.applied) {
      // Another node took the claim (only once this node's lease ran out: it sends again and records), or the row is gone.
      log.warn({ status: result.status }, 'webhook attempt not recorded: another node took the delivery over');
      this.heldElsewhere(lane);
      return;
    }
    this.outcomes[outcome]++;
    if (outcome === 'retry') {
      job.attempts = attempts;
      job.nextAttemptAt = nextAttemptAt;
      log.info({ status: result.status, error: result.error, attempts, nextAttemptAt: new Date(nextAttemptAt).toISOString() }, 'webhook delivery failed; will retry');
    } else {
      lane.jobs.shift();
      if (outcome !== 'delivered') log.warn({ status: result.status, error: result.error, attempts }, 'webhook delivery failed for good');
    }
    if (outcome === 'delivered') this.opts.endpoints.healthy(endpoint.id);
    else if (outcome === 'gone') this.opts.endpoints.gone(endpoint.id);
    else this.opts.endpoints.failing(endpoint.id, now);
  }

  /** Another node holds the lane's head (or took it): forget what was read, read again shortly, from the oldest pending. */
  private heldElsewhere(lane: Lane): void {
    lane.jobs = [];
    lane.lastLoadedId = 0;
    lane.spilled = true;
    if (lane.timer) clearTimeout(lane.timer);
    lane.timer = setTimeout(() => {
      lane.timer = null;
      this.schedule(lane);
    }, HELD_ELSEWHERE_RETRY_MS);
    lane.timer.unref();
  }
}
