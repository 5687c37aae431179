/**
 * Test harness for the previous engine generation: an unmodified
 * @whiskeysockets/baileys 6 socket (CommonJS, dictionary version 2, intro
 * `WA 06 02`) against a SandboxNetwork, with an in-memory auth state that
 * round-trips through its BufferJSON like a real store would. Version 6
 * checks only the intermediate certificate's issuer serial (0), so it needs
 * no root key to trust.
 */
import { createRequire } from 'node:module';
import type { AuthenticationCreds, AuthenticationState, SignalDataSet, SignalDataTypeMap } from '@whiskeysockets/baileys';
import { pino } from 'pino';
import type { SandboxNetwork } from '../../src/sandbox/index.js';

// CommonJS with `__esModule`: a default import would be its makeWASocket, so load the exports object itself.
const v6 = createRequire(import.meta.url)('@whiskeysockets/baileys') as typeof import('@whiskeysockets/baileys');
const { BufferJSON, Browsers, initAuthCreds, makeWASocket } = v6;
export type WASocketV6 = ReturnType<typeof makeWASocket>;

export interface MemoryAuthV6 {
  state: AuthenticationState;
  update(partial: Partial<AuthenticationCreds>): void;
}

const roundTrip = <T>(value: T): T => JSON.parse(JSON.stringify(value, BufferJSON.replacer), BufferJSON.reviver) as T;

export function memoryAuthV6(): MemoryAuthV6 {
  const creds = initAuthCreds();
  const store = new Map<string, string>();
  const state: AuthenticationState = {
    creds,
    keys: {
      get: async <T extends keyof SignalDataTypeMap>(type: T, ids: string[]) => {
        const out: { [id: string]: SignalDataTypeMap[T] } = {};
        for (const id of ids) {
          const raw = store.get(`${type}/${id}`);
          if (raw !== undefined) out[id] = JSON.parse(raw, BufferJSON.reviver) as SignalDataTypeMap[T];
        }
        return out;
      },
      set: async (data: SignalDataSet) => {
        for (const [type, entries] of Object.entries(data)) {
          for (const [id, value] of Object.entries(entries ?? {})) {
            if (value === null || value === undefined) store.delete(`${type}/${id}`);
            else store.set(`${type}/${id}`, JSON.stringify(value, BufferJSON.replacer));
          }
        }
      },
    },
  };
  return { state, update: (partial) => Object.assign(creds, roundTrip(partial)) };
}

/** The same account as a new process would load it: creds through JSON, the same key store. */
export function reloadedAuthV6(saved: MemoryAuthV6): MemoryAuthV6 {
  const creds = roundTrip(saved.state.creds);
  return { state: { creds, keys: saved.state.keys }, update: (partial) => Object.assign(creds, roundTrip(partial)) };
}

export interface CloseInfoV6 {
  code: number | undefined;
  message: string;
}

/** One version 6 socket, its events turned into awaitable steps. */
export class TestClientV6 {
  readonly sock: WASocketV6;
  readonly qrs: string[] = [];
  opened = false;
  closed: CloseInfoV6 | null = null;
  private readonly waiters: Array<() => void> = [];

  constructor(url: string | SandboxNetwork, readonly auth: MemoryAuthV6) {
    this.sock = makeWASocket({
      waWebSocketUrl: typeof url === 'string' ? url : url.url,
      auth: auth.state,
      logger: pino({ level: process.env.BAILEYS_LOG ?? 'silent' }) as never,
      browser: Browsers.macOS('Chrome'),
      printQRInTerminal: false,
      keepAliveIntervalMs: 30_000,
      connectTimeoutMs: 10_000,
      defaultQueryTimeoutMs: 10_000,
      markOnlineOnConnect: false,
      syncFullHistory: false,
    });
    this.sock.ev.on('creds.update', (update) => auth.update(update));
    this.sock.ev.on('connection.update', (update) => {
      if (update.qr) this.qrs.push(update.qr);
      if (update.connection === 'open') this.opened = true;
      if (update.connection === 'close') {
        const err = update.lastDisconnect?.error as { output?: { statusCode?: number }; message?: string } | undefined;
        this.closed = { code: err?.output?.statusCode, message: err?.message ?? '' };
      }
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

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

  qr(n = 1): Promise<string> {
    return this.until(() => this.qrs[n - 1], `QR #${n}`);
  }

  open(): Promise<true> {
    return this.until(() => this.opened || (this.closed ? failOpen(this.closed) : false), 'connection open');
  }

  close(timeoutMs?: number): Promise<CloseInfoV6> {
    return this.until(() => this.closed, 'connection close', timeoutMs);
  }

  end(): void {
    if (!this.closed) this.sock.end(undefined);
  }
}

function failOpen(closed: CloseInfoV6): never {
  throw new Error(`closed before open: ${closed.code} ${closed.message}`);
}
