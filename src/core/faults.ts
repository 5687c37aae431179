/**
 * Counts failures the gateway survived instead of dying of: an engine event
 * that could not be applied, a store write that failed, a timer's task that
 * threw. /metrics shows the counts; the log line of each carries the session id.
 */
export type FaultKind = 'engine_event' | 'store_write' | 'timer';

export const FAULT_KINDS: readonly FaultKind[] = ['engine_event', 'store_write', 'timer'];

export class FaultCounter {
  private readonly counts = new Map<FaultKind, number>(FAULT_KINDS.map((kind) => [kind, 0]));

  record(kind: FaultKind): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
  }

  count(kind: FaultKind): number {
    return this.counts.get(kind) ?? 0;
  }
}
