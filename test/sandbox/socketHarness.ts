/**
 * What the two engine generations' test harnesses share: an in-memory Signal
 * key store that round-trips through the engine's BufferJSON like a real
 * store would, and a socket's connection.update stream turned into awaitable
 * steps (QR n, open, close). Each harness passes its own engine's BufferJSON.
 */

export interface BufferJson {
  replacer(key: string, value: unknown): unknown;
  reviver(key: string, value: unknown): unknown;
}

/** The key store both generations accept (their SignalKeyStore get/set). */
export interface MemoryKeyStore {
  get(type: string, ids: string[]): Promise<Record<string, unknown>>;
  set(data: Record<string, Record<string, unknown> | undefined>): Promise<void>;
}

export function memoryKeyStore(json: BufferJson): MemoryKeyStore {
  const store = new Map<string, string>();
  return {
    async get(type, ids) {
      const out: Record<string, unknown> = {};
      for (const id of ids) {
        const raw = store.get(`${type}/${id}`);
        if (raw !== undefined) out[id] = JSON.parse(raw, json.reviver);
      }
      return out;
    },
    async set(data) {
      for (const [type, entries] of Object.entries(data)) {
        for (const [id, value] of Object.entries(entries ?? {})) {
          if (value === null || value === undefined) store.delete(`${type}/${id}`);
          else store.set(`${type}/${id}`, JSON.stringify(value, json.replacer));
        }
      }
    },
  };
}

/** A creds.update applied the way a store would: merged, persisted through JSON. */
export function jsonMerge<T extends object>(json: BufferJson, target: T): (partial: Partial<T>) => void {
  return (partial) => {
    Object.assign(target, JSON.parse(JSON.stringify(partial, json.replacer), json.reviver) as Partial<T>);
  };
}

export interface CloseInfo {
  code: number | undefined;
  message: string;
}

/** The part of a connection.update both generations send. */
export interface ConnectionUpdate {
  qr?: string;
  connection?: string;
  lastDisconnect?: { error?: unknown };
}

/** A socket's connection updates as awaitable steps. */
export class ConnectionSteps {
  readonly qrs: string[] = [];
  opened = false;
  closed: CloseInfo | null = null;
  private readonly waiters: Array<() => void> = [];

  /** Feed every connection.update here. */
  observe(update: ConnectionUpdate): void {
    if (update.qr) this.qrs.push(update.qr);
    if (update.connection === 'open') this.opened = true;
    if (update.connection === 'close') {
      const err = update.lastDisconnect?.error as { output?: { statusCode?: number }; message?: string } | undefined;
      this.closed = { code: err?.output?.statusCode, message: err?.message ?? '' };
    }
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Wait until `predicate` holds (checked after every connection.update). */
  async until<T>(predicate: () => T | undefined | null | false, what: string, timeoutMs = 15_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = predicate();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()) + 1);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The n-th QR (1-based). */
  qr(n = 1): Promise<string> {
    return this.until(() => this.qrs[n - 1], `QR #${n}`);
  }

  open(): Promise<true> {
    return this.until(() => this.opened || (this.closed ? failOpen(this.closed) : false), 'connection open');
  }

  close(timeoutMs?: number): Promise<CloseInfo> {
    return this.until(() => this.closed, 'connection close', timeoutMs);
  }
}

function failOpen(closed: CloseInfo): never {
  throw new Error(`closed before open: ${closed.code} ${closed.message}`);
}
