/**
 * Test harness: an unmodified Baileys socket against a SandboxNetwork, with
 * an in-memory auth state that round-trips through BufferJSON like a real
 * store would.
 */
import {
  BufferJSON,
  Browsers,
  initAuthCreds,
  makeWASocket,
  WA_CERT_DETAILS,
  type AuthenticationCreds,
  type AuthenticationState,
  type SignalDataSet,
  type SignalDataTypeMap,
  type WASocket,
} from 'baileys';
import { pino } from 'pino';
import type { SandboxNetwork } from '../../src/sandbox/index.js';

/** Sandbox mode for this test process only: trust the sandbox's root key. */
export function trustSandbox(network: SandboxNetwork): void {
  WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(network.rootPublicKey);
}

export interface MemoryAuth {
  state: AuthenticationState;
  /** Applies a creds.update the way a store would (merge, persisted through JSON). */
  update(partial: Partial<AuthenticationCreds>): void;
}

const roundTrip = <T>(value: T): T => JSON.parse(JSON.stringify(value, BufferJSON.replacer), BufferJSON.reviver) as T;

export function memoryAuth(): MemoryAuth {
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
  return {
    state,
    update: (partial) => Object.assign(creds, roundTrip(partial)),
  };
}

export interface CloseInfo {
  code: number | undefined;
  message: string;
}

export interface ClientOptions {
  qrTimeout?: number;
  keepAliveIntervalMs?: number;
  /** Media uploads (the sandbox's media host needs a SandboxMediaAgent). */
  fetchAgent?: import('node:https').Agent;
  /** Process the phone's history sync (default off, like the gateway's engine: events flow as soon as the backlog is in). */
  syncHistory?: boolean;
}

/** One Baileys socket, its events turned into awaitable steps. */
export class TestClient {
  readonly sock: WASocket;
  readonly qrs: string[] = [];
  opened = false;
  closed: CloseInfo | null = null;
  private readonly waiters: Array<() => void> = [];

  constructor(network: SandboxNetwork, readonly auth: MemoryAuth, opts: ClientOptions = {}) {
    this.sock = makeWASocket({
      waWebSocketUrl: network.url,
      auth: auth.state,
      logger: pino({ level: process.env.BAILEYS_LOG ?? 'silent' }),
      browser: Browsers.macOS('Chrome'),
      qrTimeout: opts.qrTimeout,
      keepAliveIntervalMs: opts.keepAliveIntervalMs ?? 30_000,
      connectTimeoutMs: 10_000,
      defaultQueryTimeoutMs: 10_000,
      markOnlineOnConnect: false,
      syncFullHistory: false,
      ...(opts.fetchAgent ? { fetchAgent: opts.fetchAgent } : {}),
      shouldSyncHistoryMessage: () => opts.syncHistory === true,
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

  get noiseKey(): string {
    return Buffer.from(this.auth.state.creds.noiseKey.public).toString('base64');
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

  end(): void {
    if (!this.closed) this.sock.end(undefined);
  }
}

function failOpen(closed: CloseInfo): never {
  throw new Error(`closed before open: ${closed.code} ${closed.message}`);
}

/** Pair a fresh auth state by QR and come back logged in; returns the open client. */
export async function pairByQr(network: SandboxNetwork, phone: string, auth = memoryAuth(), opts: ClientOptions = {}) {
  const first = new TestClient(network, auth, opts);
  const device = await network.scan(phone, await first.qr());
  const restart = await first.close();
  const client = new TestClient(network, auth, opts);
  await client.open();
  return { device, restart, client, auth };
}
