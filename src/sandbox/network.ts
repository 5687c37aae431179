/**
 * SandboxNetwork: a local WhatsApp network the unmodified client pairs with.
 * Wires the layers together: transport server → connections (framing, Noise,
 * nodes) → client payload (registration / login) and the stanza router; the
 * phone simulator (scan a QR, enter a code, remove a device) and faults act
 * on the same connections.
 *
 * ~450 lines: it is the sandbox's one public surface (see index.ts), so
 * every control call a developer or test makes has its entry here, each a
 * few lines that hand over to the module doing the work.
 */
import { pino, type Logger } from 'pino';
import type { WebSocket } from 'ws';
import { AccountRegistry, assertPhoneNumber, deviceJid, deviceLid, type Account, type LinkedDevice } from './accounts/registry.js';
import { node } from './binary/nodes.js';
import { buildCertChain, ROOT_SERIAL } from './crypto/certificates.js';
import { agreementKey, ephemeralKey, nodeAgreementKey, nodeEphemeralKey, nodeX25519Works } from './crypto/curve.js';
import { SandboxError } from './errors.js';
import { applyFault } from './faults.js';
import { registerEncryptHandlers } from './handlers/encrypt.js';
import { registerGroupAdminHandlers } from './handlers/groupAdmin.js';
import { registerGroupHandlers } from './handlers/groups.js';
import { registerKeyBundleHandlers } from './handlers/keyBundles.js';
import { registerMediaHandlers } from './handlers/media.js';
import { registerMdHandlers } from './handlers/md.js';
import { registerMessageHandlers } from './handlers/messages.js';
import { registerOfflineHandlers } from './handlers/offline.js';
import { PresenceRelay } from './handlers/presence.js';
import { registerReceiptHandlers } from './handlers/receipts.js';
import { registerSessionHandlers } from './handlers/session.js';
import { registerUsyncHandlers } from './handlers/usync.js';
import type { HandlerContext } from './handlers/context.js';
import { MediaServer } from './media/mediaServer.js';
import { MediaStore } from './media/mediaStore.js';
import { downloadMedia, phoneMediaContent, PhoneMediaError, type PhoneMediaInput } from './media/phoneMedia.js';
import { Conversations } from './conversations.js';
import { PhoneBehaviour } from './phone/behaviour.js';
import { bootstrapDevice } from './phone/bootstrap.js';
import { linkCompanion } from './phone/linking.js';
import { PairingCodes } from './phone/pairingCode.js';
import type { Peer } from './phone/peer.js';
import { QrRefRegistry, parseQr } from './phone/qrRefs.js';
import type { proto } from 'baileys';
import { Delivery } from './router/delivery.js';
import { StanzaRouter } from './router/stanzaRouter.js';
import { parseClientPayload, type Login, type Registration } from './stream/clientPayload.js';
import { SandboxConnection, type StreamConfig, type StreamHandlers } from './stream/connection.js';
import { TransportServer } from './transport/server.js';
import type {
  FaultKind,
  SandboxConnectionInfo,
  SandboxDeviceInfo,
  SandboxMessage,
  SandboxOptions,
  SandboxPhoneInfo,
} from './types.js';

const DEFAULT_REFS = 6;

export class SandboxNetwork {
  readonly url: string;
  readonly rootPublicKey: Uint8Array;
  readonly rootSerial = ROOT_SERIAL;

  private readonly peers = new Map<SandboxConnection, Peer>();
  private readonly refs: QrRefRegistry;
  private readonly pairingCodes: PairingCodes;
  private readonly router: StanzaRouter;
  private readonly stream: StreamConfig;
  private readonly mediaStore = new MediaStore();
  /** The media host (uploads and downloads) on the same port as the websocket. */
  readonly media: MediaServer;
  private readonly delivery = new Delivery();
  private readonly ctx: HandlerContext;
  /** Phones sending, groups, presence, receipts: see conversations.ts. */
  readonly conversations: Conversations;
  private stopped = false;

  private concurrentLogins = 0;
  private conflictsSent = 0;
  private readonly concurrentDevices = new Set<string>();
  private idleSweep: NodeJS.Timeout | null = null;

  private constructor(
    private readonly registry: AccountRegistry,
    private readonly opts: SandboxOptions,
    private readonly logger: Logger,
    private readonly server: TransportServer,
  ) {
    this.url = server.url;
    this.rootPublicKey = new Uint8Array(registry.rootKey.public);
    this.stream = streamConfig(registry, logger, opts.load === true);
    this.refs = new QrRefRegistry({ oneRandomDraw: opts.load === true });
    this.pairingCodes = new PairingCodes(logger);
    this.router = new StanzaRouter(logger);
    this.media = new MediaServer(server.hostPort, this.mediaStore, logger.child({ part: 'media' }));
    const ctx: HandlerContext = {
      registry,
      pairingCodes: this.pairingCodes,
      logger,
      peer: (conn) => this.peerOf(conn),
      removeDevice: (phone, deviceId) => this.removeDevice(phone, deviceId),
      delivery: this.delivery,
      phones: new PhoneBehaviour(opts.accountContent ?? null),
    };
    this.ctx = ctx;
    const presence = new PresenceRelay(ctx);
    this.conversations = new Conversations(ctx, presence, (input) => this.phoneMediaContent(input));
    registerSessionHandlers(this.router);
    registerMdHandlers(this.router, ctx);
    registerEncryptHandlers(this.router, ctx);
    registerGroupHandlers(this.router, ctx);
    registerUsyncHandlers(this.router, ctx);
    registerKeyBundleHandlers(this.router, ctx);
    registerMessageHandlers(this.router, ctx);
    registerMediaHandlers(this.router, { store: this.mediaStore, host: this.media.host });
    registerReceiptHandlers(this.router, ctx);
    registerGroupAdminHandlers(this.router, ctx);
    registerOfflineHandlers(this.router, ctx);
    presence.register(this.router);
    if (opts.idleTimeoutMs !== undefined && opts.idleTimeoutMs > 0) {
      const idleMs = opts.idleTimeoutMs;
      this.idleSweep = setInterval(() => {
        const before = Date.now() - idleMs;
        for (const peer of this.peers.values()) {
          if (!peer.conn.isClosed && peer.conn.lastInboundAt < before) {
            peer.conn.logger.info({ idleMs }, 'silent connection dropped');
            peer.conn.drop();
          }
        }
      }, Math.max(100, Math.floor(idleMs / 4)));
      this.idleSweep.unref();
    }
  }

  /**
   * Logins that found the device already connected (two clients on one set
   * of credentials) and the 440 conflicts sent for them: a gateway cluster
   * must keep both at zero.
   */
  loginStats(): { concurrentLogins: number; conflictsSent: number; devices: string[] } {
    return { concurrentLogins: this.concurrentLogins, conflictsSent: this.conflictsSent, devices: [...this.concurrentDevices] };
  }

  static async start(opts: SandboxOptions = {}): Promise<SandboxNetwork> {
    const logger = (opts.logger ?? pino({ level: 'silent' })).child({ component: 'sandbox' });
    const registry = AccountRegistry.open(opts.stateDir);
    let network: SandboxNetwork | null = null;
    const server = await TransportServer.listen(opts.host ?? '127.0.0.1', opts.port ?? 0, (ws) => network?.accept(ws), {
      load: opts.load === true,
      onRequest: (req, res) => network?.media.handle(req, res) ?? false,
    });
    network = new SandboxNetwork(registry, opts, logger, server);
    logger.info({ url: network.url, load: opts.load === true }, 'sandbox network listening');
    return network;
  }

  // ---- phones -------------------------------------------------------------

  createPhone(phoneNumber: string, name?: string): SandboxPhoneInfo {
    return phoneInfo(this.registry.create(phoneNumber, name));
  }

  getOrCreatePhone(phoneNumber: string): SandboxPhoneInfo {
    return phoneInfo(this.registry.getOrCreate(phoneNumber));
  }

  phone(phoneNumber: string): SandboxPhoneInfo | undefined {
    const account = this.registry.get(phoneNumber);
    return account ? phoneInfo(account) : undefined;
  }

  listPhones(): SandboxPhoneInfo[] {
    return this.registry.list().map(phoneInfo);
  }

  devices(phoneNumber: string): SandboxDeviceInfo[] {
    const account = this.registry.get(phoneNumber);
    if (!account) return [];
    return [...account.devices.values()].sort((a, b) => a.deviceId - b.deviceId).map((d) => this.deviceInfo(account, d));
  }

  /** Texts the phone received and sent (oldest first; the last 200 are kept), with their receipts. */
  messages(phoneNumber: string): SandboxMessage[] {
    return this.conversations.messages(phoneNumber);
  }

  // ---- media --------------------------------------------------------------

  /**
   * A phone's outgoing media: encrypts the file, puts it on the media host and
   * returns the Message content (imageMessage, … ready for the phone's
   * message path to encrypt and send). Throws PhoneMediaError on bad input.
   */
  phoneMediaContent(input: PhoneMediaInput): proto.IMessage {
    try {
      return phoneMediaContent(this.mediaStore, this.media.host, input);
    } catch (err) {
      if (err instanceof PhoneMediaError) throw new SandboxError('INVALID_MEDIA', err.message);
      throw err;
    }
  }

  /** The decrypted file of a media message the phone received (hashes and mac checked). */
  receivedMedia(phoneNumber: string, messageId: string): Buffer {
    const entry = this.registry.get(phoneNumber)?.inbox.find((m) => m.id === messageId);
    if (!entry) throw new SandboxError('NO_SUCH_MESSAGE', 'the phone has no message with this id');
    if (!entry.media) throw new SandboxError('NO_MEDIA', 'this message carries no media');
    try {
      return downloadMedia(this.mediaStore, entry.media);
    } catch (err) {
      throw new SandboxError('MEDIA_UNAVAILABLE', err instanceof Error ? err.message : String(err));
    }
  }

  addGroup(subject: string, phoneNumbers: string[]): { id: string } {
    return { id: this.registry.addGroup(subject, phoneNumbers).id };
  }

  // ---- the phone simulator ------------------------------------------------

  async scan(phoneNumber: string, qr: string): Promise<SandboxDeviceInfo> {
    this.assertRunning();
    assertPhoneNumber(phoneNumber);
    const parsed = parseQr(qr.trim());
    if (!parsed) throw new SandboxError('INVALID_QR', 'not a WhatsApp linking QR (expected ref,noiseKey,identityKey,advSecret,platform)');
    const issued = this.refs.lookup(parsed.ref);
    if (!issued) throw new SandboxError('INVALID_QR', 'this QR was not issued by this network');
    if (issued.noiseKey !== parsed.noiseKey) throw new SandboxError('INVALID_QR', 'the QR does not belong to the connection its ref was issued to');
    if (!issued.live) throw new SandboxError('NO_SUCH_CONNECTION', 'the companion that showed this QR has disconnected');
    if (issued.used) throw new SandboxError('INVALID_QR', 'this QR was already used');
    if (issued.expiresAt < Date.now()) throw new SandboxError('QR_EXPIRED', 'this QR has expired; scan the current one');
    const peer = [...this.peers.values()].find((p) => p.conn.id === issued.connectionId);
    if (!peer || peer.conn.isClosed) throw new SandboxError('NO_SUCH_CONNECTION', 'the companion that showed this QR has disconnected');
    if (!peer.registration?.identityKey.equals(parsed.identityKey)) {
      throw new SandboxError('INVALID_QR', 'the identity key in the QR is not the one the companion registered');
    }
    issued.used = true;
    const account = this.registry.getOrCreate(phoneNumber);
    const device = await linkCompanion(this.registry, peer, account, parsed.advSecret, this.logger);
    this.afterLink(account, device);
    return this.deviceInfo(account, device);
  }

  async enterCode(phoneNumber: string, code: string): Promise<SandboxDeviceInfo> {
    this.assertRunning();
    assertPhoneNumber(phoneNumber);
    let linked: { account: Account; device: LinkedDevice } | null = null;
    await this.pairingCodes.enter(
      phoneNumber,
      code,
      () => this.registry.getOrCreate(phoneNumber),
      async (peer, account, advSecret) => {
        linked = { account, device: await linkCompanion(this.registry, peer, account, advSecret, this.logger) };
      },
    );
    const { account, device } = linked!;
    this.afterLink(account, device);
    return this.deviceInfo(account, device);
  }

  removeDevice(phoneNumber: string, deviceId: number): boolean {
    const account = this.registry.get(phoneNumber);
    if (!account || !this.registry.removeDevice(account, deviceId)) return false;
    this.logger.info({ jid: deviceJid(account, deviceId) }, 'device removed');
    this.delivery.forget(phoneNumber, deviceId);
    for (const peer of this.livePeersOf(account, deviceId)) {
      peer.conn.streamError(401, node('conflict', { type: 'device_removed' }));
    }
    return true;
  }

  // ---- faults and introspection ------------------------------------------

  fault(noiseKey: string, kind: FaultKind): boolean {
    const peer = [...this.peers.values()].reverse().find((p) => p.conn.noiseKey === noiseKey && !p.conn.isClosed);
    if (!peer) return false;
    peer.conn.logger.info({ fault: kind }, 'fault injected');
    applyFault(peer.conn, kind);
    return true;
  }

  connections(): SandboxConnectionInfo[] {
    return [...this.peers.values()]
      .filter((p) => !p.conn.isClosed)
      .map((p) => ({ noiseKey: p.conn.noiseKey ?? '', phase: p.conn.phase, jid: p.conn.jid }));
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.idleSweep) clearInterval(this.idleSweep);
    for (const peer of this.peers.values()) peer.conn.drop();
    await this.server.close();
    this.registry.flush();
  }

  // ---- connections --------------------------------------------------------

  private accept(ws: WebSocket): void {
    if (this.stopped) {
      ws.terminate();
      return;
    }
    const handlers: StreamHandlers = {
      onClientPayload: (conn, payload) => this.onClientPayload(conn, payload),
      onStanza: (conn, stanza) => this.router.dispatch(stanza, conn),
      onClose: (conn) => this.onClose(conn),
    };
    const conn = new SandboxConnection(ws, this.stream, handlers, this.logger);
    this.peers.set(conn, { conn, registration: null, account: null, deviceId: null, linking: false });
  }

  private peerOf(conn: SandboxConnection): Peer {
    const peer = this.peers.get(conn);
    if (!peer) throw new Error('unknown connection');
    return peer;
  }

  private async onClientPayload(conn: SandboxConnection, bytes: Buffer): Promise<void> {
    const payload = parseClientPayload(bytes);
    switch (payload.kind) {
      case 'registration':
        return this.register(conn, payload);
      case 'login':
        return this.login(conn, payload);
      default:
        conn.logger.info({ reason: payload.reason }, 'client payload refused');
        conn.failure(400);
    }
  }

  /** A new companion: hand out QR refs. */
  private register(conn: SandboxConnection, registration: Registration): void {
    const peer = this.peerOf(conn);
    peer.registration = registration;
    conn.phase = 'registering';
    const refs = this.refs.issue(conn.id, conn.noiseKey!, {
      ttlMs: this.opts.qrRefTtlMs,
      count: this.opts.refsPerPairDevice ?? DEFAULT_REFS,
    });
    conn.send(
      node('iq', { from: 's.whatsapp.net', type: 'set', id: conn.newId(), xmlns: 'md' }, [
        node('pair-device', {}, refs.map((ref) => node('ref', {}, Buffer.from(ref, 'utf8')))),
      ]),
    );
  }

  /** A linked companion comes back: success, or 401 when the network does not know it. */
  private login(conn: SandboxConnection, login: Login): void {
    const account = this.registry.get(login.phoneNumber);
    const device = account?.devices.get(login.deviceId);
    if (!account || !device || device.noiseKey !== conn.noiseKey) {
      conn.logger.info({ phone: login.phoneNumber, device: login.deviceId }, 'login refused: unknown device');
      conn.failure(401);
      return;
    }
    const jid = deviceJid(account, device.deviceId);
    // One live connection per device: the newer one replaces the older.
    const others = this.livePeersOf(account, device.deviceId);
    if (others.length > 0) {
      this.concurrentLogins += 1;
      this.concurrentDevices.add(jid);
      conn.logger.warn({ jid, others: others.length }, 'login while the device is connected elsewhere: replacing (440)');
    }
    for (const other of others) {
      this.conflictsSent += 1;
      other.conn.streamError(null, node('conflict', { type: 'replaced' }));
    }
    const peer = this.peerOf(conn);
    peer.account = account;
    peer.deviceId = device.deviceId;
    conn.phase = 'logged_in';
    conn.jid = jid;
    conn.bindLog({ jid });
    conn.logger.info('logged in');
    const now = String(Math.floor(Date.now() / 1000));
    conn.send(
      node('success', {
        t: now,
        lid: deviceLid(account, device.deviceId),
        props: '1',
        abprops: '1',
        location: 'sandbox',
        creation: String(Math.floor(Date.parse(device.linkedAt) / 1000)),
      }),
    );
  }

  private onClose(conn: SandboxConnection): void {
    const peer = this.peers.get(conn);
    this.refs.connectionClosed(conn.id);
    this.delivery.deactivate(conn);
    if (peer) this.pairingCodes.connectionClosed(peer);
    this.peers.delete(conn);
  }

  /** What the phone pushes to a device it just linked (SandboxOptions.accountContent); queued until it is online. */
  private afterLink(account: Account, device: LinkedDevice): void {
    bootstrapDevice(this.ctx, account, device).catch((err: unknown) => {
      this.logger.warn({ phone: account.phoneNumber, device: device.deviceId, err: (err as Error).message }, 'could not push account content');
    });
  }

  private livePeersOf(account: Account, deviceId: number): Peer[] {
    return [...this.peers.values()].filter(
      (p) => p.account === account && p.deviceId === deviceId && !p.conn.isClosed && p.conn.phase === 'logged_in',
    );
  }

  private deviceInfo(account: Account, device: LinkedDevice): SandboxDeviceInfo {
    return {
      deviceId: device.deviceId,
      jid: deviceJid(account, device.deviceId),
      lid: deviceLid(account, device.deviceId),
      platform: device.platform,
      linkedAt: device.linkedAt,
      connected: this.livePeersOf(account, device.deviceId).length > 0,
    };
  }

  private assertRunning(): void {
    if (this.stopped) throw new SandboxError('STOPPED', 'the sandbox network has stopped');
  }
}

/**
 * What all connections share. The certificate chain is built once per network
 * in both modes. Load mode (SandboxOptions.load) also: does the handshake's
 * X25519 on Node KeyObjects (the server static key imported once, each
 * ephemeral from Node's generator) when they agree with the curve backend,
 * skips per-connection child loggers when nothing is logged, and drops each
 * connection's handshake state once its transport keys exist.
 */
function streamConfig(registry: AccountRegistry, logger: Logger, load: boolean): StreamConfig {
  const certChain = buildCertChain(registry.rootKey, registry.serverStatic);
  const nodeCurve = load && nodeX25519Works();
  return {
    certChain,
    serverStatic: nodeCurve ? nodeAgreementKey(registry.serverStatic) : agreementKey(registry.serverStatic),
    ephemeral: nodeCurve ? nodeEphemeralKey : ephemeralKey,
    childLoggers: !load || logger.isLevelEnabled('fatal'),
    releaseHandshake: load,
  };
}

function phoneInfo(account: Account): SandboxPhoneInfo {
  return { phoneNumber: account.phoneNumber, name: account.name, lid: account.lid };
}

