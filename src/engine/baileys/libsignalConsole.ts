/**
 * libsignal (Baileys' Signal implementation) writes to `console` directly, and
 * some of its lines print a whole session record (root and chain keys) as the
 * second argument: "Closing session: SessionEntry {...}". Secrets never go to
 * logs, so its known lines are routed to our logger as bare text (the record
 * dropped) at debug level; anything else on the console is left alone.
 */
import type { Logger } from 'pino';

/** The prefixes of every console line libsignal 2.x writes (node_modules/libsignal/src). */
const LIBSIGNAL_LINES = [
  'Closing session',
  'Opening session',
  'Removing old closed session',
  'Session already closed',
  'Session already open',
  'Migrating session to',
  'Closing open session in favor of incoming prekey bundle',
  'Closing stale open session',
  'Decrypted message with closed session',
  'Failed to decrypt message with any known session',
  'Session error:',
  'V1 session storage migration error',
  'Unhandled bucket type',
  'WARNING: Expected pubkey of length 33',
];

type ConsoleMethod = 'info' | 'warn' | 'error' | 'log';
const METHODS: ConsoleMethod[] = ['info', 'warn', 'error', 'log'];

let installed: { logger: Logger } | null = null;

export function isLibsignalLine(first: unknown): first is string {
  return typeof first === 'string' && LIBSIGNAL_LINES.some((prefix) => first.startsWith(prefix));
}

/** The text kept from a libsignal line: its message only, never the objects after it. */
export function libsignalText(first: string): string {
  // "Session error:" + e carries the error's text, which holds no key material.
  return first.length > 200 ? `${first.slice(0, 200)}…` : first;
}

/**
 * Installs the filter once per process (the engine may be constructed more than
 * once, e.g. in tests); later calls only swap the logger the lines go to.
 */
export function silenceLibsignalConsole(logger: Logger): void {
  if (installed) {
    installed.logger = logger;
    return;
  }
  const state = { logger };
  installed = state;
  for (const method of METHODS) {
    const original = console[method].bind(console);
    console[method] = (...args: unknown[]): void => {
      const [first] = args;
      if (isLibsignalLine(first)) {
        state.logger.debug({ component: 'libsignal' }, libsignalText(first));
        return;
      }
      original(...args);
    };
  }
}
