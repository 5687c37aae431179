/**
 * webhooks: the outbox and dispatcher against a receiver on loopback (in the
 * driver process, answering 204 at once). One gateway process (core + SQLite
 * store, no engine: events are emitted on the bus) with one webhook for
 * every event of `--sessions` sessions (100 unless given, so lanes can run
 * in parallel up to the dispatcher's 64 in flight). Events are
 * `connection.state`, the costliest kind: each is also a history row.
 *
 * - burst: 20 000 events emitted as fast as possible; deliveries/s = events /
 *   time from the first emit to the last arrival.
 * - rate: 1000 events/s for `--duration` seconds (default 10); event →
 *   delivered latency (emit time inside the gateway to arrival at the
 *   receiver, both high-resolution wall clocks on this machine).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Child } from '../lib/rpc.js';
import { percentile, round } from '../lib/stats.js';
import type { Figures } from '../lib/results.js';
import type { Scenario } from './types.js';

const BURST_EVENTS = 20_000;
const RATE_PER_S = 1000;

interface Arrival {
  latencyMs: number;
  at: number;
}

export const webhooksScenario: Scenario = async (ctx) => {
  const sessions = ctx.opts.sessions === 10 ? 100 : ctx.opts.sessions;
  const seconds = ctx.opts.duration === 60 ? 10 : ctx.opts.duration;
  let arrivals: Arrival[] = [];
  let waiting: { n: number; resolve: () => void } | undefined;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.timeOrigin + performance.now();
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data: { t: number } };
      arrivals.push({ latencyMs: at - body.data.t, at });
      res.writeHead(204).end();
      if (waiting && arrivals.length >= waiting.n) waiting.resolve();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const until = (n: number, timeoutMs: number): Promise<void> =>
    new Promise((resolve, reject) => {
      if (arrivals.length >= n) return resolve();
      const timer = setTimeout(() => reject(new Error(`receiver got ${arrivals.length} of ${n} in ${timeoutMs} ms`)), timeoutMs);
      waiting = {
        n,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
    });

  const child = ctx.track(
    Child.start('bench/lib/webhookChild.ts', {
      env: { BENCH_DATA_DIR: ctx.workDir },
      logFile: path.join(ctx.workDir, 'gateway.log'),
      // BENCH_GATEWAY_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the gateway process.
      nodeArgs: process.env.BENCH_GATEWAY_NODE_ARGS?.split(' ').filter(Boolean) ?? [],
    }),
  );
  try {
    await child.call('subscribe', { url }, 60_000);

    // Warm-up (JIT, connection pool), not measured.
    await child.call('burst', { n: 2000, sessions });
    await until(2000, 60_000);
    arrivals = [];

    const cpuBefore = (await child.call<{ cpuMs: number }>('stats')).cpuMs;
    const start = performance.timeOrigin + performance.now();
    await child.call('burst', { n: BURST_EVENTS, sessions });
    await until(BURST_EVENTS, 120_000);
    const end = arrivals[arrivals.length - 1]!.at;
    const burstS = (end - start) / 1000;
    const cpuBurst = (await child.call<{ cpuMs: number }>('stats')).cpuMs - cpuBefore;
    const burstLatency = arrivals.map((a) => a.latencyMs);
    arrivals = [];

    const total = RATE_PER_S * seconds;
    const rate = await child.call<{ sent: number; loopP99Ms: number }>('rate', { perSecond: RATE_PER_S, seconds, sessions });
    await until(total, 60_000);
    const latency = arrivals.map((a) => a.latencyMs);
    const after = await child.call<{ pending: number; outcomes: Record<string, number>; rss: number }>('stats');
    await child.call('stop', {}, 30_000).catch(() => undefined);
    ctx.untrack(child);

    return {
      figures: {
        deliveries_per_s: round(BURST_EVENTS / burstS, 0),
        gateway_cpu_ms_per_delivery: round(cpuBurst / BURST_EVENTS, 3),
        // What one core of gateway CPU delivers, whatever else the machine runs (the receiver shares it too).
        deliveries_per_gateway_cpu_s: round(BURST_EVENTS / (cpuBurst / 1000), 0),
        rate_per_s: RATE_PER_S,
        p50_ms: round(percentile(latency, 50), 2),
        p99_ms: round(percentile(latency, 99), 2),
        max_ms: round(Math.max(...latency), 2),
        gateway_loop_p99_ms: round(rate.loopP99Ms, 2),
        sessions,
        pending_after: after.pending,
        failed: (after.outcomes.failed ?? 0) + (after.outcomes.retry ?? 0),
        rss_mb: round(after.rss / 1024 / 1024, 0),
      },
      runs: <Array<{ label: string; figures: Figures }>>[
        { label: `burst ${BURST_EVENTS}`, figures: { seconds: round(burstS, 2), p50_ms: round(percentile(burstLatency, 50), 1), p99_ms: round(percentile(burstLatency, 99), 1) } },
        { label: `${RATE_PER_S}/s for ${seconds} s`, figures: { sent: rate.sent, p50_ms: round(percentile(latency, 50), 2), p99_ms: round(percentile(latency, 99), 2) } },
      ],
      notes: ['targets: >= 2000 deliveries/s; p99 <= 50 ms at 1000/s (2 cores, one process, SQLite)'],
    };
  } finally {
    server.closeAllConnections();
    server.close();
  }
};
