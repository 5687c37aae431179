/**
 * The developer's side of conversations on the simulated network: phones
 * send texts (to a person or a group), create groups and change their
 * members, show presence and typing, read what they got, and can be told to
 * fail decrypting (to exercise retry receipts). `SandboxNetwork` exposes these.
 */
import { mediaInfo } from './media/phoneMedia.js';
import { assertPhoneNumber, type Account } from './accounts/registry.js';
import { SandboxError } from './errors.js';
import type { HandlerContext } from './handlers/context.js';
import type { PresenceRelay } from './handlers/presence.js';
import { addParticipant, createGroup, removeParticipant } from './phone/groupAdmin.js';
import { markRead } from './phone/inboxes.js';
import { phoneSendMessage, phoneSendText } from './phone/send.js';
import { MEDIA_KINDS, type MediaKind } from './media/mediaCrypto.js';
import type { PhoneMediaInput } from './media/phoneMedia.js';
import type { proto } from 'baileys';
import type { SandboxChatState, SandboxGroupInfo, SandboxMessage, SandboxPresenceState } from './types.js';

/** Longest text a phone sends (WhatsApp's own limit is about 65k characters). */
export const MAX_TEXT_LENGTH = 65_536;
const GROUP_JID = /^\d{6,40}(-\d+)?@g\.us$/;

export class Conversations {
  constructor(
    private readonly ctx: HandlerContext,
    private readonly presence: PresenceRelay,
    /** Encrypts a phone's file onto the media host and returns its message content. */
    private readonly mediaContent: (input: PhoneMediaInput) => proto.IMessage,
  ) {}

  /** The phone sends a file (image, video, audio, voice, document, sticker); resolves with the message id. */
  async sendMedia(phoneNumber: string, to: string, media: { type: string; base64: string; mimetype?: string; caption?: string; fileName?: string }): Promise<{ id: string }> {
    const phone = this.phone(phoneNumber);
    if (!(MEDIA_KINDS as readonly string[]).includes(media.type)) {
      throw new SandboxError('INVALID_MEDIA', `media.type must be one of ${MEDIA_KINDS.join(', ')}`);
    }
    const content = this.mediaContent({ ...media, type: media.type as MediaKind });
    return { id: await phoneSendMessage(this.ctx, phone, this.recipient(to), content, media.caption ?? '') };
  }

  /** The phone sends a text to a phone number or a group JID; resolves with the message id. */
  async sendText(phoneNumber: string, to: string, text: string): Promise<{ id: string }> {
    const phone = this.phone(phoneNumber);
    if (!text) throw new SandboxError('INVALID_MESSAGE', 'the text is empty');
    if (text.length > MAX_TEXT_LENGTH) throw new SandboxError('INVALID_MESSAGE', `the text is longer than ${MAX_TEXT_LENGTH} characters`);
    return { id: await phoneSendText(this.ctx, phone, this.recipient(to), text) };
  }

  /** Messages the phone received and sent, oldest first, each with its receipts. */
  messages(phoneNumber: string): SandboxMessage[] {
    return (this.ctx.registry.get(phoneNumber)?.inbox ?? []).map((m) => ({
      id: m.id,
      direction: m.direction ?? 'in',
      from: m.from,
      to: m.to ?? phoneNumber,
      text: m.text,
      ...(m.media ? { media: mediaInfo(m.media) } : {}),
      receivedAt: m.receivedAt,
      receipts: (m.receipts ?? []).map((r) => ({ ...r })),
    }));
  }

  /** The phone reads its messages (all unread when `ids` is empty): read receipts go to the senders. */
  markRead(phoneNumber: string, ids: string[] = []): string[] {
    return markRead(this.ctx, this.phone(phoneNumber), ids);
  }

  /** The phone's next `count` incoming messages fail to decrypt: it answers each with a retry receipt. */
  failNextDecrypts(phoneNumber: string, count = 1): void {
    this.phone(phoneNumber);
    this.ctx.phones.failNextDecrypts(phoneNumber, count);
  }

  /** Presence (`available`/`unavailable`) or typing (`composing`/`recording`/`paused`) toward a number or group. */
  sendPresence(phoneNumber: string, to: string, state: SandboxPresenceState): void {
    this.presence.fromPhone(this.phone(phoneNumber), this.recipient(to), state);
  }

  /** Typing notices the phone saw (newest last). */
  chatStates(phoneNumber: string): SandboxChatState[] {
    return this.ctx.phones.chatStatesSeen(phoneNumber);
  }

  createGroup(subject: string, participants: string[]): SandboxGroupInfo {
    if (!subject.trim()) throw new SandboxError('INVALID_GROUP', 'the subject is empty');
    return info(createGroup(this.ctx, subject, participants));
  }

  group(groupJid: string): SandboxGroupInfo | undefined {
    const group = this.ctx.registry.group(groupJid);
    return group ? info(group) : undefined;
  }

  /** Groups the phone is a member of (e.g. those `accountContent` made for it on link). */
  groupsOf(phoneNumber: string): SandboxGroupInfo[] {
    return this.ctx.registry.groupsOf(this.phone(phoneNumber).phoneNumber).map(info);
  }

  addParticipant(groupJid: string, phoneNumber: string): SandboxGroupInfo {
    return info(addParticipant(this.ctx, this.groupJid(groupJid), phoneNumber));
  }

  removeParticipant(groupJid: string, phoneNumber: string): SandboxGroupInfo {
    return info(removeParticipant(this.ctx, this.groupJid(groupJid), phoneNumber));
  }

  private phone(phoneNumber: string): Account {
    assertPhoneNumber(phoneNumber);
    const phone = this.ctx.registry.get(phoneNumber);
    if (!phone) throw new SandboxError('NO_SUCH_PHONE', `no simulated phone +${phoneNumber}`);
    return phone;
  }

  /** A phone number (digits, an optional '+', or `<digits>@s.whatsapp.net`) or a group JID. */
  private recipient(to: string): string {
    const trimmed = to.trim();
    if (trimmed.endsWith('@g.us')) return this.groupJid(trimmed);
    const number = trimmed.replace(/@s\.whatsapp\.net$/, '').replace(/^\+/, '');
    assertPhoneNumber(number);
    if (!this.ctx.registry.get(number)) throw new SandboxError('NO_SUCH_PHONE', `+${number} is not on the sandbox network`);
    return number;
  }

  private groupJid(jid: string): string {
    if (!GROUP_JID.test(jid)) throw new SandboxError('INVALID_GROUP', `"${jid}" is not a group JID (<digits>@g.us)`);
    if (!this.ctx.registry.group(jid)) throw new SandboxError('NO_SUCH_GROUP', `no group ${jid}`);
    return jid;
  }
}

function info(group: { id: string; subject: string; participants: string[] }): SandboxGroupInfo {
  return { id: group.id, subject: group.subject, participants: [...group.participants] };
}
