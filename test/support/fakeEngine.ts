/**
 * A fake engine that implements the engine interface with the same event
 * sequences as the real one (QR → paired → restarting → open; close codes),
 * driven by the test. Used to test the core and the HTTP layers without a
 * network; the real engine is tested against the sandbox.
 */
import { randomBytes } from 'node:crypto';
import type {
  Engine,
  EngineConnectOptions,
  EngineConnection,
  EngineEvent,
  EngineGroup,
  EngineIdentity,
  EngineMessage,
  EngineMessageStatus,
  EngineNumberCheck,
  OutgoingContent,
  PresenceState,
  SendOptions,
} from '../../src/engine/types.js';

interface FakeCreds {
  noiseKey: string;
  me?: EngineIdentity;
}

export class FakeEngine implements Engine {
  readonly name = 'fake';
  readonly connections: FakeConnection[] = [];
  /** Sessions whose next login WhatsApp rejects with 401 (device removed from the phone). */
  readonly revoked = new Set<string>();
  /** Delay before a new connection shows its QR or opens (ms). */
  bootDelayMs = 0;
  qrTtlMs = 60_000;
  inFlight = 0;
  maxInFlight = 0;

  /** Numbers the fake network says are not on WhatsApp. */
  readonly notOnWhatsApp = new Set<string>();
  private messageCounter = 0;

  newMessageId(): string {
    this.messageCounter += 1;
    return `FAKE${String(this.messageCounter).padStart(8, '0')}${randomBytes(4).toString('hex').toUpperCase()}`;
  }

  async connect(opts: EngineConnectOptions): Promise<EngineConnection> {
    const raw = await opts.auth.readCreds();
    let creds: FakeCreds;
    if (raw) {
      creds = JSON.parse(raw) as FakeCreds;
    } else {
      creds = { noiseKey: randomBytes(32).toString('base64') };
      await opts.auth.writeCreds(JSON.stringify(creds));
    }
    const connection = new FakeConnection(this, opts, creds);
    this.connections.push(connection);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    setTimeout(() => connection.boot(), this.bootDelayMs);
    return connection;
  }

  /** The newest connection of a session. */
  last(sessionId: string): FakeConnection {
    const found = [...this.connections].reverse().find((c) => c.sessionId === sessionId);
    if (!found) throw new Error(`no fake connection for ${sessionId}`);
    return found;
  }

  live(): FakeConnection[] {
    return this.connections.filter((c) => !c.closed);
  }

  settled(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
  }
}

export class FakeConnection implements EngineConnection {
  readonly sessionId: string;
  readonly noiseKey: string;
  closed = false;
  loggedOut = false;
  pendingCode: { phone: string; code: string } | null = null;
  readonly sent: Array<{ to: string; text: string }> = [];
  /** Everything sent through send(), in order. */
  readonly outbox: Array<{ to: string; content: OutgoingContent; options: SendOptions }> = [];
  readonly reads: Array<{ chatJid: string; ids: string[] }> = [];
  /** Every number asked about through checkNumbers, in order. */
  readonly checked: string[] = [];
  readonly presences: Array<{ state: PresenceState; chatJid: string | null }> = [];
  /** Set to make the next sends fail (e.g. a dropped socket). */
  failSends: Error | null = null;
  /** Media bytes by mediaRef, for downloadMedia(). */
  readonly media = new Map<string, Buffer>();
  groupList: Array<{ id: string; subject: string; participants: number }> = [];
  /** What lastFrameAt() reports: set it to play a keepalive answer arriving. */
  lastFrame: number | null = null;
  private readonly listeners = new Set<(event: EngineEvent) => void>();
  private qrCount = 0;
  private settledOnce = false;

  constructor(
    private readonly engine: FakeEngine,
    private readonly opts: EngineConnectOptions,
    private creds: FakeCreds,
  ) {
    this.sessionId = opts.sessionId;
    this.noiseKey = creds.noiseKey;
  }

  on(listener: (event: EngineEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  boot(): void {
    if (this.closed) return;
    if (this.creds.me) {
      if (this.engine.revoked.has(this.sessionId)) {
        this.end(401, 'Connection Failure', true);
        return;
      }
      this.settle();
      this.emit({ type: 'open', identity: this.creds.me });
    } else {
      this.emitQr();
    }
  }

  emitQr(): string {
    this.qrCount += 1;
    const qr = `2@fake-ref-${this.qrCount}-${randomBytes(6).toString('hex')},${this.noiseKey},identity,adv,1`;
    this.emit({ type: 'qr', qr, ttlMs: this.engine.qrTtlMs });
    return qr;
  }

  /** The phone scans the QR (or enters the right code): pair-success, 515 restart, login. */
  async link(phoneNumber = '15550000001', deviceId = 3): Promise<EngineIdentity> {
    const identity: EngineIdentity = { jid: `${phoneNumber}:${deviceId}@s.whatsapp.net`, lid: `9${phoneNumber}:${deviceId}@lid`, name: 'Sandbox Phone' };
    this.creds = { ...this.creds, me: identity };
    await this.opts.auth.writeCreds(JSON.stringify(this.creds));
    this.emit({ type: 'paired', identity });
    this.emit({ type: 'restarting', code: 515, reason: 'restart required' });
    this.settle();
    this.emit({ type: 'open', identity });
    return identity;
  }

  async requestPairingCode(phoneNumber: string): Promise<string> {
    if (this.closed) throw new Error('Connection Closed');
    const code = randomBytes(8).toString('hex').toUpperCase().replace(/[0O]/g, 'A').slice(0, 8);
    this.pendingCode = { phone: phoneNumber, code };
    return code;
  }

  /** The phone user types a code. */
  async enterCode(code: string): Promise<boolean> {
    const pending = this.pendingCode;
    if (pending && code.replace('-', '').toUpperCase() === pending.code) {
      await this.link(pending.phone);
      return true;
    }
    this.emit({ type: 'pairing_failed', reason: 'The code entered on the phone did not match' });
    return false;
  }

  lastFrameAt(): number | null {
    return this.lastFrame;
  }

  /** The server ends the connection with a close code. */
  drop(code: number, reason = 'Connection Terminated'): void {
    this.end(code, reason, code === 401);
  }

  async logout(): Promise<void> {
    this.loggedOut = true;
    this.end(401, 'Intentional Logout', true);
  }

  async close(): Promise<void> {
    if (!this.closed) this.settle();
    this.closed = true;
    this.listeners.clear();
  }

  async groups(): Promise<Array<{ id: string; subject: string; participants: number }>> {
    return this.groupList;
  }

  async sendText(to: string, text: string): Promise<string> {
    return (await this.send(to, { type: 'text', text }, { messageId: this.engine.newMessageId() })).messageId;
  }

  async send(to: string, content: OutgoingContent, options: SendOptions): Promise<{ messageId: string; timestamp: number }> {
    if (this.closed) throw new Error('Connection Closed');
    if (this.failSends) throw this.failSends;
    this.outbox.push({ to, content, options });
    if (content.type === 'text') this.sent.push({ to, text: content.text });
    return { messageId: options.messageId, timestamp: Math.floor(Date.now() / 1000) };
  }

  async groupMetadata(groupJid: string): Promise<EngineGroup> {
    const group = this.groupList.find((g) => g.id === groupJid);
    if (!group) throw new Error('item-not-found');
    return {
      id: group.id,
      subject: group.subject,
      description: null,
      owner: null,
      createdAt: null,
      participants: Array.from({ length: group.participants }, (_, i) => ({
        jid: `1555000${String(i).padStart(4, '0')}@s.whatsapp.net`,
        phoneNumber: `1555000${String(i).padStart(4, '0')}`,
        lid: null,
        admin: i === 0 ? ('superadmin' as const) : null,
      })),
    };
  }

  async checkNumbers(numbers: string[]): Promise<EngineNumberCheck[]> {
    this.checked.push(...numbers);
    return numbers.map((number) => {
      const exists = !this.engine.notOnWhatsApp.has(number);
      return { number, exists, jid: exists ? `${number}@s.whatsapp.net` : null, lid: exists ? `${number.split('').reverse().join('')}@lid` : null };
    });
  }

  async downloadMedia(mediaRef: string): Promise<Buffer> {
    const bytes = this.media.get(mediaRef);
    if (!bytes) throw new Error('media not found');
    return bytes;
  }

  async markRead(chatJid: string, messages: Array<{ id: string }>): Promise<void> {
    this.reads.push({ chatJid, ids: messages.map((m) => m.id) });
  }

  async sendPresence(state: PresenceState, chatJid: string | null): Promise<void> {
    this.presences.push({ state, chatJid });
  }

  /** A contact writes to this account. */
  receive(message: Partial<EngineMessage> & Pick<EngineMessage, 'content'>): EngineMessage {
    const full: EngineMessage = {
      id: message.id ?? `IN${randomBytes(8).toString('hex').toUpperCase()}`,
      chatJid: message.chatJid ?? '15550009999@s.whatsapp.net',
      chatAlt: message.chatAlt ?? null,
      senderJid: message.senderJid ?? message.chatJid ?? '15550009999@s.whatsapp.net',
      senderAlt: message.senderAlt ?? null,
      fromMe: message.fromMe ?? false,
      timestamp: message.timestamp ?? Math.floor(Date.now() / 1000),
      pushName: message.pushName ?? null,
      content: message.content,
      replyTo: message.replyTo ?? null,
      mentions: message.mentions ?? [],
    };
    this.emit({ type: 'message', message: full });
    return full;
  }

  /** A receipt for a message this account sent. */
  status(update: Omit<EngineMessageStatus, 'at' | 'participant'> & Partial<EngineMessageStatus>): void {
    this.emit({ type: 'message_status', update: { participant: null, at: Date.now(), ...update } });
  }

  private end(code: number, reason: string, loggedOut: boolean): void {
    if (this.closed) return;
    this.settle();
    this.emit({ type: 'close', code, reason, loggedOut });
    this.closed = true;
    this.listeners.clear();
  }

  private settle(): void {
    if (this.settledOnce) return;
    this.settledOnce = true;
    this.engine.settled();
  }

  private emit(event: EngineEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }
}
