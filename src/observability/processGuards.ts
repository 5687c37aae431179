/**
 * The last line of defence: a promise rejection nobody handled is logged
 * and counted instead of ending the process (Node 20's default), which would
 * take every session down with it. The core is written so that none should
 * reach here; the count on /metrics says whether one did.
 */
import type { Logger } from 'pino';

let unhandledRejections = 0;
let installed = false;

export function unhandledRejectionCount(): number {
  return unhandledRejections;
}

/** Install once per process (main.ts). */
export function installProcessGuards(logger: Logger): void {
  if (installed) return;
  installed = true;
  process.on('unhandledRejection', (reason: unknown) => recordUnhandledRejection(logger, reason));
}

/** For tests: the handler as installed, without touching the process. */
export function recordUnhandledRejection(logger: Logger, reason: unknown): void {
  unhandledRejections += 1;
  logger.error({ err: reason }, 'unhandled promise rejection (kept running)');
}
