/**
 * One logical WhatsApp connection of one session, over Baileys sockets.
 *
 * A Baileys socket lives from one connect to one close. After a successful
 * pairing WhatsApp ends the stream with 515 (restart required); this class
 * then opens a new socket with the same auth state and reports `restarting`,
 * so the core sees one connection. Every other close is final and reported
 * as `close`: the reconnect policy (backoff, conflict, logged out) belongs to
 * the core, not here.
 *
 * Longer than most modules (~540 lines) on purpose: the socket's whole life —
 * 515 restarts, the pairing-code quirks, the close grace — reads best in one
 * place. Messaging lives in socketMessaging.ts.
 */
import { randomBytes } from 'node:crypto';
import makeWASocket, { getBinaryNodeChild, type BinaryNode, type ConnectionState } from 'baileys';
import type { Agent as HttpsAgent } from 'node:https';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import type WebSocket from 'ws';
import { EngineError } from '../errors.js';
import type {
  EngineConnection,
  EngineConnectOptions,
  EngineEvent,
  EngineGroup,
  EngineIdentity,
  EngineNumberCheck,
  OutgoingContent,
  PresenceState,
  SendOptions,
} from '../types.js';
import type { BaileysAuth } from './authState.js';
import type { BaileysLogger } from './baileysLogger.js';
import { withSharedAsyncStorage } from './sharedAsyncStorage.js';
import { SocketMessaging } from './socketMessaging.js';
import { BoundedCache, scopeCache, type SharedCaches } from './sharedCaches.js';

type WASocket = ReturnType<typeof makeWASocket>;
type Listener = (event: EngineEvent) => void;

export interface ConnectionSettings {
  socketUrl?: string;
  qrTimeoutMs?: number;
  keepAliveIntervalMs?: number;
  connectTimeoutMs?: number;
  /** Sandbox mode: media uploads through this agent (Baileys' fetchAgent). */
  mediaAgent?: HttpsAgent;
  /** Media downloads' dispatcher (sandbox mode: plain HTTP to the loopback media host). */
  mediaDispatcher?: Dispatcher;
  /** null: each socket builds its own caches, as stock Baileys does (the benchmark's "off" setting). */
  caches: SharedCaches | null;
  /** Create each socket's AsyncLocalStorage as a view over one shared storage (sharedAsyncStorage.ts). */
  sharedAsyncStorage: boolean;
}

const RESTART_REQUIRED = 515;
const LOGGED_OUT = 401;
/** Several 515s in a row without ever opening means the server is looping us: give up. */
const MAX_CONSECUTIVE_RESTARTS = 5;
/** requestPairingCode needs the server's pair-device first (the first QR). */
const PAIRING_CODE_WAIT_MS = 10_000;
/** How long close() lets the server answer the WebSocket close before cutting the line. */
const CLOSE_GRACE_MS = 1_000;
const WRONG_CODE_REASON = 'The code entered on the phone did not match';

function closeCodeOf(error: unknown): number {
  const status = (error as { output?: { statusCode?: unknown } } | undefined)?.output?.statusCode;
  return typeof status === 'number' ? status : 500;
}

function reasonOf(error: unknown): string {
  return error instanceof Error && error.message ? error.message : 'Connection closed';
}

/** Baileys keeps the raw `ws` socket protected; close() needs it to cut a line whose peer went silent. */
function rawSocketOf(sock: WASocket): WebSocket | null {
  return (sock.ws as unknown as { socket: WebSocket | null }).socket;
}

export class BaileysConnection implements EngineConnection {
  readonly noiseKey: string;

  private readonly listeners = new Set<Listener>();
  /** Events raised before anyone subscribed; replayed to the first listener. */
  private backlog: EngineEvent[] | null = [];
  private readonly waiters = new Set<() => void>();
  private readonly log: Logger;

  private sock: WASocket | null = null;
  /** Recently sent messages (shared, bounded), for retry receipts. */
  private readonly recentSent: BoundedCache;
  private readonly messaging: SocketMessaging;
  private generation = 0;
  private qrSeen = false;
  private open = false;
  private consecutiveRestarts = 0;
  /** Epoch ms of the last frame from WhatsApp on any of this connection's sockets. */
  private lastFrame: number | null = null;

  /** close() was called: silent from now on. */
  private stopped = false;
  /** The final `close` was emitted (or close() finished). */
  private ended = false;
  private loggingOut = false;
  private pairingCodeOutstanding = false;
  /** The adv secret the QR codes carry; Baileys overwrites it while trying a pairing code. */
  private qrAdvSecret: string | null = null;

  private resolveEnded!: () => void;
  private readonly endedSignal = new Promise<void>((resolve) => {
    this.resolveEnded = resolve;
  });

  constructor(
    private readonly opts: EngineConnectOptions,
    private readonly auth: BaileysAuth,
    private readonly settings: ConnectionSettings,
    private readonly baileysLogger: BaileysLogger,
  ) {
    this.log = opts.logger;
    this.noiseKey = Buffer.from(auth.state.creds.noiseKey.public).toString('base64');
    this.recentSent = settings.caches?.recentSent ?? new BoundedCache(1_000, 24 * 60 * 60_000);
    this.messaging = new SocketMessaging(() => this.requireOpen(), (id) => `${opts.sessionId}\u0000${id}`, this.recentSent, settings.mediaDispatcher);
  }

  // ---- EngineConnection -------------------------------------------------

  on(listener: Listener): () => void {
    this.listeners.add(listener);
    const backlog = this.backlog;
    if (backlog) {
      this.backlog = null;
      // Replay after on() returns so the caller holds its unsubscribe first.
      queueMicrotask(() => {
        for (const event of backlog) this.deliver(event);
      });
    }
    return () => {
      this.listeners.delete(listener);
    };
  }

  async requestPairingCode(phoneNumber: string): Promise<string> {
    if (!/^\d{7,15}$/.test(phoneNumber)) {
      throw new EngineError('INVALID_ADDRESS', 'The phone number must be 7 to 15 digits (E.164 without "+")');
    }
    this.assertRunning();
    if (this.auth.state.creds.account) throw new EngineError('ALREADY_PAIRED', 'The connection is already linked to an account');

    const ready = await this.waitUntil(() => this.qrSeen || this.isFinished(), PAIRING_CODE_WAIT_MS);
    this.assertRunning();
    const sock = this.sock;
    if (!ready || !sock || !this.qrSeen) {
      throw new EngineError('TIMEOUT', 'WhatsApp did not offer pairing in time; try again');
    }
    // Set before sending: the server's answer may race the send callback.
    const wasOutstanding = this.pairingCodeOutstanding;
    this.pairingCodeOutstanding = true;
    try {
      const code = await sock.requestPairingCode(phoneNumber);
      this.log.info('pairing code requested');
      return code;
    } catch (err) {
      this.pairingCodeOutstanding = wasOutstanding;
      throw new EngineError('FAILED', 'Could not request a pairing code', { cause: err });
    }
  }

  async logout(): Promise<void> {
    this.assertRunning();
    this.loggingOut = true;
    const paired = Boolean(this.auth.state.creds.account);
    // Mid-restart the new socket is still logging in; give it the chance to
    // carry the unlink to WhatsApp instead of only forgetting locally.
    if (paired && !this.open) {
      await this.waitUntil(() => this.open || this.isFinished(), this.settings.connectTimeoutMs ?? 20_000);
    }
    const sock = this.sock;
    if (this.isFinished() || !sock) return this.endedSignal;
    if (paired && this.open) {
      try {
        await sock.logout();
      } catch (err) {
        this.log.warn({ err }, 'could not send the unlink request; closing locally');
        this.endInBackground(sock);
      }
    } else {
      if (paired) this.log.warn('not connected: the device is forgotten locally but may still be listed on the phone');
      this.endInBackground(sock);
    }
    return this.endedSignal;
  }

  async close(): Promise<void> {
    if (this.stopped || this.ended) {
      this.stopped = true;
      return this.endedSignal;
    }
    this.stopped = true;
    this.notifyWaiters();
    const sock = this.sock;
    if (sock) await this.endSocket(sock);
    this.finish();
  }

  async groups(): Promise<Array<{ id: string; subject: string; participants: number }>> {
    const sock = this.requireOpen();
    try {
      const all = await sock.groupFetchAllParticipating();
      return Object.values(all).map((g) => ({
        id: g.id,
        subject: g.subject ?? '',
        participants: Array.isArray(g.participants) ? g.participants.length : 0,
      }));
    } catch (err) {
      throw new EngineError('FAILED', 'Could not fetch the groups', { cause: err });
    }
  }

  async sendText(to: string, text: string): Promise<string> {
    const { messageId } = await this.send(to, { type: 'text', text }, { messageId: generateMessageId() });
    return messageId;
  }

  send(to: string, content: OutgoingContent, options: SendOptions): Promise<{ messageId: string; timestamp: number }> {
    return this.messaging.send(toJid(to), content, options);
  }

  checkNumbers(numbers: string[]): Promise<EngineNumberCheck[]> {
    return this.messaging.checkNumbers(numbers.map((n) => ({ number: n, jid: toJid(n) })));
  }

  downloadMedia(mediaRef: string): Promise<Buffer> {
    return this.messaging.downloadMedia(mediaRef);
  }

  groupMetadata(groupJid: string): Promise<EngineGroup> {
    return this.messaging.groupMetadata(groupJid);
  }

  markRead(chatJid: string, messages: Array<{ id: string; participant?: string | null; fromMe?: boolean }>): Promise<void> {
    return this.messaging.markRead(chatJid, messages);
  }

  sendPresence(state: PresenceState, chatJid: string | null): Promise<void> {
    return this.messaging.sendPresence(state, chatJid);
  }

  lastFrameAt(): number | null {
    return this.lastFrame;
  }

  // ---- socket lifecycle -------------------------------------------------

  /** Opens a (new) socket with the connection's auth state. */
  start(): void {
    const generation = ++this.generation;
    this.qrSeen = false;
    this.open = false;
    let qrCount = 0;
    const { settings, opts } = this;
    const sessionId = opts.sessionId;

    let sock: WASocket;
    try {
      const config: Parameters<typeof makeWASocket>[0] = {
        ...(settings.socketUrl !== undefined ? { waWebSocketUrl: settings.socketUrl } : {}),
        ...(settings.keepAliveIntervalMs !== undefined ? { keepAliveIntervalMs: settings.keepAliveIntervalMs } : {}),
        // Baileys wraps every frame it writes (and each handshake read) in a timeout of connectTimeoutMs:
        // two stack captures, a timer and a Boom per frame, ~6 % of a received message's CPU. 0 skips it;
        // the timeout that matters, connect and handshake, is the watchdog below.
        connectTimeoutMs: 0,
        ...(settings.qrTimeoutMs !== undefined ? { qrTimeout: settings.qrTimeoutMs } : {}),
        ...(settings.mediaAgent ? { fetchAgent: settings.mediaAgent } : {}),
        auth: this.auth.state,
        logger: this.baileysLogger,
        // The phone lists the device as "<browser> (wagate)".
        browser: ['wagate', opts.deviceBrowser, '1.0'],
        markOnlineOnConnect: false,
        syncFullHistory: false,
        shouldSyncHistoryMessage: () => false,
        generateHighQualityLinkPreview: false,
        // Answers a recipient's retry receipt with the message it could not decrypt.
        getMessage: async (key) => (key.id ? this.messaging.recent(key.id) : undefined),
        // Baileys' MessageRetryManager (retry counts, session re-creation, base-key checks, delayed
        // phone requests, a cache of 512 sent messages) builds four LRU caches per socket, two of
        // them pre-sized: ~0.3 ms of CPU and ~60 KB per socket, 3.5 % of a connect burst. A socket
        // without `me` sends a registration, not a login (Baileys' validateConnection): it can only
        // pair, and WhatsApp ends it with 515 right after, so it never sends, receives or answers a
        // retry. Such sockets go without the manager; every socket that logs in (`me` set, including
        // the one opened after a pairing) keeps the stock retry handling unchanged.
        enableRecentMessageCache: this.auth.state.creds.me !== undefined,
        ...(settings.caches
          ? {
              msgRetryCounterCache: scopeCache(settings.caches.msgRetryCounter, sessionId),
              callOfferCache: scopeCache(settings.caches.callOffer, sessionId),
              userDevicesCache: scopeCache(settings.caches.userDevices, sessionId),
              placeholderResendCache: scopeCache(settings.caches.placeholderResend, sessionId),
            }
          : {}),
      };
      sock = settings.sharedAsyncStorage ? withSharedAsyncStorage(() => makeWASocket(config)) : makeWASocket(config);
    } catch (err) {
      this.log.error({ err }, 'could not create the WhatsApp socket');
      this.finalClose(500, reasonOf(err), false);
      return;
    }
    this.sock = sock;
    // Until the first QR or the login: a server that accepts and then says nothing ends as a 408.
    const watchdog = setTimeout(() => {
      if (generation !== this.generation || this.open || qrCount > 0) return;
      this.log.warn('no answer from WhatsApp while connecting; closing');
      this.endInBackground(sock, Object.assign(new Error('Timed Out'), { output: { statusCode: 408 } }));
    }, settings.connectTimeoutMs ?? 20_000);
    watchdog.unref();
    // One timestamp per frame: cheap, and what tells a quiet session from a ghost.
    sock.ws.on('message', () => {
      this.lastFrame = Date.now();
    });

    sock.ev.on('creds.update', () => {
      this.auth.saveCreds().catch((err: unknown) => this.log.error({ err }, 'could not persist credentials'));
    });

    sock.ev.on('connection.update', (update: Partial<ConnectionState>) => {
      if (generation !== this.generation) return;
      if (typeof update.qr === 'string') {
        const ttlMs = qrCount === 0 ? (settings.qrTimeoutMs ?? 60_000) : (settings.qrTimeoutMs ?? 20_000);
        qrCount++;
        if (!this.qrSeen) {
          this.qrSeen = true;
          this.qrAdvSecret = this.auth.state.creds.advSecretKey;
        }
        this.emit({ type: 'qr', qr: update.qr, ttlMs });
        this.notifyWaiters();
      }
      if (update.isNewLogin) {
        this.pairingCodeOutstanding = false;
        this.log.info('paired');
        const identity = this.identity();
        // Reported once the linked credentials are stored: the core records the link on this event, and a
        // kill between a recorded link and its unstored credentials would leave a session that says
        // linked but can only show a QR. saveCreds joins the write creds.update just queued.
        this.auth.saveCreds().then(
          () => this.emit({ type: 'paired', identity }),
          (err: unknown) => this.log.error({ err }, 'could not store the credentials of the new link'),
        );
      }
      if (update.connection === 'open') {
        this.open = true;
        this.consecutiveRestarts = 0;
        this.log.info('connection open');
        this.notifyWaiters();
        // Reported once the credentials written so far are stored, for the same reason as 'paired': the login
        // right after a link (515) can come before the link's credential write has committed.
        void this.auth.flush().then(() => {
          if (generation === this.generation && this.open) this.emit({ type: 'open', identity: this.identity() });
        });
      }
      if (update.connection === 'close') {
        clearTimeout(watchdog);
        this.onSocketClosed(sock, update.lastDisconnect?.error);
      }
    });

    this.messaging.attach(sock, () => generation === this.generation, (event) => this.emit(event));

    // The phone entered a wrong pairing code: the server answers the
    // companion_finish query with an error iq while the socket keeps waiting.
    sock.ws.on('CB:iq,type:error', (node: BinaryNode) => {
      if (generation !== this.generation || !this.pairingCodeOutstanding) return;
      this.onPairingCodeRejected(node);
    });
  }

  /** End a socket nobody waits on; a failure to end it is logged, never an unhandled rejection. */
  private endInBackground(sock: WASocket, error?: Error): void {
    sock.end(error).catch((err: unknown) => this.log.warn({ err }, 'could not end the WhatsApp socket cleanly'));
  }

  private onSocketClosed(sock: WASocket, error: unknown): void {
    this.open = false;
    releasePendingQueries(sock);
    if (this.stopped) return;

    const code = closeCodeOf(error);
    const reason = reasonOf(error);
    if (this.loggingOut) {
      this.finalClose(LOGGED_OUT, 'Logged out', true);
      return;
    }
    if (code === RESTART_REQUIRED && this.consecutiveRestarts < MAX_CONSECUTIVE_RESTARTS) {
      this.consecutiveRestarts++;
      this.log.info({ code }, 'restart required, reconnecting with the same credentials');
      this.emit({ type: 'restarting', code, reason });
      this.start();
      return;
    }
    this.finalClose(code, reason, code === LOGGED_OUT);
  }

  private onPairingCodeRejected(node: BinaryNode): void {
    const error = getBinaryNodeChild(node, 'error');
    const text = error?.attrs.text;
    const code = error?.attrs.code;
    const reason =
      text === 'wrong-code' || !error
        ? WRONG_CODE_REASON
        : `Pairing with the code failed: ${text ?? 'error'} (${code ?? 'no code'})`;
    // Baileys already replaced the adv secret with one derived from the wrong
    // code; put the QR's secret back so a QR scan still works afterwards.
    if (this.qrAdvSecret) this.auth.state.creds.advSecretKey = this.qrAdvSecret;
    this.log.info({ code, text }, 'pairing code rejected by the phone');
    this.emit({ type: 'pairing_failed', reason });
  }

  private finalClose(code: number, reason: string, loggedOut: boolean): void {
    if (this.ended) return;
    this.log.info({ code, reason, loggedOut }, 'connection closed');
    this.emit({ type: 'close', code, reason, loggedOut });
    this.finish();
  }

  private finish(): void {
    this.ended = true;
    this.sock = null;
    this.notifyWaiters();
    this.resolveEnded();
  }

  private async endSocket(sock: WASocket): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), CLOSE_GRACE_MS);
    });
    const ended = await Promise.race([sock.end(undefined).then(() => true), graceOver]);
    clearTimeout(timer);
    if (!ended) {
      // The server did not answer the close frame: cut the line so no socket
      // (and no ws close timer) outlives close().
      rawSocketOf(sock)?.terminate();
    }
  }

  // ---- helpers ----------------------------------------------------------

  private identity(): EngineIdentity {
    const me = this.auth.state.creds.me;
    return { jid: me?.id ?? '', lid: me?.lid ?? null, name: me?.name ?? null };
  }

  private isFinished(): boolean {
    return this.stopped || this.ended;
  }

  private assertRunning(): void {
    if (this.isFinished()) throw new EngineError('NOT_CONNECTED', 'The connection is closed');
  }

  private requireOpen(): WASocket {
    this.assertRunning();
    if (!this.open || !this.sock) throw new EngineError('NOT_CONNECTED', 'The session is not connected');
    return this.sock;
  }

  private emit(event: EngineEvent): void {
    if (this.stopped || this.ended) return;
    if (this.backlog) {
      this.backlog.push(event);
      return;
    }
    this.deliver(event);
  }

  private deliver(event: EngineEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (err) {
        this.log.error({ err, event: event.type }, 'engine event listener threw');
      }
    }
  }

  private notifyWaiters(): void {
    for (const wake of [...this.waiters]) wake();
  }

  /** Resolves true once `done()` holds, false after `timeoutMs`. */
  private waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
    if (done()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const wake = () => {
        if (!done()) return;
        cleanup();
        resolve(true);
      };
      const timer = setTimeout(() => {
        cleanup();
        resolve(false);
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
      };
      this.waiters.add(wake);
    });
  }
}

/**
 * Baileys' end() removes every 'close' listener (its own and those of queries
 * still waiting for a reply) before closing the WebSocket, so those queries
 * would each hold a timer for up to a minute. Their 'error' listeners remain:
 * signalling a connection-closed error fails them at once, as a real drop
 * would. Baileys' own 'error' handler only calls end() again, which is a no-op.
 */
function releasePendingQueries(sock: WASocket): void {
  if (sock.ws.listenerCount('error') === 0) return;
  const closed = Object.assign(new Error('Connection Closed'), { output: { statusCode: 428 } });
  try {
    sock.ws.emit('error', closed);
  } catch {
    // a waiter's own failure is not ours to handle
  }
}

/** `to` as a JID: kept when it already is one, E.164 digits become a user JID. */
export function toJid(to: string): string {
  const trimmed = to.trim();
  if (trimmed.includes('@')) return trimmed;
  const digits = trimmed.replace(/^\+/, '');
  if (!/^\d{7,15}$/.test(digits)) {
    throw new EngineError('INVALID_ADDRESS', 'The recipient must be a JID or 7 to 15 digits');
  }
  return `${digits}@s.whatsapp.net`;
}

/** A WhatsApp Web style message id (`3EB0` + 18 hex digits). */
export function generateMessageId(): string {
  return `3EB0${randomBytes(9).toString('hex').toUpperCase()}`;
}
