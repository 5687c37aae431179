/**
 * sandbox: the simulated network measured alone, without the gateway and
 * without Baileys' socket. The driver opens N connections at once with the
 * light client of bench/lib/loadClient.ts (real Noise XX handshake, a
 * registration ClientPayload, the first stanza `pair-device` received and
 * answered), then holds them idle for --duration seconds, each sending a
 * keepalive ping every 20 s. `--sandbox-load on|off|both` runs the sandbox
 * child with its load mode on and/or off (one fresh sandbox process each).
 *
 * Figures per run: handshakes/s and connect → pair-device p50/p99, the
 * sandbox's CPU per connection (connect phase) and marginal RSS per idle
 * connection (after forced GC, over the same process before the burst), its
 * event-loop p99 during the burst and while idle, failures, and the driver's
 * own CPU so a reader can tell whether the driver was the limit.
 */
import path from 'node:path';
import { LoadClient, newCreds, type LoadCreds } from '../lib/loadClient.js';
import type { Figures } from '../lib/results.js';
import { Child } from '../lib/rpc.js';
import { MB, percentile, round } from '../lib/stats.js';
import type { Scenario, ScenarioContext } from './types.js';

const HANDSHAKE_TIMEOUT_MS = 60_000;
const PING_INTERVAL_MS = 20_000;
const PING_TIMEOUT_MS = 20_000;
const WARMUP_CLIENTS = 100;
/** Every call to the sandbox child is bounded, so a lost reply fails the run instead of hanging it. */
const RPC_TIMEOUT_MS = 30_000;

interface SandboxStats {
  rss: number;
  heapUsed: number;
  cpuMs: number;
  cpuSystemMs: number;
  wallMs: number;
  connections: number;
  eventLoopP99Ms: number;
}

interface LoadSandbox {
  child: Child;
  url: string;
  root: Buffer;
  stats(): Promise<SandboxStats>;
  gc(): Promise<boolean>;
  resetEventLoop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const progress = (line: string) => process.stderr.write(`  ${new Date().toISOString().slice(11, 19)} ${line}\n`);

async function startLoadSandbox(ctx: ScenarioContext, load: boolean, label: string): Promise<LoadSandbox> {
  const child = Child.start('bench/lib/sandboxChild.ts', {
    logFile: path.join(ctx.workDir, `sandbox-${label}.log`),
    // BENCH_SANDBOX_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the sandbox process.
    nodeArgs: ['--expose-gc', ...(process.env.BENCH_SANDBOX_NODE_ARGS?.split(' ').filter(Boolean) ?? [])],
    env: { BENCH_SANDBOX_LOAD: load ? '1' : '0' },
  });
  ctx.track(child);
  await child.waitNotice((n) => n.notice === 'ready', 60_000);
  const info = await child.call<{ url: string; rootPublicKey: string }>('info', {}, RPC_TIMEOUT_MS);
  return {
    child,
    url: info.url,
    root: Buffer.from(info.rootPublicKey, 'base64'),
    stats: () => child.call('stats', {}, RPC_TIMEOUT_MS),
    gc: () => child.call('gc', {}, RPC_TIMEOUT_MS),
    resetEventLoop: async () => {
      await child.call('resetEventLoop', {}, RPC_TIMEOUT_MS);
    },
  };
}

/** Memory after forced GC, twice, with time for the heap to shrink in between. */
async function settledStats(sandbox: LoadSandbox): Promise<SandboxStats> {
  await sandbox.gc();
  await sleep(1_500);
  await sandbox.gc();
  await sleep(500);
  return sandbox.stats();
}

/** Child.stop, bounded: SIGKILL and move on if the child's exit is not seen within 30 s. */
async function stopChild(child: Child): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), 30_000);
  });
  const outcome = await Promise.race([child.stop().then(() => 'stopped' as const), gaveUp]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    progress(`sandbox child ${child.pid} did not report its exit; killing it`);
    child.proc.kill('SIGKILL');
  }
}

function cpuMs(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1000;
}

async function measure(sandbox: LoadSandbox, n: number, durationS: number): Promise<Figures> {
  // Warm-up: lazy work (WASM, protobuf types, JIT) stays out of the figures.
  const warm = await Promise.all(
    Array.from({ length: WARMUP_CLIENTS }, () => LoadClient.connect({ url: sandbox.url, rootPublicKey: sandbox.root, timeoutMs: HANDSHAKE_TIMEOUT_MS })),
  );
  await Promise.all(warm.map((c) => c.ping(PING_TIMEOUT_MS)));
  for (const c of warm) c.close();
  await sleep(1_000);
  const empty = await settledStats(sandbox);
  progress(`warm-up done (${WARMUP_CLIENTS} clients), rss ${round(empty.rss / MB)} MB`);

  // Credentials first, so the burst is only connections.
  const creds: LoadCreds[] = Array.from({ length: n }, () => newCreds());
  await sandbox.resetEventLoop();
  const before = await sandbox.stats();
  const driverBefore = process.cpuUsage();
  const t0 = Date.now();
  const outcomes = await Promise.allSettled(
    creds.map((c) => LoadClient.connect({ url: sandbox.url, rootPublicKey: sandbox.root, timeoutMs: HANDSHAKE_TIMEOUT_MS, creds: c })),
  );
  const t1 = Date.now();
  const driverConnectMs = cpuMs(process.cpuUsage(driverBefore));
  const afterConnect = await sandbox.stats();
  progress(`burst done in ${t1 - t0} ms`);

  const clients: LoadClient[] = [];
  let timeouts = 0;
  let errors = 0;
  const errorSamples = new Set<string>();
  for (const o of outcomes) {
    if (o.status === 'fulfilled') clients.push(o.value);
    else if (/no pair-device within/.test(String(o.reason?.message))) timeouts++;
    else {
      errors++;
      if (errorSamples.size < 5) errorSamples.add(String(o.reason?.message ?? o.reason));
    }
  }
  const handshakeMs = clients.map((c) => c.timings.pairDeviceAt - c.timings.startAt);
  const openMs = clients.map((c) => c.timings.openAt - c.timings.startAt);
  const lastDone = clients.length ? Math.max(...clients.map((c) => c.timings.pairDeviceAt)) : t1;
  const connectWallMs = Math.max(1, lastDone - t0);

  // Idle: keepalives every 20 s from a random phase, like many clients started at different times.
  let disconnects = 0;
  for (const c of clients) c.onClose(() => disconnects++);
  await sandbox.resetEventLoop();
  const idleBefore = await sandbox.stats();
  const driverIdleBefore = process.cpuUsage();
  const pingRtts: number[] = [];
  let pingFailures = 0;
  const timers: NodeJS.Timeout[] = [];
  const ping = (c: LoadClient) => {
    if (c.closed) return;
    c.ping(PING_TIMEOUT_MS).then(
      (rtt) => pingRtts.push(rtt),
      () => pingFailures++,
    );
  };
  for (const c of clients) {
    timers.push(
      setTimeout(() => {
        ping(c);
        timers.push(setInterval(() => ping(c), PING_INTERVAL_MS));
      }, Math.random() * PING_INTERVAL_MS),
    );
  }
  const idleStart = Date.now();
  await sleep(durationS * 1000);
  const idleWallMs = Date.now() - idleStart;
  for (const t of timers) clearTimeout(t);
  const afterIdle = await sandbox.stats();
  const driverIdleMs = cpuMs(process.cpuUsage(driverIdleBefore));
  await sleep(2_000); // let in-flight pings land
  const held = await settledStats(sandbox);
  const disconnectsWhileIdle = disconnects;
  progress(`idle done, rss ${round(held.rss / MB)} MB with ${held.connections} connections`);
  // The idle sandbox again, once they are gone: the same process at the same age, so what
  // start-up left to shrink (the tsx loader thread's heap, warm-up garbage) is not counted.
  for (const c of clients) c.close();
  await sleep(2_000);
  const closed = await settledStats(sandbox);

  const figures: Figures = {
    sessions: n,
    connected: clients.length,
    handshakes_per_s: round((clients.length / connectWallMs) * 1000),
    handshake_p50_ms: round(percentile(handshakeMs, 50)),
    handshake_p99_ms: round(percentile(handshakeMs, 99)),
    handshake_max_ms: round(handshakeMs.length ? Math.max(...handshakeMs) : Number.NaN),
    ws_open_p99_ms: round(percentile(openMs, 99)),
    sandbox_cpu_ms_per_connection: round((afterConnect.cpuMs - before.cpuMs) / n, 3),
    sandbox_cpu_system_ms_per_connection: round((afterConnect.cpuSystemMs - before.cpuSystemMs) / n, 3),
    sandbox_cpu_connect_pct: round(((afterConnect.cpuMs - before.cpuMs) / connectWallMs) * 100),
    sandbox_rss_per_connection_mb: round((held.rss - closed.rss) / MB / Math.max(1, clients.length), 4),
    sandbox_heap_per_connection_mb: round((held.heapUsed - closed.heapUsed) / MB / Math.max(1, clients.length), 4),
    sandbox_rss_before_mb: round(empty.rss / MB),
    sandbox_rss_held_mb: round(held.rss / MB),
    sandbox_rss_after_close_mb: round(closed.rss / MB),
    sandbox_eventloop_p99_ms: round(afterConnect.eventLoopP99Ms),
    sandbox_eventloop_idle_p99_ms: round(afterIdle.eventLoopP99Ms),
    sandbox_idle_cpu_pct: round(((afterIdle.cpuMs - idleBefore.cpuMs) / idleWallMs) * 100, 2),
    sandbox_connections_held: held.connections,
    timeouts,
    errors,
    disconnects: disconnectsWhileIdle,
    pings: pingRtts.length,
    ping_failures: pingFailures,
    ping_p99_ms: round(percentile(pingRtts, 99)),
    total_s: round((t1 - t0) / 1000, 2),
    driver_cpu_connect_s: round(driverConnectMs / 1000, 2),
    driver_cpu_connect_pct: round((driverConnectMs / Math.max(1, t1 - t0)) * 100),
    driver_idle_cpu_pct: round((driverIdleMs / idleWallMs) * 100, 2),
  };
  if (errorSamples.size) figures.error_samples = [...errorSamples].join(' | ');
  return figures;
}

export const sandboxLoadScenario: Scenario = async (ctx) => {
  const { opts } = ctx;
  const modes: Array<{ label: string; load: boolean }> =
    opts.sandboxLoad === 'both'
      ? [
          { label: 'load_off', load: false },
          { label: 'load_on', load: true },
        ]
      : [{ label: opts.sandboxLoad === 'on' ? 'load_on' : 'load_off', load: opts.sandboxLoad === 'on' }];
  const runs: Array<{ label: string; figures: Figures }> = [];
  for (const mode of modes) {
    process.stderr.write(`sandbox ${mode.label}: ${opts.sessions} connections, idle ${opts.duration} s\n`);
    const sandbox = await startLoadSandbox(ctx, mode.load, mode.label);
    try {
      runs.push({ label: mode.label, figures: await measure(sandbox, opts.sessions, opts.duration) });
    } finally {
      await stopChild(sandbox.child);
      ctx.untrack(sandbox.child);
    }
    // Let the closed sockets drain before the next run's burst.
    if (modes.length > 1) await sleep(3_000);
  }
  return {
    figures: runs[runs.length - 1]!.figures,
    runs: runs.length > 1 ? runs : undefined,
    notes: [
      `${opts.sessions} light clients connect at once from the driver (no gateway, no Baileys socket): Noise XX handshake, registration payload, pair-device received and answered; then idle ${opts.duration} s with a keepalive ping every 20 s`,
      'handshake = connect started -> pair-device IQ received; total_s = first connect started -> last settled; sandbox_cpu_ms_per_connection = sandbox CPU (user+system, all threads) over the burst / N',
      'sandbox_rss/heap_per_connection_mb = (holding them - after they all closed) / connected, both after forced GC; sandbox_rss_before_mb = before the burst (includes start-up memory the process gives back later)',
    ],
  };
};
