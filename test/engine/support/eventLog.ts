/** Records an EngineConnection's events and lets a test wait for the next one of a kind. */
import type { EngineConnection, EngineEvent } from '../../../src/engine/types.js';

type EventOf<T extends EngineEvent['type']> = Extract<EngineEvent, { type: T }>;

export class EventLog {
  readonly events: EngineEvent[] = [];
  private cursor = 0;
  private readonly wakers = new Set<() => void>();
  readonly unsubscribe: () => void;

  constructor(conn: EngineConnection) {
    this.unsubscribe = conn.on((event) => {
      this.events.push(event);
      for (const wake of [...this.wakers]) wake();
    });
  }

  types(): string[] {
    return this.events.map((e) => e.type);
  }

  /** The next event of `type` after the previous one returned by next(); rejects after `timeoutMs`. */
  next<T extends EngineEvent['type']>(type: T, timeoutMs = 15_000): Promise<EventOf<T>> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        for (let i = this.cursor; i < this.events.length; i++) {
          const event = this.events[i]!;
          if (event.type === type) {
            this.cursor = i + 1;
            resolve(event as EventOf<T>);
            return true;
          }
        }
        return false;
      };
      if (check()) return;
      const timer = setTimeout(() => {
        this.wakers.delete(wake);
        reject(new Error(`no '${type}' event within ${timeoutMs} ms; saw [${this.types().join(', ')}]`));
      }, timeoutMs);
      const wake = () => {
        if (!check()) return;
        clearTimeout(timer);
        this.wakers.delete(wake);
      };
      this.wakers.add(wake);
    });
  }
}

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns true or `timeoutMs` passes. */
export async function eventually(probe: () => boolean, timeoutMs = 3_000, stepMs = 25): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (probe()) return true;
    await delay(stepMs);
  }
  return probe();
}
