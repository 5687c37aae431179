/**
 * `<message>` from a companion: the server acks it (class="message"), then
 * hands each addressed device its copy.
 * - 1:1: `<participants><to jid=device><enc/></to>…` (or one bare `<enc>` for
 *   a peer message). A phone (device 0) is simulated: it decrypts at once
 *   (`phone/receive.ts`), files the text and answers with a delivery receipt
 *   (another account's phone) or a `sender` receipt (the account's own phone,
 *   which got the copy of what its companion sent). Copies for companions,
 *   of the contact's account or the sender's own, are relayed as the network
 *   does: `from` the sending device, `recipient` on the sender's own copies.
 * - group (`to=<id>@g.us`): the `skmsg` goes to every participant device,
 *   with that device's pairwise `<enc>` (the sender key distribution) when
 *   the sender included one. Phones take the sender key and decrypt.
 * A phone told to fail (`PhoneBehaviour.failNextDecrypts`) answers a pairwise
 * message with a retry receipt instead and files it when it comes again.
 */
import { proto } from 'baileys';
import { child, children, contentBytes, node, uintBE, type BinaryNode } from '../binary/nodes.js';
import { parseUserJid, resolveJid, reachableDeviceIds, type ResolvedJid } from '../accounts/jids.js';
import { deviceJid, deviceLid, type Account, type Group } from '../accounts/registry.js';
import { acceptDistribution, decryptGroupMessage } from '../phone/groupKeys.js';
import { fileIncoming, receiptToSender } from '../phone/inboxes.js';
import { decryptForPhone, destinationOf, textOf, unpad, type CipherType, type Sender } from '../phone/receive.js';
import { describeMedia } from '../media/phoneMedia.js';
import type { StanzaRouter } from '../router/stanzaRouter.js';
import type { SandboxConnection } from '../stream/connection.js';
import type { HandlerContext } from './context.js';

interface Copy {
  to: ResolvedJid;
  type: CipherType;
  enc: BinaryNode;
  ciphertext: Buffer;
}

const unixNow = (): string => String(Math.floor(Date.now() / 1000));
const deviceKey = (account: Account, deviceId: number): string => `${account.phoneNumber}:${deviceId}`;

/** `<participants><to jid><enc/></to>…</participants>`, or one bare `<enc>` for the `to` of the stanza (peer messages). */
function copiesOf(stanza: BinaryNode, ctx: HandlerContext): Copy[] {
  const addressed = child(stanza, 'participants')
    ? children(child(stanza, 'participants'), 'to').map((to) => [to.attrs.jid ?? '', child(to, 'enc')] as const)
    : [[stanza.attrs.to ?? '', children(stanza, 'enc').find((e) => e.attrs.type !== 'skmsg')] as const];
  const copies: Copy[] = [];
  // One copy per device, however it was addressed (PN or LID): a device never gets a message twice.
  const seen = new Set<string>();
  for (const [jid, enc] of addressed) {
    const type = enc?.attrs.type;
    const ciphertext = contentBytes(enc);
    const to = resolveJid(ctx.registry, jid);
    if (!to || !enc || !ciphertext || (type !== 'pkmsg' && type !== 'msg')) continue;
    const key = deviceKey(to.account, to.deviceId ?? 0);
    if (seen.has(key)) continue;
    seen.add(key);
    copies.push({ to, type, enc, ciphertext });
  }
  return copies;
}

export function registerMessageHandlers(router: StanzaRouter, ctx: HandlerContext): void {
  router.stanza('message', async (stanza, conn) => {
    const id = stanza.attrs.id;
    const to = stanza.attrs.to;
    const peer = ctx.peer(conn);
    const device = peer.account && peer.deviceId !== null ? peer.account.devices.get(peer.deviceId) : undefined;
    if (!id || !to) return;
    if (!peer.account || !device) {
      conn.send(node('ack', { class: 'message', id, from: to, t: unixNow(), error: '401' }));
      return;
    }
    const sender: Sender = { account: peer.account, deviceId: device.deviceId, identityKey: device.identityKey };
    if (to.endsWith('@g.us')) {
      const group = ctx.registry.group(to);
      if (!group || !group.participants.includes(sender.account.phoneNumber)) {
        conn.send(node('ack', { class: 'message', id, from: to, t: unixNow(), error: group ? '403' : '404' }));
        return;
      }
      conn.send(node('ack', { class: 'message', id, from: to, t: unixNow() }));
      await relayGroup(ctx, sender, group, stanza, id);
      return;
    }
    // The server accepts the message before any device has it.
    conn.send(node('ack', { class: 'message', id, from: to, t: unixNow() }));
    const chat = parseUserJid(to);
    const server = chat?.server ?? 's.whatsapp.net';
    const extra = children(stanza, 'device-identity');
    for (const copy of copiesOf(stanza, ctx)) {
      const deviceId = copy.to.deviceId ?? 0;
      if (copy.to.account === sender.account && deviceId === sender.deviceId) continue;
      if (deviceId === 0) {
        await deliverToPhone(ctx, conn, sender, copy, id, to);
        continue;
      }
      if (!copy.to.account.devices.has(deviceId)) continue;
      const attrs: Record<string, string> =
        server === 'lid'
          ? { id, from: deviceLid(sender.account, sender.deviceId), sender_pn: `${sender.account.phoneNumber}@s.whatsapp.net` }
          : { id, from: deviceJid(sender.account, sender.deviceId), sender_lid: `${sender.account.lid}@lid` };
      Object.assign(attrs, { type: stanza.attrs.type ?? 'text', t: unixNow() });
      if (copy.to.account === sender.account) attrs.recipient = to;
      if (stanza.attrs.category) attrs.category = stanza.attrs.category;
      ctx.delivery.send(copy.to.account.phoneNumber, deviceId, node('message', attrs, [copy.enc, ...extra]));
    }
  });
}

/**
 * `<receipt type="retry">` from a phone that could not decrypt: the client
 * sends the message again (in a group: to the whole group, with its sender
 * key distributed afresh, since the phone names no device).
 */
function retryReceipt(ctx: HandlerContext, phone: Account, id: string, from: string, group?: string): BinaryNode {
  const t = unixNow();
  const attrs: Record<string, string> = group ? { id, from: group, participant: from, type: 'retry', t } : { id, from, type: 'retry', t };
  return node('receipt', attrs, [
    node('retry', { count: '1', id, t, v: '1' }),
    node('registration', {}, uintBE(ctx.registry.phoneSignal(phone).registrationId, 4)),
  ]);
}

async function deliverToPhone(ctx: HandlerContext, conn: SandboxConnection, sender: Sender, copy: Copy, id: string, to: string): Promise<void> {
  const phone = copy.to.account;
  const ownPhone = phone === sender.account;
  const log = conn.logger.child({ msgId: id, phone: phone.phoneNumber });
  if (!ownPhone && ctx.phones.takeFailure(phone.phoneNumber)) {
    ctx.phones.noteRetry(phone.phoneNumber, id);
    log.info({ type: copy.type }, 'phone plays a failed decryption: retry receipt');
    conn.send(retryReceipt(ctx, phone, id, `${phone.phoneNumber}@s.whatsapp.net`));
    return;
  }
  let message;
  try {
    message = await decryptForPhone(ctx.registry, phone, sender, copy.type, copy.ciphertext);
  } catch (err) {
    // What a real phone does: ask the sender for the message again.
    log.warn({ type: copy.type, err: (err as Error).message }, 'phone could not decrypt a message');
    if (!ownPhone) {
      ctx.phones.noteRetry(phone.phoneNumber, id);
      conn.send(retryReceipt(ctx, phone, id, `${phone.phoneNumber}@s.whatsapp.net`));
    }
    return;
  }
  log.info({ from: sender.account.phoneNumber, type: copy.type }, 'phone received a message');
  const media = describeMedia(message);
  const text = textOf(message) ?? (media ? (media.caption ?? '') : undefined);
  if (ownPhone) {
    if (text !== undefined && isChatWith(ctx, destinationOf(message), phone)) {
      fileIncoming(ctx, phone, { id, from: sender.account, to: phone.phoneNumber, text, senderDeviceId: sender.deviceId, ...(media ? { media } : {}) });
    }
    conn.send(node('receipt', { id, from: `${phone.phoneNumber}@s.whatsapp.net`, recipient: to, type: 'sender', t: unixNow() }));
    return;
  }
  if (text !== undefined) fileIncoming(ctx, phone, { id, from: sender.account, to: phone.phoneNumber, text, senderDeviceId: sender.deviceId, ...(media ? { media } : {}) });
  else receiptToSender(ctx, phone, 0, sender.account, id, undefined, 'delivery');
}

/** A copy of its own companion's message is the phone's to show only when the chat is the account's own. */
function isChatWith(ctx: HandlerContext, destination: string | undefined, phone: Account): boolean {
  return destination !== undefined && resolveJid(ctx.registry, destination)?.account === phone;
}

async function relayGroup(ctx: HandlerContext, sender: Sender, group: Group, stanza: BinaryNode, id: string): Promise<void> {
  const skmsg = children(stanza, 'enc').find((e) => e.attrs.type === 'skmsg');
  const pairwise = new Map(copiesOf(stanza, ctx).map((c) => [deviceKey(c.to.account, c.to.deviceId ?? 0), c]));
  const attrs: Record<string, string> = {
    id,
    from: group.id,
    participant: deviceJid(sender.account, sender.deviceId),
    participant_lid: `${sender.account.lid}@lid`,
    type: stanza.attrs.type ?? 'text',
    t: unixNow(),
  };
  const extra = children(stanza, 'device-identity');
  for (const number of group.participants) {
    const account = ctx.registry.get(number);
    if (!account) continue;
    for (const deviceId of reachableDeviceIds(account)) {
      if (account === sender.account && deviceId === sender.deviceId) continue;
      const copy = pairwise.get(deviceKey(account, deviceId));
      if (deviceId === 0) {
        await phoneReceivesGroup(ctx, sender, account, group, id, copy, skmsg);
        continue;
      }
      const content = [...(copy ? [copy.enc] : []), ...(skmsg ? [skmsg] : []), ...(copy ? extra : [])];
      if (content.length) ctx.delivery.send(account.phoneNumber, deviceId, node('message', attrs, content));
    }
  }
}

async function phoneReceivesGroup(
  ctx: HandlerContext,
  sender: Sender,
  phone: Account,
  group: Group,
  id: string,
  copy: Copy | undefined,
  skmsg: BinaryNode | undefined,
): Promise<void> {
  const author = { phoneNumber: sender.account.phoneNumber, deviceId: sender.deviceId };
  const log = ctx.logger.child({ msgId: id, phone: phone.phoneNumber, group: group.id });
  const askAgain = (): void => {
    ctx.phones.noteRetry(phone.phoneNumber, id);
    ctx.delivery.send(sender.account.phoneNumber, sender.deviceId, retryReceipt(ctx, phone, id, `${phone.phoneNumber}@s.whatsapp.net`, group.id));
  };
  if (phone !== sender.account && ctx.phones.takeFailure(phone.phoneNumber)) {
    log.info('phone plays a failed decryption: retry receipt');
    askAgain();
    return;
  }
  let text: string | undefined;
  try {
    if (copy) {
      const message = await decryptForPhone(ctx.registry, phone, sender, copy.type, copy.ciphertext);
      const skdm = message.senderKeyDistributionMessage;
      if (skdm?.axolotlSenderKeyDistributionMessage && skdm.groupId === group.id) {
        await acceptDistribution(phone, group.id, author, skdm.axolotlSenderKeyDistributionMessage);
      }
      text = textOf(message);
    }
    const ciphertext = contentBytes(skmsg);
    if (ciphertext) text = textOf(proto.Message.decode(unpad(await decryptGroupMessage(phone, group.id, author, ciphertext)))) ?? text;
  } catch (err) {
    // No sender key (e.g. the sandbox restarted: phones keep group keys in memory): ask for it again.
    log.warn({ err: (err as Error).message }, 'phone could not decrypt a group message');
    if (phone !== sender.account) askAgain();
    return;
  }
  if (phone === sender.account || text === undefined) return;
  fileIncoming(ctx, phone, { id, from: sender.account, to: group.id, text, senderDeviceId: sender.deviceId });
}
