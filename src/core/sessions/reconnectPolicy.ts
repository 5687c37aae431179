/**
 * What to do when a connection closes, decided from WhatsApp's close code.
 * 515 never reaches here: the engine restarts by itself after pairing.
 */
export type CloseDecision =
  | { action: 'logged_out' } // 401: the device was unlinked; credentials are worthless
  | { action: 'conflict' } // 440: another connection took over; retrying would fight it
  | { action: 'give_up'; reason: string } // unpaired and the QR refs ran out
  | { action: 'retry' };

export const CLOSE_CODES = {
  loggedOut: 401,
  forbidden: 403,
  timedOut: 408,
  multideviceMismatch: 411,
  connectionClosed: 428,
  connectionReplaced: 440,
  badSession: 500,
  unavailable: 503,
  restartRequired: 515,
} as const;

export function decideOnClose(code: number, opts: { paired: boolean; loggedOut: boolean }): CloseDecision {
  if (opts.loggedOut || code === CLOSE_CODES.loggedOut || code === CLOSE_CODES.forbidden) {
    return { action: 'logged_out' };
  }
  if (code === CLOSE_CODES.connectionReplaced) return { action: 'conflict' };
  if (!opts.paired && code === CLOSE_CODES.timedOut) {
    // The engine closes with 408 when every QR ref expired unscanned: nobody is
    // linking, so reconnecting would only spin QR codes nobody looks at.
    return { action: 'give_up', reason: 'QR codes expired without being scanned' };
  }
  return { action: 'retry' };
}

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** Random source in [0,1); injectable for tests. */
  random?: () => number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1_000, maxMs: 60_000 };

/**
 * Exponential backoff with "equal jitter": half the step is fixed, half random,
 * so many sessions dropped at once (a network blip) do not reconnect in lockstep,
 * yet no session retries immediately in a tight loop.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions = DEFAULT_BACKOFF): number {
  const random = opts.random ?? Math.random;
  const step = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, attempt));
  return Math.round(step / 2 + random() * (step / 2));
}
