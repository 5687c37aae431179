/**
 * Presence and typing, relayed between participants; never queued (a
 * typing notice that arrives an hour late is wrong, not late).
 * - `<presence type=available|unavailable>` from a companion: the account is
 *   online or not; devices that subscribed to it hear about it.
 * - `<presence type=subscribe to=…>`: the device hears about that account
 *   from now on, starting with its current presence.
 * - `<chatstate to=…><composing/>|<paused/></chatstate>`: to a person, their
 *   linked devices get it `from` the typist; to a group, every other
 *   participant's devices get it `from` the group with the typist as
 *   `participant`. Simulated phones note what they saw.
 * Simulated phones do the same through `fromPhone` (control API).
 */
import { firstChild, node, type BinaryNode } from '../binary/nodes.js';
import { resolveJid } from '../accounts/jids.js';
import type { Account } from '../accounts/registry.js';
import { SandboxError } from '../errors.js';
import type { StanzaRouter } from '../router/stanzaRouter.js';
import type { SandboxConnection } from '../stream/connection.js';
import type { SandboxPresenceState } from '../types.js';
import type { HandlerContext } from './context.js';

type ChatState = 'composing' | 'recording' | 'paused';
const pnJid = (account: Account): string => `${account.phoneNumber}@s.whatsapp.net`;

export class PresenceRelay {
  /** Per account (phone number): the connections subscribed to its presence. */
  private readonly subscribers = new Map<string, Set<SandboxConnection>>();
  /** Per account: whether any of its devices said it is available. */
  private readonly online = new Map<string, { available: boolean; at: number }>();

  constructor(private readonly ctx: HandlerContext) {}

  register(router: StanzaRouter): void {
    router.stanza('presence', (stanza, conn) => this.onPresence(stanza, conn));
    router.stanza('chatstate', (stanza, conn) => this.onChatState(stanza, conn));
  }

  /** The simulated phone's own presence or typing, toward a person (number) or a group JID. */
  fromPhone(phone: Account, to: string, state: SandboxPresenceState): void {
    if (state === 'available' || state === 'unavailable') {
      const target = to.endsWith('@g.us') ? undefined : this.ctx.registry.get(to);
      this.setOnline(phone, state === 'available', target);
      return;
    }
    this.chatState(phone, to, state);
  }

  private onPresence(stanza: BinaryNode, conn: SandboxConnection): void {
    const account = this.ctx.peer(conn).account;
    if (!account) return;
    const { type, to } = stanza.attrs;
    if ((type === 'subscribe' || type === 'unsubscribe') && to) {
      const target = resolveJid(this.ctx.registry, to)?.account;
      if (!target) return;
      const subs = this.subscribers.get(target.phoneNumber) ?? new Set<SandboxConnection>();
      this.subscribers.set(target.phoneNumber, subs);
      if (type === 'unsubscribe') {
        subs.delete(conn);
        return;
      }
      subs.add(conn);
      conn.send(this.presenceNode(target));
      return;
    }
    if (type === 'available' || type === 'unavailable' || type === undefined) this.setOnline(account, type !== 'unavailable');
  }

  private onChatState(stanza: BinaryNode, conn: SandboxConnection): void {
    const account = this.ctx.peer(conn).account;
    const state = firstChild(stanza);
    const to = stanza.attrs.to;
    if (!account || !state || !to) return;
    const kind: ChatState | null = state.tag === 'composing' ? (state.attrs.media === 'audio' ? 'recording' : 'composing') : state.tag === 'paused' ? 'paused' : null;
    if (!kind) return;
    if (to.endsWith('@g.us')) {
      if (this.ctx.registry.group(to)?.participants.includes(account.phoneNumber)) this.chatState(account, to, kind);
      return;
    }
    const target = resolveJid(this.ctx.registry, to)?.account;
    if (target && target !== account) this.chatState(account, target.phoneNumber, kind);
  }

  private setOnline(account: Account, available: boolean, alsoTo?: Account): void {
    this.online.set(account.phoneNumber, { available, at: Date.now() });
    const stanza = this.presenceNode(account);
    const conns = new Set([...(this.subscribers.get(account.phoneNumber) ?? [])].filter((c) => !c.isClosed));
    if (alsoTo) {
      for (const device of alsoTo.devices.values()) {
        const conn = this.ctx.delivery.connection(alsoTo.phoneNumber, device.deviceId);
        if (conn) conns.add(conn);
      }
    }
    for (const conn of conns) conn.send(stanza);
  }

  private presenceNode(account: Account): BinaryNode {
    const known = this.online.get(account.phoneNumber);
    if (known?.available) return node('presence', { from: pnJid(account), type: 'available' });
    const last = String(Math.floor((known?.at ?? Date.now()) / 1000));
    return node('presence', { from: pnJid(account), type: 'unavailable', last });
  }

  /** `to`: a phone number or a group JID. */
  private chatState(from: Account, to: string, state: ChatState): void {
    const content = [state === 'recording' ? node('composing', { media: 'audio' }) : node(state, {})];
    const at = new Date().toISOString();
    if (to.endsWith('@g.us')) {
      const group = this.ctx.registry.group(to);
      if (!group) throw new SandboxError('NO_SUCH_GROUP', `no group ${to}`);
      if (!group.participants.includes(from.phoneNumber)) throw new SandboxError('NOT_A_PARTICIPANT', `+${from.phoneNumber} is not in ${to}`);
      const stanza = node('chatstate', { from: group.id, participant: pnJid(from) }, content);
      for (const number of group.participants) {
        const account = this.ctx.registry.get(number);
        if (!account || account === from) continue;
        this.ctx.phones.sawChatState(number, { from: from.phoneNumber, chat: group.id, state, at });
        for (const device of account.devices.values()) this.ctx.delivery.send(number, device.deviceId, stanza, { ephemeral: true });
      }
      return;
    }
    const target = this.ctx.registry.get(to);
    if (!target) throw new SandboxError('NO_SUCH_PHONE', `+${to} is not on the sandbox network`);
    this.ctx.phones.sawChatState(target.phoneNumber, { from: from.phoneNumber, chat: from.phoneNumber, state, at });
    const stanza = node('chatstate', { from: pnJid(from) }, content);
    for (const device of target.devices.values()) this.ctx.delivery.send(target.phoneNumber, device.deviceId, stanza, { ephemeral: true });
  }
}
