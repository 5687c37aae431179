/**
 * Messaging: send (validated, idempotent, queued durably), receive and
 * track receipts (MessageTracker), read back (MessageReader), and the
 * controls (read receipts, presence, number checks, retention). It uses a
 * session only through the live-connection lookup and the session views; it
 * never reaches into the session modules.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Engine } from '../../engine/types.js';
import { isStoreError } from '../../store/errors.js';
import type { MessageRow, Store } from '../../store/types.js';
import { GatewayError, isGatewayError } from '../errors.js';
import type { InMemoryEventBus } from '../eventBus.js';
import type { FaultCounter } from '../faults.js';
import { normalizePhoneNumber } from '../phoneNumber.js';
import type { SessionManager } from '../sessions/sessionManager.js';
import { SerialQueue } from '../serialQueue.js';
import { prepareContent } from './content.js';
import { DEFAULT_MEDIA_LIMITS, type MediaLimits } from './mediaSource.js';
import { MessageReader } from './messageReader.js';
import { toQueued, type StoredBody } from './messageRecords.js';
import type { ChatView, MessageView, NumberCheck, Page, SendMessageInput } from './model.js';
import { checkNumbers } from './numberCheck.js';
import { MessageTracker, type Recorded } from './messageTracker.js';
import { DEFAULT_MAX_PENDING_SENDS } from './sendBacklog.js';
import { SendQueue } from './sendQueue.js';

export interface MessagingOptions {
  store: Store;
  engine: Engine;
  sessions: SessionManager;
  events: InMemoryEventBus;
  faults: FaultCounter;
  logger: Logger;
  sandbox: boolean;
  media?: MediaLimits;
  /** Messages per minute per session (0 = off). */
  sendRatePerMinute?: number;
  /** Most messages a session may have waiting to be sent; past it a send is refused with SEND_BACKLOG_FULL (0 = no bound). */
  maxPendingSends?: number;
  /** How long a send waits for its own first attempt before answering `pending`. */
  sendWaitMs?: number;
  /** How long a send waits for a linked session that is connecting (reconnect, hand-over) before a 422. */
  connectWaitMs?: number;
}

const IDEMPOTENCY_KEEP_MS = 24 * 60 * 60_000;

export class MessageService {
  readonly queue: SendQueue;
  private readonly tracker: MessageTracker;
  private readonly reader: MessageReader;
  private readonly incoming = new Map<string, SerialQueue>();
  private readonly mediaLimits: MediaLimits;

  constructor(private readonly opts: MessagingOptions) {
    this.mediaLimits = opts.media ?? DEFAULT_MEDIA_LIMITS;
    this.reader = new MessageReader({ store: opts.store, sessions: opts.sessions, events: opts.events, sandbox: opts.sandbox });
    this.tracker = new MessageTracker({ store: opts.store, sessions: opts.sessions, events: opts.events, logger: opts.logger, view: (row) => this.reader.view(row) });
    this.queue = new SendQueue({
      repo: opts.store.messages,
      live: opts.sessions.live,
      logger: opts.logger,
      faults: opts.faults,
      ratePerMinute: opts.sendRatePerMinute ?? 0,
      maxPending: opts.maxPendingSends ?? DEFAULT_MAX_PENDING_SENDS,
      // On the same per-session queue as receipts: both read and rewrite the message's row.
      // The send queue waits for the commit: its next read of the pending rows must not find this one.
      onSent: (sessionId, id, timestamp) => this.record(sessionId, () => this.tracker.recordSent(sessionId, id, timestamp)),
      onFailed: (sessionId, id, reason, attempts) => this.record(sessionId, () => this.tracker.recordFailed(sessionId, id, reason, attempts)),
      onAttemptFailed: (sessionId, id, attempts) => opts.store.messages.update(sessionId, id, { attempts, updatedAt: now() }),
    });
    opts.sessions.onTraffic((sessionId, event) => {
      const work =
        event.type === 'message' ? () => this.tracker.onMessage(sessionId, event.message) : () => this.tracker.onStatus(sessionId, event.update);
      this.record(sessionId, work).catch((err: unknown) => {
        opts.faults.record('store_write');
        opts.logger.child({ sessionId }).error({ err, event: event.type }, 'could not record a message event');
      });
    });
    // A session that (re)connects sends what waited for it.
    // Only this node's sessions: another node's session sends from that node.
    opts.events.subscribeLocal((event) => {
      if (event.type === 'connection.state' && event.data.state === 'connected') this.queue.kick(event.sessionId);
      if (event.type === 'session.deleted') this.queue.forget(event.sessionId);
    });
  }

  /** Accept a message: refuse what cannot be sent before anything is stored, then queue it durably. */
  async send(sessionId: string, input: SendMessageInput, idempotencyKey?: string): Promise<{ message: MessageView; replayed: boolean }> {
    const { store, sessions } = this.opts;
    sessions.get(sessionId); // SESSION_NOT_FOUND before anything else
    const requestHash = hashRequest(input);
    if (idempotencyKey !== undefined) {
      const existing = await store.messages.byIdempotencyKey(sessionId, idempotencyKey);
      if (existing) return { message: this.replay(existing, requestHash, idempotencyKey), replayed: true };
    }
    let connection;
    try {
      connection = await sessions.live.ready(sessionId, 'send a message', this.opts.connectWaitMs ?? 10_000);
    } catch (err) {
      if (isGatewayError(err) && err.code === 'SESSION_NOT_READY') {
        const state = sessions.get(sessionId).state;
        const what =
          state === 'connecting'
            ? 'the session is still connecting: retry in a moment, or follow its connection.state events'
            : `connect it first (POST /api/v1/sessions/${sessionId}/connect)`;
        throw new GatewayError('SESSION_NOT_READY', `The session is ${state}, not connected: ${what}`, err.details);
      }
      throw err;
    }
    // Past the session's backlog bound the send is refused here, before WhatsApp is asked or anything is
    // stored: a refused request leaves no row, so its Idempotency-Key stays free for the retry.
    const reservation = await this.queue.reserve(sessionId);
    let row: MessageRow;
    try {
      row = await this.newRow(sessionId, input, idempotencyKey, requestHash, (numbers) => connection.checkNumbers(numbers));
      await store.messages.insert(row);
      reservation.accepted(row.id);
    } catch (err) {
      // Two requests with one key raced: the first one's record answers both.
      if (isStoreError(err) && err.code === 'DUPLICATE' && idempotencyKey !== undefined) {
        const existing = await store.messages.byIdempotencyKey(sessionId, idempotencyKey);
        if (existing) return { message: this.replay(existing, requestHash, idempotencyKey), replayed: true };
      }
      throw err;
    } finally {
      reservation.release();
    }
    this.log(sessionId).info({ messageId: row.id, contentType: row.contentType }, 'message accepted');
    this.queue.kick(sessionId);
    await this.queue.waitForAttempt(sessionId, row.id, this.opts.sendWaitMs ?? 5_000);
    return { message: await this.get(sessionId, row.id), replayed: false };
  }

  get(sessionId: string, messageId: string): Promise<MessageView> {
    return this.reader.get(sessionId, messageId);
  }

  chats(sessionId: string, before: string | undefined, limit: number): Promise<Page<ChatView>> {
    return this.reader.chats(sessionId, before, limit);
  }

  chatMessages(sessionId: string, chatId: string, before: string | undefined, limit: number): Promise<Page<MessageView>> {
    return this.reader.chatMessages(sessionId, chatId, before, limit);
  }

  /** The decrypted media of a received message. */
  media(sessionId: string, messageId: string): Promise<{ bytes: Buffer; mimetype: string; fileName: string | null }> {
    return this.reader.media(sessionId, messageId);
  }

  /** Send read receipts for a chat's received messages (or the ones named). */
  async markRead(sessionId: string, chatId: string, messageIds?: string[]): Promise<{ read: number }> {
    const chatJid = this.chatJid(chatId);
    const rows = messageIds
      ? (await Promise.all(messageIds.map((id) => this.opts.store.messages.get(sessionId, id)))).filter((r): r is MessageRow => r?.chatJid === chatJid)
      : (await this.opts.store.messages.chatMessages(sessionId, chatJid, { limit: 100 })).filter((r) => !r.fromMe && r.status === 'received');
    if (rows.length === 0) return { read: 0 };
    await this.opts.sessions.live.call(sessionId, 'mark messages read', (c) =>
      c.markRead(chatJid, rows.map((r) => ({ id: r.id, participant: chatJid.endsWith('@g.us') ? r.senderJid : null, fromMe: r.fromMe }))),
    );
    return { read: rows.length };
  }

  /** Which of these phone numbers have WhatsApp (numberCheck.ts). */
  checkNumbers(sessionId: string, phones: readonly string[]): Promise<NumberCheck[]> {
    return checkNumbers(this.opts.sessions, this.opts.sandbox, sessionId, phones);
  }

  async presence(sessionId: string, state: 'available' | 'unavailable' | 'composing' | 'recording' | 'paused', chatId: string | null): Promise<void> {
    const chatJid = chatId === null ? null : this.chatJid(chatId);
    await this.opts.sessions.live.call(sessionId, 'send a presence', (c) => c.sendPresence(state, chatJid));
  }

  /** Drop messages past retention and idempotency keys past 24 h. */
  async sweep(retentionDays: number): Promise<number> {
    await this.opts.store.messages.expireIdempotencyKeys(new Date(Date.now() - IDEMPOTENCY_KEEP_MS).toISOString());
    return this.opts.store.messages.deleteOlderThan(new Date(Date.now() - retentionDays * 24 * 60 * 60_000).toISOString());
  }

  /** Sweep retention every `intervalMs` (caught: a failed sweep is logged and tried again next time). Returns stop. */
  startRetention(retentionDays: number, intervalMs = 60 * 60_000): () => void {
    const timer = setInterval(() => {
      this.sweep(retentionDays).catch((err: unknown) => {
        this.opts.faults.record('timer');
        this.opts.logger.error({ err }, 'message retention sweep failed; trying again next hour');
      });
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  // ---- helpers -----------------------------------------------------------------

  /** The `pending` row of a message to send: recipient checked, quote and media resolved. */
  private async newRow(
    sessionId: string,
    input: SendMessageInput,
    idempotencyKey: string | undefined,
    requestHash: string,
    check: (numbers: string[]) => Promise<Array<{ number: string; exists: boolean; jid: string | null }>>,
  ): Promise<MessageRow> {
    const me = this.opts.sessions.get(sessionId).me;
    const chatJid = await this.recipient(sessionId, input.to, check);
    const replyTo = input.replyTo ? await this.quoteOf(sessionId, input.replyTo) : undefined;
    const prepared = await prepareContent(input.content, this.mediaLimits, (id) => this.quoteOf(sessionId, id));
    const mentions = input.mentions?.map((m) => (m.includes('@') ? m : `${normalizePhoneNumber(m, { sandbox: this.opts.sandbox })}@s.whatsapp.net`));
    const at = now();
    return {
      sessionId,
      id: this.opts.engine.newMessageId(),
      chatJid,
      chatAlt: null,
      senderJid: me?.jid ?? '',
      senderAlt: me?.lid ?? null,
      fromMe: true,
      contentType: prepared.view.type,
      body: JSON.stringify({ view: prepared.view } satisfies StoredBody),
      payload: toQueued(prepared.outgoing, { ...(replyTo ? { replyTo } : {}), ...(mentions ? { mentions } : {}) }),
      status: 'pending',
      statuses: [{ status: 'pending', at }],
      error: null,
      replyTo: input.replyTo ?? null,
      waTimestamp: Math.floor(Date.now() / 1000),
      idempotencyKey: idempotencyKey ?? null,
      requestHash: idempotencyKey === undefined ? null : requestHash,
      attempts: 0,
      createdAt: at,
      updatedAt: at,
    };
  }

  private replay(existing: MessageRow, requestHash: string, key: string): MessageView {
    if (existing.requestHash !== requestHash) {
      throw new GatewayError('IDEMPOTENCY_CONFLICT', undefined, { idempotencyKey: key, messageId: existing.id });
    }
    return this.reader.view(existing);
  }

  /** The chat JID for `to`: a JID as given, or a phone number WhatsApp knows. */
  private async recipient(
    sessionId: string,
    to: string,
    check: (numbers: string[]) => Promise<Array<{ number: string; exists: boolean; jid: string | null }>>,
  ): Promise<string> {
    if (to.includes('@')) return to;
    const phone = normalizePhoneNumber(to, { sandbox: this.opts.sandbox });
    let found;
    try {
      [found] = await check([phone]);
    } catch (err) {
      throw new GatewayError('ENGINE_ERROR', 'WhatsApp did not say whether the recipient has WhatsApp; try again', { sessionId }, { cause: err });
    }
    if (!found?.exists) {
      throw new GatewayError('NOT_ON_WHATSAPP', `+${phone} is not on WhatsApp`, { sessionId, phoneNumber: phone });
    }
    return found.jid ?? `${phone}@s.whatsapp.net`;
  }

  /** How to quote (or react to) a message of this session. */
  private async quoteOf(sessionId: string, messageId: string): Promise<{ messageId: string; fromMe: boolean; participant?: string }> {
    const row = await this.opts.store.messages.get(sessionId, messageId);
    if (!row) throw new GatewayError('MESSAGE_NOT_FOUND', `No message "${messageId}" in session "${sessionId}" to quote or react to`, { sessionId, messageId });
    const group = row.chatJid.endsWith('@g.us');
    return { messageId, fromMe: row.fromMe, ...(group && !row.fromMe ? { participant: row.senderJid } : {}) };
  }

  private chatJid(chatId: string): string {
    return this.reader.chatJid(chatId);
  }

  /** Run a tracker step on the session's queue (the next step starts once this one emitted); resolves once it is stored. */
  private async record(sessionId: string, step: () => Promise<Recorded>): Promise<void> {
    const { committed } = await this.serial(sessionId).run(step);
    await committed;
  }

  private serial(sessionId: string): SerialQueue {
    let queue = this.incoming.get(sessionId);
    if (!queue) {
      queue = new SerialQueue();
      this.incoming.set(sessionId, queue);
    }
    return queue;
  }

  private log(sessionId: string): Logger {
    return this.opts.logger.child({ sessionId });
  }
}

function now(): string {
  return new Date().toISOString();
}

/** The same request sends the same bytes: media sources are hashed by what they name. */
function hashRequest(input: SendMessageInput): string {
  const content = 'bytes' in input.content ? { ...input.content, bytes: createHash('sha256').update(input.content.bytes).digest('hex') } : input.content;
  return createHash('sha256').update(JSON.stringify({ ...input, content })).digest('hex');
}
