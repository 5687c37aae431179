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

function forward(logger: Logger, level: 'trace' | 'debug' | 'info' | 'warn' | 'error'): LogFn {
  return (obj, msg) => {
    if (msg === undefined) logger[level](obj as object);
    else logger[level](obj as object, msg);
  };
}

function wrap(logger: Logger): BaileysLogger {
  const debug = forward(logger, 'debug');
  const warn = forward(logger, 'warn');
  const error = forward(logger, 'error');
  return {
    get level() {
      return logger.level;
    },
    set level(value: string) {
      logger.level = value;
    },
    child: (obj) => wrap(logger.child(obj)),
    trace: forward(logger, 'trace'),
    debug,
    info: forward(logger, 'info'),
    warn: (obj, msg) => (isExpectedNoise(obj, msg) ? debug(obj, msg) : warn(obj, msg)),
    error: (obj, msg) => (isExpectedNoise(obj, msg) ? debug(obj, msg) : error(obj, msg)),
  };
}

/** A Baileys logger under `parent`, never chattier than 'warn'. */
export function makeBaileysLogger(parent: Logger): BaileysLogger {
  const warnValue = parent.levels.values.warn ?? 40;
  const level = parent.levelVal > warnValue ? parent.level : 'warn';
  return wrap(parent.child({ component: 'baileys' }, { level }));
}
