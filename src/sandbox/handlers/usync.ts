/**
 * xmlns="usync": what the client learns about users before it sends to them.
 * Answers the protocols the query asks for, per user: `devices` (the phone
 * plus linked companions, with their key index), `lid` (the LID mapping the
 * client relies on, own account included) and `contact` (on WhatsApp or not).
 * Unknown numbers come back with no devices and no LID, so nothing is sent to them.
 */
import { child, children, contentBytes, node, type BinaryNode } from '../binary/nodes.js';
import { resolveJid, reachableDeviceIds, userJid, type ResolvedJid } from '../accounts/jids.js';
import { IqFailure, type StanzaRouter } from '../router/stanzaRouter.js';
import type { HandlerContext } from './context.js';

function devicesNode(resolved: ResolvedJid | null): BinaryNode {
  const account = resolved?.account;
  const ids = account ? reachableDeviceIds(account) : [];
  return node('devices', {}, [
    node(
      'device-list',
      {},
      ids.map((id) =>
        id === 0 ? node('device', { id: '0' }) : node('device', { id: String(id), 'key-index': String(account!.devices.get(id)!.keyIndex) }),
      ),
    ),
  ]);
}

/** The JID a user is asked by: the `jid` attribute, or a `+<digits>` phone number in `<contact>`. */
function requestedJid(user: BinaryNode): string | null {
  if (user.attrs.jid) return user.attrs.jid;
  const phone = contentBytes(child(user, 'contact'))?.toString('utf8').replace(/[^\d]/g, '');
  return phone ? `${phone}@s.whatsapp.net` : null;
}

export function registerUsyncHandlers(router: StanzaRouter, ctx: HandlerContext): void {
  router.iq('usync', 'usync', (iq, conn) => {
    if (!ctx.peer(conn).account) throw new IqFailure(401, 'not-authorized');
    const usync = child(iq, 'usync')!;
    const query = child(usync, 'query')?.content;
    const protocols = Array.isArray(query) ? query.map((p) => p.tag) : [];
    // A user asked for twice (the client lists itself and the chat, the same user in a self chat) is answered once.
    const seen = new Set<string>();
    const users = children(child(usync, 'list'), 'user').flatMap((user) => {
      const jid = requestedJid(user);
      if (!jid || seen.has(jid)) return [];
      seen.add(jid);
      const resolved = resolveJid(ctx.registry, jid);
      const parts: BinaryNode[] = [];
      for (const protocol of protocols) {
        switch (protocol) {
          case 'devices':
            parts.push(devicesNode(resolved));
            break;
          case 'lid':
            if (resolved) parts.push(node('lid', { val: userJid(resolved.account, 'lid') }));
            break;
          case 'contact':
            parts.push(node('contact', { type: resolved ? 'in' : 'out' }));
            break;
          default:
            // status, disappearing mode, bot profile…: nothing to say; the client skips a missing protocol.
            break;
        }
      }
      return [node('user', { jid }, parts)];
    });
    return [
      node('usync', { sid: usync.attrs.sid ?? '', mode: usync.attrs.mode ?? 'query', context: usync.attrs.context ?? 'interactive', index: '0', last: 'true' }, [
        node('result', {}, protocols.map((p) => node(p, {}))),
        node('list', {}, users),
      ]),
    ];
  });
}
