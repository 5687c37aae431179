/**
 * The sandbox network as its own process (`npm run sandbox:network`): the
 * simulated WhatsApp network on one port (WebSocket /ws/chat and the media
 * host) and its control API on another. Prints both URLs, the root key an
 * engine must trust, and one machine-readable `SANDBOX_READY {json}` line.
 *
 *   --host <addr>          WAGATE_SANDBOX_HOST          default 127.0.0.1
 *   --port <n>             WAGATE_SANDBOX_PORT          default 7480 (0: any free port)
 *   --control-port <n>     WAGATE_SANDBOX_CONTROL_PORT  default 7481 (0: any free port)
 *   --state-dir <dir>      WAGATE_SANDBOX_STATE_DIR     default none (in memory only)
 *   --log-level <level>    WAGATE_SANDBOX_LOG_LEVEL     default info (logs go to stderr)
 *   --idle-timeout-ms <n>  WAGATE_SANDBOX_IDLE_TIMEOUT_MS  drop clients silent this long (default never)
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { ControlServer } from './control/controlServer.js';
import { SandboxNetwork } from './network.js';

const DEFAULT_PORT = 7480;
const DEFAULT_CONTROL_PORT = 7481;

function portOf(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`${name} must be a port number (0-65535), got "${value}"`);
  }
  return port;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'control-port': { type: 'string' },
      'state-dir': { type: 'string' },
      'log-level': { type: 'string' },
      'idle-timeout-ms': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write('usage: npm run sandbox:network -- [--host 127.0.0.1] [--port 7480] [--control-port 7481] [--state-dir DIR] [--log-level info]\n');
    return;
  }
  const env = process.env;
  const host = values.host ?? env.WAGATE_SANDBOX_HOST ?? '127.0.0.1';
  const port = portOf(values.port ?? env.WAGATE_SANDBOX_PORT, DEFAULT_PORT, '--port');
  const controlPort = portOf(values['control-port'] ?? env.WAGATE_SANDBOX_CONTROL_PORT, DEFAULT_CONTROL_PORT, '--control-port');
  const stateDir = values['state-dir'] ?? env.WAGATE_SANDBOX_STATE_DIR ?? undefined;
  const logger = pino({ level: values['log-level'] ?? env.WAGATE_SANDBOX_LOG_LEVEL ?? 'info' }, pino.destination(2));

  const idleRaw = values['idle-timeout-ms'] ?? env.WAGATE_SANDBOX_IDLE_TIMEOUT_MS;
  const idleTimeoutMs = idleRaw === undefined || idleRaw === '' ? undefined : Number(idleRaw);
  if (idleTimeoutMs !== undefined && !(Number.isInteger(idleTimeoutMs) && idleTimeoutMs > 0)) {
    throw new Error(`--idle-timeout-ms must be a positive number of milliseconds, got "${idleRaw}"`);
  }
  const network = await SandboxNetwork.start({ host, port, ...(stateDir ? { stateDir } : {}), ...(idleTimeoutMs ? { idleTimeoutMs } : {}), logger });
  let control: ControlServer;
  try {
    control = await ControlServer.listen(network, host, controlPort, logger.child({ component: 'sandbox-control' }));
  } catch (err) {
    await network.stop();
    throw err;
  }
  const rootPublicKey = Buffer.from(network.rootPublicKey).toString('base64');
  process.stdout.write(
    [
      'WhatsApp sandbox network (simulated; nothing here reaches WhatsApp)',
      `  WebSocket URL: ${network.url}        (WAGATE_WA_URL / waWebSocketUrl)`,
      `  Media host:    ${network.media.host}`,
      `  Control URL:   ${control.url}`,
      `  Root key:      ${rootPublicKey} (serial ${network.rootSerial}; baileys 7 must trust it: WA_CERT_DETAILS)`,
      `SANDBOX_READY ${JSON.stringify({ url: network.url, controlUrl: control.url, mediaHost: network.media.host, rootPublicKey, rootSerial: network.rootSerial })}`,
      '',
    ].join('\n'),
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping the sandbox network');
    Promise.all([control.close(), network.stop()])
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        logger.error({ err: err instanceof Error ? err.message : String(err) }, 'could not stop cleanly');
        process.exit(1);
      });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`sandbox network could not start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
