/**
 * Starts the bench's processes: the sandbox network and the gateway under
 * measurement, each in its own process, talking over loopback.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_RESTORE_CONCURRENCY, DEFAULT_RESTORE_LOOP_DELAY_MS } from '../../src/core/sessions/restorePacer.js';
import { Child, type Notice } from './rpc.js';
import type { BenchEvent, GatewayStats } from './gatewayChild.js';

export const BENCH_ADMIN_KEY = 'wg_bench_admin_key_0123456789abcdef';
export const BENCH_MASTER_KEY = '33'.repeat(32);

export interface SandboxProc {
  child: Child;
  url: string;
  rootPublicKey: string;
  rootSerial: number;
  scan(phone: string, qr: string): Promise<{ jid: string }>;
  stats(): Promise<{ rss: number; cpuMs: number; wallMs: number; connections: number; eventLoopP99Ms: number }>;
  /** Messages these phones received (id, epoch ms of decryption). */
  inbox(phones: string[]): Promise<Array<{ phone: string; id: string; at: number }>>;
  /** A sandbox phone sends a text to a number or a group JID. */
  sendText(phone: string, to: string, text: string): Promise<{ id: string }>;
  /** The groups a phone is in. */
  groupsOf(phone: string): Promise<Array<{ id: string; participants: string[] }>>;
  /** Phones send these texts at once; each sent one's id and the epoch ms just before it was sent. */
  phoneSend(sends: Array<{ from: string; to: string; text: string }>): Promise<Array<{ id: string; at: number }>>;
}

export interface SandboxProcOptions {
  /** Realistic accounts: what each phone pushes to a device it links (SandboxOptions.accountContent). */
  content?: { contacts: number; groups: number; groupSize: number };
}

export async function startSandbox(workDir: string, opts: SandboxProcOptions = {}): Promise<SandboxProc> {
  const child = Child.start('bench/lib/sandboxChild.ts', {
    logFile: path.join(workDir, 'sandbox.log'),
    env: opts.content ? { BENCH_SANDBOX_CONTENT: JSON.stringify(opts.content) } : {},
  });
  await child.waitNotice((n) => n.notice === 'ready', 60_000);
  const info = await child.call<{ url: string; rootPublicKey: string; rootSerial: number }>('info');
  return {
    child,
    ...info,
    scan: (phone, qr) => child.call('scan', { phone, qr }, 60_000),
    stats: () => child.call('stats'),
    inbox: (phones) => child.call('inbox', { phones }, 60_000),
    sendText: (phone, to, text) => child.call('sendText', { phone, to, text }, 60_000),
    groupsOf: (phone) => child.call('groupsOf', { phone }, 60_000),
    phoneSend: (sends) => child.call('phoneSend', { sends }, 60_000),
  };
}

export interface GatewayProcOptions {
  dataDir: string;
  sandbox: SandboxProc;
  fastCurve?: boolean;
  restoreConcurrency?: number;
  restoreLoopDelayMs?: number;
  env?: Record<string, string>;
}

export interface GatewayProc {
  child: Child;
  port: number;
  /** Epoch ms just before startGateway was called in the child. */
  startAt: number;
  startedMs: number;
  events: BenchEvent[];
  onEvent(listener: (event: BenchEvent) => void): () => void;
  stats(): Promise<GatewayStats>;
  gc(): Promise<boolean>;
  resetEventLoop(): Promise<void>;
  /** Event-loop delay between two epoch-ms times. */
  loopDelay(from: number, to: number): Promise<{ p50Ms: number; p99Ms: number; maxMs: number; samples: number }>;
  http<T = unknown>(method: string, url: string, body?: unknown): Promise<{ status: number; body: T }>;
  stop(): Promise<void>;
}

/** V8 flags of `npm start` (package.json), so the bench's gateway runs as production does. */
export const GATEWAY_NODE_ARGS = ['--max-semi-space-size=64'];

export async function startGatewayProc(opts: GatewayProcOptions): Promise<GatewayProc> {
  await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
  const child = Child.start('bench/lib/gatewayChild.ts', {
    logFile: path.join(opts.dataDir, 'gateway.log'),
    // The young generation `npm start` gives production (docs/deployment.md, "Young generation").
    // BENCH_GATEWAY_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the gateway process.
    nodeArgs: ['--expose-gc', ...GATEWAY_NODE_ARGS, ...(process.env.BENCH_GATEWAY_NODE_ARGS?.split(' ').filter(Boolean) ?? [])],
    env: {
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: opts.dataDir,
      WAGATE_API_KEY: BENCH_ADMIN_KEY,
      WAGATE_MASTER_KEY: BENCH_MASTER_KEY,
      WAGATE_SANDBOX: '0',
      // The bench measures; it does not cap: pair adds warm-up and single-connect sessions above N.
      WAGATE_MAX_SESSIONS: '0',
      // Every request of the driver comes from one loopback address: a per-address cap would refuse
      // the bench's own load (sends at a fixed rate keep hundreds of connections open) and measure that.
      WAGATE_MAX_CONNECTIONS_PER_ADDRESS: '0',
      WAGATE_MAX_SSE_STREAMS_PER_ADDRESS: '0',
      WAGATE_WA_URL: opts.sandbox.url,
      WAGATE_RESTORE_CONCURRENCY: String(opts.restoreConcurrency ?? DEFAULT_RESTORE_CONCURRENCY),
      WAGATE_RESTORE_LOOP_DELAY_MS: String(opts.restoreLoopDelayMs ?? DEFAULT_RESTORE_LOOP_DELAY_MS),
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
      BENCH_SANDBOX_ROOT: opts.sandbox.rootPublicKey,
      BENCH_SANDBOX_SERIAL: String(opts.sandbox.rootSerial),
      BENCH_FAST_CURVE: opts.fastCurve === false ? '0' : '1',
      ...opts.env,
    },
  });
  const events: BenchEvent[] = [];
  const listeners = new Set<(event: BenchEvent) => void>();
  child.onNotice((n: Notice) => {
    if (n.notice !== 'events') return;
    for (const event of n.data as BenchEvent[]) {
      events.push(event);
      for (const listener of listeners) listener(event);
    }
  });
  await Promise.race([
    child.waitNotice((n) => n.notice === 'ready', 120_000),
    child.exited.then((code) => {
      throw new Error(`gateway exited during start (${code}); see ${opts.dataDir}/gateway.log`);
    }),
  ]);
  const info = await child.call<{ port: number; startAt: number; startedMs: number }>('info');
  const base = `http://127.0.0.1:${info.port}`;
  return {
    child,
    port: info.port,
    startAt: info.startAt,
    startedMs: info.startedMs,
    events,
    onEvent: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stats: () => child.call('stats'),
    gc: () => child.call('gc'),
    loopDelay: (from, to) => child.call('loopDelay', { from, to }),
    resetEventLoop: async () => {
      await child.call('resetEventLoop');
    },
    http: async <T>(method: string, url: string, body?: unknown) => {
      const res = await fetch(base + url, {
        method,
        headers: {
          authorization: `Bearer ${BENCH_ADMIN_KEY}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
    },
    stop: () => child.stop(60_000),
  };
}

/** Resolves when `predicate` holds for the events seen so far (checked on every new event). */
export function waitForEvents(gw: GatewayProc, predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  if (predicate()) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      off();
      resolve(false);
    }, timeoutMs);
    const off = gw.onEvent(() => {
      if (!predicate()) return;
      clearTimeout(timer);
      off();
      resolve(true);
    });
  });
}
