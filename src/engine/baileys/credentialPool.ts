/**
 * New sessions' credentials, made ahead of time while the process is idle.
 *
 * Why: a first connect generates four key pairs and a signature
 * (`initAuthCreds`, ~0.4 ms of CPU) before it can open its socket. Made
 * while nothing else runs, they are off the path to the first QR of a
 * connect that comes later; a burst larger than the pool makes the rest on
 * the spot, as before.
 *
 * Each set is handed out once and only held in memory until then; the
 * caller persists it before any socket uses it (authState.ts). Refills run
 * only when the event loop was mostly idle over the last check (event-loop
 * utilisation), up to 4 ms of sets at a time: a burst of connects, a restore or a
 * busy API keeps the loop busy and postpones them, instead of paying for
 * them in the middle of its work.
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { initAuthCreds, type AuthenticationCreds } from 'baileys';

/**
 * ~7 KB each (heap and buffers): 128 sets hold under 1 MB and take ~60 ms of idle CPU to make.
 * Sized so a burst of 100 connects (a bulk onboarding, a deploy's worth of new users) takes
 * every set from the pool: with 64, the rest of such a burst made theirs on the spot (~5 % of its CPU).
 */
export const CREDENTIAL_POOL_SIZE = 128;
const CHECK_EVERY_MS = 100;
/** The loop counts as idle below this utilisation over the last check. */
const IDLE_UTILISATION = 0.25;
/**
 * CPU an idle check may spend making sets (~0.5 ms each): a connect arriving meanwhile waits
 * at most this. Two sets per check took 6 s of idle to fill the pool after a start or a burst,
 * so a burst soon after made part of its sets on the spot; this fills it in about a second.
 */
const FILL_BUDGET_MS = 4;

export class CredentialPool {
  private readonly ready: AuthenticationCreds[] = [];
  private timer: NodeJS.Timeout | null = null;
  private lastCheck: EventLoopUtilization = performance.eventLoopUtilization();
  private stopped = false;

  constructor(
    private readonly size = CREDENTIAL_POOL_SIZE,
    private readonly make: () => AuthenticationCreds = initAuthCreds,
  ) {
    this.scheduleCheck();
  }

  /** A set no one else has or will get: from the pool when it has one, made now otherwise. */
  take(): AuthenticationCreds {
    const creds = this.ready.pop() ?? this.make();
    this.scheduleCheck();
    return creds;
  }

  /** Sets ready now. */
  get available(): number {
    return this.ready.length;
  }

  /** No more refills; what is held is dropped. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.ready.length = 0;
  }

  private scheduleCheck(): void {
    if (this.stopped || this.timer || this.ready.length >= this.size) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.check();
    }, CHECK_EVERY_MS);
    this.timer.unref();
  }

  private check(): void {
    const now = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(now, this.lastCheck).utilization >= IDLE_UTILISATION;
    if (!busy) {
      try {
        const until = performance.now() + FILL_BUDGET_MS;
        // At least one set per check, whatever the clock says.
        for (let made = 0; this.ready.length < this.size && (made === 0 || performance.now() < until); made++) this.ready.push(this.make());
      } catch {
        // Key generation does not fail in practice; a take makes its own set if it does.
      }
    }
    // Measured from after this check's own work: making sets is not "busy".
    this.lastCheck = performance.eventLoopUtilization();
    this.scheduleCheck();
  }
}
