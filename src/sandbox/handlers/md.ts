/** xmlns="md": multi-device management (pairing code stages, logout). */
import { firstChild } from '../binary/nodes.js';
import { IqFailure, type StanzaRouter } from '../router/stanzaRouter.js';
import type { HandlerContext } from './context.js';

export function registerMdHandlers(router: StanzaRouter, ctx: HandlerContext): void {
  router.iq('md', 'link_code_companion_reg', (iq, conn) => {
    const reg = firstChild(iq)!;
    const peer = ctx.peer(conn);
    switch (reg.attrs.stage) {
      case 'companion_hello':
        return ctx.pairingCodes.companionHello(peer, iq, reg);
      case 'companion_finish':
        return ctx.pairingCodes.companionFinish(peer, iq);
      default:
        throw new IqFailure(400, 'bad-request');
    }
  });

  // Logout from the companion: it unlinks itself (it closes right after, expecting nothing).
  router.iq('md', 'remove-companion-device', (iq, conn) => {
    const peer = ctx.peer(conn);
    const jid = firstChild(iq)?.attrs.jid ?? '';
    const match = /^(\d+)(?::(\d+))?@s\.whatsapp\.net$/.exec(jid);
    if (!peer.account || !match || match[1] !== peer.account.phoneNumber) throw new IqFailure(403, 'forbidden');
    const deviceId = Number(match[2] ?? 0);
    if (deviceId === 0) throw new IqFailure(400, 'cannot-remove-primary');
    ctx.removeDevice(peer.account.phoneNumber, deviceId);
  });
}
