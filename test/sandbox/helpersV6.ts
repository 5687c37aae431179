/**
 * Test harness for the previous engine generation: an unmodified
 * @whiskeysockets/baileys 6 socket (CommonJS, dictionary version 2, intro
 * `WA 06 02`) against a SandboxNetwork, with an in-memory auth state that
 * round-trips through its BufferJSON like a real store would. Version 6
 * checks only the intermediate certificate's issuer serial (0), so it needs
 * no root key to trust.
 */
import { createRequire } from 'node:module';
import type { AuthenticationCreds, AuthenticationState, SignalKeyStore } from '@whiskeysockets/baileys';
import { pino } from 'pino';
import type { SandboxNetwork } from '../../src/sandbox/index.js';
import { ConnectionSteps, jsonMerge, memoryKeyStore, type CloseInfo } from './socketHarness.js';

// CommonJS with `__esModule`: a default import would be its makeWASocket, so load the exports object itself.
const v6 = createRequire(import.meta.url)('@whiskeysockets/baileys') as typeof import('@whiskeysockets/baileys');
const { BufferJSON, Browsers, initAuthCreds, makeWASocket } = v6;
export type WASocketV6 = ReturnType<typeof makeWASocket>;

export interface MemoryAuthV6 {
  state: AuthenticationState;
  update(partial: Partial<AuthenticationCreds>): void;
}

export function memoryAuthV6(): MemoryAuthV6 {
  const creds = initAuthCreds();
  // The harness store speaks the engine's key-store shape with looser types.
  const state: AuthenticationState = { creds, keys: memoryKeyStore(BufferJSON) as unknown as SignalKeyStore };
  return { state, update: jsonMerge(BufferJSON, creds) };
}

/** The same account as a new process would load it: creds through JSON, the same key store. */
export function reloadedAuthV6(saved: MemoryAuthV6): MemoryAuthV6 {
  const creds = JSON.parse(JSON.stringify(saved.state.creds, BufferJSON.replacer), BufferJSON.reviver) as AuthenticationCreds;
  return { state: { creds, keys: saved.state.keys }, update: jsonMerge(BufferJSON, creds) };
}

export type CloseInfoV6 = CloseInfo;

/** One version 6 socket, its events turned into awaitable steps. */
export class TestClientV6 extends ConnectionSteps {
  readonly sock: WASocketV6;

  constructor(url: string | SandboxNetwork, readonly auth: MemoryAuthV6) {
    super();
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
    this.sock.ev.on('connection.update', (update) => this.observe(update));
  }

  end(): void {
    if (!this.closed) this.sock.end(undefined);
  }
}
