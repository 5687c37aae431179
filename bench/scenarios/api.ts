/**
 * api: GET status (one session, rotating over all N) and GET list under
 * load with autocannon, N connected sessions loaded. Figures: req/s, p99.
 */
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
): Promise<{ status: Figures; list: Figures; metrics: Figures }> {
  let i = 0;
  const status = await load(gw.port, connections, seconds, () => `/api/v1/sessions/${sessionIdOf(i++ % n)}/status`);
  const list = await load(gw.port, Math.min(8, connections), seconds, () => '/api/v1/sessions');
  const metrics = await load(gw.port, 4, Math.min(5, seconds), () => '/metrics');
  return { status, list, metrics };
}

export const apiScenario: Scenario = async (ctx) => {
  const n = ctx.opts.sessions;
  const sandbox = await sandboxFor(ctx);
  await pairAll(ctx, sandbox, n);
  const restored = await restoreAll(ctx, sandbox, n, { fastCurve: ctx.opts.fastCurve !== 'off' });
  const gw = restored.gw;
  const { status, list, metrics } = await apiLoad(gw, n, ctx.opts.connections, ctx.opts.duration);
  await stopGateway(ctx, gw);
  return {
    figures: { req_per_s: status.req_per_s!, p99_ms: status.p99_ms!, connected: restored.connected, connections: ctx.opts.connections },
    runs: [
      { label: 'get_status', figures: status },
      { label: 'get_list', figures: list },
      { label: 'get_metrics', figures: metrics },
      { label: 'restore', figures: restored.figures },
    ],
    notes: ['autocannon runs in the driver process; the gateway has its own process'],
  };
};
