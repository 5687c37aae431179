/**
 * Request/response over the Node IPC channel between the bench driver and
 * its child processes (gateway, sandbox, stock clients), plus one-way
 * notices from the child (events with their timestamps).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';

type Handler = (params: unknown) => unknown;

interface Request {
  rpc: number;
  method: string;
  params: unknown;
}
interface Response {
  rpc: number;
  result?: unknown;
  error?: string;
}
export interface Notice {
  notice: string;
  data: unknown;
}

/** Child side: answer the driver's calls. */
export function serveRpc(handlers: Record<string, Handler>): void {
  process.on('message', (message: Request) => {
    if (typeof message?.rpc !== 'number') return;
    const handler = handlers[message.method];
    void (async () => {
      try {
        if (!handler) throw new Error(`no method ${message.method}`);
        const result = await handler(message.params);
        process.send?.({ rpc: message.rpc, result } satisfies Response);
      } catch (err) {
        process.send?.({ rpc: message.rpc, error: err instanceof Error ? err.message : String(err) } satisfies Response);
      }
    })();
  });
  // The driver going away means the bench is over.
  process.on('disconnect', () => process.exit(0));
}

export function notify(notice: string, data: unknown): void {
  process.send?.({ notice, data } satisfies Notice);
}

const ROOT = path.resolve(import.meta.dirname, '../..');

/** Driver side: one child process and its calls. */
export class Child {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Set<(notice: Notice) => void>();
  readonly exited: Promise<number | null>;

  private constructor(readonly proc: ChildProcess) {
    proc.on('message', (message: Response | Notice) => {
      if ('rpc' in message) {
        const waiter = this.pending.get(message.rpc);
        if (!waiter) return;
        this.pending.delete(message.rpc);
        if (message.error !== undefined) waiter.reject(new Error(message.error));
        else waiter.resolve(message.result);
      } else if ('notice' in message) {
        for (const listener of this.listeners) listener(message);
      }
    });
    this.exited = new Promise((resolve) =>
      proc.once('exit', (code) => {
        for (const waiter of this.pending.values()) waiter.reject(new Error(`child exited (${code})`));
        this.pending.clear();
        resolve(code);
      }),
    );
  }

  /** Fork `script` (relative to the repo root), with tsx unless told not to; its output goes to `logFile`. */
  static start(script: string, opts: { env?: Record<string, string>; logFile: string; nodeArgs?: string[]; tsx?: boolean }): Child {
    const proc = fork(path.join(ROOT, script), [], {
      cwd: ROOT,
      env: { ...process.env, ...opts.env },
      execArgv: [...(opts.tsx === false ? [] : ['--import', 'tsx']), ...(opts.nodeArgs ?? [])],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const log = createWriteStream(opts.logFile, { flags: 'a' });
    proc.stdout!.pipe(log);
    proc.stderr!.pipe(log);
    return new Child(proc);
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  call<T>(method: string, params: unknown = {}, timeoutMs = 600_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.proc.send({ rpc: id, method, params } satisfies Request);
    });
  }

  onNotice(listener: (notice: Notice) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Wait for a notice matching `predicate`. */
  waitNotice(predicate: (notice: Notice) => boolean, timeoutMs: number): Promise<Notice> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`notice not seen in ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.onNotice((n) => {
        if (!predicate(n)) return;
        clearTimeout(timer);
        off();
        resolve(n);
      });
    });
  }

  /** Ask politely ('stop' call), then SIGKILL after graceMs. */
  async stop(graceMs = 15_000): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const killer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await this.call('stop', {}, graceMs).catch(() => undefined);
    if (this.proc.connected) this.proc.disconnect();
    // Bounded: a child that is gone but never reported its exit must not hang the run.
    let bound: NodeJS.Timeout | undefined;
    await Promise.race([this.exited, new Promise<void>((resolve) => (bound = setTimeout(resolve, graceMs + 5_000)))]);
    clearTimeout(bound);
    clearTimeout(killer);
  }
}
