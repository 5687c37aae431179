/**
 * restore: N paired sessions in the store; a fresh gateway process starts
 * and restores them. Figures: total time to all connected, per-session p99,
 * event-loop delay, timeouts (408s and sessions that never connected).
 * With --fast-curve both, or --compare <lever>, the same data dir is
 * restored once per setting, so a lever is measured on and off on one
 * pairing.
 */
import type { Figures } from '../lib/results.js';
import { leverRuns, sandboxFor, stopGateway } from './common.js';
import { pairAll, restoreAll } from './restoreSteps.js';
import type { Scenario } from './types.js';

export const restoreScenario: Scenario = async (ctx) => {
  const n = ctx.opts.sessions;
  const sandbox = await sandboxFor(ctx);
  const pairing = await pairAll(ctx, sandbox, n);
  const runs: Array<{ label: string; figures: Figures }> = [{ label: 'pairing_setup', figures: pairing }];
  let main: Figures | null = null;
  for (const run of leverRuns(ctx.opts.compare, ctx.opts.fastCurve)) {
    const restored = await restoreAll(ctx, sandbox, n, { fastCurve: run.fastCurve, env: run.env });
    // Memory with all N connected, after GC: what a memory lever (shared caches) changes.
    await restored.gw.gc();
    const mem = await restored.gw.stats();
    restored.figures.rss_connected_mb = Math.round(mem.rss / 2 ** 20);
    restored.figures.heap_connected_mb = Math.round(mem.heapUsed / 2 ** 20);
    await stopGateway(ctx, restored.gw);
    runs.push({ label: `restore_${run.label}`, figures: restored.figures });
    main ??= restored.figures;
  }
  return { figures: main!, runs, notes: ['gateway and sandbox each run in their own process; timestamps are the gateway\'s own events'] };
};
