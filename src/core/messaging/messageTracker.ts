/**
 * What happens to messages after they leave or arrive: received messages
 * stored and announced, receipts folded into the status history (a late
 * receipt never moves a status back), sends and failures recorded.
 */
import type { Logger } from 'pino';
import type { EngineMessage, EngineMessageStatus } from '../../engine/types.js';
import { isStoreError } from '../../store/errors.js';
import type { MessageRow, Store } from '../../store/types.js';
import type { InMemoryEventBus } from '../eventBus.js';
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
      body: JSON.stringify(bodyOfIncoming(message.content)),
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
    try {
      await this.deps.store.messages.insert(row);
    } catch (err) {
      if (isStoreError(err) && err.code === 'DUPLICATE') return; // our own send echoed back, or a redelivery
      throw err;
    }
    this.deps.events.emit('message.received', sessionId, { message: this.deps.view(row) });
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
    await this.deps.store.messages.update(sessionId, row.id, {
      statuses: [...row.statuses, ...implied, entry],
      ...(advance ? { status } : {}),
      updatedAt: now(),
    });
    const chat = addressOf(row.chatJid, row.chatAlt);
    this.deps.events.emit('message.receipt', sessionId, {
      messageId: row.id,
      chat,
      status,
      participant: update.participant,
      at,
      messageStatus: advance ? status : row.status,
    });
  }

  async recordSent(sessionId: string, messageId: string, timestamp: number): Promise<void> {
    const row = await this.deps.store.messages.get(sessionId, messageId);
    if (!row) return;
    // A receipt that overtook this answer already put 'sent' in the history.
    const statuses = row.statuses.some((s) => s.status === 'sent') ? row.statuses : [...row.statuses, { status: 'sent', at: now() }];
    const status = isAdvance(row.status as MessageStatus, 'sent') ? 'sent' : row.status;
    await this.deps.store.messages.update(sessionId, messageId, { status, statuses, payload: null, waTimestamp: timestamp, updatedAt: now() });
    this.deps.logger.child({ sessionId }).info({ messageId }, 'message sent');
    this.deps.events.emit('message.sent', sessionId, { message: this.deps.view({ ...row, status, statuses, waTimestamp: timestamp }) });
  }

  async recordFailed(sessionId: string, messageId: string, reason: string, attempts: number): Promise<void> {
    const row = await this.deps.store.messages.get(sessionId, messageId);
    if (!row) return;
    const statuses = [...row.statuses, { status: 'failed', at: now(), reason }];
    await this.deps.store.messages.update(sessionId, messageId, { status: 'failed', statuses, error: reason, payload: null, attempts, updatedAt: now() });
    this.deps.events.emit('message.failed', sessionId, { message: this.deps.view({ ...row, status: 'failed', statuses, error: reason }), reason });
  }
}
