/**
 * baseline: the same restore and idle, in the same run, for wagate (one
 * gateway process, --sessions N) and for the engine as people commonly run
 * it (one stock process per session, --stock-sessions K). Reports both and
 * their ratios. `--peer in-process` instead compares wagate with N stock
 * sockets in one process (baselinePeer.ts).
 */
import path from 'node:path';
import { phoneOf } from '../lib/pairing.js';
import type { SandboxProc } from '../lib/processes.js';
import { Child } from '../lib/rpc.js';
import { MB, percentile, round } from '../lib/stats.js';
import type { Figures } from '../lib/results.js';
import { baselineInProcess } from './baselinePeer.js';
import { sandboxFor, stopGateway } from './common.js';
import { measureEmpty, measureIdle } from './idle.js';
import { pairAll, restoreAll } from './restoreSteps.js';
import type { Scenario, ScenarioContext } from './types.js';

/** Stock sessions use their own phone numbers, after the gateway's. */
const STOCK_PHONE_BASE = 9_000_000;

function startStock(ctx: ScenarioContext, sandbox: SandboxProc, i: number): Child {
  const child = Child.start('bench/lib/stockChild.mjs', {
    logFile: path.join(ctx.workDir, `stock-${i}.log`),
    tsx: false,
    nodeArgs: ['--expose-gc'],
    env: {
      BENCH_AUTH_DIR: path.join(ctx.workDir, `stock-${i}`),
      BENCH_WA_URL: sandbox.url,
      BENCH_SANDBOX_ROOT: sandbox.rootPublicKey,
      BENCH_SANDBOX_SERIAL: String(sandbox.rootSerial),
    },
  });
  return ctx.track(child);
}

const atOf = (data: unknown): number => (data as { at: number }).at;

async function pairStock(ctx: ScenarioContext, sandbox: SandboxProc, k: number): Promise<void> {
  for (let i = 0; i < k; i++) {
    const child = startStock(ctx, sandbox, i);
    const qr = await child.waitNotice((n) => n.notice === 'qr', 60_000);
    const opened = child.waitNotice((n) => n.notice === 'open', 60_000);
    await sandbox.scan(phoneOf(STOCK_PHONE_BASE + i), (qr.data as { qr: string }).qr);
    await opened;
    await child.stop();
    ctx.untrack(child);
  }
}

async function restoreAndIdleStock(ctx: ScenarioContext, sandbox: SandboxProc, k: number, durationS: number): Promise<Figures> {
  const spawnedAt = Date.now();
  const children = Array.from({ length: k }, (_, i) => startStock(ctx, sandbox, i));
  // Both waiters from the start: a process may open before the last one has started.
  const startedP = Promise.all(children.map((c) => c.waitNotice((n) => n.notice === 'started', 120_000)));
  const openedP = Promise.all(
    children.map((c) => c.waitNotice((n) => n.notice === 'open', 180_000).then((n) => atOf(n.data)).catch(() => null)),
  );
  const started = await startedP;
  const opened = await openedP;
  const openTimes = opened.filter((t): t is number => t !== null);
  const perSession = opened.map((t, i) => (t === null ? null : t - atOf(started[i]!.data))).filter((v): v is number => v !== null);
  const afterOpen = await Promise.all(children.map((c) => c.call<{ rss: number; eventLoopP99Ms: number; eventLoopMaxMs: number }>('stats')));
  await new Promise((r) => setTimeout(r, 10_000 + durationS * 1000));
  const end = await Promise.all(children.map((c) => c.call<{ rss: number; heapUsed: number }>('stats')));
  const rssStart = afterOpen.reduce((a, s) => a + s.rss, 0);
  const rssEnd = end.reduce((a, s) => a + s.rss, 0);
  for (const child of children) {
    await child.stop();
    ctx.untrack(child);
  }
  return {
    sessions: k,
    total_s: round((Math.max(...openTimes) - spawnedAt) / 1000, 2),
    restore_session_p50_ms: round(percentile(perSession, 50)),
    restore_session_p99_ms: round(percentile(perSession, 99)),
    timeouts: k - openTimes.length,
    eventloop_p99_ms: round(Math.max(...afterOpen.map((s) => s.eventLoopP99Ms))),
    eventloop_max_ms: round(Math.max(...afterOpen.map((s) => s.eventLoopMaxMs))),
    rss_per_session_mb: round(rssEnd / k / MB, 1),
    heap_per_session_mb: round(end.reduce((a, s) => a + s.heapUsed, 0) / k / MB, 1),
    rss_growth_pct: round(((rssEnd - rssStart) / rssStart) * 100, 2),
  };
}

export const baselineScenario: Scenario = async (ctx) => {
  if (ctx.opts.peer === 'in-process') return baselineInProcess(ctx);
  const n = ctx.opts.sessions;
  const k = ctx.opts.stockSessions;
  const duration = Math.min(ctx.opts.duration, 120);
  const sandbox = await sandboxFor(ctx);

  // wagate: one process, N sessions.
  const empty = await measureEmpty(ctx, sandbox);
  await pairAll(ctx, sandbox, n);
  const restored = await restoreAll(ctx, sandbox, n);
  const idle = await measureIdle(restored.gw, n, empty, duration);
  await stopGateway(ctx, restored.gw);
  const wagate: Figures = {
    sessions: n,
    total_s: restored.figures.total_s!,
    restore_session_p50_ms: restored.figures.restore_session_p50_ms!,
    restore_session_p99_ms: restored.figures.restore_session_p99_ms!,
    timeouts: restored.figures.timeouts!,
    eventloop_p99_ms: restored.figures.eventloop_p99_ms!,
    eventloop_max_ms: restored.figures.eventloop_max_ms!,
    rss_per_session_mb: idle.figures.rss_per_session_mb!,
    heap_per_session_mb: idle.figures.heap_per_session_mb!,
    rss_growth_pct: idle.figures.rss_growth_pct!,
  };

  // Stock: one process per session, K sessions.
  await pairStock(ctx, sandbox, k);
  const stock = await restoreAndIdleStock(ctx, sandbox, k, duration);

  const ratio = (a: unknown, b: unknown): number => round(Number(a) / Number(b), 1);
  return {
    figures: {
      rss_per_session_mb: wagate.rss_per_session_mb!,
      stock_rss_per_session_mb: stock.rss_per_session_mb!,
      memory_ratio: ratio(stock.rss_per_session_mb, wagate.rss_per_session_mb),
      restore_per_session_s_wagate: round(Number(wagate.total_s) / n, 3),
      restore_per_session_s_stock: round(Number(stock.total_s) / k, 3),
      restore_throughput_ratio: ratio(Number(stock.total_s) / k, Number(wagate.total_s) / n),
      restore_session_p99_ratio: ratio(stock.restore_session_p99_ms, wagate.restore_session_p99_ms),
      timeouts: Number(wagate.timeouts) + Number(stock.timeouts),
    },
    runs: [
      { label: 'wagate', figures: wagate },
      { label: 'stock', figures: stock },
    ],
    notes: [
      `wagate: ${n} sessions in one process, marginal RSS over an empty gateway; stock: ${k} processes (makeWASocket + useMultiFileAuthState, stock curve), RSS of the whole process`,
      `stock restore: all ${k} processes spawned at once; per-session time is process start → open (includes module load)`,
    ],
  };
};
