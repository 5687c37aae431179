/**
 * Bringing sessions back after a start: load every row, mark the ones that
 * were running when the process stopped as not running, then reconnect the
 * paired ones that should be connected, paced by measured event-loop delay.
 */
import type { Logger } from 'pino';
import { LINKING_OR_CONNECTING, RUNNING_STATES, SESSION_STATES, type SessionState } from '../../domain/sessionState.js';
import type { Store } from '../../store/types.js';
import { DEFAULT_RESTORE_CONCURRENCY, DEFAULT_RESTORE_LOOP_DELAY_MS, runPaced, type PaceResult } from './restorePacer.js';
import { newSessionEntry } from './sessionEntry.js';
import type { SessionRegistry } from './sessionRegistry.js';
import type { SessionWriter } from './sessionWriter.js';

/** States a restoring session settles in (anything but the way there). */
const SETTLED: SessionState[] = SESSION_STATES.filter((state) => !LINKING_OR_CONNECTING.includes(state));

export interface RestoreDeps {
  store: Store;
  registry: SessionRegistry;
  writer: SessionWriter;
  logger: Logger;
  connect(sessionId: string, reason: string): Promise<unknown>;
  waitForState(sessionId: string, states: SessionState[], timeoutMs: number): Promise<unknown>;
  isShuttingDown(): boolean;
  /** Most sessions restoring at once. */
  restoreConcurrency?: number;
  /** Event-loop delay (ms) the restore paces itself to; 0 = always `restoreConcurrency` at once. */
  restoreLoopDelayMs?: number;
}

/**
 * Load every session from the store. A session that was running when the
 * process stopped is `inactive` (paired) or `created` (never linked) until
 * restore brings it back.
 */
export async function loadSessions(deps: RestoreDeps): Promise<void> {
  const rows = await deps.store.sessions.list();
  for (const row of rows) {
    const entry = newSessionEntry(row);
    deps.registry.add(entry);
    if (RUNNING_STATES.includes(row.state)) await deps.writer.patch(entry, { state: row.meJid ? 'inactive' : 'created' });
  }
}

/** Reconnect every paired session that should be connected, a bounded number at a time. */
export async function restoreSessions(deps: RestoreDeps): Promise<PaceResult> {
  const toRestore = deps.registry.all().filter((e) => e.row.meJid !== null && e.row.wantConnected);
  const pacing = {
    max: deps.restoreConcurrency ?? DEFAULT_RESTORE_CONCURRENCY,
    targetDelayMs: deps.restoreLoopDelayMs ?? DEFAULT_RESTORE_LOOP_DELAY_MS,
  };
  const log = deps.logger;
  log.info({ sessions: toRestore.length, maxConcurrency: pacing.max, loopDelayTargetMs: pacing.targetDelayMs }, 'restoring sessions');
  const started = Date.now();
  const result = await runPaced(toRestore, pacing, async (entry) => {
    const id = entry.row.id;
    if (deps.isShuttingDown() || !deps.registry.isCurrent(entry)) return;
    try {
      await deps.connect(id, 'restore after start');
      await deps.waitForState(id, SETTLED, 60_000).catch(() => undefined);
    } catch (err) {
      // One session that cannot come back must not stop the others.
      log.child({ sessionId: id }).warn({ err }, 'could not restore the session');
    }
  });
  log.info({ ...result, ms: Date.now() - started }, `restored ${result.started} sessions; in flight max ${result.maxInFlight}`);
  return result;
}
