/**
 * guard: a short version of each headline scenario (pair; restore, idle and
 * api on one pairing; real), each figure compared with the last committed
 * results of the same run on the same machine (cpu model and count, total
 * memory). Fails (exit 1) when a headline figure is more than --tolerance
 * per cent (25) worse and past its noise floor (bench/lib/guardCompare.ts).
 * Without a committed baseline for this machine it passes and says so:
 * commit its results file to make it the baseline. Not part of npm test.
 */
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { baselineFor, committedResults, compareRun, type Verdict } from '../lib/guardCompare.js';
import type { BenchOptions } from '../lib/options.js';
import type { Figures } from '../lib/results.js';
import { round } from '../lib/stats.js';
import { pairScenario } from './pair.js';
import { realScenario } from './real.js';
import { scaleScenario } from './scale.js';
import type { Scenario, ScenarioContext, ScenarioOutcome } from './types.js';

/** Seconds held idle, and of the real scenario's trickle, in the short runs. */
const IDLE_S = 15;
const REAL_S = 20;

async function subRun(ctx: ScenarioContext, label: string, scenario: Scenario, overrides: Partial<BenchOptions>): Promise<ScenarioOutcome> {
  const workDir = path.join(ctx.workDir, label);
  await mkdir(workDir, { recursive: true });
  process.stderr.write(`guard: ${label} (${JSON.stringify(overrides)})\n`);
  return scenario({ ...ctx, workDir, opts: { ...ctx.opts, ...overrides } });
}

const runFigures = (outcome: ScenarioOutcome, label: string): Figures => outcome.runs?.find((r) => r.label === label)?.figures ?? {};

export const guardScenario: Scenario = async (ctx) => {
  const n = ctx.opts.sessions;
  const cpus = os.cpus();
  const machine = { cpus: cpus.length, cpuModel: cpus[0]?.model ?? 'unknown', memoryMb: Math.round(os.totalmem() / 1024 / 1024) };

  const pair = await subRun(ctx, 'pair', pairScenario, { batch: n, single: 5, scanConcurrency: 10, fastCurve: 'on' });
  const scale = await subRun(ctx, 'scale', scaleScenario, { duration: IDLE_S, fastCurve: 'on' });
  const real = await subRun(ctx, 'real', realScenario, { duration: REAL_S, tricklePerMin: 6, warmMessages: 2 });

  const runs: Array<{ label: string; sessions: number; duration: number; figures: Figures }> = [
    { label: 'pair', sessions: n, duration: ctx.opts.duration, figures: pair.figures },
    { label: 'restore', sessions: n, duration: IDLE_S, figures: runFigures(scale, 'restore') },
    { label: 'idle', sessions: n, duration: IDLE_S, figures: runFigures(scale, 'idle') },
    { label: 'api', sessions: n, duration: IDLE_S, figures: runFigures(scale, 'get_status') },
    { label: 'real', sessions: n, duration: REAL_S, figures: real.figures },
  ];

  const committed = committedResults();
  const verdicts: Verdict[] = [];
  const missing: string[] = [];
  for (const run of runs) {
    const baseline = baselineFor(committed, machine, run.label, run.sessions, run.duration);
    if (!baseline) missing.push(run.label);
    else verdicts.push(...compareRun(run.label, run.figures, baseline, ctx.opts.tolerancePct));
  }
  const failed = verdicts.filter((v) => v.failed);
  const finite = verdicts.map((v) => v.worsePct).filter(Number.isFinite);
  return {
    figures: {
      failed: failed.length,
      compared: verdicts.length,
      worst_pct: finite.length ? round(Math.max(...finite), 1) : null,
      tolerance_pct: ctx.opts.tolerancePct,
      runs_without_baseline: missing.join(',') || null,
    },
    runs: runs.map((r) => ({ label: r.label, figures: r.figures })),
    notes: [
      ...verdicts.map(
        (v) =>
          `${v.failed ? 'FAIL' : 'ok  '} ${v.run}.${v.figure}: ${v.now} (was ${v.before}, ${changeWords(v.worsePct)}) vs ${v.baseline}`,
      ),
      ...(missing.length ? [`no committed results on this machine for: ${missing.join(', ')} (commit this file to make it the baseline)`] : []),
    ],
    exitCode: failed.length > 0 ? 1 : 0,
  };
};

/** "12.5 % worse", "40 % better" or "same" (a figure that was 0 and is not now has no percentage). */
function changeWords(worsePct: number): string {
  if (!Number.isFinite(worsePct)) return 'was 0';
  if (worsePct === 0) return 'same';
  return worsePct > 0 ? `${round(worsePct, 1)} % worse` : `${round(-worsePct, 1)} % better`;
}
