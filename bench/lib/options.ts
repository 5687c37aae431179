/** Command line of `npm run bench -- <scenario> [options]`. */
import path from 'node:path';
import { DEFAULT_RESTORE_CONCURRENCY, DEFAULT_RESTORE_LOOP_DELAY_MS } from '../../src/core/sessions/restorePacer.js';
import { LEVERS, type Lever } from '../scenarios/common.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface BenchOptions {
  scenario: string;
  sessions: number;
  /** Seconds (idle: how long to watch; api: seconds per endpoint). */
  duration: number;
  /** on | off | both: the WASM curve lever. */
  fastCurve: 'on' | 'off' | 'both';
  /** Sessions connected at once while pairing (default: all, capped at 100). */
  batch: number;
  scanConcurrency: number;
  /** Ceiling of sessions restored at once (WAGATE_RESTORE_CONCURRENCY; the gateway's default). */
  restoreConcurrency: number;
  /** Event-loop delay the restore pacer aims under (WAGATE_RESTORE_LOOP_DELAY_MS; 0 = fixed pacing). */
  restoreLoopDelayMs: number;
  /** restore: measure this lever on and off on one pairing. */
  compare: Lever | undefined;
  /** api: autocannon connections. */
  connections: number;
  /** baseline: stock processes. */
  stockSessions: number;
  keep: boolean;
  /** Where the results file goes: bench/results/local (ignored by git) unless --save or --out. */
  resultsDir: string;
  /** on | off: the engine's shared AsyncLocalStorage lever (src/engine/baileys/sharedAsyncStorage.ts). */
  sharedAls: 'on' | 'off';
  /** on | off: the engine's shared bounded caches lever (src/engine/baileys/sharedCaches.ts). */
  sharedCaches: 'on' | 'off';
  /** sandbox scenario: on | off | both, the sandbox's load mode (SandboxOptions.load). */
  sandboxLoad: 'on' | 'off' | 'both';
  /** messaging: messages per second for the latency run. */
  rate: number;
  /** fuzz: generated requests. */
  runs: number;
  /** fuzz: fast-check seed (default: random, printed). */
  seed: number | undefined;
  /** real: contacts, groups and members per group each linked account carries (the sandbox's accountContent). */
  contacts: number;
  groups: number;
  groupSize: number;
  /** real: messages per session per minute during the measured window (1:1 and group alternately). */
  tricklePerMin: number;
  /** real: messages each session receives before the restore, so it restores with keys for many peers. */
  warmMessages: number;
  /** baseline: 'process' = one stock process per session; 'in-process' = N stock sockets in one plain Node process. */
  peer: 'process' | 'in-process';
  /** pair: connects measured one at a time on the idle gateway before the burst. */
  single: number;
  /** guard: allowed worsening of a figure against the last committed results, in percent. */
  tolerancePct: number;
  /** cluster: gateway nodes sharing one PostgreSQL. */
  nodes: number;
}

export const USAGE = `usage: npm run bench -- <pair|connect|restore|idle|api|baseline|scale|real|guard|sandbox|sandbox-relay|messaging|webhooks|fuzz|cluster> [--sessions N] [--duration S] [--nodes N]
  [--fast-curve on|off|both] [--batch N] [--scan-concurrency N] [--restore-concurrency N]
  [--restore-loop-delay MS] [--compare fast-curve|shared-als|shared-caches|restore-pacing]
  [--connections N] [--stock-sessions N] [--shared-als on|off] [--shared-caches on|off]
  [--sandbox-load on|off|both] [--rate N] [--runs N] [--seed N] [--peer process|in-process]
  [--contacts N] [--groups N] [--group-size N] [--trickle-per-min N] [--warm-messages N] [--tolerance PCT] [--single N] [--keep]
  [--save | --out DIR]  (results go to bench/results/local/, ignored by git; --save writes to the
                         committed bench/results/, for figures the READMEs cite; --out to DIR)`;

/** Committed results (cited in the READMEs) live in bench/results; everyday runs stay out of git. */
export const COMMITTED_RESULTS_DIR = path.join(ROOT, 'bench', 'results');
export const LOCAL_RESULTS_DIR = path.join(COMMITTED_RESULTS_DIR, 'local');

function resultsDir(save: boolean, out: string | undefined): string {
  if (save && out !== undefined) throw new Error(`--save and --out both say where results go; give one\n${USAGE}`);
  if (out !== undefined) return path.resolve(out);
  return save ? COMMITTED_RESULTS_DIR : LOCAL_RESULTS_DIR;
}

export function parseOptions(argv: string[]): BenchOptions {
  const scenario = argv[0];
  if (!scenario || scenario.startsWith('-')) throw new Error(USAGE);
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}\n${USAGE}`);
    const [name, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    if (name === 'keep' || name === 'save') {
      flags.add(name);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`--${name} needs a value\n${USAGE}`);
    values.set(name, value);
  }
  const int = (name: string, fallback: number): number => {
    const raw = values.get(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number`);
    return n;
  };
  const sessions = int('sessions', 10);
  const fastCurve = (values.get('fast-curve') ?? 'on') as BenchOptions['fastCurve'];
  if (!['on', 'off', 'both'].includes(fastCurve)) throw new Error(`--fast-curve must be on, off or both`);
  const compare = values.get('compare') as Lever | undefined;
  if (compare !== undefined && !LEVERS.includes(compare)) throw new Error(`--compare must be one of ${LEVERS.join(', ')}`);
  const sandboxLoad = (values.get('sandbox-load') ?? 'on') as BenchOptions['sandboxLoad'];
  if (!['on', 'off', 'both'].includes(sandboxLoad)) throw new Error(`--sandbox-load must be on, off or both`);
  const onOff = (name: string): 'on' | 'off' => {
    const value = values.get(name) ?? 'on';
    if (value !== 'on' && value !== 'off') throw new Error(`--${name} must be on or off`);
    return value;
  };
  const peer = (values.get('peer') ?? 'process') as BenchOptions['peer'];
  if (peer !== 'process' && peer !== 'in-process') throw new Error(`--peer must be process or in-process`);
  return {
    scenario,
    sessions,
    duration: int('duration', scenario === 'api' ? 10 : scenario === 'sandbox' ? 45 : scenario === 'sandbox-relay' ? 30 : scenario === 'real' ? 120 : 60),
    fastCurve,
    batch: int('batch', Math.min(100, Math.max(1, sessions))),
    scanConcurrency: int('scan-concurrency', 20),
    restoreConcurrency: int('restore-concurrency', DEFAULT_RESTORE_CONCURRENCY),
    restoreLoopDelayMs: int('restore-loop-delay', DEFAULT_RESTORE_LOOP_DELAY_MS),
    compare,
    connections: int('connections', 32),
    stockSessions: int('stock-sessions', 5),
    keep: flags.has('keep'),
    resultsDir: resultsDir(flags.has('save'), values.get('out')),
    sharedAls: onOff('shared-als'),
    sharedCaches: onOff('shared-caches'),
    sandboxLoad,
    rate: int('rate', 500),
    runs: int('runs', 5000),
    seed: values.has('seed') ? int('seed', 0) : undefined,
    contacts: int('contacts', 200),
    groups: int('groups', 20),
    groupSize: int('group-size', 50),
    tricklePerMin: int('trickle-per-min', 1),
    warmMessages: int('warm-messages', 4),
    peer,
    tolerancePct: int('tolerance', 25),
    single: int('single', 20),
    nodes: int('nodes', 3),
  };
}
