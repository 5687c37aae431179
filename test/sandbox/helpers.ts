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
  type SignalKeyStore,
  type WASocket,
} from 'baileys';
import { pino } from 'pino';
import type { SandboxNetwork } from '../../src/sandbox/index.js';
import { ConnectionSteps, jsonMerge, memoryKeyStore, type CloseInfo } from './socketHarness.js';

/** Sandbox mode for this test process only: trust the sandbox's root key. */
export function trustSandbox(network: SandboxNetwork): void {
  WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(network.rootPublicKey);
}

export interface MemoryAuth {
  state: AuthenticationState;
  /** Applies a creds.update the way a store would (merge, persisted through JSON). */
  update(partial: Partial<AuthenticationCreds>): void;
}

export function memoryAuth(): MemoryAuth {
  const creds = initAuthCreds();
  // The harness store speaks the engine's key-store shape with looser types.
  const state: AuthenticationState = { creds, keys: memoryKeyStore(BufferJSON) as unknown as SignalKeyStore };
  return { state, update: jsonMerge(BufferJSON, creds) };
}

export type { CloseInfo };

export interface ClientOptions {
  qrTimeout?: number;
  keepAliveIntervalMs?: number;
  /** Media uploads (the sandbox's media host needs a SandboxMediaAgent). */
  fetchAgent?: import('node:https').Agent;
  /** Process the phone's history sync (default off, like the gateway's engine: events flow as soon as the backlog is in). */
  syncHistory?: boolean;
}

/** One Baileys socket, its events turned into awaitable steps. */
export class TestClient extends ConnectionSteps {
  readonly sock: WASocket;

  constructor(network: SandboxNetwork, readonly auth: MemoryAuth, opts: ClientOptions = {}) {
    super();
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
    this.sock.ev.on('connection.update', (update) => this.observe(update));
  }

  get noiseKey(): string {
    return Buffer.from(this.auth.state.creds.noiseKey.public).toString('base64');
  }

  end(): void {
    if (!this.closed) this.sock.end(undefined);
  }
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
