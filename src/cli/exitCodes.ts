/**
 * How `wagate` ends, as scripts see it (README "Command line" lists these).
 * CliError carries one of them with a message for a person; main.ts prints
 * the message on stderr and exits with the code.
 */
export const EXIT = {
  /** Done. */
  OK: 0,
  /** The gateway or the store refused (the message says why and what to do). */
  FAILED: 1,
  /** Unknown command, missing argument or bad option. */
  USAGE: 2,
  /** No gateway answers at the URL (not running, wrong --url / WAGATE_URL). */
  UNREACHABLE: 3,
  /** The gateway refused the API key (missing, wrong, or not allowed to do this). */
  UNAUTHORIZED: 4,
  /** Waited and gave up: `pair` did not see the device linked in time. */
  TIMEOUT: 5,
  /** An offline command (rotate-master-key) found a running gateway using the database. */
  STORE_IN_USE: 6,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.FAILED,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
