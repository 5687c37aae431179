/**
 * real: N sessions whose accounts carry what a real account carries. The
 * sandbox pushes to each device it links what its realistic mode sends
 * (`--contacts` contacts, `--groups` groups of `--group-size`, the app-state
 * sync key and a history-sync notification); then every session receives
 * `--warm-messages` texts (1:1 and group, from rotating peers) so it holds
 * Signal sessions and sender keys; the gateway restarts and restores all N
 * (measured); then a steady trickle of `--trickle-per-min` messages per
 * session per minute for `--duration` s, over which CPU is measured, and
 * memory after it (marginal over an empty gateway, after GC). Signal keys
 * stored are counted in the store once the gateway has stopped.
 */
import path from 'node:path';
import type { GatewayProc } from '../lib/processes.js';
import { pairSessions } from '../lib/pairing.js';
import type { Figures } from '../lib/results.js';
import { signalKeyCounts } from '../lib/signalKeys.js';
import { MB, round } from '../lib/stats.js';
import { Trickle } from '../lib/trickle.js';
import { gatewayFor, pairFigures, sandboxFor, stopGateway } from './common.js';
import { measureEmpty } from './idle.js';
import { PAIRED_DIR, restoreAll } from './restoreSteps.js';
import type { Scenario } from './types.js';

const SETTLE_MS = 10_000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until the gateway has reported `count` message.received events (or `timeoutMs`); returns how many it saw. */
async function waitReceived(gw: GatewayProc, count: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen = (await gw.stats()).messagesReceived;
    if (seen >= count || Date.now() >= deadline) return seen;
    await sleep(500);
  }
}

export const realScenario: Scenario = async (ctx) => {
  const { opts } = ctx;
  const n = opts.sessions;
  const content = { contacts: opts.contacts, groups: opts.groups, groupSize: opts.groupSize };
  const sandbox = await sandboxFor(ctx, { content });
  const empty = await measureEmpty(ctx, sandbox);

  // Pair: each link makes the account's groups and pushes its content to the new device.
  const pairing = await gatewayFor(ctx, sandbox, PAIRED_DIR);
  const pairStarted = Date.now();
  const timings = await pairSessions(pairing, sandbox, 0, n, { batch: opts.batch, scanConcurrency: opts.scanConcurrency, timeoutMs: 180_000 });
  const pairingFigures: Figures = { ...pairFigures(timings), total_s: round((Date.now() - pairStarted) / 1000, 1) };
  const trickle = new Trickle(sandbox, n, opts.contacts);
  await trickle.prepare();
  await sleep(SETTLE_MS);
  const warmStarted = Date.now();
  const warm = await trickle.burst(opts.warmMessages);
  const warmReceived = await waitReceived(pairing, warm.sent, 120_000);
  const warmFigures: Figures = { ...warm, received: warmReceived, total_s: round((Date.now() - warmStarted) / 1000, 1) };
  await stopGateway(ctx, pairing);

  // Restore N sessions that carry content and keys.
  const restored = await restoreAll(ctx, sandbox, n);
  const gw = restored.gw;
  await sleep(SETTLE_MS);
  await gw.gc();
  const before = await gw.stats();
  const sandboxBefore = await sandbox.stats();
  await gw.resetEventLoop();
  const eventsBefore = gw.events.length;
  const windowStarted = Date.now();
  const steady = await trickle.steady(opts.tricklePerMin, opts.duration * 1000);
  const received = (await waitReceived(gw, before.messagesReceived + steady.sent, 30_000)) - before.messagesReceived;
  const windowMs = Date.now() - windowStarted;
  const after = await gw.stats();
  const sandboxAfter = await sandbox.stats();
  await gw.gc();
  const mem = await gw.stats();
  const disconnects = gw.events.slice(eventsBefore).filter((e) => e.type === 'connection.state' && e.state !== 'connected').length;
  await stopGateway(ctx, gw);

  const keys = signalKeyCounts(path.join(ctx.workDir, PAIRED_DIR));
  const keysTotal = Object.values(keys).reduce((a, b) => a + b, 0);
  const cpuPct = ((after.cpuMs - before.cpuMs) / windowMs) * 100;
  const steadyFigures: Figures = {
    ...steady,
    received,
    window_s: round(windowMs / 1000, 1),
    eventloop_p99_ms: round(after.eventLoop.p99Ms),
    eventloop_max_ms: round(after.eventLoop.maxMs),
    sandbox_cpu_pct: round(((sandboxAfter.cpuMs - sandboxBefore.cpuMs) / windowMs) * 100, 1),
    disconnects,
  };
  return {
    figures: {
      rss_per_session_mb: round((mem.rss - empty.rss) / n / MB, 3),
      heap_per_session_mb: round((mem.heapUsed - empty.heapUsed) / n / MB, 3),
      external_per_session_mb: round((mem.external + mem.arrayBuffers - empty.external - empty.arrayBuffers) / n / MB, 3),
      cpu_per_session_pct: round(cpuPct / n, 4),
      gateway_cpu_pct: round(cpuPct, 1),
      restore_total_s: restored.figures.total_s!,
      timeouts: restored.figures.timeouts!,
      restore_eventloop_p99_ms: restored.figures.eventloop_p99_ms!,
      signal_keys_per_session: round(keysTotal / n, 1),
      messages_per_min: round((steady.sent / windowMs) * 60_000, 1),
      messages_received: received,
      rss_empty_mb: round(empty.rss / MB),
      rss_mb: round(mem.rss / MB),
      connected: restored.connected,
    },
    runs: [
      { label: 'pairing_setup', figures: pairingFigures },
      { label: 'warm_messages', figures: warmFigures },
      { label: 'restore', figures: restored.figures },
      { label: 'steady_trickle', figures: steadyFigures },
      { label: 'signal_keys_per_session', figures: Object.fromEntries(Object.entries(keys).map(([type, count]) => [type, round(count / n, 1)])) },
    ],
    notes: [
      `accounts: ${opts.contacts} contacts, ${opts.groups} groups of ${opts.groupSize} (sandbox realistic mode); ${opts.warmMessages} messages per session before the restore`,
      `trickle: ${opts.tricklePerMin} per session per minute, 1:1 and group alternately, from rotating peers`,
      'memory: after GC, minus an empty gateway process; CPU: gateway process over the trickle window',
    ],
  };
};
