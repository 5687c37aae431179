/**
 * The gateway as a process: reads the configuration, starts the gateway
 * (gateway.ts), prints where it listens, and shuts down cleanly on SIGTERM or
 * SIGINT. `npm start` (main.ts) and `wagate start|sandbox` (cli/) run it.
 */
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { ConfigError, loadConfig, type Config } from './config.js';
import { isListenError } from './api/http/listen.js';
import { startGateway, type RunningGateway } from './gateway.js';
import { installProcessGuards } from './observability/processGuards.js';
import { isStoreError } from './store/index.js';

function createLogger(config: Config): Logger {
  return pino({
    level: config.server.logLevel,
    base: { service: 'wagate' },
    // Belt and braces: keys and credentials must never reach a log line.
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers["x-api-key"]',
        'req.headers["x-admin-token"]',
        'req.headers.cookie',
        '*.apiKey',
        '*.key',
        '*.password',
        '*.creds',
      ],
      censor: '[redacted]',
    },
  });
}

/** `./data` when under the working directory, else the absolute path. */
function displayPath(dir: string): string {
  const rel = path.relative(process.cwd(), dir);
  return rel === '' ? '.' : rel.startsWith('..') ? dir : `./${rel}`;
}

/** One line on stderr and exit 1: start-up problems are the operator's to fix, a stack does not help. */
function refuseToStart(message: string): never {
  process.stderr.write(`\nwagate could not start: ${message}\n`);
  process.exit(1);
}

/** Runs the gateway until a signal stops it; `argv` may hold `--sandbox`. */
export async function runServer(argv: string[]): Promise<void> {
  // Files this process creates (database, WAL, key, sandbox state) are the owner's alone.
  process.umask(0o077);
  let config: Config;
  try {
    config = loadConfig(process.env, argv);
  } catch (err) {
    if (err instanceof ConfigError) refuseToStart(err.message);
    throw err;
  }
  const logger = createLogger(config);
  installProcessGuards(logger);
  let gateway: RunningGateway;
  try {
    gateway = await startGateway(config, logger);
  } catch (err) {
    // Start-up problems (wrong master key, port taken) get one clear line, not a stack.
    const message = err instanceof Error ? err.message : String(err);
    // A store refusal (key, network) is the operator's to fix: its code, no stack. Anything else keeps its stack in the log.
    if (isStoreError(err) || isListenError(err)) logger.fatal({ code: err.code }, `wagate could not start: ${message}`);
    else logger.fatal({ err }, 'wagate could not start');
    refuseToStart(message);
  }

  const { host } = config.server;
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${gateway.port}`;
  const lines = [
    '',
    `wagate is listening on ${base}`,
    `  API docs:   ${base}/docs`,
    `  Dashboard:  ${base}/dashboard`,
    `  Data dir:   ${displayPath(config.store.dataDir)} (${gateway.storeDialect})`,
  ];
  if (gateway.sandboxPhone) {
    lines.push(
      '',
      'SANDBOX MODE: connected to a simulated WhatsApp network on this machine, not to WhatsApp.',
      `  Simulated phone: +${gateway.sandboxPhone}`,
      '  Pair it: create a session, connect, then',
      `    curl -X POST ${base}/sandbox/phones/${gateway.sandboxPhone}/scan -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d '{"qr":"<qr from /auth/qr>"}'`,
      `  or request a pairing code for ${gateway.sandboxPhone} and POST it to /sandbox/phones/${gateway.sandboxPhone}/link-code`,
    );
  }
  if (gateway.generatedKey) {
    lines.push(
      '',
      'Admin API key (shown once, only its hash is stored; set WAGATE_API_KEY to choose your own):',
      `  ${gateway.generatedKey}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, 15_000);
    force.unref();
    gateway
      .stop()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        logger.error({ err }, 'error during shutdown');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
