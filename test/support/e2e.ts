/**
 * End-to-end harness: a real gateway (real Baileys engine, real store) in
 * sandbox mode, on loopback, driven through its HTTP API — in this process
 * (`startE2E`) or as a child process that can be stopped, killed with
 * SIGKILL and started again on the same data dir (`spawnGateway`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config.js';
import { startGateway, type GatewayOverrides, type RunningGateway } from '../../src/gateway.js';
import type { GatewayEvent } from '../../src/core/model.js';
import { eachSseData } from './sseData.js';

export const E2E_ADMIN_KEY = 'wg_e2e_admin_key_abcdefghijklmnop';
export const E2E_MASTER_KEY = '22'.repeat(32);
const ROOT = path.resolve(import.meta.dirname, '../..');

/** Fast timings so the suite stays short: short QR refs, quick keepalive and backoff. */
export const FAST: GatewayOverrides = {
  engine: { qrTimeoutMs: 4_000, keepAliveIntervalMs: 3_000, connectTimeoutMs: 5_000 },
  sandbox: { qrRefTtlMs: 4_000 },
  backoff: { baseMs: 100, maxMs: 1_000 },
  sseHeartbeatMs: 1_000,
};

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

export class GatewayClient {
  constructor(
    readonly baseUrl: string,
    readonly key: string = E2E_ADMIN_KEY,
  ) {}

  async call<T = any>(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    const res = await fetch(this.baseUrl + url, {
      method,
      headers: {
        authorization: `Bearer ${this.key}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  get<T = any>(url: string): Promise<ApiResponse<T>> {
    return this.call<T>('GET', url);
  }

  post<T = any>(url: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    return this.call<T>('POST', url, body, headers);
  }

  async status(sessionId: string): Promise<any> {
    return (await this.get(`/api/v1/sessions/${sessionId}/status`)).body.data;
  }

  /** Poll the status until `predicate` holds. */
  async waitFor(sessionId: string, predicate: (status: any) => boolean, timeoutMs = 20_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    let last: any;
    while (Date.now() < deadline) {
      last = await this.status(sessionId).catch(() => undefined);
      if (last && predicate(last)) return last;
      await sleep(50);
    }
    throw new Error(`session ${sessionId} did not reach the expected status in ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
  }

  waitForState(sessionId: string, state: string, timeoutMs = 20_000): Promise<any> {
    return this.waitFor(sessionId, (s) => s.state === state, timeoutMs);
  }

  /** Wait for a live QR and return its payload. */
  async qr(sessionId: string, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await this.get(`/api/v1/sessions/${sessionId}/auth/qr`);
      if (res.status === 200) return res.body.data.qr as string;
      if (Date.now() > deadline) throw new Error(`no QR for ${sessionId}: ${res.status} ${JSON.stringify(res.body)}`);
      await sleep(50);
    }
  }

  /** Subscribe to SSE; returns the collected events and a stop function. */
  events(url: string): { events: GatewayEvent[]; close: () => void; waitFor: (p: (e: GatewayEvent) => boolean, ms?: number) => Promise<GatewayEvent> } {
    const events: GatewayEvent[] = [];
    const controller = new AbortController();
    const waiters: Array<{ p: (e: GatewayEvent) => boolean; resolve: (e: GatewayEvent) => void }> = [];
    void (async () => {
      const res = await fetch(this.baseUrl + url, {
        headers: { authorization: `Bearer ${this.key}`, accept: 'text/event-stream' },
        signal: controller.signal,
      });
      await eachSseData(res.body!, (data) => {
        const event = JSON.parse(data) as GatewayEvent;
        // A stream's snapshot of the current state is not an event.
        if (String(event.type).endsWith('.snapshot')) return;
        events.push(event);
        for (const w of [...waiters]) {
          if (w.p(event)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(event);
          }
        }
      });
    })().catch(() => undefined);
    return {
      events,
      close: () => controller.abort(),
      waitFor: (p, ms = 20_000) => {
        const found = events.find(p);
        if (found) return Promise.resolve(found);
        return new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`event not seen in ${ms} ms; saw ${events.map((e) => e.type).join(',')}`)), ms);
          waiters.push({
            p,
            resolve: (e) => {
              clearTimeout(timer);
              resolve(e);
            },
          });
        });
      },
    };
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export interface E2E {
  gateway: RunningGateway;
  client: GatewayClient;
  dataDir: string;
  close(): Promise<void>;
}

const quiet = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** A sandbox-mode gateway in this process on a random port. */
export async function startE2E(opts: { overrides?: GatewayOverrides; env?: Record<string, string>; dataDir?: string } = {}): Promise<E2E> {
  const dataDir = opts.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'wagate-e2e-')));
  const config = loadConfig(
    {
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      WAGATE_API_KEY: E2E_ADMIN_KEY,
      WAGATE_MASTER_KEY: E2E_MASTER_KEY,
      WAGATE_SANDBOX: '1',
      ...opts.env,
    },
    [],
  );
  const gateway = await startGateway(config, quiet, { ...FAST, ...opts.overrides });
  const client = new GatewayClient(`http://127.0.0.1:${gateway.port}`);
  return {
    gateway,
    client,
    dataDir,
    close: async () => {
      await gateway.stop();
      if (!opts.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface SpawnedGateway {
  child: ChildProcess;
  client: GatewayClient;
  output: () => string;
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: no shutdown at all. */
  kill(): Promise<void>;
}

/** The gateway as its own process (`src/main.ts --sandbox`), as a user runs it. */
export async function spawnGateway(
  dataDir: string,
  env: Record<string, string> = {},
  opts: { sandbox?: boolean; argv?: string[] } = {},
): Promise<SpawnedGateway> {
  // sandbox false: no built-in sandbox (the caller runs one and passes WAGATE_WA_URL and WAGATE_SANDBOX_ROOT_KEY).
  // argv: another way in, e.g. the command line: ['bin/wagate.js', 'sandbox'].
  const args = opts.argv ?? ['--import', 'tsx', 'src/main.ts', ...(opts.sandbox === false ? [] : ['--sandbox'])];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      WAGATE_API_KEY: E2E_ADMIN_KEY,
      WAGATE_MASTER_KEY: E2E_MASTER_KEY,
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start in 60 s:\n${out}`)), 60_000);
    const onData = (): void => {
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on('data', onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`gateway exited during start:\n${out}`));
    });
  });
  return {
    child,
    client: new GatewayClient(`http://127.0.0.1:${port}`),
    output: () => out,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
