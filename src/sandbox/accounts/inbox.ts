/**
 * A simulated phone's conversation log: the texts it received (`in`) and
 * sent (`out`), each with the receipts that went with it (sent by this phone
 * for `in`, received from the other side's devices for `out`). This is what a
 * developer reads back through the control API.
 */

export type ReceiptKind = 'delivery' | 'read' | 'retry';

export interface MessageReceipt {
  type: ReceiptKind;
  /** Phone number of the account whose device sent the receipt. */
  by: string;
  /** The device that sent it (0 = the phone). */
  deviceId: number;
  /** ISO-8601. */
  at: string;
}
import type { ReceivedMediaRef } from '../media/phoneMedia.js';

export interface ReceivedMessage {
  /** The message id the sender chose (the stanza id). */
  id: string;
  /** Absent in state files written before the phone could send ('in'). */
  direction?: 'in' | 'out';
  /** The sender's phone number (E.164 digits, no '+'). */
  from: string;
  /** The recipient's phone number, or the group JID. Absent in old state files (then: this phone). */
  to?: string;
  text: string;
  /** Media the message carried (its keys, to download and decrypt it on demand). */
  media?: ReceivedMediaRef;
  /** ISO-8601 time the phone decrypted it ('in') or sent it ('out'). */
  receivedAt: string;
  /** Receipts this phone sent ('in') or received ('out'). */
  receipts?: MessageReceipt[];
}

/** The inbox is persisted with the account, so it stays bounded: only the newest are kept. */
export const INBOX_LIMIT = 200;
/** A group message collects one receipt per device and kind; bounded as well. */
const RECEIPT_LIMIT = 100;

/** Append (newest last), dropping the oldest beyond the limit. */
export function appendToInbox(inbox: ReceivedMessage[], message: ReceivedMessage): void {
  inbox.push(message);
  if (inbox.length > INBOX_LIMIT) inbox.splice(0, inbox.length - INBOX_LIMIT);
}

/** Record a receipt on the message with this id (newest first); false when the phone no longer has it. */
export function addReceipt(inbox: ReceivedMessage[], id: string, direction: 'in' | 'out', receipt: MessageReceipt): boolean {
  for (let i = inbox.length - 1; i >= 0; i--) {
    const message = inbox[i]!;
    if (message.id !== id || (message.direction ?? 'in') !== direction) continue;
    const receipts = (message.receipts ??= []);
    if (receipts.some((r) => r.type === receipt.type && r.by === receipt.by && r.deviceId === receipt.deviceId)) return true;
    if (receipts.length < RECEIPT_LIMIT) receipts.push(receipt);
    return true;
  }
  return false;
}

export function findMessage(inbox: ReceivedMessage[], id: string, direction: 'in' | 'out'): ReceivedMessage | undefined {
  for (let i = inbox.length - 1; i >= 0; i--) {
    const message = inbox[i]!;
    if (message.id === id && (message.direction ?? 'in') === direction) return message;
  }
  return undefined;
}
