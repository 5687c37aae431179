/**
 * A simulated phone sends a text, as WhatsApp delivers it:
 * - to a person: every linked device of the recipient's account gets its own
 *   Signal-encrypted copy (`pkmsg` on a new session, `msg` after), and the
 *   sender's own linked devices get the copy wrapped as `deviceSentMessage`
 *   with `recipient` set; the recipient's phone, also simulated, files it
 *   directly (both phones are the network's own, nothing to encrypt between them);
 * - to a group: one sender-key (`skmsg`) ciphertext for every participant
 *   device, preceded, for devices that do not have the phone's sender key yet,
 *   by a pairwise message carrying its distribution.
 * Devices that are offline get it when they come back (`Delivery`). A device
 * that could not decrypt asks again with a retry receipt: `resend`.
 */
import { randomBytes } from 'node:crypto';
import type { proto } from 'baileys';
import { node, type BinaryNode } from '../binary/nodes.js';
import { appendToInbox, type ReceivedMessage } from '../accounts/inbox.js';
import type { Account, Group, LinkedDevice } from '../accounts/registry.js';
import type { HandlerContext } from '../handlers/context.js';
import { SandboxError } from '../errors.js';
import { encryptForDevice, forgetSession, padMessage, type Pairwise } from './encrypt.js';
import { distributionFor, encryptForGroup, needingKey } from './groupKeys.js';
import { fileIncoming, receiptStanza } from './inboxes.js';

export type PhoneContext = Pick<HandlerContext, 'registry' | 'delivery' | 'logger' | 'phones'>;

const unixNow = (): string => String(Math.floor(Date.now() / 1000));
const pnJid = (account: Account): string => `${account.phoneNumber}@s.whatsapp.net`;

/** Ids as a phone makes them: 3A + 18 upper-case hex digits. */
export function newMessageId(): string {
  return `3A${randomBytes(9).toString('hex').toUpperCase()}`;
}

/** Companions a sender can encrypt to: linked devices with a signed pre-key. */
export function companionsOf(account: Account): LinkedDevice[] {
  return [...account.devices.values()].filter((d) => d.signedPreKey).sort((a, b) => a.deviceId - b.deviceId);
}

function encNode(pairwise: Pairwise, count?: number): BinaryNode {
  const attrs: Record<string, string> = { v: '2', type: pairwise.type };
  if (count !== undefined) attrs.count = String(count);
  return node('enc', attrs, pairwise.ciphertext);
}

function messageAttrs(phone: Account, id: string, extra: Record<string, string>): Record<string, string> {
  return { id, type: 'text', t: unixNow(), notify: phone.name, ...extra };
}

/** Encrypt and hand over one pairwise copy; a device that cannot be encrypted to is logged and skipped. */
async function sendPairwise(
  ctx: PhoneContext,
  phone: Account,
  target: Account,
  device: LinkedDevice,
  message: proto.IMessage,
  attrs: Record<string, string>,
  extra: BinaryNode[] = [],
  count?: number,
): Promise<void> {
  try {
    const pairwise = await encryptForDevice(ctx.registry, phone, target, device, message);
    ctx.delivery.send(target.phoneNumber, device.deviceId, node('message', attrs, [encNode(pairwise, count), ...extra]));
  } catch (err) {
    ctx.logger.warn({ phone: phone.phoneNumber, to: `${target.phoneNumber}:${device.deviceId}`, err: (err as Error).message }, 'phone could not encrypt to a device');
  }
}

export async function phoneSendText(ctx: PhoneContext, phone: Account, to: string, text: string): Promise<string> {
  return phoneSendMessage(ctx, phone, to, { conversation: text }, text);
}

/** The phone sends any message content; `text` is what its own log shows (the text, or a media caption). */
export async function phoneSendMessage(ctx: PhoneContext, phone: Account, to: string, message: proto.IMessage, text: string): Promise<string> {
  const id = newMessageId();
  if (to.endsWith('@g.us')) {
    const group = ctx.registry.group(to);
    if (!group) throw new SandboxError('NO_SUCH_GROUP', `no group ${to}`);
    if (!group.participants.includes(phone.phoneNumber)) throw new SandboxError('NOT_A_PARTICIPANT', `+${phone.phoneNumber} is not in ${to}`);
    record(ctx, phone, { id, direction: 'out', from: phone.phoneNumber, to, text, receivedAt: new Date().toISOString(), receipts: [] });
    await sendToGroup(ctx, phone, group, id, message, text);
    return id;
  }
  const recipient = ctx.registry.get(to);
  if (!recipient) throw new SandboxError('NO_SUCH_PHONE', `+${to} is not on the sandbox network`);
  record(ctx, phone, { id, direction: 'out', from: phone.phoneNumber, to, text, receivedAt: new Date().toISOString(), receipts: [] });
  const attrs = messageAttrs(phone, id, { from: pnJid(phone), sender_lid: `${phone.lid}@lid` });
  if (recipient !== phone) {
    fileIncoming(ctx, recipient, { id, from: phone, to: recipient.phoneNumber, text, senderDeviceId: 0 });
    for (const device of companionsOf(recipient)) await sendPairwise(ctx, phone, recipient, device, message, attrs);
  }
  const sent: proto.IMessage = { deviceSentMessage: { destinationJid: pnJid(recipient), message } };
  for (const device of companionsOf(phone)) {
    await sendPairwise(ctx, phone, phone, device, sent, { ...attrs, recipient: pnJid(recipient) });
  }
  ctx.logger.info({ phone: phone.phoneNumber, msgId: id }, 'phone sent a message');
  return id;
}

async function sendToGroup(ctx: PhoneContext, phone: Account, group: Group, id: string, message: proto.IMessage, text: string): Promise<void> {
  const { skmsg, distribution } = await encryptForGroup(phone, group.id, padMessage(message));
  const targets: Array<{ account: Account; device: LinkedDevice }> = [];
  for (const number of group.participants) {
    const account = ctx.registry.get(number);
    if (!account) continue;
    if (account !== phone) fileIncoming(ctx, account, { id, from: phone, to: group.id, text, senderDeviceId: 0 });
    for (const device of companionsOf(account)) targets.push({ account, device });
  }
  const missing = needingKey(phone, group.id, targets.map((t) => `${t.account.phoneNumber}:${t.device.deviceId}`));
  const attrs = messageAttrs(phone, id, { from: group.id, participant: pnJid(phone), participant_lid: `${phone.lid}@lid` });
  const skmsgNode = node('enc', { v: '2', type: 'skmsg' }, skmsg);
  const keyMessage: proto.IMessage = { senderKeyDistributionMessage: { groupId: group.id, axolotlSenderKeyDistributionMessage: distribution } };
  for (const { account, device } of targets) {
    if (missing.has(`${account.phoneNumber}:${device.deviceId}`)) {
      await sendPairwise(ctx, phone, account, device, keyMessage, attrs, [skmsgNode]);
    } else {
      ctx.delivery.send(account.phoneNumber, device.deviceId, node('message', attrs, [skmsgNode]));
    }
  }
  ctx.logger.info({ phone: phone.phoneNumber, group: group.id, msgId: id, devices: targets.length }, 'phone sent a group message');
}

/**
 * A device asked for a message of this phone again (retry receipt): a fresh
 * session (the device's copy failed, its session may be the broken part) and
 * the message again to that device only, with the retry count; in a group,
 * pairwise with the sender key inside, as the client expects.
 */
export async function resend(ctx: PhoneContext, phone: Account, sent: ReceivedMessage, target: Account, deviceId: number, count: number): Promise<void> {
  const device = target.devices.get(deviceId);
  if (!device?.signedPreKey) return;
  forgetSession(ctx.registry, phone, target, deviceId);
  const to = sent.to ?? phone.phoneNumber;
  const text: proto.IMessage = { conversation: sent.text };
  if (to.endsWith('@g.us')) {
    const distribution = await distributionFor(phone, to);
    const attrs = messageAttrs(phone, sent.id, { from: to, participant: pnJid(phone), participant_lid: `${phone.lid}@lid` });
    const message: proto.IMessage = { ...text, senderKeyDistributionMessage: { groupId: to, axolotlSenderKeyDistributionMessage: distribution } };
    await sendPairwise(ctx, phone, target, device, message, attrs, [], count);
    return;
  }
  const attrs = messageAttrs(phone, sent.id, { from: pnJid(phone), sender_lid: `${phone.lid}@lid` });
  if (target === phone) {
    const copy: proto.IMessage = { deviceSentMessage: { destinationJid: `${to}@s.whatsapp.net`, message: text } };
    await sendPairwise(ctx, phone, target, device, copy, { ...attrs, recipient: `${to}@s.whatsapp.net` }, [], count);
  } else {
    await sendPairwise(ctx, phone, target, device, text, attrs, [], count);
  }
  ctx.logger.info({ phone: phone.phoneNumber, msgId: sent.id, to: `${target.phoneNumber}:${deviceId}`, count }, 'phone sent a message again');
}

function record(ctx: PhoneContext, phone: Account, message: ReceivedMessage): void {
  appendToInbox(phone.inbox, message);
  ctx.registry.touch();
}

export { receiptStanza };
