/**
 * What a test's Baileys client saw: messages (with the cipher type each
 * arrived in), status updates, group receipts, presence and group events,
 * collected from the raw socket events so a test can wait for one.
 */
import type { BinaryNode, WAMessage, WAMessageUpdate, MessageUserReceiptUpdate } from 'baileys';
import type { TestClient } from './helpers.js';

export interface SeenMessage {
  id: string;
  remoteJid: string;
  fromMe: boolean;
  participant: string | undefined;
  text: string | undefined;
  message: WAMessage;
}

export class Observed {
  readonly messages: SeenMessage[] = [];
  readonly updates: WAMessageUpdate[] = [];
  readonly groupReceipts: MessageUserReceiptUpdate[] = [];
  readonly presences: Array<{ id: string; presences: Record<string, { lastKnownPresence: string }> }> = [];
  readonly groupEvents: Array<{ id: string; action: string; participants: string[] }> = [];
  readonly groupsUpserted: string[] = [];
  /** Every `<message>` stanza: id, the cipher types of its `<enc>` children, and their retry counts. */
  readonly stanzas: Array<{ id: string; types: string[]; counts: string[]; offline: boolean }> = [];
  readonly history: Array<{ contacts: number; chats: string[] }> = [];

  constructor(client: TestClient) {
    const { ev, ws } = client.sock;
    ev.on('messages.upsert', ({ messages }) => {
      for (const m of messages) {
        const content = m.message;
        this.messages.push({
          id: m.key.id ?? '',
          remoteJid: m.key.remoteJid ?? '',
          fromMe: m.key.fromMe === true,
          participant: m.key.participant ?? undefined,
          text: content?.conversation ?? content?.extendedTextMessage?.text ?? undefined,
          message: m,
        });
      }
    });
    ev.on('messages.update', (updates) => this.updates.push(...updates));
    ev.on('message-receipt.update', (updates) => this.groupReceipts.push(...updates));
    ev.on('presence.update', (update) => this.presences.push(update as (typeof this.presences)[number]));
    ev.on('group-participants.update', (u) => this.groupEvents.push({ id: u.id, action: u.action, participants: u.participants.map((p) => (typeof p === 'string' ? p : (p.id ?? ''))) }));
    ev.on('groups.upsert', (groups) => this.groupsUpserted.push(...groups.map((g) => g.id)));
    ev.on('messaging-history.set', ({ contacts, chats }) => this.history.push({ contacts: contacts.length, chats: chats.map((c) => c.id ?? '') }));
    ws.on('CB:message', (stanza: BinaryNode) => {
      const encs = Array.isArray(stanza.content) ? stanza.content.filter((c) => c.tag === 'enc') : [];
      this.stanzas.push({
        id: stanza.attrs.id ?? '',
        types: encs.map((e) => e.attrs.type ?? ''),
        counts: encs.map((e) => e.attrs.count ?? ''),
        offline: stanza.attrs.offline !== undefined,
      });
    });
  }

  /** Highest status the client reported for a message of its own (updates merged into a buffered upsert count too). */
  status(id: string): number {
    const fromUpdates = this.updates.filter((u) => u.key.id === id).map((u) => u.update.status ?? 0);
    const fromUpserts = this.messages.filter((m) => m.id === id).map((m) => m.message.status ?? 0);
    return Math.max(0, ...fromUpdates, ...fromUpserts);
  }

  /** Whether a group receipt from `userJid` reached this client (as an event, or merged into a buffered upsert). */
  hasGroupReceipt(id: string, userJid: string): boolean {
    return (
      this.groupReceipts.some((r) => r.key.id === id && r.receipt.userJid === userJid) ||
      this.messages.some((m) => m.id === id && (m.message.userReceipt ?? []).some((r) => r.userJid === userJid))
    );
  }

  text(id: string): SeenMessage | undefined {
    return this.messages.find((m) => m.id === id && m.text !== undefined);
  }
}

/** Poll until `probe` returns something (events land just after the action that caused them). */
export async function eventually<T>(probe: () => T | undefined | null | false, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
