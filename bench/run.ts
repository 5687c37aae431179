/**
 * `npm run bench -- <scenario> [--sessions N]`: runs the gateway (real
 * engine, real store) against the sandbox on loopback, each in its own
 * process, prints a table and writes bench/results/local/<scenario>-<time>.json
 * (ignored by git; --save writes to the committed bench/results/, --out elsewhere).
 * Every child process and temp dir is removed at the end (unless --keep).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fdLimitWarning } from './lib/fdLimit.js';
import { parseOptions, USAGE } from './lib/options.js';
import { commit, machine, printTable, writeResult, type BenchResult } from './lib/results.js';
import type { Child } from './lib/rpc.js';
import { SCENARIOS } from './scenarios/index.js';

const argv = process.argv.slice(2);
if (argv.length === 0 || argv.includes('--help') || argv.includes('-h')) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(argv.length === 0 ? 2 : 0);
}
let opts: ReturnType<typeof parseOptions>;
try {
  opts = parseOptions(argv);
} catch (err) {
  // A wrong option is the user's, not a crash: say what is wrong and how it is used, no stack.
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
}
const scenario = SCENARIOS[opts.scenario];
if (!scenario) {
  process.stderr.write(`unknown scenario "${opts.scenario}"; one of: ${Object.keys(SCENARIOS).join(', ')}\n`);
  process.exit(2);
}

// Gateway children inherit the engine levers through their environment.
process.env.BENCH_SHARED_ALS = opts.sharedAls === 'off' ? '0' : '1';
process.env.BENCH_SHARED_CACHES = opts.sharedCaches === 'off' ? '0' : '1';

const loadAvgStart = os.loadavg();
const startedAt = new Date().toISOString();
const workDir = await mkdtemp(path.join(os.tmpdir(), `wagate-bench-${opts.scenario}-`));
const children = new Set<Child>();
let cleaning: Promise<void> | null = null;

const cleanup = (): Promise<void> =>
  (cleaning ??= (async () => {
    await Promise.all([...children].map((c) => c.stop().catch(() => c.proc.kill('SIGKILL'))));
    if (!opts.keep) await rm(workDir, { recursive: true, force: true });
    else process.stderr.write(`kept ${workDir}\n`);
  })());

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void cleanup().finally(() => process.exit(130));
  });
}

let exitCode = 0;
try {
  process.stderr.write(`bench ${opts.scenario}: sessions=${opts.sessions} work dir ${workDir}\n`);
  const fdWarning = fdLimitWarning(opts.sessions);
  if (fdWarning) process.stderr.write(`warning: ${fdWarning}\n`);
  const outcome = await scenario({ opts, workDir, track: (c) => (children.add(c), c), untrack: (c) => children.delete(c) });
  const result: BenchResult = {
    scenario: opts.scenario,
    sessions: opts.sessions,
    commit: commit(),
    startedAt,
    machine: machine(loadAvgStart),
    // Where the file goes is not part of the measurement (and an absolute path names this machine).
    options: { ...opts, resultsDir: undefined },
    figures: outcome.figures,
    ...(outcome.runs ? { runs: outcome.runs } : {}),
    ...(outcome.notes ? { notes: outcome.notes } : {}),
  };
  printTable(result);
  process.stdout.write(`wrote ${writeResult(result, opts.resultsDir)}\n`);
  exitCode = outcome.exitCode ?? 0;
} catch (err) {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  exitCode = 1;
} finally {
  await cleanup();
}
process.exit(exitCode);
