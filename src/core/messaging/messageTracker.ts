/**
 * What happens to messages after they leave or arrive: received messages
 * stored and announced, receipts folded into the status history (a late
 * receipt never moves a status back), sends and failures recorded.
 *
 * Each message row write commits in one transaction with the event that
 * describes it and that event's webhook deliveries (the outbox), on the
 * event bus's group commit: a kill -9 keeps both or neither. Every method
 * resolves once its commit is done, and runs on the session's serial queue
 * (MessageService), so the next one reads what this one wrote.
 */
import type { Logger } from 'pino';
import type { EngineMessage, EngineMessageStatus } from '../../engine/types.js';
import type { MessageRow, MessageWrite, Store } from '../../store/types.js';
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

export class MessageTracker {
  constructor(private readonly deps: MessageTrackerDeps) {}

  async onMessage(sessionId: string, message: EngineMessage): Promise<void> {
    if (!this.deps.sessions.has(sessionId)) return;
    // Our own send echoed back, or a redelivery: the row is there already (reads see every earlier commit).
    if (await this.deps.store.messages.get(sessionId, message.id)) return;
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
    await this.emitWith('message.received', sessionId, { message: this.deps.view(row) }, { kind: 'insert', row });
  }

  async onStatus(sessionId: string, update: EngineMessageStatus): Promise<void> {
    const row = await this.deps.store.messages.get(sessionId, update.messageId);
    if (!row || !row.fromMe) return;
    const status: MessageStatus = update.status === 'server_ack' ? 'sent' : update.status;
    const at = new Date(update.at).toISOString();
    const entry = { status, at, ...(update.participant ? { participant: update.participant } : {}) };
    const advance = isAdvance(row.status as MessageStatus, status);
    // A recipient's receipt can overtake the send's own answer (both arrive in one tick): the server
    // took the message before any device had it, so the history says 'sent' first.
    const implied = row.status === 'pending' && status !== 'sent' ? [{ status: 'sent', at }] : [];
    const patch = { statuses: [...row.statuses, ...implied, entry], ...(advance ? { status } : {}), updatedAt: now() };
    const chat = addressOf(row.chatJid, row.chatAlt);
    await this.emitWith(
      'message.receipt',
      sessionId,
      { messageId: row.id, chat, status, participant: update.participant, at, messageStatus: advance ? status : row.status },
      { kind: 'update', sessionId, id: row.id, patch },
    );
  }

  async recordSent(sessionId: string, messageId: string, timestamp: number): Promise<void> {
    const row = await this.deps.store.messages.get(sessionId, messageId);
    if (!row) return;
    // A receipt that overtook this answer already put 'sent' in the history.
    const statuses = row.statuses.some((s) => s.status === 'sent') ? row.statuses : [...row.statuses, { status: 'sent', at: now() }];
    const status = isAdvance(row.status as MessageStatus, 'sent') ? 'sent' : row.status;
    this.deps.logger.child({ sessionId }).info({ messageId }, 'message sent');
    await this.emitWith(
      'message.sent',
      sessionId,
      { message: this.deps.view({ ...row, status, statuses, waTimestamp: timestamp }) },
      { kind: 'update', sessionId, id: messageId, patch: { status, statuses, payload: null, waTimestamp: timestamp, updatedAt: now() } },
    );
  }

  async recordFailed(sessionId: string, messageId: string, reason: string, attempts: number): Promise<void> {
    const row = await this.deps.store.messages.get(sessionId, messageId);
    if (!row) return;
    const statuses = [...row.statuses, { status: 'failed', at: now(), reason }];
    await this.emitWith(
      'message.failed',
      sessionId,
      { message: this.deps.view({ ...row, status: 'failed', statuses, error: reason }), reason },
      { kind: 'update', sessionId, id: messageId, patch: { status: 'failed', statuses, error: reason, payload: null, attempts, updatedAt: now() } },
    );
  }

  /** Emit an event and commit `write` with it (and its deliveries) in one transaction; resolves once committed. */
  private emitWith(type: GatewayEventType, sessionId: string, data: Record<string, unknown>, write: MessageWrite): Promise<void> {
    const { events } = this.deps;
    return new Promise<void>((resolve, reject) => {
      events.emit(type, sessionId, data, (batch) => {
        // Cluster mode: the row is written only while this node still owns the session (its fence),
        // like every other write of the owner; single-node sessions have no lease and no fence.
        const fence = this.deps.sessions.registry.find(sessionId)?.lease ?? undefined;
        const committed = events.commit({ ...batch, messages: [write] }, fence ? { sessionId, patch: {}, fence } : undefined);
        committed.then(resolve, reject);
        return committed;
      });
    });
  }
}
