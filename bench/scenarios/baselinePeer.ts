/**
 * baseline --peer in-process: wagate beside the fair peer, on the same
 * sandbox and the same load. The peer (bench/lib/stockPeerChild.mjs) runs N
 * stock engine sockets in one plain Node process, as Evolution API runs its
 * instances: useMultiFileAuthState, default caches, stock curve, no levers.
 * Both pair N sessions by QR, restart, restore all N at once, hold them
 * idle, and serve GET status under autocannon. Ratios are "times better for
 * wagate" (above 1 = wagate better): memory_ratio (peer marginal RSS per
 * session / wagate's), restore_throughput_ratio (wagate sessions/s over the
 * peer's), eventloop_p99_ratio (peer restore-window p99 / wagate's),
 * status_req_per_s_ratio and messages_per_s_ratio (wagate / peer).
 */
import path from 'node:path';
import autocannon from 'autocannon';
import { phoneOf, sessionIdOf } from '../lib/pairing.js';
import type { GatewayProc, SandboxProc } from '../lib/processes.js';
import { Child } from '../lib/rpc.js';
import type { Figures } from '../lib/results.js';
import { measureSendRate } from '../lib/sendRate.js';
import { MB, percentile, round } from '../lib/stats.js';
import { apiLoad } from './api.js';
import { sandboxFor, stopGateway } from './common.js';
import { measureEmpty, measureIdle } from './idle.js';
import { pairAll, restoreAll } from './restoreSteps.js';
import type { ScenarioContext, ScenarioOutcome } from './types.js';

/** The peer's sessions use their own phone numbers, after the gateway's. */
const PEER_PHONE_BASE = 9_000_000;
const SETTLE_MS = 10_000;
/** Texts each session sends in the messages/s run (the phones keep their newest 200). */
const SENDS_PER_SESSION = 20;
const SEND_OPTS = { perSession: SENDS_PER_SESSION, inFlight: 16, timeoutMs: 60_000 };

function wagateSendRate(gw: GatewayProc, sandbox: SandboxProc, n: number): Promise<Figures> {
  return measureSendRate(sandbox, n, phoneOf, async (i, to, text) => {
    // As a JID: the bench's simulated numbers are not valid numbers outside sandbox mode.
    const res = await gw.http<{ data?: { messageId: string } }>('POST', `/api/v1/sessions/${sessionIdOf(i)}/messages`, { to: `${to}@s.whatsapp.net`, content: { type: 'text', text } });
    return res.status === 201 ? (res.body.data?.messageId ?? null) : null;
  }, SEND_OPTS);
}

interface PeerStats {
  rss: number;
  heapUsed: number;
  cpuMs: number;
  eventLoopP99Ms: number;
  eventLoopMaxMs: number;
  open: number;
}

async function startPeer(ctx: ScenarioContext, sandbox: SandboxProc, label: string): Promise<{ child: Child; port: number }> {
  const child = Child.start('bench/lib/stockPeerChild.mjs', {
    logFile: path.join(ctx.workDir, `peer-${label}.log`),
    tsx: false,
    nodeArgs: ['--expose-gc'],
    env: {
      BENCH_AUTH_DIR: path.join(ctx.workDir, 'peer-auth'),
      BENCH_WA_URL: sandbox.url,
      BENCH_SANDBOX_ROOT: sandbox.rootPublicKey,
      BENCH_SANDBOX_SERIAL: String(sandbox.rootSerial),
    },
  });
  ctx.track(child);
  await child.waitNotice((n) => n.notice === 'ready', 60_000);
  const { port } = await child.call<{ port: number }>('info');
  return { child, port };
}

async function stopPeer(ctx: ScenarioContext, child: Child): Promise<void> {
  await child.stop();
  ctx.untrack(child);
}

/** Index → epoch ms of its first `open` from now on. */
function watchOpens(child: Child): Map<number, number> {
  const opened = new Map<number, number>();
  child.onNotice((n) => {
    if (n.notice !== 'open') return;
    const { i, at } = n.data as { i: number; at: number };
    if (!opened.has(i)) opened.set(i, at);
  });
  return opened;
}

async function until(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

/** Pairs the peer's N sockets by QR, `batch` opening at once, `scanConcurrency` scans in flight. */
async function pairPeer(ctx: ScenarioContext, sandbox: SandboxProc, n: number): Promise<Figures> {
  const { child } = await startPeer(ctx, sandbox, 'pairing');
  const latestQr = new Map<number, string>();
  child.onNotice((note) => {
    if (note.notice === 'qr') latestQr.set((note.data as { i: number }).i, (note.data as { qr: string }).qr);
  });
  const opened = watchOpens(child);
  const started = Date.now();
  for (let from = 0; from < n; from += ctx.opts.batch) {
    const count = Math.min(ctx.opts.batch, n - from);
    await child.call('start', { from, count });
    await until(() => Array.from({ length: count }, (_, k) => from + k).every((i) => latestQr.has(i)), 120_000);
    let next = from;
    const scanner = async (): Promise<void> => {
      while (next < from + count) {
        const i = next++;
        const qr = latestQr.get(i);
        if (!qr) continue;
        try {
          await sandbox.scan(phoneOf(PEER_PHONE_BASE + i), qr);
        } catch (err) {
          process.stderr.write(`peer scan ${i} failed: ${(err as Error).message}\n`);
          continue;
        }
        await until(() => opened.has(i), 60_000);
      }
    };
    await Promise.all(Array.from({ length: Math.min(ctx.opts.scanConcurrency, count) }, scanner));
  }
  const figures: Figures = { paired: opened.size, total_s: round((Date.now() - started) / 1000, 1) };
  await stopPeer(ctx, child);
  return figures;
}

/** A fresh peer process restores all N at once; then idle, then GET status under load. */
async function restorePeer(ctx: ScenarioContext, sandbox: SandboxProc, n: number, durationS: number): Promise<Figures> {
  const { child, port } = await startPeer(ctx, sandbox, 'restore');
  const empty = await child.call<PeerStats>('stats');
  await child.call('resetEventLoop');
  const opened = watchOpens(child);
  const closes: number[] = [];
  child.onNotice((note) => {
    if (note.notice === 'close') closes.push((note.data as { code: number }).code);
  });
  const startAt = Date.now();
  await child.call('start', { from: 0, count: n });
  await until(() => opened.size >= n, Math.max(120_000, n * 500));
  const fromStart = [...opened.values()].map((at) => at - startAt);
  const restored = await child.call<PeerStats>('stats');
  await new Promise((r) => setTimeout(r, SETTLE_MS + durationS * 1000));
  const idle = await child.call<PeerStats>('stats');
  let k = 0;
  const status = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: ctx.opts.connections,
    duration: Math.min(ctx.opts.duration, 10),
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/status/${k++ % n}` }) }],
  });
  const sends = await measureSendRate(sandbox, n, (i) => phoneOf(PEER_PHONE_BASE + i), (i, to, text) => child.call<string | null>('send', { i, to, text }, 60_000), SEND_OPTS);
  await stopPeer(ctx, child);
  return {
    messages_per_s: sends.messages_per_s!,
    messages_arrived: sends.arrived!,
    sessions: n,
    total_s: round(Math.max(0, ...fromStart) / 1000, 2),
    restore_session_p50_ms: round(percentile(fromStart, 50)),
    restore_session_p99_ms: round(percentile(fromStart, 99)),
    timeouts: n - opened.size + closes.filter((c) => c === 408).length,
    eventloop_p99_ms: round(restored.eventLoopP99Ms),
    eventloop_max_ms: round(restored.eventLoopMaxMs),
    rss_empty_mb: round(empty.rss / MB),
    rss_per_session_mb: round((idle.rss - empty.rss) / n / MB, 3),
    heap_per_session_mb: round((idle.heapUsed - empty.heapUsed) / n / MB, 3),
    status_req_per_s: round(status.requests.average, 0),
    status_p99_ms: round(status.latency.p99, 2),
    status_non_2xx: status.non2xx,
  };
}

export async function baselineInProcess(ctx: ScenarioContext): Promise<ScenarioOutcome> {
  const n = ctx.opts.sessions;
  const duration = Math.min(ctx.opts.duration, 120);
  const sandbox = await sandboxFor(ctx);

  const empty = await measureEmpty(ctx, sandbox);
  const wagatePairing = await pairAll(ctx, sandbox, n);
  const restored = await restoreAll(ctx, sandbox, n);
  const idle = await measureIdle(restored.gw, n, empty, duration);
  const api = await apiLoad(restored.gw, n, ctx.opts.connections, Math.min(ctx.opts.duration, 10), { statusOnly: true });
  const sends = await wagateSendRate(restored.gw, sandbox, n);
  await stopGateway(ctx, restored.gw);
  const wagate: Figures = {
    sessions: n,
    total_s: restored.figures.total_s!,
    restore_session_p50_ms: restored.figures.restore_session_p50_ms!,
    restore_session_p99_ms: restored.figures.restore_session_p99_ms!,
    timeouts: restored.figures.timeouts!,
    eventloop_p99_ms: restored.figures.eventloop_p99_ms!,
    eventloop_max_ms: restored.figures.eventloop_max_ms!,
    rss_empty_mb: idle.figures.rss_empty_mb!,
    rss_per_session_mb: idle.figures.rss_per_session_mb!,
    heap_per_session_mb: idle.figures.heap_per_session_mb!,
    status_req_per_s: api.status.req_per_s!,
    status_p99_ms: api.status.p99_ms!,
    messages_per_s: sends.messages_per_s!,
    messages_arrived: sends.arrived!,
  };

  const peerPairing = await pairPeer(ctx, sandbox, n);
  const peer = await restorePeer(ctx, sandbox, n, duration);

  const ratio = (a: unknown, b: unknown): number | null => (Number(b) > 0 && Number.isFinite(Number(a)) ? round(Number(a) / Number(b), 2) : null);
  return {
    figures: {
      memory_ratio: ratio(peer.rss_per_session_mb, wagate.rss_per_session_mb),
      heap_ratio: ratio(peer.heap_per_session_mb, wagate.heap_per_session_mb),
      restore_throughput_ratio: ratio(peer.total_s, wagate.total_s),
      eventloop_p99_ratio: ratio(peer.eventloop_p99_ms, wagate.eventloop_p99_ms),
      status_req_per_s_ratio: ratio(wagate.status_req_per_s, peer.status_req_per_s),
      messages_per_s_ratio: ratio(wagate.messages_per_s, peer.messages_per_s),
      rss_per_session_mb: wagate.rss_per_session_mb!,
      peer_rss_per_session_mb: peer.rss_per_session_mb!,
      timeouts: Number(wagate.timeouts) + Number(peer.timeouts),
    },
    runs: [
      { label: 'wagate_pairing', figures: wagatePairing },
      { label: 'wagate', figures: wagate },
      { label: 'peer_pairing', figures: peerPairing },
      { label: 'peer', figures: peer },
    ],
    notes: [
      `peer: ${n} stock sockets (makeWASocket + useMultiFileAuthState, default caches, stock curve) in one plain Node process, all started at once on restore; wagate: one process with its levers`,
      'ratios: above 1 means wagate is better (memory and loop p99: peer / wagate; restore throughput and status req/s: wagate / peer)',
      "the peer's status route is a bare node:http handler (no framework, no auth), a floor for such a peer; wagate's goes through Fastify, auth and its envelope",
      'memory per session is marginal for both: process RSS with N minus the same process empty, after GC',
      `messages/s: ${SENDS_PER_SESSION} texts per session to the next session's phone, 16 in flight, counted when the recipient phone has decrypted them (wagate: POST /messages; peer: sendMessage)`,
    ],
  };
}
