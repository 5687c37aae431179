/**
 * Group administration done from a simulated phone (the group's creator):
 * create a group, add and remove participants. Every participant's linked
 * devices get the `w:gp2` notification the real network sends (`create` for
 * a new group, `add` / `remove` with the participant), the one added or
 * removed included. Phones that sent to the group before someone left switch
 * to a new sender key, as clients do.
 */
import { randomBytes } from 'node:crypto';
import { node, type BinaryNode } from '../binary/nodes.js';
import { assertPhoneNumber, type Account, type Group } from '../accounts/registry.js';
import { groupNode } from '../handlers/groups.js';
import { SandboxError } from '../errors.js';
import { rotateKey } from './groupKeys.js';
import type { PhoneContext } from './send.js';

const unixNow = (): string => String(Math.floor(Date.now() / 1000));

function participantNode(ctx: PhoneContext, phoneNumber: string): BinaryNode {
  const account = ctx.registry.get(phoneNumber);
  const attrs: Record<string, string> = { jid: `${phoneNumber}@s.whatsapp.net` };
  if (account) attrs.lid = `${account.lid}@lid`;
  return node('participant', attrs);
}

function notify(ctx: PhoneContext, group: Group, actor: string, change: BinaryNode, extra: string[] = []): void {
  const stanza = node(
    'notification',
    { from: group.id, type: 'w:gp2', id: randomBytes(8).toString('hex').toUpperCase(), t: unixNow(), participant: `${actor}@s.whatsapp.net` },
    [change],
  );
  for (const number of new Set([...group.participants, ...extra])) {
    const account = ctx.registry.get(number);
    if (!account) continue;
    for (const device of account.devices.values()) ctx.delivery.send(number, device.deviceId, stanza);
  }
}

/** The first participant creates the group; numbers not on the network yet get a simulated phone. */
export function createGroup(ctx: PhoneContext, subject: string, participants: string[]): Group {
  const numbers = [...new Set(participants)];
  if (numbers.length === 0) throw new SandboxError('INVALID_PHONE_NUMBER', 'a group needs at least its creator');
  for (const number of numbers) assertPhoneNumber(number);
  for (const number of numbers) ctx.registry.getOrCreate(number);
  const group = ctx.registry.addGroup(subject, numbers);
  notify(ctx, group, group.creator, node('create', {}, [groupNode(group, ctx.registry)]));
  ctx.logger.info({ group: group.id, size: numbers.length }, 'group created');
  return group;
}

function groupOf(ctx: PhoneContext, groupJid: string): Group {
  const group = ctx.registry.group(groupJid);
  if (!group) throw new SandboxError('NO_SUCH_GROUP', `no group ${groupJid}`);
  return group;
}

/** `actor`: who made the change (default: the group's creator). */
export function addParticipant(ctx: PhoneContext, groupJid: string, phoneNumber: string, actor?: string): Group {
  assertPhoneNumber(phoneNumber);
  const group = groupOf(ctx, groupJid);
  if (group.participants.includes(phoneNumber)) throw new SandboxError('ALREADY_A_PARTICIPANT', `+${phoneNumber} is already in ${groupJid}`);
  ctx.registry.getOrCreate(phoneNumber);
  group.participants.push(phoneNumber);
  ctx.registry.touch();
  notify(ctx, group, actor ?? group.creator, node('add', {}, [participantNode(ctx, phoneNumber)]));
  return group;
}

export function removeParticipant(ctx: PhoneContext, groupJid: string, phoneNumber: string, actor?: string): Group {
  const group = groupOf(ctx, groupJid);
  if (!group.participants.includes(phoneNumber)) throw new SandboxError('NOT_A_PARTICIPANT', `+${phoneNumber} is not in ${groupJid}`);
  group.participants = group.participants.filter((p) => p !== phoneNumber);
  ctx.registry.touch();
  for (const number of group.participants) {
    const account: Account | undefined = ctx.registry.get(number);
    if (account) rotateKey(account, group.id);
  }
  // The removed participant hears it too (that is how their devices learn they left).
  notify(ctx, group, actor ?? group.creator, node('remove', {}, [participantNode(ctx, phoneNumber)]), [phoneNumber]);
  return group;
}
