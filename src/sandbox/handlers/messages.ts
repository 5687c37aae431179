/**
 * `<message>` from a companion: the server acks it (class="message"), then
 * hands each addressed device its `<enc>`. A phone (device 0) of a sandbox
 * account decrypts it at once, files the text in its inbox and sends the
 * sender a receipt: a delivery receipt from another account's phone, a
 * `sender` receipt from the account's own phone (it got the copy of what its
 * companion sent). Companions of other accounts are not simulated, so their
 * copies go nowhere. Group (skmsg) messages are not delivered.
 */
import { child, children, contentBytes, node, type BinaryNode } from '../binary/nodes.js';
import { appendToInbox } from '../accounts/inbox.js';
import { parseUserJid, resolveJid, userJid, type ResolvedJid } from '../accounts/jids.js';
import type { Account } from '../accounts/registry.js';
import { decryptForPhone, destinationOf, textOf, type CipherType, type Sender } from '../phone/receive.js';
import { describeMedia } from '../media/phoneMedia.js';
import type { StanzaRouter } from '../router/stanzaRouter.js';
import type { SandboxConnection } from '../stream/connection.js';
import type { HandlerContext } from './context.js';

interface Copy {
  to: ResolvedJid;
  type: CipherType;
  ciphertext: Buffer;
}

const unixNow = (): string => String(Math.floor(Date.now() / 1000));

/** `<participants><to jid><enc/></to>…</participants>`, or one bare `<enc>` for the `to` of the stanza (peer messages). */
function copiesOf(stanza: BinaryNode, ctx: HandlerContext): Copy[] {
  const addressed = child(stanza, 'participants')
    ? children(child(stanza, 'participants'), 'to').map((to) => [to.attrs.jid ?? '', child(to, 'enc')] as const)
    : [[stanza.attrs.to ?? '', child(stanza, 'enc')] as const];
  const copies: Copy[] = [];
  // One copy per device, however it was addressed (PN or LID): a device never gets a message twice.
  const seen = new Set<string>();
  for (const [jid, enc] of addressed) {
    const type = enc?.attrs.type;
    const ciphertext = contentBytes(enc);
    const to = resolveJid(ctx.registry, jid);
    if (!to || !ciphertext || (type !== 'pkmsg' && type !== 'msg')) continue;
    const key = `${to.account.phoneNumber}:${to.deviceId ?? 0}`;
    if (seen.has(key)) continue;
    seen.add(key);
    copies.push({ to, type, ciphertext });
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
    // The server accepts the message before any device has it.
    conn.send(node('ack', { class: 'message', id, from: to, t: unixNow() }));
    const sender: Sender = { account: peer.account, deviceId: device.deviceId, identityKey: device.identityKey };
    const chat = parseUserJid(to);
    for (const copy of copiesOf(stanza, ctx)) {
      if ((copy.to.deviceId ?? 0) !== 0) continue;
      await deliverToPhone(ctx, conn, sender, copy, id, chat?.server ?? 's.whatsapp.net', to);
    }
  });
}

async function deliverToPhone(
  ctx: HandlerContext,
  conn: SandboxConnection,
  sender: Sender,
  copy: Copy,
  id: string,
  server: 's.whatsapp.net' | 'lid',
  to: string,
): Promise<void> {
  const phone = copy.to.account;
  const log = conn.logger.child({ msgId: id, phone: phone.phoneNumber });
  let message;
  try {
    message = await decryptForPhone(ctx.registry, phone, sender, copy.type, copy.ciphertext);
  } catch (err) {
    // A real phone would ask for a retry; the sandbox reports it and moves on.
    log.warn({ type: copy.type, err: (err as Error).message }, 'phone could not decrypt a message');
    return;
  }
  const ownPhone = phone === sender.account;
  const media = describeMedia(message);
  const text = textOf(message) ?? (media ? (media.caption ?? '') : undefined);
  if (text !== undefined && (!ownPhone || isChatWith(ctx, destinationOf(message), phone))) {
    appendToInbox(phone.inbox, { id, from: sender.account.phoneNumber, text, ...(media ? { media } : {}), receivedAt: new Date().toISOString() });
    ctx.registry.touch();
    log.info({ from: sender.account.phoneNumber, type: copy.type }, 'phone received a message');
  } else {
    log.debug({ type: copy.type }, 'phone received a message with nothing to show');
  }
  conn.send(
    ownPhone
      ? node('receipt', { id, from: userJid(phone, server), recipient: to, type: 'sender', t: unixNow() })
      : node('receipt', { id, from: userJid(phone, server), t: unixNow() }),
  );
}

/** A copy of its own companion's message is the phone's to show only when the chat is the account's own. */
function isChatWith(ctx: HandlerContext, destination: string | undefined, phone: Account): boolean {
  return destination !== undefined && resolveJid(ctx.registry, destination)?.account === phone;
}
