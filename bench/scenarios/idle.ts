/**
 * idle: N connected sessions held for --duration seconds. Figures: RSS and
 * heap per session, marginal over an empty gateway process (both measured
 * after forced GC), RSS growth from the start to the end of the idle period,
 * event-loop delay while idle, and disconnects seen.
 */
import { MB, round } from '../lib/stats.js';
import type { Figures } from '../lib/results.js';
import { gatewayFor, sandboxFor, stopGateway } from './common.js';
import { pairAll, restoreAll } from './restoreSteps.js';
import type { GatewayStats } from '../lib/gatewayChild.js';
import type { GatewayProc, SandboxProc } from '../lib/processes.js';
import type { Scenario, ScenarioContext } from './types.js';

const SETTLE_MS = 10_000;

export const idleScenario: Scenario = async (ctx) => {
  const n = ctx.opts.sessions;
  const sandbox = await sandboxFor(ctx);

  const emptyStats = await measureEmpty(ctx, sandbox);

  const pairing = await pairAll(ctx, sandbox, n);
  const restored = await restoreAll(ctx, sandbox, n, { fastCurve: ctx.opts.fastCurve !== 'off' });
  const { figures, samples } = await measureIdle(restored.gw, n, emptyStats, ctx.opts.duration);
  await stopGateway(ctx, restored.gw);
  figures.connected = restored.connected;
  return {
    figures,
    runs: [
      { label: 'pairing_setup', figures: pairing },
      { label: 'restore', figures: restored.figures },
    ],
    notes: [`rss samples (MB): ${samples.map((s) => `${s.t_s}s=${s.rss_mb}`).join(' ')}`],
  };
};

/** Holds the connected gateway idle for `durationS` and reports memory per session over `empty`. */
export async function measureIdle(
  gw: GatewayProc,
  n: number,
  empty: GatewayStats,
  durationS: number,
): Promise<{ figures: Figures; samples: Array<{ t_s: number; rss_mb: number; heap_mb: number }> }> {
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  await gw.gc();
  const start = await gw.stats();
  await gw.resetEventLoop();
  const eventsBefore = gw.events.length;

  const samples: Array<{ t_s: number; rss_mb: number; heap_mb: number }> = [];
  const durationMs = durationS * 1000;
  const stepMs = Math.max(1_000, Math.min(30_000, Math.floor(durationMs / 10)));
  const began = Date.now();
  while (Date.now() - began < durationMs) {
    await new Promise((r) => setTimeout(r, Math.min(stepMs, durationMs - (Date.now() - began))));
    const s = await gw.stats();
    samples.push({ t_s: round((Date.now() - began) / 1000, 1), rss_mb: round(s.rss / MB), heap_mb: round(s.heapUsed / MB) });
  }
  await gw.gc();
  const end = await gw.stats();
  const idleEvents = gw.events.slice(eventsBefore);
  const disconnects = idleEvents.filter((e) => e.type === 'connection.state' && e.state !== 'connected').length;
  // The first minutes after a restore still hand memory back to the OS (Baileys' start-up buffers),
  // so start → end can read as shrinking; the second half shows whether a settled gateway grows.
  const half = samples.find((s) => s.t_s >= durationS / 2);
  const figures: Figures = {
    duration_s: durationS,
    rss_empty_mb: round(empty.rss / MB),
    rss_start_mb: round(start.rss / MB),
    rss_end_mb: round(end.rss / MB),
    rss_per_session_mb: round((end.rss - empty.rss) / n / MB, 2),
    heap_per_session_mb: round((end.heapUsed - empty.heapUsed) / n / MB, 3),
    external_per_session_mb: round((end.external + end.arrayBuffers - empty.external - empty.arrayBuffers) / n / MB, 3),
    rss_growth_pct: round(((end.rss - start.rss) / start.rss) * 100, 2),
    heap_growth_pct: round(((end.heapUsed - start.heapUsed) / start.heapUsed) * 100, 2),
    rss_growth_second_half_pct: half ? round(((end.rss / MB - half.rss_mb) / half.rss_mb) * 100, 2) : null,
    eventloop_p99_ms: round(end.eventLoop.p99Ms),
    eventloop_max_ms: round(end.eventLoop.maxMs),
    disconnects,
    idle_cpu_pct: round(((end.cpuMs - start.cpuMs) / (Date.now() - began)) * 100, 2),
  };
  return { figures, samples };
}

/** An empty gateway process (same code, no sessions) after GC: the base the marginal is taken over. */
export async function measureEmpty(ctx: ScenarioContext, sandbox: SandboxProc): Promise<GatewayStats> {
  const empty = await gatewayFor(ctx, sandbox, 'gateway-empty');
  await new Promise((r) => setTimeout(r, 3_000));
  await empty.gc();
  const stats = await empty.stats();
  await stopGateway(ctx, empty);
  return stats;
}
