/**
 * pair: first `--single` connects one at a time on the idle gateway (connect
 * request → first QR, with the floor under it: HTTP, WebSocket, handshake),
 * then N sessions connect at once (in batches of --batch) and pair by QR.
 * Figures: connect request → first QR, p50/p99, and connects_per_s (QRs of
 * the burst / first connect → last QR); scan → connected, p50/p99.
 * BENCH_PROFILE=<dir> writes two CPU profiles: the connects (until every
 * first QR of the batch is in) and the scans.
 */
import path from 'node:path';
import { connectFloor, singleConnects } from '../lib/connectFloor.js';
import { createSessions, pairSessions, sessionIdOf, type PairTiming } from '../lib/pairing.js';
import { percentile, round } from '../lib/stats.js';
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
    const single = await singleConnects(gw, offset, opts.single);
    offset += opts.single;
    const floor = opts.single > 0 ? await connectFloor(gw, sandbox, opts.single) : {};
    // Created before the measured window: connect_cpu_ms and the profile hold connects only.
    await createSessions(gw, Array.from({ length: opts.sessions }, (_, k) => sessionIdOf(offset + k)));
    const sandboxBefore = await sandbox.stats();
    const before = await gw.stats();
    await gw.resetEventLoop();
    // BENCH_PROFILE=<dir>: a CPU profile of the measured window only (start-up and warm-up excluded).
    const profileDir = process.env.BENCH_PROFILE;
    const profile = async (phase: string, next: boolean): Promise<void> => {
      if (!profileDir) return;
      await gw.child.call('profileStop', { file: path.join(profileDir, `pair-${run.label}-${phase}-${Date.now()}.cpuprofile`) });
      if (next) await gw.child.call('profileStart');
    };
    if (profileDir) await gw.child.call('profileStart');
    const started = Date.now();
    let batchesDone = 0;
    // Gateway CPU over the first batch's connects (until its last first QR): the figure load does not distort.
    let burstCpuMs: number | null = null;
    const batches = Math.ceil(opts.sessions / opts.batch);
    const timings = await pairSessions(gw, sandbox, offset, opts.sessions, {
      batch: opts.batch,
      scanConcurrency: opts.scanConcurrency,
      timeoutMs: 180_000,
      created: true,
      // The first batch's connects alone, then everything after them.
      afterFirstQrs: async () => {
        if (batchesDone++ !== 0) return;
        burstCpuMs = (await gw.stats()).cpuMs - before.cpuMs;
        await profile('connects', batches > 0);
      },
    });
    const totalS = (Date.now() - started) / 1000;
    await profile('scans', false);
    const after = await gw.stats();
    const sandboxAfter = await sandbox.stats();
    runs.push({
      label: run.label,
      figures: {
        single_qr_p50_ms: round(percentile(single.latencies, 50)),
        single_qr_p99_ms: round(percentile(single.latencies, 99)),
        single_cpu_ms_p50: round(percentile(single.cpuMs, 50), 2),
        ...floor,
        connects_per_s: connectsPerSecond(timings.slice(0, opts.batch)),
        connect_cpu_ms: burstCpuMs === null ? null : round(burstCpuMs / Math.min(opts.batch, opts.sessions), 2),
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
    notes: [
      `${opts.single} single connects one at a time on the idle gateway (single_qr_*, floor_*: p50 of as many driver-side HTTP round trips, WebSocket opens and client handshakes to pair-device)`,
      `${opts.batch} sessions connect at once per batch; connects_per_s over the first batch (first connect sent → last first QR); ${opts.scanConcurrency} scans in flight`,
    ],
  };
};

/** First QRs of one burst per second: from its first connect request to its last first QR. */
function connectsPerSecond(burst: PairTiming[]): number | null {
  const qrs = burst.filter((t) => t.qrAt !== null);
  if (qrs.length === 0) return null;
  const from = Math.min(...burst.map((t) => t.connectAt));
  const to = Math.max(...qrs.map((t) => t.qrAt!));
  return round(qrs.length / (Math.max(1, to - from) / 1000), 1);
}
