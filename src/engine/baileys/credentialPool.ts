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
 * caller persists it before any socket uses it (authState.ts). A refill
 * waits until no set was taken for a while, then makes one set per turn of
 * the event loop, so it never delays a connect by more than one set.
 */
import { initAuthCreds, type AuthenticationCreds } from 'baileys';

/** ~7 KB each (heap and buffers): 64 sets hold under 0.5 MB and take ~30 ms of idle CPU to make. */
export const CREDENTIAL_POOL_SIZE = 64;
/** Quiet time after the last take before refilling: a burst runs first. */
const REFILL_AFTER_IDLE_MS = 250;

export class CredentialPool {
  private readonly ready: AuthenticationCreds[] = [];
  private idleTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly size = CREDENTIAL_POOL_SIZE,
    private readonly make: () => AuthenticationCreds = initAuthCreds,
  ) {
    this.scheduleRefill();
  }

  /** A set no one else has or will get: from the pool when it has one, made now otherwise. */
  take(): AuthenticationCreds {
    const creds = this.ready.pop() ?? this.make();
    this.scheduleRefill();
    return creds;
  }

  /** Sets ready now. */
  get available(): number {
    return this.ready.length;
  }

  /** No more refills; what is held is dropped. */
  stop(): void {
    this.stopped = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.ready.length = 0;
  }

  private scheduleRefill(): void {
    if (this.stopped || this.size <= 0) return;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      this.fillOne();
    }, REFILL_AFTER_IDLE_MS);
    this.idleTimer.unref();
  }

  /** One set per turn; a take in between restarts the idle wait. */
  private fillOne(): void {
    if (this.stopped || this.idleTimer || this.ready.length >= this.size) return;
    try {
      this.ready.push(this.make());
    } catch {
      // Key generation does not fail in practice; a take makes its own set if it does.
      return;
    }
    setImmediate(() => this.fillOne()).unref();
  }
}
