/**
 * The Baileys engine: implements src/engine/types.ts with baileys@7.0.0-rc14.
 * Nothing Baileys-specific crosses that interface.
 */
import type { Agent as HttpsAgent } from 'node:https';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import type { Engine, EngineConnectOptions, EngineConnection } from '../types.js';
import { loadAuthState } from './authState.js';
import { makeBaileysLogger } from './baileysLogger.js';
import { BaileysConnection, generateMessageId } from './connection.js';
import { CredentialPool } from './credentialPool.js';
import { silenceLibsignalConsole } from './libsignalConsole.js';
import { createKeyCache } from './keyCache.js';
import { createSharedCaches, type SharedCaches } from './sharedCaches.js';

export { trustSandboxRoot } from './sandboxTrust.js';
export { installFastCurve } from './fastCurve.js';
export { SandboxMediaAgent, sandboxMediaDispatcher } from './sandboxMedia.js';

export interface BaileysEngineOptions {
  /** WebSocket URL of the WhatsApp edge; the sandbox gives `ws://127.0.0.1:<port>/ws/chat`. */
  socketUrl?: string;
  logger: Logger;
  /** Lifetime of each QR ref (default: 60 s for the first, 20 s for the next ones). */
  qrTimeoutMs?: number;
  keepAliveIntervalMs?: number;
  connectTimeoutMs?: number;
  /** Sandbox mode only: the agent media uploads go through (a SandboxMediaAgent, see sandboxMedia.ts). */
  mediaAgent?: HttpsAgent;
  /** Media downloads' dispatcher; with mediaAgent, what sandbox mode sets. */
  mediaDispatcher?: Dispatcher;
  /** Levers the benchmark switches off to measure them (both default on). */
  sharedAsyncStorage?: boolean;
  sharedCaches?: boolean;
}

export class BaileysEngine implements Engine {
  readonly name = 'baileys';
  /** Bounded caches shared by every socket of this engine (see sharedCaches.ts). */
  private readonly caches: SharedCaches = createSharedCaches();
  /** New sessions' credentials, made while idle (see credentialPool.ts). */
  private readonly credentials = new CredentialPool();
  /** Auth states loaded so far: each one's key cache scope. */
  private loads = 0;

  constructor(private readonly options: BaileysEngineOptions) {
    silenceLibsignalConsole(options.logger);
  }

  newMessageId(): string {
    return generateMessageId();
  }

  async connect(opts: EngineConnectOptions): Promise<EngineConnection> {
    // A fresh cache scope per load: a session that logged out and paired again never sees its old keys.
    const keyCache = this.options.sharedCaches === false ? undefined : createKeyCache(this.caches.signalKeys, `${opts.sessionId}\u0000${++this.loads}`);
    const auth = await loadAuthState(opts.auth, () => this.credentials.take(), keyCache);
    const { socketUrl, qrTimeoutMs, keepAliveIntervalMs, connectTimeoutMs, mediaAgent, mediaDispatcher } = this.options;
    const connection = new BaileysConnection(
      opts,
      auth,
      {
        socketUrl,
        qrTimeoutMs,
        keepAliveIntervalMs,
        connectTimeoutMs,
        mediaAgent,
        mediaDispatcher,
        caches: this.options.sharedCaches === false ? null : this.caches,
        sharedAsyncStorage: this.options.sharedAsyncStorage !== false,
      },
      makeBaileysLogger(opts.logger),
    );
    connection.start();
    return connection;
  }
}
