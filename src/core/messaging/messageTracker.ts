/**
 * What happens to messages after they leave or arrive: received messages
 * stored and announced, receipts folded into the status history (a late
 * receipt never moves a status back), sends and failures recorded.
 *
 * Each message row write commits in one transaction with the event that
 * describes it and that event's webhook deliveries (the outbox), on the
 * event bus's group commit: a kill -9 keeps both or neither.
 *
 * Every method runs on the session's serial queue (MessageService) and
 * returns as soon as its event is emitted, with `committed` settling once
 * the write is stored. The next method reads the row as this one left it
 * (rows written but not yet committed are kept here until they are), so a
 * session's receipts and messages do not wait one group commit (one turn of
 * the event loop) each: under a burst that turn is long, and a per-message
 * wait for it held a session to a few messages per second.
 */
import type { Logger } from 'pino';
import type { EngineMessage, EngineMessageStatus } from '../../engine/types.js';
import type { MessagePatch, MessageRow, MessageWrite, Store } from '../../store/types.js';
import type { InMemoryEventBus } from '../eventBus.js';
import type { GatewayEventType } from '../model.js';
import type { SessionManager } from '../sessions/sessionManager.js';
import { addressOf, bodyOfIncoming, isAdvance } from './messageRecords.js';
import type { MessageStatus, MessageView } from './model.js';

export interface MessageTrackerDeps {
  store: Store;
  sessions: SessionManager;
  events: InMemoryEventBus;
  logger: Logger;
  view(row: MessageRow): MessageView;
}

function now(): string {
  return new Date().toISOString();
}

/** A write emitted: `committed` settles once it is stored (rejects when the store refused it). */
export interface Recorded {
  committed: Promise<void>;
}

const NOTHING: Recorded = { committed: Promise.resolve() };

export class MessageTracker {
  /** Rows with a write not yet committed, as that write leaves them (newest write wins). */
  private readonly unsettled = new Map<string, { row: MessageRow; version: number }>();
  private version = 0;

  constructor(private readonly deps: MessageTrackerDeps) {}

  /** The row as the last write left it, committed or not. */
  private async row(sessionId: string, id: string): Promise<MessageRow | undefined> {
    return this.unsettled.get(keyOf(sessionId, id))?.row ?? (await this.deps.store.messages.get(sessionId, id));
  }

  async onMessage(sessionId: string, message: EngineMessage): Promise<Recorded> {
    if (!this.deps.sessions.has(sessionId)) return NOTHING;
    // Our own send echoed back, or a redelivery: the row is there already.
    if (await this.row(sessionId, message.id)) return NOTHING;
    const at = now();
    const row: MessageRow = {
      sessionId,
      id: message.id,
      chatJid: message.chatJid,
      chatAlt: message.chatAlt,
      senderJid: message.fromMe ? (this.deps.sessions.get(sessionId).me?.jid ?? '') : message.senderJid,
      senderAlt: message.senderAlt,
      fromMe: message.fromMe,
      contentType: message.content.type,
      body: JSON.stringify(bodyOfIncoming(message.content, message.pushName)),
      payload: null,
      status: message.fromMe ? 'sent' : 'received',
      statuses: [{ status: message.fromMe ? 'sent' : 'received', at }],
      error: null,
      replyTo: message.replyTo,
      waTimestamp: message.timestamp,
      idempotencyKey: null,
      requestHash: null,
      attempts: 0,
      createdAt: at,
      updatedAt: at,
    };
    return this.emitWith('message.received', sessionId, { message: this.deps.view(row) }, row, { kind: 'insert', row });
  }

  async onStatus(sessionId: string, update: EngineMessageStatus): Promise<Recorded> {
    const row = await this.row(sessionId, update.messageId);
    if (!row || !row.fromMe) return NOTHING;
    const status: MessageStatus = update.status === 'server_ack' ? 'sent' : update.status;
    const at = new Date(update.at).toISOString();
    const entry = { status, at, ...(update.participant ? { participant: update.participant } : {}) };
    const advance = isAdvance(row.status as MessageStatus, status);
    // A recipient's receipt can overtake the send's own answer (both arrive in one tick): the server
    // took the message before any device had it, so the history says 'sent' first.
    const implied = row.status === 'pending' && status !== 'sent' ? [{ status: 'sent', at }] : [];
    const patch = { statuses: [...row.statuses, ...implied, entry], ...(advance ? { status } : {}), updatedAt: now() };
    const chat = addressOf(row.chatJid, row.chatAlt);
    return this.update(
      'message.receipt',
      sessionId,
      { messageId: row.id, chat, status, participant: update.participant, at, messageStatus: advance ? status : row.status },
      row,
      patch,
    );
  }

  async recordSent(sessionId: string, messageId: string, timestamp: number): Promise<Recorded> {
    const row = await this.row(sessionId, messageId);
    if (!row) return NOTHING;
    // A receipt that overtook this answer already put 'sent' in the history.
    const statuses = row.statuses.some((s) => s.status === 'sent') ? row.statuses : [...row.statuses, { status: 'sent', at: now() }];
    const status = isAdvance(row.status as MessageStatus, 'sent') ? 'sent' : row.status;
    this.deps.logger.child({ sessionId }).info({ messageId }, 'message sent');
    return this.update(
      'message.sent',
      sessionId,
      { message: this.deps.view({ ...row, status, statuses, waTimestamp: timestamp }) },
      row,
      { status, statuses, payload: null, waTimestamp: timestamp, updatedAt: now() },
    );
  }

  async recordFailed(sessionId: string, messageId: string, reason: string, attempts: number): Promise<Recorded> {
    const row = await this.row(sessionId, messageId);
    if (!row) return NOTHING;
    const statuses = [...row.statuses, { status: 'failed', at: now(), reason }];
    return this.update(
      'message.failed',
      sessionId,
      { message: this.deps.view({ ...row, status: 'failed', statuses, error: reason }), reason },
      row,
      { status: 'failed', statuses, error: reason, payload: null, attempts, updatedAt: now() },
    );
  }

  private update(type: GatewayEventType, sessionId: string, data: Record<string, unknown>, row: MessageRow, patch: MessagePatch): Recorded {
    return this.emitWith(type, sessionId, data, { ...row, ...patch }, { kind: 'update', sessionId, id: row.id, patch });
  }

  /**
   * Emit an event and commit `write` with it (and its deliveries) in one
   * transaction. `after` is the row as the write leaves it: what the next
   * reader sees until the commit is done.
   */
  private emitWith(type: GatewayEventType, sessionId: string, data: Record<string, unknown>, after: MessageRow, write: MessageWrite): Recorded {
    const { events } = this.deps;
    const key = keyOf(sessionId, after.id);
    const version = ++this.version;
    this.unsettled.set(key, { row: after, version });
    const committed = new Promise<void>((resolve, reject) => {
      events.emit(type, sessionId, data, (batch) => {
        // Cluster mode: the row is written only while this node still owns the session (its fence),
        // like every other write of the owner; single-node sessions have no lease and no fence.
        const fence = this.deps.sessions.registry.find(sessionId)?.lease ?? undefined;
        // The group commits in submission order, so the session's chain need not wait for this one.
        events.submit({ ...batch, messages: [write] }, fence ? { sessionId, patch: {}, fence } : undefined).then(resolve, reject);
        return Promise.resolve();
      });
    });
    // Settled either way: once committed the store has it; once refused the store's row is the truth again.
    const settle = (): void => {
      if (this.unsettled.get(key)?.version === version) this.unsettled.delete(key);
    };
    committed.then(settle, settle);
    return { committed };
  }
}

function keyOf(sessionId: string, id: string): string {
  return `${sessionId}\u0000${id}`;
}
