/**
 * Changes nobody awaits — engine events, timers — run on the session's own
 * queue (so they never interleave with a command on the same session) and
 * are caught there: a failure is logged with the session id and counted,
 * and the session stays in the last state it reached. Nothing here can
 * become an unhandled rejection.
 */
import type { Logger } from 'pino';
import type { FaultCounter, FaultKind } from '../faults.js';
import type { SessionEntry } from './sessionEntry.js';

export interface BackgroundDeps {
  logger: Logger;
  faults: FaultCounter;
}

export type RunInBackground = (entry: SessionEntry, what: string, task: () => Promise<void>, kind?: FaultKind) => void;

export function backgroundRunner(deps: BackgroundDeps): RunInBackground {
  return (entry, what, task, kind = 'engine_event') => {
    entry.queue.run(task).catch((err: unknown) => {
      deps.faults.record(kind);
      deps.logger
        .child({ sessionId: entry.row.id })
        .error({ err, change: what, state: entry.row.state }, `could not apply "${what}"; the session stays ${entry.row.state}`);
    });
  };
}
