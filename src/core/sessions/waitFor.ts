/** Waiting for a session to reach a condition, woken by its events instead of polling. */
import { GatewayError } from '../errors.js';
import type { InMemoryEventBus } from '../eventBus.js';
import type { SessionState } from '../model.js';

export function waitForSession(
  events: InMemoryEventBus,
  sessionId: string,
  predicate: () => boolean,
  timeoutMs: number,
  stateNow: () => SessionState | null,
): Promise<void> {
  if (predicate()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(
        new GatewayError('TIMEOUT', 'The session did not get ready in time', {
          sessionId,
          state: stateNow(),
          waitedMs: timeoutMs,
        }),
      );
    }, timeoutMs);
    const unsubscribe = events.subscribe(sessionId, () => {
      if (!predicate()) return;
      clearTimeout(timer);
      unsubscribe();
      resolve();
    });
  });
}
