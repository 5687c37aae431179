/** Shared steps of the scenarios: processes that are always cleaned up, figures from timings. */
import path from 'node:path';
import type { PairTiming } from '../lib/pairing.js';
import { startGatewayProc, startSandbox, type GatewayProc, type GatewayProcOptions, type SandboxProc, type SandboxProcOptions } from '../lib/processes.js';
import { percentile, round } from '../lib/stats.js';
import type { ScenarioContext } from './types.js';

export async function sandboxFor(ctx: ScenarioContext, opts: SandboxProcOptions = {}): Promise<SandboxProc> {
  const sandbox = await startSandbox(ctx.workDir, opts);
  ctx.track(sandbox.child);
  return sandbox;
}

export async function gatewayFor(
  ctx: ScenarioContext,
  sandbox: SandboxProc,
  name: string,
  opts: Partial<GatewayProcOptions> = {},
): Promise<GatewayProc> {
  const gw = await startGatewayProc({
    dataDir: path.join(ctx.workDir, name),
    sandbox,
    restoreConcurrency: ctx.opts.restoreConcurrency,
    restoreLoopDelayMs: ctx.opts.restoreLoopDelayMs,
    ...opts,
  });
  ctx.track(gw.child);
  return gw;
}

export async function stopGateway(ctx: ScenarioContext, gw: GatewayProc): Promise<void> {
  await gw.stop();
  ctx.untrack(gw.child);
}

export function pairFigures(timings: PairTiming[]): Record<string, number> {
  const qr = timings.filter((t) => t.qrAt !== null).map((t) => t.qrAt! - t.connectAt);
  const connected = timings.filter((t) => t.connectedAt !== null && t.scanAt !== null).map((t) => t.connectedAt! - t.scanAt!);
  const login = timings.filter((t) => t.connectedAt !== null && t.pairedAt !== null).map((t) => t.connectedAt! - t.pairedAt!);
  return {
    qr_p50_ms: round(percentile(qr, 50)),
    qr_p99_ms: round(percentile(qr, 99)),
    connected_p50_ms: round(percentile(connected, 50)),
    connected_p99_ms: round(percentile(connected, 99)),
    paired_to_connected_p50_ms: round(percentile(login, 50)),
    timeouts: timings.filter((t) => t.connectedAt === null).length,
  };
}

export const curveRuns = (mode: 'on' | 'off' | 'both'): Array<{ label: string; fastCurve: boolean }> =>
  mode === 'both'
    ? [
        { label: 'fast_curve', fastCurve: true },
        { label: 'stock_curve', fastCurve: false },
      ]
    : [{ label: mode === 'on' ? 'fast_curve' : 'stock_curve', fastCurve: mode === 'on' }];

/** Levers `restore --compare <lever>` measures on and off on one pairing. */
export const LEVERS = ['fast-curve', 'shared-als', 'shared-caches', 'restore-pacing'] as const;
export type Lever = (typeof LEVERS)[number];

export interface LeverRun {
  label: string;
  fastCurve: boolean;
  /** Gateway environment for this run. */
  env: Record<string, string>;
}

/** One run per setting of `lever` (on first); without a lever, the --fast-curve runs. */
export function leverRuns(lever: Lever | undefined, fastCurve: 'on' | 'off' | 'both'): LeverRun[] {
  if (lever === undefined || lever === 'fast-curve') {
    return curveRuns(lever ? 'both' : fastCurve).map((r) => ({ ...r, env: {} }));
  }
  const fast = fastCurve !== 'off';
  const on = (env: Record<string, string>) => ({ label: `${lever}_on`, fastCurve: fast, env });
  const off = (env: Record<string, string>) => ({ label: `${lever}_off`, fastCurve: fast, env });
  switch (lever) {
    case 'shared-als':
      return [on({ BENCH_SHARED_ALS: '1' }), off({ BENCH_SHARED_ALS: '0' })];
    case 'shared-caches':
      return [on({ BENCH_SHARED_CACHES: '1' }), off({ BENCH_SHARED_CACHES: '0' })];
    case 'restore-pacing':
      // Off = the old fixed pacing: WAGATE_RESTORE_CONCURRENCY in flight from the start.
      return [on({}), off({ WAGATE_RESTORE_LOOP_DELAY_MS: '0' })];
  }
}
