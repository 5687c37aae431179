/**
 * The logger handed to Baileys: a pino child of the session logger (so every
 * line carries the sessionId) at level 'warn' at most, because Baileys logs
 * every frame and query at info/debug and the product runs ~1000 sessions.
 *
 * A few lines Baileys logs as warn/error are normal for us (the stream error
 * that carries 515 after every pairing, the warning about the history sync we
 * switch off on purpose); they are demoted to debug so real problems stand out.
 */
import type { Logger } from 'pino';

/** The logger shape Baileys accepts (its ILogger), without importing Baileys internals. */
export interface BaileysLogger {
  level: string;
  child(obj: Record<string, unknown>): BaileysLogger;
  trace(obj: unknown, msg?: string): void;
  debug(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

const EXPECTED_NOISE = [
  'DISABLING ALL SYNC', // we disable history sync deliberately
  'stream errored out', // every close code arrives this way, 515 included; the adapter logs closes itself
  'no name present', // accounts without a push name are normal; logged on every open
];

function isExpectedNoise(obj: unknown, msg: string | undefined): boolean {
  const text = typeof obj === 'string' ? obj : msg;
  return text !== undefined && EXPECTED_NOISE.some((n) => text.includes(n));
}

type LogFn = (obj: unknown, msg?: string) => void;
type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/**
 * Loggers are made on first use: every socket asks for its own (and Baileys
 * for children of it) and, at 'warn', most never write a line, while a pino
 * child serialises its bindings when made (~0.5 % of a connect burst's CPU).
 * `make` builds the pino logger; until then `level` (what a pino child would
 * start at: its parent's level) answers which calls would write.
 */
function wrap(make: () => Logger, level: { name: string; value: number }, values: Record<string, number>): BaileysLogger {
  let made: Logger | null = null;
  const get = (): Logger => (made ??= make());
  const enabled = (name: Level): boolean => (made ? made.isLevelEnabled(name) : (values[name] ?? 0) >= level.value);
  const forward = (name: Level): LogFn => (obj, msg) => {
    if (!enabled(name)) return;
    if (msg === undefined) get()[name](obj as object);
    else get()[name](obj as object, msg);
  };
  const current = () => (made ? { name: made.level, value: made.levelVal } : level);
  const debug = forward('debug');
  const warn = forward('warn');
  const error = forward('error');
  return {
    get level() {
      return current().name;
    },
    set level(value: string) {
      get().level = value;
    },
    child: (obj) => wrap(() => get().child(obj), current(), values),
    trace: forward('trace'),
    debug,
    info: forward('info'),
    warn: (obj, msg) => (isExpectedNoise(obj, msg) ? debug(obj, msg) : warn(obj, msg)),
    error: (obj, msg) => (isExpectedNoise(obj, msg) ? debug(obj, msg) : error(obj, msg)),
  };
}

/** A Baileys logger under `parent`, never chattier than 'warn'. */
export function makeBaileysLogger(parent: Logger): BaileysLogger {
  const values = parent.levels.values;
  const warnValue = values.warn ?? 40;
  const level = parent.levelVal > warnValue ? parent.level : 'warn';
  return wrap(() => parent.child({ component: 'baileys' }, { level }), { name: level, value: values[level] ?? warnValue }, values);
}
