/**
 * How many accepted messages each session has waiting to be sent, kept in
 * memory on the node that runs the session. A send past the bound is refused
 * before anything is stored (SEND_BACKLOG_FULL), instead of accepting work
 * the session cannot send in reasonable time; what was accepted is never
 * dropped.
 *
 * The store stays the truth: every read of a session's pending rows (the
 * first send after a start, each round of the send queue) reconciles the
 * count with it, so rows that left by another way (retention, another node
 * sending while it held the session) stop counting. Reads are ordered by a
 * mark taken when they start: an older read never undoes what a newer one,
 * an accept or a send since, established.
 */
import { GatewayError } from '../errors.js';

export interface SendBacklogOptions {
  /** Most messages a session may have waiting (0 = no bound). */
  limit: number;
  /** Messages per minute per session (0 = off): the pace to expect before any send was seen. */
  ratePerMinute: number;
  /** The ids of the session's pending rows in the store. */
  pendingIds(sessionId: string): Promise<string[]>;
}

/** A place held for one message between the check and its row being stored. */
export interface Reservation {
  /** The row is stored: it counts as waiting until it is sent or given up. */
  accepted(messageId: string): void;
  /** Nothing was stored: give the place back. Safe to call after accepted (then it does nothing). */
  release(): void;
}

interface SessionBacklog {
  /** Waiting message id → the mark it was added at. */
  waiting: Map<string, number>;
  /** Places held by sends that have not stored their row yet. */
  reserved: number;
  /** Ids that left (sent or given up) → the mark they left at, until a newer read covers them. */
  left: Map<string, number>;
  /** The mark of the newest read applied; -1 before the first. */
  readMark: number;
  /** The first read, shared by the sends that need it. */
  seeding: Promise<void> | undefined;
  /** Smoothed milliseconds between two sends (undefined until two were seen). */
  gapMs: number | undefined;
  lastDoneAt: number | undefined;
}

/** Per session: at about one message a second (a cautious pace for one number) a quarter of an hour of work. */
export const DEFAULT_MAX_PENDING_SENDS = 1000;

/** Without a measured pace: how long a client is asked to wait. */
const DEFAULT_RETRY_AFTER_S = 5;
const MAX_RETRY_AFTER_S = 60;

export class SendBacklog {
  private readonly sessions = new Map<string, SessionBacklog>();
  private seq = 0;

  constructor(private readonly opts: SendBacklogOptions) {}

  /**
   * Hold a place for one message about to be stored. Throws SEND_BACKLOG_FULL
   * (with Retry-After) when the session already has `limit` waiting.
   */
  async reserve(sessionId: string): Promise<Reservation> {
    if (this.opts.limit <= 0) return { accepted: () => undefined, release: () => undefined };
    const state = this.state(sessionId);
    if (state.readMark < 0) {
      state.seeding ??= this.seed(sessionId, state).finally(() => {
        state.seeding = undefined;
      });
      await state.seeding;
    }
    const waiting = state.waiting.size + state.reserved;
    if (waiting >= this.opts.limit) throw this.full(sessionId, state, waiting);
    state.reserved += 1;
    let held = true;
    const giveBack = (): void => {
      if (!held) return;
      held = false;
      state.reserved -= 1;
    };
    return {
      accepted: (messageId) => {
        giveBack();
        state.waiting.set(messageId, ++this.seq);
      },
      release: giveBack,
    };
  }

  /** Take before reading the session's pending rows; hand to reconcile with what the read found. */
  mark(): number {
    return ++this.seq;
  }

  /** What a read of the session's pending rows, started at `mark`, found. */
  reconcile(sessionId: string, ids: readonly string[], mark: number): void {
    if (this.opts.limit <= 0) return; // nothing is counted without a bound
    const state = this.state(sessionId);
    if (mark < state.readMark) return; // a newer read already applied
    state.readMark = mark;
    const found = new Set(ids);
    for (const [id, at] of state.waiting) if (at < mark && !found.has(id)) state.waiting.delete(id);
    for (const id of found) {
      const leftAt = state.left.get(id);
      // Sent after the read started: the read saw it before it left.
      if (!state.waiting.has(id) && (leftAt === undefined || leftAt < mark)) state.waiting.set(id, mark);
    }
    for (const [id, at] of state.left) if (at < mark) state.left.delete(id);
  }

  /** The message left the queue: sent (measures the pace) or given up. */
  done(sessionId: string, messageId: string, sent: boolean): void {
    const state = this.sessions.get(sessionId);
    if (!state) return;
    state.waiting.delete(messageId);
    state.left.set(messageId, ++this.seq);
    if (!sent) return;
    const at = Date.now();
    if (state.lastDoneAt !== undefined) {
      const gap = at - state.lastDoneAt;
      state.gapMs = state.gapMs === undefined ? gap : state.gapMs * 0.8 + gap * 0.2;
    }
    state.lastDoneAt = at;
  }

  /** The session is gone (deleted): nothing of it waits here any more. */
  forget(sessionId: string): void {
    this.sessions.delete(sessionId);
  }

  private async seed(sessionId: string, state: SessionBacklog): Promise<void> {
    const mark = this.mark();
    const ids = await this.opts.pendingIds(sessionId);
    // Deleted while reading: the state is no longer the session's.
    if (this.sessions.get(sessionId) === state) this.reconcile(sessionId, ids, mark);
  }

  private full(sessionId: string, state: SessionBacklog, waiting: number): GatewayError {
    const retryAfterSeconds = this.retryAfter(state);
    return new GatewayError(
      'SEND_BACKLOG_FULL',
      `Session "${sessionId}" has ${waiting} message${waiting === 1 ? '' : 's'} waiting to be sent, as many as it may (WAGATE_MAX_PENDING_SENDS=${this.opts.limit}); ` +
        `nothing was stored: retry in ${retryAfterSeconds} seconds, send more slowly, or raise the setting`,
      { sessionId, waiting, limit: this.opts.limit, retryAfterSeconds },
      { retryAfterSeconds },
    );
  }

  /** Time for a tenth of the bound to be sent at the session's recent pace, 1 to 60 s. */
  private retryAfter(state: SessionBacklog): number {
    const gapMs = state.gapMs ?? (this.opts.ratePerMinute > 0 ? 60_000 / this.opts.ratePerMinute : undefined);
    if (gapMs === undefined) return DEFAULT_RETRY_AFTER_S;
    const seconds = Math.ceil((gapMs * Math.max(1, this.opts.limit / 10)) / 1000);
    return Math.min(MAX_RETRY_AFTER_S, Math.max(1, seconds));
  }

  private state(sessionId: string): SessionBacklog {
    let state = this.sessions.get(sessionId);
    if (!state) {
      state = { waiting: new Map(), reserved: 0, left: new Map(), readMark: -1, seeding: undefined, gapMs: undefined, lastDoneAt: undefined };
      this.sessions.set(sessionId, state);
    }
    return state;
  }
}
