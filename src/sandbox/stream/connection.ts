/**
 * One client's stream, layered like the client's own socket:
 *   websocket bytes → framing → Noise handshake / transport cipher → binary nodes.
 * It knows nothing about accounts: the ClientPayload and every stanza go up to
 * the network through `StreamHandlers`. Server-initiated IQs can await their
 * reply by id (`query`).
 */
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { codecFor, type NodeCodec } from '../binary/dictionaries.js';
import { node, type BinaryNode } from '../binary/nodes.js';
import { NoiseResponder, NoiseError, type TransportCipher } from '../noise/responder.js';
import { FrameReader, FramingError, encodeFrame, introHeader } from '../transport/framing.js';
import { PendingQueries } from './pendingQueries.js';
import type { AgreementKey } from '../crypto/curve.js';
import type { ConnectionPhase } from '../types.js';

/** What every connection of one network shares; built once per network. */
export interface StreamConfig {
  /** The server's static Noise key (certified by the leaf of `certChain`). */
  serverStatic: AgreementKey;
  /** Encoded CertChain sent in every serverHello. */
  certChain: Buffer;
  /** A fresh ephemeral for each handshake. */
  ephemeral(): AgreementKey;
  /**
   * Per-connection child loggers (conn id, noise key, jid). Load mode turns
   * them off when the network logger writes nothing: each child costs a
   * serialised bindings string and an object per connection.
   */
  childLoggers: boolean;
  /** Forget the handshake state (hash, keys, ephemeral) once the transport cipher exists. */
  releaseHandshake: boolean;
}

export interface StreamHandlers {
  /** The handshake finished; `payload` is the decrypted ClientPayload. */
  onClientPayload(conn: SandboxConnection, payload: Buffer): Promise<void>;
  /** A stanza that is not the reply to one of our own queries. */
  onStanza(conn: SandboxConnection, stanza: BinaryNode): Promise<void>;
  onClose(conn: SandboxConnection): void;
}

/**
 * baileys 6 switches its reader to the transport keys only once its own
 * write of ClientFinish has completed; a reply arriving before that is
 * read as a handshake frame and dropped (the client then hangs until its
 * timeout; baileys 7 queues it). WhatsApp's own latency hides this race, so
 * the sandbox waits this long before answering a dictionary-2 client's
 * ClientPayload.
 */
const V2_TRANSPORT_GRACE_MS = 100;

/** How long we wait for the client to close after a stream error before closing ourselves. */
const STREAM_END_GRACE_MS = 2_000;

export class ConnectionClosedError extends Error {
  constructor() {
    super('connection closed');
  }
}

let nextConnectionId = 1;

export class SandboxConnection {
  readonly id = nextConnectionId++;
  phase: ConnectionPhase = 'handshake';
  /** base64 of the client's Noise static public key, known after ClientFinish. */
  noiseKey: string | null = null;
  /** Device JID once logged in. */
  jid: string | null = null;
  logger: Logger;

  private readonly reader = new FrameReader();
  /** Made at the client hello, once the intro named the dictionary version (part of the Noise prologue). */
  private noise: NoiseResponder | null = null;
  /** Token tables of the client's generation (intro `WA 06 02` or `WA 06 03`). */
  private codec: NodeCodec = codecFor(3);
  private transport: TransportCipher | null = null;
  private handshakeStep: 'hello' | 'finish' | 'done' = 'hello';
  private processing: Promise<void> = Promise.resolve();
  private readonly pending = new PendingQueries();
  private nextQueryId = 1;
  private silenced = false;
  private closed = false;
  private endTimer: NodeJS.Timeout | null = null;
  private readonly closeListeners: Array<() => void> = [];

  constructor(
    private readonly ws: WebSocket,
    private readonly config: StreamConfig,
    private readonly handlers: StreamHandlers,
    logger: Logger,
  ) {
    this.logger = config.childLoggers ? logger.child({ conn: this.id }) : logger;
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
      this.lastInboundAt = Date.now();
      this.onBytes(toBuffer(data));
    });
    ws.on('close', () => this.onSocketClosed());
    ws.on('error', (err) => {
      this.logger.debug({ err: err.message }, 'socket error');
      this.onSocketClosed();
    });
  }

  /** Epoch ms of the last bytes the client sent (the idle check reads it). */
  lastInboundAt = Date.now();

  get isClosed(): boolean {
    return this.closed;
  }

  /** The binary-node dictionary version the client speaks (2: baileys 6, 3: baileys 7). */
  get dictVersion(): 2 | 3 {
    return this.codec.dictVersion;
  }

  /** Add bindings (e.g. the jid) to this connection's log lines. */
  bindLog(bindings: Record<string, string>): void {
    if (this.config.childLoggers) this.logger = this.logger.child(bindings);
  }

  /** Resolves when the socket is gone. */
  onClosed(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  /** Send one stanza (ignored after close or while silenced). */
  send(stanza: BinaryNode): void {
    if (this.closed || this.silenced || !this.transport) return;
    const frame = encodeFrame(this.transport.encrypt(this.codec.encode(stanza)));
    this.ws.send(frame);
  }

  /** Send an IQ of ours and wait for the client's reply with the same id. */
  query(stanza: BinaryNode, timeoutMs: number): Promise<BinaryNode> {
    if (this.closed) return Promise.reject(new ConnectionClosedError());
    const id = stanza.attrs.id ?? this.newId();
    const request = { ...stanza, attrs: { ...stanza.attrs, id } };
    return this.pending.wait(id, `${stanza.tag} ${id}`, timeoutMs, () => this.send(request));
  }

  /** A fresh id for a server-initiated stanza. */
  newId(): string {
    return `sbx-${this.id}-${this.nextQueryId++}`;
  }

  /**
   * End the stream the way the server does: `<stream:error code=…>` (with an
   * optional reason child), then close if the client has not within a grace period.
   */
  streamError(code: number | null, reason?: BinaryNode): void {
    const attrs: Record<string, string> = code === null ? {} : { code: String(code) };
    this.endStream(node('stream:error', attrs, reason ? [reason] : undefined));
  }

  /** `<failure reason=…/>`: login refused. */
  failure(reason: number): void {
    this.endStream(node('failure', { reason: String(reason), location: 'sandbox' }));
  }

  /** `<xmlstreamend/>`: the server closes the stream (client reports 428). */
  streamEnd(): void {
    this.endStream(node('xmlstreamend', {}));
  }

  /** Half-open: stop sending anything at all, keep the socket. */
  silence(): void {
    this.silenced = true;
  }

  /** Close the websocket without any stream error (client reports 428). */
  drop(): void {
    if (this.closed) return;
    this.ws.terminate();
    this.onSocketClosed();
  }

  private endStream(stanza: BinaryNode): void {
    if (this.closed) return;
    this.send(stanza);
    this.silenced = true;
    this.endTimer ??= setTimeout(() => this.drop(), STREAM_END_GRACE_MS);
  }

  private onBytes(chunk: Buffer): void {
    if (this.closed) return;
    let frames: Buffer[];
    try {
      frames = this.reader.push(chunk);
    } catch (err) {
      this.logger.debug({ err: (err as Error).message }, 'bad framing, closing');
      this.drop();
      return;
    }
    for (const frame of frames) {
      // Frames are processed strictly in order: the transport cipher's counters depend on it.
      this.processing = this.processing.then(() => this.onFrame(frame)).catch((err: unknown) => {
        this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'frame handling failed, closing');
        this.drop();
      });
    }
  }

  private async onFrame(frame: Buffer): Promise<void> {
    if (this.closed) return;
    if (this.handshakeStep === 'hello') {
      const dictVersion = this.reader.dictVersion ?? 3;
      this.codec = codecFor(dictVersion);
      this.noise = new NoiseResponder(this.config.serverStatic, this.config.certChain, this.config.ephemeral(), introHeader(dictVersion));
      const hello = this.noise.serverHello(frame);
      this.handshakeStep = 'finish';
      this.ws.send(encodeFrame(hello));
      return;
    }
    if (this.handshakeStep === 'finish') {
      const finish = this.noise!.clientFinish(frame);
      this.transport = finish.transport;
      this.noiseKey = finish.clientStatic.toString('base64');
      this.handshakeStep = 'done';
      if (this.config.releaseHandshake) this.noise = null;
      this.bindLog({ noiseKey: this.noiseKey });
      if (this.codec.dictVersion === 2) await new Promise((resolve) => setTimeout(resolve, V2_TRANSPORT_GRACE_MS));
      if (this.closed) return;
      await this.handlers.onClientPayload(this, finish.payload);
      return;
    }
    const stanza = await this.codec.decode(this.transport!.decrypt(frame));
    if (this.silenced) return;
    if (this.pending.settle(stanza)) return;
    await this.handlers.onStanza(this, stanza);
  }

  private onSocketClosed(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.endTimer) clearTimeout(this.endTimer);
    this.pending.rejectAll(() => new ConnectionClosedError());
    this.handlers.onClose(this);
    for (const listener of this.closeListeners.splice(0)) listener();
  }
}

function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

export { NoiseError, FramingError };
