/**
 * The gateway under measurement, in its own process: startGateway (real
 * Baileys engine, real store) pointed at the bench's sandbox process. It
 * forwards session events (with the gateway's own timestamps) to the driver
 * and answers for its memory, CPU and event-loop delay.
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pino from 'pino';
import { loadConfig } from '../../src/config.js';
import type { GatewayEvent } from '../../src/core/model.js';
import { trustSandboxRoot } from '../../src/engine/baileys/sandboxTrust.js';
import { startGateway } from '../../src/gateway.js';
import { LoopDelaySampler } from './loopDelay.js';
import { notify, serveRpc } from './rpc.js';

export interface BenchEvent {
  id: number;
  type: GatewayEvent['type'];
  sessionId: string;
  at: number;
  state?: string;
  code?: number | null;
  qr?: string;
}

export interface GatewayStats {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  cpuMs: number;
  eventLoop: { p50Ms: number; p99Ms: number; maxMs: number; meanMs: number };
  sessions: Record<string, number>;
  messagesReceived: number;
  /** message.sent events seen (the messaging scenario's sends, counted where they happen). */
  messagesSent: number;
}

// tsx turns source maps on for the whole process, so every Error().stack (Baileys
// captures two per query and per delay) is mapped frame by frame. Production runs
// compiled JS without them; measure that (BENCH_SOURCE_MAPS=1 keeps them).
if (process.env.BENCH_SOURCE_MAPS !== '1') process.setSourceMapsEnabled(false);

const eld = monitorEventLoopDelay({ resolution: 5 });
eld.enable();
const sampler = new LoopDelaySampler();
sampler.start();
const cpuAtStart = process.cpuUsage();

const root = process.env.BENCH_SANDBOX_ROOT;
if (!root) throw new Error('BENCH_SANDBOX_ROOT is required');
// Bench only: trust the bench sandbox's certificate root, as sandbox mode does.
trustSandboxRoot(new Uint8Array(Buffer.from(root, 'base64')), Number(process.env.BENCH_SANDBOX_SERIAL ?? '0'));

const config = loadConfig(process.env, []);
const logger = pino({ level: config.server.logLevel });
const startAt = Date.now();
const gateway = await startGateway(config, logger, {
  fastCurve: process.env.BENCH_FAST_CURVE !== '0',
  engine: {
    keepAliveIntervalMs: 20_000,
    sharedAsyncStorage: process.env.BENCH_SHARED_ALS !== '0',
    sharedCaches: process.env.BENCH_SHARED_CACHES !== '0',
  },
});
const startedMs = Date.now() - startAt;

const forwarded = new Set<number>();
/** message.received events seen (the `real` scenario's trickle arriving). */
let messagesReceived = 0;
let messagesSent = 0;
const forward = (event: GatewayEvent): void => {
  if (event.type === 'message.sent') {
    messagesSent++;
    return;
  }
  if (event.type === 'message.received' && !forwarded.has(event.id)) {
    forwarded.add(event.id);
    messagesReceived++;
    return;
  }
  if (event.type !== 'connection.state' && event.type !== 'auth.qr' && event.type !== 'auth.paired') return;
  if (forwarded.has(event.id)) return;
  forwarded.add(event.id);
  const out: BenchEvent = { id: event.id, type: event.type, sessionId: event.sessionId, at: Date.parse(event.createdAt) };
  if (event.type === 'connection.state') {
    out.state = String(event.data.state);
    out.code = typeof event.data.code === 'number' ? event.data.code : null;
  }
  if (event.type === 'auth.qr') out.qr = String(event.data.qr);
  queueEvent(out);
};
// Events go to the driver in batches, one IPC message per 20 ms: one message
// per event cost the measured process ~10 % of its CPU in a connect burst.
let outbox: BenchEvent[] = [];
function queueEvent(event: BenchEvent): void {
  if (outbox.length === 0) setTimeout(flushEvents, 20).unref();
  outbox.push(event);
}
function flushEvents(): void {
  const batch = outbox;
  outbox = [];
  if (batch.length > 0) notify('events', batch);
}
// Restore started inside startGateway: its first events are in the resume buffer.
gateway.core.events.subscribe(undefined, forward);
for (const event of gateway.core.events.replay(undefined, 0)) forward(event);
void gateway.restored.then(() => notify('restored', { at: Date.now() }));

const gc = (globalThis as { gc?: () => void }).gc;

// A CPU profile of one measured window only (not start-up): profileStart, then profileStop writes it.
let profiler: Session | null = null;

serveRpc({
  profileStart: async () => {
    profiler = new Session();
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.setSamplingInterval', { interval: 500 });
    await profiler.post('Profiler.start');
    return true;
  },
  profileStop: async (params) => {
    const { file } = params as { file: string };
    if (!profiler) return false;
    const { profile } = await profiler.post('Profiler.stop');
    profiler.disconnect();
    profiler = null;
    await writeFile(file, JSON.stringify(profile));
    return true;
  },
  info: () => ({ port: gateway.port, startAt, startedMs, pid: process.pid }),
  stats: (): GatewayStats => {
    const mem = process.memoryUsage();
    const cpu = process.cpuUsage(cpuAtStart);
    return {
      rss: mem.rss,
      heapUsed: mem.heapUsed,
      heapTotal: mem.heapTotal,
      external: mem.external,
      arrayBuffers: mem.arrayBuffers,
      cpuMs: (cpu.user + cpu.system) / 1000,
      eventLoop: {
        p50Ms: eld.percentile(50) / 1e6,
        p99Ms: eld.percentile(99) / 1e6,
        maxMs: eld.max / 1e6,
        meanMs: eld.mean / 1e6,
      },
      sessions: gateway.core.sessions.countByState(),
      messagesReceived,
      messagesSent,
    };
  },
  loopDelay: (params) => {
    const { from, to } = params as { from: number; to: number };
    return sampler.window(from, to);
  },
  resetEventLoop: () => {
    eld.reset();
    return true;
  },
  gc: async () => {
    if (!gc) return false;
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 50));
    }
    return true;
  },
  stop: async () => {
    await gateway.stop();
    setImmediate(() => process.exit(0));
    return true;
  },
});
notify('ready', { port: gateway.port });
