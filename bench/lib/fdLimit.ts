/**
 * Open-file limit check before a large run: the gateway and the sandbox each
 * hold one socket per session (plus SQLite, logs and HTTP clients). Node
 * raises its soft limit to the hard one at start, so the hard limit is what
 * counts; Linux reports it in /proc/self/limits.
 */
import { readFileSync } from 'node:fs';

/** The hard open-files limit, or null where it cannot be read (not Linux). */
export function hardFdLimit(): number | null {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const hard = line?.trim().split(/\s{2,}/)[2];
    if (hard === undefined) return null;
    return hard === 'unlimited' ? Number.POSITIVE_INFINITY : Number(hard);
  } catch {
    return null;
  }
}

/** Files each process needs for `sessions` sessions, with room for SQLite, logs and the API's clients. */
export const fdsNeeded = (sessions: number): number => sessions + 512;

/** A warning to print when the limit is too low for `sessions`, else null. */
export function fdLimitWarning(sessions: number): string | null {
  const hard = hardFdLimit();
  if (hard === null || hard >= fdsNeeded(sessions)) return null;
  return `the open-files limit (${hard}) is below the ${fdsNeeded(sessions)} a ${sessions}-session run needs per process; raise it (ulimit -n ${fdsNeeded(sessions) * 2}, or LimitNOFILE in systemd) or sockets will fail with EMFILE`;
}
