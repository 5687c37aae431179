/**
 * Reading messages back: one message with its status history, the chats
 * and a chat's messages (cursor-paged), received media decrypted on demand.
 * Every read first waits for the rows of events already emitted for the
 * session, so a client that reads a message it just heard about finds it.
 */
import type { MessageRow, Store } from '../../store/types.js';
import { GatewayError } from '../errors.js';
import type { InMemoryEventBus } from '../eventBus.js';
import { normalizePhoneNumber } from '../phoneNumber.js';
import type { SessionManager } from '../sessions/sessionManager.js';
import { addressOf, toMessageView, type StoredBody } from './messageRecords.js';
import type { ChatView, MessageView, Page } from './model.js';

export interface MessageReaderDeps {
  store: Store;
  sessions: SessionManager;
  events: InMemoryEventBus;
  sandbox: boolean;
}

export class MessageReader {
  constructor(private readonly deps: MessageReaderDeps) {}

  async get(sessionId: string, messageId: string): Promise<MessageView> {
    this.deps.sessions.get(sessionId);
    await this.written(sessionId);
    const row = await this.deps.store.messages.get(sessionId, messageId);
    if (!row) throw new GatewayError('MESSAGE_NOT_FOUND', `No message "${messageId}" in session "${sessionId}"`, { sessionId, messageId });
    return this.view(row);
  }

  async chats(sessionId: string, before: string | undefined, limit: number): Promise<Page<ChatView>> {
    this.deps.sessions.get(sessionId);
    const cursor = before === undefined ? undefined : Number(decodeCursor(before).split(':')[0]);
    if (cursor !== undefined && !Number.isFinite(cursor)) throw badCursor();
    await this.written(sessionId);
    const chats = await this.deps.store.messages.chats(sessionId, { before: cursor, limit: limit + 1 });
    const items = chats.slice(0, limit).map((c) => ({
      chat: addressOf(c.chatJid, c.chatAlt),
      isGroup: c.chatJid.endsWith('@g.us'),
      lastMessageId: c.lastMessageId,
      lastMessageAt: new Date(c.lastTimestamp * 1000).toISOString(),
      messages: c.messages,
    }));
    const last = chats[limit - 1];
    return { items, nextCursor: chats.length > limit && last ? encodeCursor(`${last.lastTimestamp}:`) : null };
  }

  async chatMessages(sessionId: string, chatId: string, before: string | undefined, limit: number): Promise<Page<MessageView>> {
    this.deps.sessions.get(sessionId);
    let cursor: { timestamp: number; id: string } | undefined;
    if (before !== undefined) {
      const [ts, id] = decodeCursor(before).split(':');
      if (!Number.isFinite(Number(ts)) || !id) throw badCursor();
      cursor = { timestamp: Number(ts), id };
    }
    await this.written(sessionId);
    const rows = await this.deps.store.messages.chatMessages(sessionId, this.chatJid(chatId), { before: cursor, limit: limit + 1 });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return { items: page.map((r) => this.view(r)), nextCursor: rows.length > limit && last ? encodeCursor(`${last.waTimestamp}:${last.id}`) : null };
  }

  /** The decrypted media of a received message. */
  async media(sessionId: string, messageId: string): Promise<{ bytes: Buffer; mimetype: string; fileName: string | null }> {
    await this.written(sessionId);
    const row = await this.deps.store.messages.get(sessionId, messageId);
    if (!row) throw new GatewayError('MESSAGE_NOT_FOUND', `No message "${messageId}" in session "${sessionId}"`, { sessionId, messageId });
    const body = JSON.parse(row.body) as StoredBody;
    if (!body.mediaRef) throw new GatewayError('MEDIA_NOT_AVAILABLE', undefined, { sessionId, messageId });
    const ref = body.mediaRef;
    const bytes = await this.deps.sessions.live.call(sessionId, 'download the media', (c) => c.downloadMedia(ref));
    return { bytes, mimetype: body.view.mimetype ?? 'application/octet-stream', fileName: body.view.fileName ?? null };
  }

  /** A chat id as a JID: a JID as given, or a phone number's. */
  chatJid(chatId: string): string {
    return chatId.includes('@') ? chatId : `${normalizePhoneNumber(chatId, { sandbox: this.deps.sandbox })}@s.whatsapp.net`;
  }

  view(row: MessageRow): MessageView {
    const me = this.deps.sessions.has(row.sessionId) ? this.deps.sessions.get(row.sessionId).me : null;
    const own = me ? addressOf(me.jid.replace(/:\d+@/, '@'), me.lid) : null;
    return toMessageView(row, own, (id) => `/api/v1/sessions/${row.sessionId}/messages/${id}/media`);
  }

  /**
   * Wait for the message rows of events already emitted: an event reaches SSE
   * as it is emitted, and its row commits with it a moment later.
   */
  private written(sessionId: string): Promise<void> {
    return this.deps.events.stored(sessionId);
  }
}

function encodeCursor(value: string): string {
  return Buffer.from(value, 'utf8').toString('base64url');
}

function decodeCursor(value: string): string {
  return Buffer.from(value, 'base64url').toString('utf8');
}

function badCursor(): GatewayError {
  return new GatewayError('VALIDATION_FAILED', 'query.before is not a cursor this API gave out', { field: 'query.before' });
}
