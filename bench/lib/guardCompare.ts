/**
 * The regression check's judgement: the headline figures of each short run,
 * which way is better for each, and how a run compares with the last
 * committed results of the same scenario and size on the same machine.
 * Committed means tracked by git at HEAD (read with `git show HEAD:<path>`),
 * so results written by this very run, or left uncommitted, never become
 * their own baseline.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { BenchResult, Figures } from './results.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

export type Better = 'lower' | 'higher';

export interface Headline {
  figure: string;
  better: Better;
  /** Differences below this (in the figure's unit) are noise, whatever their percentage. */
  floor: number;
}

/** What the guard watches, per short run label. Memory per session at small N is read on the heap (RSS is noise there). */
export const HEADLINES: Record<string, Headline[]> = {
  pair: [
    { figure: 'single_qr_p50_ms', better: 'lower', floor: 10 },
    { figure: 'connects_per_s', better: 'higher', floor: 5 },
    { figure: 'qr_p50_ms', better: 'lower', floor: 50 },
    { figure: 'connected_p50_ms', better: 'lower', floor: 50 },
    { figure: 'gateway_cpu_s', better: 'lower', floor: 0.5 },
  ],
  restore: [
    { figure: 'total_s', better: 'lower', floor: 0.5 },
    { figure: 'restore_session_p99_ms', better: 'lower', floor: 50 },
    { figure: 'eventloop_p99_ms', better: 'lower', floor: 20 },
    { figure: 'timeouts', better: 'lower', floor: 0 },
  ],
  idle: [
    { figure: 'heap_per_session_mb', better: 'lower', floor: 0.05 },
    { figure: 'idle_cpu_pct', better: 'lower', floor: 1 },
  ],
  api: [
    { figure: 'req_per_s', better: 'higher', floor: 200 },
    { figure: 'p99_ms', better: 'lower', floor: 5 },
  ],
  real: [
    { figure: 'heap_per_session_mb', better: 'lower', floor: 0.05 },
    { figure: 'cpu_per_session_pct', better: 'lower', floor: 0.05 },
    { figure: 'restore_total_s', better: 'lower', floor: 0.5 },
    { figure: 'timeouts', better: 'lower', floor: 0 },
  ],
};

export interface Fingerprint {
  cpus: number;
  cpuModel: string;
  memoryMb: number;
}

export function sameMachine(a: Fingerprint, b: Fingerprint): boolean {
  // Total memory as the kernel reports it moves by a few MB between boots of the same machine.
  return a.cpus === b.cpus && a.cpuModel === b.cpuModel && Math.abs(a.memoryMb - b.memoryMb) <= Math.max(64, a.memoryMb * 0.01);
}

export interface Verdict {
  run: string;
  figure: string;
  now: number;
  before: number;
  /** Positive = worse, in percent of `before`. */
  worsePct: number;
  failed: boolean;
  baseline: string;
}

/** How much worse `now` is than `before` (percent; negative = better), and whether it crosses the tolerance. */
export function judge(h: Headline, now: number, before: number, tolerancePct: number): { worsePct: number; failed: boolean } {
  const delta = h.better === 'lower' ? now - before : before - now;
  const worsePct = before === 0 ? (delta > 0 ? Infinity : 0) : (delta / Math.abs(before)) * 100;
  return { worsePct, failed: delta > h.floor && worsePct > tolerancePct };
}

/** One committed results file: its path and content. */
export interface Committed {
  file: string;
  result: BenchResult;
}

/** Every results file tracked at HEAD under bench/results, parsed (unparseable ones skipped). */
export function committedResults(): Committed[] {
  let listing: string;
  try {
    listing = execFileSync('git', ['ls-tree', '-r', '--name-only', 'HEAD', 'bench/results/'], { cwd: ROOT, encoding: 'utf8' });
  } catch {
    return [];
  }
  const out: Committed[] = [];
  for (const file of listing.split('\n').filter((f) => f.endsWith('.json'))) {
    try {
      const text = execFileSync('git', ['show', `HEAD:${file}`], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      out.push({ file, result: JSON.parse(text) as BenchResult });
    } catch {
      // not a results file we can read
    }
  }
  return out;
}

/** Figures of run `label` (sessions `sessions`) in a committed file: a guard file's run, or a plain scenario file of the same size. */
function figuresIn(c: Committed, label: string, sessions: number, duration: number): Figures | null {
  const r = c.result;
  if (r.scenario === 'guard') return r.runs?.find((run) => run.label === label)?.figures ?? null;
  if (r.scenario === label && r.sessions === sessions && Number(r.options?.duration) === duration) return r.figures;
  return null;
}

/** The newest committed figures for this run on this machine, or null. */
export function baselineFor(
  committed: readonly Committed[],
  machine: Fingerprint,
  label: string,
  sessions: number,
  duration: number,
): { file: string; figures: Figures } | null {
  let best: { file: string; figures: Figures; at: string } | null = null;
  for (const c of committed) {
    if (!c.result.machine || !sameMachine(c.result.machine, machine)) continue;
    const figures = figuresIn(c, label, sessions, duration);
    if (!figures) continue;
    if (!best || c.result.startedAt > best.at) best = { file: c.file, figures, at: c.result.startedAt };
  }
  return best ? { file: best.file, figures: best.figures } : null;
}

/** Verdicts for one run's headline figures against its baseline. */
export function compareRun(label: string, now: Figures, baseline: { file: string; figures: Figures }, tolerancePct: number): Verdict[] {
  const verdicts: Verdict[] = [];
  for (const h of HEADLINES[label] ?? []) {
    const a = Number(now[h.figure]);
    const b = Number(baseline.figures[h.figure]);
    if (now[h.figure] === null || baseline.figures[h.figure] === null || !Number.isFinite(a) || !Number.isFinite(b)) continue;
    const { worsePct, failed } = judge(h, a, b, tolerancePct);
    verdicts.push({ run: label, figure: h.figure, now: a, before: b, worsePct, failed, baseline: baseline.file });
  }
  return verdicts;
}
