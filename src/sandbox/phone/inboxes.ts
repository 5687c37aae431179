/**
 * A simulated phone files what it received and answers with receipts, the
 * way the recipient's devices do on the real network: a delivery receipt as
 * soon as it has the message, a read receipt when the developer marks it
 * read. Receipts go to every linked device of the sender's account (offline
 * ones get them later) and, when the sender is itself a simulated phone, are
 * recorded on the sender's `out` message.
 */
import type { ReceivedMediaRef } from '../media/phoneMedia.js';
import { node, type BinaryNode } from '../binary/nodes.js';
import { addReceipt, appendToInbox, findMessage, type ReceiptKind } from '../accounts/inbox.js';
import type { Account } from '../accounts/registry.js';
import type { HandlerContext } from '../handlers/context.js';

type Ctx = Pick<HandlerContext, 'registry' | 'delivery' | 'logger' | 'phones'>;

const unixNow = (): string => String(Math.floor(Date.now() / 1000));

/** The receipt a sender's device gets: from the reader (1:1), or from the group with the reader as participant. */
export function receiptStanza(by: Account, id: string, chat: string | undefined, type: 'delivery' | 'read'): BinaryNode {
  const attrs: Record<string, string> = chat?.endsWith('@g.us')
    ? { id, from: chat, participant: `${by.phoneNumber}@s.whatsapp.net`, t: unixNow() }
    : { id, from: `${by.phoneNumber}@s.whatsapp.net`, t: unixNow() };
  if (type === 'read') attrs.type = 'read';
  return node('receipt', attrs);
}

/** Tell the sender's account that `by` (device `byDevice`) got or read message `id`. */
export function receiptToSender(ctx: Ctx, by: Account, byDevice: number, sender: Account, id: string, chat: string | undefined, type: 'delivery' | 'read'): void {
  if (addReceipt(sender.inbox, id, 'out', { type, by: by.phoneNumber, deviceId: byDevice, at: new Date().toISOString() })) {
    ctx.registry.touch();
  }
  const stanza = receiptStanza(by, id, chat, type);
  for (const device of sender.devices.values()) ctx.delivery.send(sender.phoneNumber, device.deviceId, stanza);
}

export interface Incoming {
  id: string;
  from: Account;
  /** The recipient's number, or the group JID. */
  to: string;
  text: string;
  senderDeviceId: number;
  /** The media's keys, when the message carried media (downloaded on demand). */
  media?: ReceivedMediaRef;
}

/**
 * File a message the phone just got and send the delivery receipt. A message
 * the phone already has (sent again after a retry, or to all devices again)
 * is not filed twice, but still acknowledged.
 */
export function fileIncoming(ctx: Ctx, phone: Account, message: Incoming): void {
  const chat = message.to.endsWith('@g.us') ? message.to : undefined;
  if (!findMessage(phone.inbox, message.id, 'in')) {
    const at = new Date().toISOString();
    const receipts: Array<{ type: ReceiptKind; by: string; deviceId: number; at: string }> = [];
    if (ctx.phones.takeRetry(phone.phoneNumber, message.id)) receipts.push({ type: 'retry', by: phone.phoneNumber, deviceId: 0, at });
    receipts.push({ type: 'delivery', by: phone.phoneNumber, deviceId: 0, at });
    appendToInbox(phone.inbox, {
      id: message.id,
      direction: 'in',
      from: message.from.phoneNumber,
      to: message.to,
      text: message.text,
      ...(message.media ? { media: message.media } : {}),
      receivedAt: at,
      receipts,
    });
    ctx.registry.touch();
    ctx.logger.debug({ phone: phone.phoneNumber, from: message.from.phoneNumber, msgId: message.id }, 'phone filed a message');
  }
  receiptToSender(ctx, phone, 0, message.from, message.id, chat, 'delivery');
}

/** The phone reads messages (all unread when `ids` is empty): read receipts to each sender. Returns the ids marked. */
export function markRead(ctx: Ctx, phone: Account, ids: string[]): string[] {
  const wanted = new Set(ids);
  const marked: string[] = [];
  for (const message of phone.inbox) {
    if ((message.direction ?? 'in') !== 'in' || (wanted.size > 0 && !wanted.has(message.id))) continue;
    const receipts = (message.receipts ??= []);
    if (receipts.some((r) => r.type === 'read')) continue;
    receipts.push({ type: 'read', by: phone.phoneNumber, deviceId: 0, at: new Date().toISOString() });
    marked.push(message.id);
    const sender = ctx.registry.get(message.from);
    if (sender && sender !== phone) receiptToSender(ctx, phone, 0, sender, message.id, message.to, 'read');
  }
  if (marked.length) ctx.registry.touch();
  return marked;
}
