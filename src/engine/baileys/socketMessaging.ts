/**
 * The messaging half of a connection: send, check numbers, download media,
 * read receipts, presence, and the socket events that become `message` and
 * `message_status` engine events. Kept apart from connection.ts, which is
 * about the socket's life.
 */
import type { proto, WASocket } from 'baileys';
import type { Dispatcher } from 'undici';
import { EngineError } from '../errors.js';
import type { EngineEvent, EngineGroup, EngineNumberCheck, OutgoingContent, PresenceState, SendOptions } from '../types.js';
import { downloadMedia, fromBaileysMessage, statusesFromOwnUpsert, statusesFromReceipt, statusFromUpdate, toBaileysMessage } from './messageContent.js';
import type { BoundedCache } from './sharedCaches.js';

export class SocketMessaging {
  constructor(
    /** The open socket, or an EngineError NOT_CONNECTED. */
    private readonly socket: () => WASocket,
    /** The key a message id has in the shared recent-sent cache (scoped to the session). */
    private readonly cacheKey: (messageId: string) => string,
    private readonly recentSent: BoundedCache,
    /** How media downloads reach the media host (the sandbox's plain-HTTP loopback host in sandbox mode). */
    private readonly mediaDispatcher?: Dispatcher,
  ) {}

  /** Listen to a (new) socket; `current()` is false once a newer socket replaced it. */
  attach(sock: WASocket, current: () => boolean, emit: (event: EngineEvent) => void): void {
    sock.ev.on('messages.upsert', ({ messages, type }) => {
      if (!current() || (type !== 'notify' && type !== 'append')) return;
      for (const raw of messages) {
        const message = fromBaileysMessage(raw);
        if (message) emit({ type: 'message', message });
        // After the message, so its row exists when its receipts are recorded.
        for (const update of statusesFromOwnUpsert(raw)) emit({ type: 'message_status', update });
      }
    });
    sock.ev.on('messages.update', (updates) => {
      if (!current()) return;
      for (const { key, update } of updates) {
        const status = statusFromUpdate(key, update.status);
        if (status) emit({ type: 'message_status', update: status });
      }
    });
    sock.ev.on('message-receipt.update', (receipts) => {
      if (!current()) return;
      for (const { key, receipt } of receipts) {
        for (const update of statusesFromReceipt(key, receipt)) emit({ type: 'message_status', update });
      }
    });
  }

  /** A message sent recently, for a recipient that asks for it again (retry receipt). */
  recent(messageId: string): proto.IMessage | undefined {
    return this.recentSent.get(this.cacheKey(messageId)) as proto.IMessage | undefined;
  }

  async send(jid: string, content: OutgoingContent, options: SendOptions): Promise<{ messageId: string; timestamp: number }> {
    const sock = this.socket();
    const message = toBaileysMessage(jid, content, options);
    let sent;
    try {
      sent = await sock.sendMessage(jid, message.content, message.options);
    } catch (err) {
      throw new EngineError('FAILED', 'Could not send the message', { cause: err });
    }
    const id = sent?.key.id;
    if (!id) throw new EngineError('FAILED', 'The engine returned no message id');
    if (sent?.message) this.recentSent.set(this.cacheKey(id), sent.message);
    const ts = sent?.messageTimestamp;
    return { messageId: id, timestamp: typeof ts === 'number' ? ts : ts ? Number(ts) : Math.floor(Date.now() / 1000) };
  }

  async checkNumbers(numbers: Array<{ number: string; jid: string }>): Promise<EngineNumberCheck[]> {
    const sock = this.socket();
    let found: Array<{ jid: string; exists: boolean }> | undefined;
    try {
      found = await sock.onWhatsApp(...numbers.map((n) => n.jid));
    } catch (err) {
      throw new EngineError('FAILED', 'Could not check the numbers', { cause: err });
    }
    const existing = (found ?? []).filter((f) => f.exists).map((f) => f.jid);
    const lids = await this.lidsOf(sock, existing);
    return numbers.map(({ number, jid }) => {
      const hit = found?.find((f) => f.jid === jid);
      const exists = hit?.exists === true;
      return { number, exists, jid: exists ? hit.jid : null, lid: exists ? (lids.get(hit.jid) ?? null) : null };
    });
  }

  /** The LIDs WhatsApp knows for these phone-number JIDs; none (not an error) when it does not say. */
  private async lidsOf(sock: WASocket, jids: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    if (jids.length === 0) return out;
    try {
      for (const pair of (await sock.signalRepository.lidMapping.getLIDsForPNs(jids)) ?? []) out.set(pair.pn, pair.lid);
    } catch {
      // The LID is a courtesy: an answer without it is still the answer.
    }
    return out;
  }

  async downloadMedia(mediaRef: string): Promise<Buffer> {
    try {
      return await downloadMedia(mediaRef, this.mediaDispatcher);
    } catch (err) {
      throw new EngineError('FAILED', 'Could not download the media', { cause: err });
    }
  }

  async groupMetadata(groupJid: string): Promise<EngineGroup> {
    const sock = this.socket();
    let meta;
    try {
      meta = await sock.groupMetadata(groupJid);
    } catch (err) {
      throw new EngineError('FAILED', 'Could not fetch the group', { cause: err });
    }
    return {
      id: meta.id,
      subject: meta.subject ?? '',
      description: meta.desc ?? null,
      owner: meta.owner ?? null,
      createdAt: meta.creation ?? null,
      participants: (meta.participants ?? []).map((p) => {
        const extra = p as { phoneNumber?: string; lid?: string };
        const pn = extra.phoneNumber ?? (p.id.endsWith('@s.whatsapp.net') ? p.id : null);
        return {
          jid: pn ?? p.id,
          phoneNumber: pn ? pn.split('@')[0]!.split(':')[0]! : null,
          lid: extra.lid ?? (p.id.endsWith('@lid') ? p.id : null),
          admin: p.admin ?? null,
        };
      }),
    };
  }

  async markRead(chatJid: string, messages: Array<{ id: string; participant?: string | null; fromMe?: boolean }>): Promise<void> {
    const sock = this.socket();
    try {
      await sock.readMessages(
        messages.map((m) => ({ remoteJid: chatJid, id: m.id, fromMe: m.fromMe ?? false, participant: m.participant ?? undefined })),
      );
    } catch (err) {
      throw new EngineError('FAILED', 'Could not send the read receipts', { cause: err });
    }
  }

  async sendPresence(state: PresenceState, chatJid: string | null): Promise<void> {
    const sock = this.socket();
    try {
      await sock.sendPresenceUpdate(state, chatJid ?? undefined);
    } catch (err) {
      throw new EngineError('FAILED', 'Could not send the presence', { cause: err });
    }
  }
}
