/**
 * Cluster harness: one standalone sandbox network process
 * (`src/sandbox/main.ts`, as `npm run sandbox:network` runs it), a fresh
 * schema in the local PostgreSQL `test` database, and gateway processes
 * sharing both, each with its own node id.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { spawnGateway, type SpawnedGateway } from './e2e.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface SandboxProcess {
  child: ChildProcess;
  url: string;
  controlUrl: string;
  rootPublicKey: string;
  control<T = any>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T }>;
  stop(): Promise<void>;
}

export async function startSandboxProcess(args: string[] = []): Promise<SandboxProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/sandbox/main.ts', '--port', '0', '--control-port', '0', '--log-level', 'warn', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const ready = await new Promise<{ url: string; controlUrl: string; rootPublicKey: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sandbox did not start:\n${out}`)), 60_000);
    child.stdout!.on('data', () => {
      const m = /SANDBOX_READY (\{.*\})/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(JSON.parse(m[1]!) as { url: string; controlUrl: string; rootPublicKey: string });
      }
    });
    child.once('exit', () => reject(new Error(`sandbox exited:\n${out}`)));
  });
  return {
    child,
    ...ready,
    async control(method, route, body) {
      const res = await fetch(ready.controlUrl + route, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface PgSchema {
  url: string;
  /** Schema-qualified `table`, for queries. */
  table(name: string): string;
  query<T = any>(text: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

/** A fresh schema in the `test` database, so runs never see each other's tables (nor notifications: channels carry the schema). */
export async function freshSchema(): Promise<PgSchema> {
  let base: string | undefined;
  for (const user of ['postgres', 'root']) {
    const url = `postgres://${user}@127.0.0.1:5432/test`;
    const probe = new pg.Client({ connectionString: url });
    try {
      await probe.connect();
      await probe.end();
      base = url;
      break;
    } catch {
      await probe.end().catch(() => undefined);
    }
  }
  if (!base) throw new Error('PostgreSQL at 127.0.0.1:5432 is not reachable');
  const schema = `wagate_cluster_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE SCHEMA "${schema}"`);
  const url = `${base}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  return {
    url,
    table: (name) => `"${schema}".${name}`,
    async query(text, params = []) {
      return (await admin.query(text, params)).rows;
    },
    async drop() {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    },
  };
}

/** One gateway node of the cluster, as its own process. */
export async function spawnNode(nodeId: string, db: PgSchema, sandbox: SandboxProcess, env: Record<string, string> = {}): Promise<SpawnedGateway> {
  const dataDir = await mkdtemp(path.join(tmpdir(), `wagate-node-${nodeId}-`));
  return spawnGateway(
    dataDir,
    {
      DATABASE_URL: db.url,
      WAGATE_NODE_ID: nodeId,
      WAGATE_WA_URL: sandbox.url,
      WAGATE_SANDBOX_ROOT_KEY: sandbox.rootPublicKey,
      ...env,
    },
    { sandbox: false },
  );
}

/** Polls `probe` every `everyMs` until it gives a value (a throw counts as not yet); fails after `timeoutMs`, naming the last error. */
export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const value = await probe().catch((err: unknown) => {
      last = err;
      return undefined;
    });
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen in ${timeoutMs} ms${last ? ` (${String(last)})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
