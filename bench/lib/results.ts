/** Machine facts, the results file and the printed table. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export type Figures = Record<string, number | string | boolean | null>;

export interface BenchResult {
  scenario: string;
  sessions: number;
  commit: string;
  startedAt: string;
  machine: { cpus: number; cpuModel: string; memoryMb: number; node: string; platform: string; loadAvgStart: number[]; loadAvgEnd: number[] };
  options: Record<string, unknown>;
  figures: Figures;
  /** Lever runs and sub-measurements, each with its own figures. */
  runs?: Array<{ label: string; figures: Figures }>;
  notes?: string[];
}

const ROOT = path.resolve(import.meta.dirname, '../..');

export function commit(): string {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

export function machine(loadAvgStart: number[]): BenchResult['machine'] {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryMb: Math.round(os.totalmem() / 1024 / 1024),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadAvgStart: loadAvgStart.map((l) => Math.round(l * 100) / 100),
    loadAvgEnd: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** Writes <scenario>-<time>.json into `dir` (bench/results/local unless --save or --out). */
export function writeResult(result: BenchResult, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const stamp = result.startedAt.replace(/[:.]/g, '-');
  const file = path.join(dir, `${result.scenario}-${stamp}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  const rel = path.relative(ROOT, file);
  return rel.startsWith('..') ? file : rel;
}

export function printTable(result: BenchResult): void {
  const rows: Array<[string, string, string]> = [];
  for (const [k, v] of Object.entries(result.figures)) rows.push(['', k, String(v)]);
  for (const run of result.runs ?? []) for (const [k, v] of Object.entries(run.figures)) rows.push([run.label, k, String(v)]);
  const w0 = Math.max(3, ...rows.map((r) => r[0].length));
  const w1 = Math.max(6, ...rows.map((r) => r[1].length));
  const line = (a: string, b: string, c: string) => `${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}`;
  const out = [
    `${result.scenario}  sessions=${result.sessions}  commit=${result.commit.slice(0, 10)}  load=${result.machine.loadAvgStart.join('/')} → ${result.machine.loadAvgEnd.join('/')}`,
    line('run', 'figure', 'value'),
    line('-'.repeat(w0), '-'.repeat(w1), '-----'),
    ...rows.map((r) => line(...r)),
  ];
  for (const note of result.notes ?? []) out.push(`note: ${note}`);
  process.stdout.write(`${out.join('\n')}\n`);
}
