/**
 * xmlns="w:g2" set: group administration from a linked device, as
 * `groupCreate`, `groupParticipantsUpdate` and `groupLeave` send it. The
 * device's account creates a group (and is its only admin: the creator), adds
 * or removes members (per-participant result: 409 already in, 404 not in or
 * not on WhatsApp), or leaves. Members' devices get the same `w:gp2`
 * notifications as when a phone does it (`phone/groupAdmin.ts`).
 */
import { child, children, node, type BinaryNode } from '../binary/nodes.js';
import { resolveJid } from '../accounts/jids.js';
import type { Account, Group } from '../accounts/registry.js';
import { addParticipant, createGroup, removeParticipant } from '../phone/groupAdmin.js';
import { IqFailure, type StanzaRouter } from '../router/stanzaRouter.js';
import type { SandboxConnection } from '../stream/connection.js';
import { groupNode } from './groups.js';
import type { HandlerContext } from './context.js';

export function registerGroupAdminHandlers(router: StanzaRouter, ctx: HandlerContext): void {
  const accountOf = (conn: SandboxConnection): Account => {
    const account = ctx.peer(conn).account;
    if (!account) throw new IqFailure(401, 'not-authorized');
    return account;
  };
  /** The group the IQ is addressed to, administered by this account. */
  const adminGroup = (iq: BinaryNode, account: Account): Group => {
    const group = ctx.registry.group(iq.attrs.to ?? '');
    if (!group) throw new IqFailure(404, 'item-not-found');
    if (group.creator !== account.phoneNumber) throw new IqFailure(403, 'not-authorized');
    return group;
  };
  const numberOf = (jid: string | undefined): string | undefined => (jid ? resolveJid(ctx.registry, jid)?.account.phoneNumber : undefined);

  router.iq('w:g2', 'create', (iq, conn) => {
    const account = accountOf(conn);
    const create = child(iq, 'create')!;
    const subject = create.attrs.subject?.trim();
    if (!subject) throw new IqFailure(400, 'bad-request');
    const members = children(create, 'participant').flatMap((p) => numberOf(p.attrs.jid) ?? []);
    const group = createGroup(ctx, subject, [account.phoneNumber, ...members]);
    return [groupNode(group, ctx.registry)];
  });

  for (const action of ['add', 'remove'] as const) {
    router.iq('w:g2', action, (iq, conn) => {
      const account = accountOf(conn);
      const group = adminGroup(iq, account);
      const results = children(child(iq, action), 'participant').map((p) => {
        const jid = p.attrs.jid ?? '';
        const number = numberOf(jid);
        const present = number !== undefined && group.participants.includes(number);
        if (!number || (action === 'remove' && !present)) return node('participant', { jid, error: '404' });
        if (action === 'add' && present) return node('participant', { jid, error: '409' });
        if (action === 'add') addParticipant(ctx, group.id, number, account.phoneNumber);
        else removeParticipant(ctx, group.id, number, account.phoneNumber);
        return node('participant', { jid });
      });
      return [node(action, {}, results)];
    });
  }

  router.iq('w:g2', 'leave', (iq, conn) => {
    const account = accountOf(conn);
    for (const entry of children(child(iq, 'leave'), 'group')) {
      const group = ctx.registry.group(entry.attrs.id ?? '');
      if (group?.participants.includes(account.phoneNumber)) removeParticipant(ctx, group.id, account.phoneNumber, account.phoneNumber);
    }
  });
}
