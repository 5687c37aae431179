/** xmlns="w:g2": the groups the account belongs to (participating list and one group's metadata). */
import { node, type BinaryNode } from '../binary/nodes.js';
import { deviceLid, type AccountRegistry, type Group } from '../accounts/registry.js';
import { IqFailure, type StanzaRouter } from '../router/stanzaRouter.js';
import type { HandlerContext } from './context.js';

export function groupNode(group: Group, registry: AccountRegistry): BinaryNode {
  return node(
    'group',
    {
      id: group.id.split('@')[0]!,
      subject: group.subject,
      s_t: String(group.createdAt),
      s_o: `${group.creator}@s.whatsapp.net`,
      creation: String(group.createdAt),
      creator: `${group.creator}@s.whatsapp.net`,
      size: String(group.participants.length),
    },
    group.participants.map((phone) => {
      const account = registry.get(phone);
      const attrs: Record<string, string> = { jid: `${phone}@s.whatsapp.net` };
      if (phone === group.creator) attrs.type = 'superadmin';
      if (account) attrs.lid = deviceLid(account, 0);
      return node('participant', attrs);
    }),
  );
}

export function registerGroupHandlers(router: StanzaRouter, ctx: HandlerContext): void {
  router.iq('w:g2', 'participating', (_iq, conn) => {
    const account = ctx.peer(conn).account;
    if (!account) throw new IqFailure(401, 'not-authorized');
    return [node('groups', {}, ctx.registry.groupsOf(account.phoneNumber).map((g) => groupNode(g, ctx.registry)))];
  });

  router.iq('w:g2', 'query', (iq, conn) => {
    const account = ctx.peer(conn).account;
    const group = ctx.registry.group(iq.attrs.to ?? '');
    if (!account) throw new IqFailure(401, 'not-authorized');
    if (!group) throw new IqFailure(404, 'item-not-found');
    if (!group.participants.includes(account.phoneNumber)) throw new IqFailure(403, 'forbidden');
    return [groupNode(group, ctx.registry)];
  });
}
