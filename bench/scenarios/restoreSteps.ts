/**
 * The steps restore, idle and api share: pair N sessions through one
 * gateway process, stop it, start a fresh gateway process on the same data
 * dir and measure its restore until every session is connected.
 */
import type { BenchEvent } from '../lib/gatewayChild.js';
import { pairSessions, sessionIdOf } from '../lib/pairing.js';
import { waitForEvents, type GatewayProc, type SandboxProc } from '../lib/processes.js';
import { percentile, round } from '../lib/stats.js';
import type { Figures } from '../lib/results.js';
import { gatewayFor, pairFigures, stopGateway } from './common.js';
import type { ScenarioContext } from './types.js';

export const PAIRED_DIR = 'gateway';

/** Pairs sessions 0..n-1 in gateway dir `gateway`, then stops that process. Returns the pairing figures. */
export async function pairAll(ctx: ScenarioContext, sandbox: SandboxProc, n: number): Promise<Figures> {
  const gw = await gatewayFor(ctx, sandbox, PAIRED_DIR);
  const started = Date.now();
  const timings = await pairSessions(gw, sandbox, 0, n, {
    batch: ctx.opts.batch,
    scanConcurrency: ctx.opts.scanConcurrency,
    timeoutMs: 180_000,
  });
  const figures: Figures = { ...pairFigures(timings), total_s: round((Date.now() - started) / 1000, 1) };
  if (timings.some((t) => t.connectedAt === null)) {
    process.stderr.write(`warning: ${figures.timeouts} sessions did not pair\n`);
  }
  await stopGateway(ctx, gw);
  return figures;
}

export interface Restored {
  gw: GatewayProc;
  figures: Figures;
  connected: number;
}

/** Starts a gateway on the paired data dir and waits until all n sessions are connected (or the deadline). */
export async function restoreAll(
  ctx: ScenarioContext,
  sandbox: SandboxProc,
  n: number,
  opts: { fastCurve?: boolean; restoreConcurrency?: number; env?: Record<string, string> } = {},
): Promise<Restored> {
  const sandboxBefore = await sandbox.stats();
  const gw = await gatewayFor(ctx, sandbox, PAIRED_DIR, {
    fastCurve: opts.fastCurve ?? true,
    restoreConcurrency: opts.restoreConcurrency ?? ctx.opts.restoreConcurrency,
    env: opts.env,
  });
  const connectedAt = new Map<string, number>();
  const connectingAt = new Map<string, number>();
  const track = (e: BenchEvent): void => {
    if (e.type !== 'connection.state') return;
    if (e.state === 'connecting' && !connectingAt.has(e.sessionId)) connectingAt.set(e.sessionId, e.at);
    if (e.state === 'connected' && !connectedAt.has(e.sessionId)) connectedAt.set(e.sessionId, e.at);
  };
  for (const e of gw.events) track(e);
  gw.onEvent(track);
  const deadlineMs = Math.max(120_000, n * 500);
  await waitForEvents(gw, () => connectedAt.size >= n, deadlineMs);
  const stats = await gw.stats();
  const sandboxAfter = await sandbox.stats();

  const ids = Array.from({ length: n }, (_, i) => sessionIdOf(i));
  const perSession = ids.filter((id) => connectedAt.has(id)).map((id) => connectedAt.get(id)! - (connectingAt.get(id) ?? gw.startAt));
  const fromStart = [...connectedAt.values()].map((at) => at - gw.startAt);
  const restoreFrom = Math.min(...connectingAt.values());
  const restoreTo = Math.max(...connectedAt.values());
  const loop = await gw.loopDelay(restoreFrom, restoreTo);
  const closes408 = gw.events.filter((e) => e.type === 'connection.state' && e.code === 408).length;
  const retries = gw.events.filter((e) => e.type === 'connection.state' && e.state === 'connecting' && e.code !== null).length;
  const figures: Figures = {
    total_s: round(Math.max(0, ...fromStart) / 1000, 2),
    restore_session_p50_ms: round(percentile(perSession, 50)),
    restore_session_p99_ms: round(percentile(perSession, 99)),
    connected_from_start_p99_ms: round(percentile(fromStart, 99)),
    timeouts: n - connectedAt.size + closes408,
    reconnects: retries,
    // During the restore itself (first connecting → last connected); the app start before it is gateway_start_ms.
    eventloop_p50_ms: round(loop.p50Ms),
    eventloop_p99_ms: round(loop.p99Ms),
    eventloop_max_ms: round(loop.maxMs),
    eventloop_max_incl_start_ms: round(stats.eventLoop.maxMs),
    gateway_start_ms: gw.startedMs,
    gateway_cpu_s: round(stats.cpuMs / 1000, 2),
    sandbox_cpu_s: round((sandboxAfter.cpuMs - sandboxBefore.cpuMs) / 1000, 2),
    restore_concurrency: opts.restoreConcurrency ?? ctx.opts.restoreConcurrency,
    restore_loop_delay_ms: Number(opts.env?.WAGATE_RESTORE_LOOP_DELAY_MS ?? ctx.opts.restoreLoopDelayMs),
  };
  return { gw, figures, connected: connectedAt.size };
}
