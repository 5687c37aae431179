/**
 * scale: restore, idle and api on one pairing (pairing 1000 sessions takes
 * minutes): pair N, restart the gateway and measure the restore, hold it
 * idle for --duration, then load its API. Same figures as the single
 * scenarios, one results file.
 */
import { sandboxFor, stopGateway } from './common.js';
import { apiLoad } from './api.js';
import { measureEmpty, measureIdle } from './idle.js';
import { pairAll, restoreAll } from './restoreSteps.js';
import type { Scenario } from './types.js';

export const scaleScenario: Scenario = async (ctx) => {
  const n = ctx.opts.sessions;
  const sandbox = await sandboxFor(ctx);
  const empty = await measureEmpty(ctx, sandbox);
  const pairing = await pairAll(ctx, sandbox, n);
  const restored = await restoreAll(ctx, sandbox, n, { fastCurve: ctx.opts.fastCurve !== 'off' });
  const idle = await measureIdle(restored.gw, n, empty, ctx.opts.duration);
  const api = await apiLoad(restored.gw, n, ctx.opts.connections, 10);
  await stopGateway(ctx, restored.gw);
  return {
    figures: {
      total_s: restored.figures.total_s!,
      timeouts: restored.figures.timeouts!,
      eventloop_p99_ms: restored.figures.eventloop_p99_ms!,
      eventloop_max_ms: restored.figures.eventloop_max_ms!,
      rss_per_session_mb: idle.figures.rss_per_session_mb!,
      rss_growth_pct: idle.figures.rss_growth_pct!,
      req_per_s: api.status.req_per_s!,
      p99_ms: api.status.p99_ms!,
      p99_at_target_ms: api.p99AtTarget,
    },
    runs: [
      { label: 'pairing_setup', figures: pairing },
      { label: 'restore', figures: restored.figures },
      { label: 'idle', figures: idle.figures },
      { label: 'get_status', figures: api.status },
      ...api.sweep.map((r) => ({ label: `get_status_${r.connections}_connections`, figures: r.figures })),
      { label: 'get_list', figures: api.list },
      { label: 'get_metrics', figures: api.metrics },
    ],
    notes: [`idle rss samples (MB): ${idle.samples.map((s) => `${s.t_s}s=${s.rss_mb}`).join(' ')}`],
  };
};
