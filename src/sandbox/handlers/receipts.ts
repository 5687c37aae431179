/**
 * `<receipt>` from a companion, for a message it received. The server acks
 * it (`<ack class="receipt">`), then:
 * - delivery (no type, or `inactive`) and `read`: to every linked device of
 *   the message's sender, from the reader (1:1) or from the group with the
 *   reader as participant; a simulated phone that sent the message records it;
 * - `retry` (the device could not decrypt): a simulated phone sends the
 *   message again to that device; a companion gets the receipt, from the
 *   requesting device, and answers it itself;
 * - `sender`, `read-self`, `peer_msg`, `hist_sync`: between the account's own
 *   devices; nothing to relay.
 */
import { child, children, node, type BinaryNode } from '../binary/nodes.js';
import { addReceipt, findMessage } from '../accounts/inbox.js';
import { resolveJid } from '../accounts/jids.js';
import { deviceJid, type Account } from '../accounts/registry.js';
import { resend } from '../phone/send.js';
import type { StanzaRouter } from '../router/stanzaRouter.js';
import type { HandlerContext } from './context.js';

const unixNow = (): string => String(Math.floor(Date.now() / 1000));

export function registerReceiptHandlers(router: StanzaRouter, ctx: HandlerContext): void {
  router.stanza('receipt', async (stanza, conn) => {
    const { id, to, participant, type } = stanza.attrs;
    const peer = ctx.peer(conn);
    if (!id || !to || !peer.account || peer.deviceId === null) return;
    const ack: Record<string, string> = { class: 'receipt', id, from: to };
    if (participant) ack.participant = participant;
    if (type) ack.type = type;
    conn.send(node('ack', ack));

    const kind = type === undefined || type === 'inactive' ? 'delivery' : type === 'read' || type === 'retry' ? type : null;
    if (!kind) return;
    const isGroup = to.endsWith('@g.us');
    const author = resolveJid(ctx.registry, isGroup ? (participant ?? '') : to);
    if (!author || author.account === peer.account) return;
    const reader = peer.account;
    const readerDevice = peer.deviceId;
    const ids = [id, ...children(child(stanza, 'list'), 'item').flatMap((item) => (item.attrs.id ? [item.attrs.id] : []))];
    const authorDevice = author.deviceId ?? 0;

    if (kind === 'retry') {
      const count = Number(child(stanza, 'retry')?.attrs.count ?? '1') || 1;
      if (authorDevice === 0) {
        const sent = findMessage(author.account.inbox, id, 'out');
        if (!sent) return;
        addReceipt(author.account.inbox, id, 'out', { type: 'retry', by: reader.phoneNumber, deviceId: readerDevice, at: new Date().toISOString() });
        await resend(ctx, author.account, sent, reader, readerDevice, count);
        return;
      }
      // The sending companion answers its own retries: the receipt names the device that asks.
      const from = deviceJid(reader, readerDevice);
      const attrs: Record<string, string> = isGroup ? { id, from: to, participant: from, type: 'retry', t: unixNow() } : { id, from, type: 'retry', t: unixNow() };
      const content = Array.isArray(stanza.content) ? stanza.content : undefined;
      ctx.delivery.send(author.account.phoneNumber, authorDevice, node('receipt', attrs, content));
      return;
    }

    const at = new Date().toISOString();
    let recorded = false;
    for (const messageId of ids) {
      recorded = addReceipt(author.account.inbox, messageId, 'out', { type: kind, by: reader.phoneNumber, deviceId: readerDevice, at }) || recorded;
    }
    if (recorded) ctx.registry.touch();
    relayToSender(ctx, author.account, reader, ids, isGroup ? to : undefined, kind);
  });
}

/** The receipt (one id, the rest in `<list>`) to every linked device of the sender's account. */
function relayToSender(ctx: HandlerContext, sender: Account, reader: Account, ids: string[], group: string | undefined, kind: 'delivery' | 'read'): void {
  const readerJid = `${reader.phoneNumber}@s.whatsapp.net`;
  const attrs: Record<string, string> = group ? { id: ids[0]!, from: group, participant: readerJid, t: unixNow() } : { id: ids[0]!, from: readerJid, t: unixNow() };
  if (kind === 'read') attrs.type = 'read';
  const rest: BinaryNode[] = ids.slice(1).map((item) => node('item', { id: item }));
  const stanza = node('receipt', attrs, rest.length ? [node('list', {}, rest)] : undefined);
  for (const device of sender.devices.values()) ctx.delivery.send(sender.phoneNumber, device.deviceId, stanza);
}
