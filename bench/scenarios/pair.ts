/**
 * pair: N sessions connect at once (in batches of --batch) and pair by QR.
 * Figures: connect request → first QR, and scan → connected, p50/p99.
 */
import path from 'node:path';
import { pairSessions } from '../lib/pairing.js';
import { round } from '../lib/stats.js';
import type { Figures } from '../lib/results.js';
import { curveRuns, gatewayFor, pairFigures, sandboxFor, stopGateway } from './common.js';
import type { Scenario } from './types.js';

export const pairScenario: Scenario = async (ctx) => {
  const { opts } = ctx;
  const sandbox = await sandboxFor(ctx);
  const runs: Array<{ label: string; figures: Figures }> = [];
  let offset = 0;
  for (const run of curveRuns(opts.fastCurve)) {
    const gw = await gatewayFor(ctx, sandbox, `gateway-${run.label}`, { fastCurve: run.fastCurve });
    // One warm-up pairing so lazy start-up work (WASM, protobuf, first socket) is not in the figures.
    await pairSessions(gw, sandbox, offset, 1, { batch: 1, scanConcurrency: 1, timeoutMs: 120_000 });
    offset += 1;
    const sandboxBefore = await sandbox.stats();
    const before = await gw.stats();
    await gw.resetEventLoop();
    // BENCH_PROFILE=<dir>: a CPU profile of the measured window only (start-up and warm-up excluded).
    const profileDir = process.env.BENCH_PROFILE;
    if (profileDir) await gw.child.call('profileStart');
    const started = Date.now();
    const timings = await pairSessions(gw, sandbox, offset, opts.sessions, {
      batch: opts.batch,
      scanConcurrency: opts.scanConcurrency,
      timeoutMs: 180_000,
    });
    const totalS = (Date.now() - started) / 1000;
    if (profileDir) await gw.child.call('profileStop', { file: path.join(profileDir, `pair-${run.label}-${Date.now()}.cpuprofile`) });
    const after = await gw.stats();
    const sandboxAfter = await sandbox.stats();
    runs.push({
      label: run.label,
      figures: {
        ...pairFigures(timings),
        total_s: round(totalS, 2),
        eventloop_p99_ms: round(after.eventLoop.p99Ms),
        eventloop_max_ms: round(after.eventLoop.maxMs),
        gateway_cpu_s: round((after.cpuMs - before.cpuMs) / 1000, 2),
        sandbox_cpu_s: round((sandboxAfter.cpuMs - sandboxBefore.cpuMs) / 1000, 2),
      },
    });
    await stopGateway(ctx, gw);
    offset += opts.sessions;
  }
  return {
    figures: runs[0]!.figures,
    runs: runs.length > 1 ? runs : undefined,
    notes: [`${opts.batch} sessions connect at once per batch; ${opts.scanConcurrency} scans in flight`],
  };
};
