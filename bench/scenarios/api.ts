/**
 * api: GET status (one session, rotating over all N) and GET list under
 * load with autocannon, N connected sessions loaded. GET status runs flat
 * out with --connections (req_per_s, p99_ms), then with fewer connections
 * (4, 8, 16): at saturation latency is mostly queueing behind the other
 * connections, so `p99_at_target_ms` is the p99 of the run with the fewest
 * connections that still served the target's 5000 req/s (null if none did).
 * autocannon's own rate limit (overallRate) sends in bursts each second,
 * so it cannot measure latency at a given rate.
 */
/** The rate the target names: "GET status ≥ 5000 req/s, p99 ≤ 10 ms". */
export const TARGET_RATE = 5000;
const SWEEP_CONNECTIONS = [4, 8, 16];

import autocannon from 'autocannon';
import { sessionIdOf } from '../lib/pairing.js';
import { BENCH_ADMIN_KEY, type GatewayProc } from '../lib/processes.js';
import { round } from '../lib/stats.js';
import type { Figures } from '../lib/results.js';
import { sandboxFor, stopGateway } from './common.js';
import { pairAll, restoreAll } from './restoreSteps.js';
import type { Scenario } from './types.js';

async function load(port: number, connections: number, seconds: number, path: () => string): Promise<Figures> {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: seconds,
    headers: { authorization: `Bearer ${BENCH_ADMIN_KEY}` },
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: path() }) }],
  });
  return {
    req_per_s: round(result.requests.average, 0),
    p50_ms: round(result.latency.p50, 2),
    p99_ms: round(result.latency.p99, 2),
    max_ms: round(result.latency.max, 2),
    non_2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

/** GET status (rotating over the N sessions), GET list, GET /metrics, one after the other. */
export async function apiLoad(
  gw: GatewayProc,
  n: number,
  connections: number,
  seconds: number,
  opts: { statusOnly?: boolean } = {},
): Promise<{ status: Figures; sweep: Array<{ connections: number; figures: Figures }>; p99AtTarget: number | null; list: Figures; metrics: Figures }> {
  let i = 0;
  const statusPath = () => `/api/v1/sessions/${sessionIdOf(i++ % n)}/status`;
  const status = await load(gw.port, connections, seconds, statusPath);
  if (opts.statusOnly) return { status, sweep: [], p99AtTarget: null, list: {}, metrics: {} };
  const sweep: Array<{ connections: number; figures: Figures }> = [];
  for (const c of SWEEP_CONNECTIONS.filter((c) => c < connections)) {
    sweep.push({ connections: c, figures: await load(gw.port, c, seconds, statusPath) });
  }
  const atTarget = [...sweep, { connections, figures: status }].find((r) => Number(r.figures.req_per_s) >= TARGET_RATE);
  const p99AtTarget = atTarget ? Number(atTarget.figures.p99_ms) : null;
  const list = await load(gw.port, Math.min(8, connections), seconds, () => '/api/v1/sessions');
  const metrics = await load(gw.port, 4, Math.min(5, seconds), () => '/metrics');
  return { status, sweep, p99AtTarget, list, metrics };
}

export const apiScenario: Scenario = async (ctx) => {
  const n = ctx.opts.sessions;
  const sandbox = await sandboxFor(ctx);
  await pairAll(ctx, sandbox, n);
  const restored = await restoreAll(ctx, sandbox, n, { fastCurve: ctx.opts.fastCurve !== 'off' });
  const gw = restored.gw;
  const { status, sweep, p99AtTarget, list, metrics } = await apiLoad(gw, n, ctx.opts.connections, ctx.opts.duration);
  await stopGateway(ctx, gw);
  return {
    figures: {
      req_per_s: status.req_per_s!,
      p99_ms: status.p99_ms!,
      p99_at_target_ms: p99AtTarget,
      connected: restored.connected,
      connections: ctx.opts.connections,
    },
    runs: [
      { label: 'get_status', figures: status },
      ...sweep.map((r) => ({ label: `get_status_${r.connections}_connections`, figures: r.figures })),
      { label: 'get_list', figures: list },
      { label: 'get_metrics', figures: metrics },
      { label: 'restore', figures: restored.figures },
    ],
    notes: ['autocannon runs in the driver process; the gateway has its own process'],
  };
};
