/**
 * When a logged-in device may have its stanzas: `passive` set with
 * `<active/>` (sent by every client right after login). The network answers,
 * then hands over what waited while the device was away (`Delivery`).
 * Also `w:sync:app:state`: the phone keeps no app state (contacts, chats'
 * settings) on the server, so every collection asked for comes back empty at
 * the version asked for, which the client takes as "in sync".
 */
import { child, children, iqResult, node, firstChild } from '../binary/nodes.js';
import { REPLIED, type StanzaRouter } from '../router/stanzaRouter.js';
import type { HandlerContext } from './context.js';

export function registerOfflineHandlers(router: StanzaRouter, ctx: HandlerContext): void {
  router.iq('passive', 'active', (iq, conn) => {
    conn.send(iqResult(iq));
    const peer = ctx.peer(conn);
    if (peer.account && peer.deviceId !== null && firstChild(iq)?.tag === 'active') {
      ctx.delivery.activate(peer.account.phoneNumber, peer.deviceId, conn);
    }
    return REPLIED;
  });

  router.iq('w:sync:app:state', 'sync', (iq) => [
    node(
      'sync',
      {},
      children(child(iq, 'sync'), 'collection').map((c) => node('collection', { name: c.attrs.name ?? '', version: c.attrs.version ?? '0' })),
    ),
  ]);
}
