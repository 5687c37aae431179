/**
 * What a real phone pushes to a device it has just linked, in amounts set by
 * `SandboxOptions.accountContent`: the app-state sync key (protocol message
 * APP_STATE_SYNC_KEY_SHARE) and a history-sync notification whose inline
 * payload (INITIAL_BOOTSTRAP) lists the account's contacts and groups, with
 * their LID mappings. Both are Signal-encrypted from the account's own phone
 * and wait in the device's queue until it is first online.
 *
 * Cheap on purpose, for benchmarks with hundreds of sessions: contacts come
 * from one pool of simulated accounts shared by every phone (created once,
 * saved with the next debounced write), groups are made once per account,
 * and nothing is written per message.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { proto } from 'baileys';
import { node } from '../binary/nodes.js';
import type { Account, LinkedDevice } from '../accounts/registry.js';
import type { AccountContentOptions } from '../types.js';
import { encryptForDevice } from './encrypt.js';
import type { PhoneContext } from './send.js';
import { newMessageId } from './send.js';

const DEFAULT_GROUP_SIZE = 5;

/** The n-th contact of the shared pool (n from 0): +1 999 followed by 7 digits. */
export function contactNumber(n: number): string {
  return `1999${String(n).padStart(7, '0')}`;
}

function ensureContacts(ctx: PhoneContext, count: number): Account[] {
  const contacts: Account[] = [];
  for (let n = 0; n < count; n++) {
    const number = contactNumber(n);
    contacts.push(ctx.registry.get(number) ?? ctx.registry.create(number, `Contact ${n + 1}`, { defer: true }));
  }
  return contacts;
}

function ensureGroups(ctx: PhoneContext, account: Account, opts: AccountContentOptions, pool: Account[]): void {
  const wanted = opts.groups ?? 0;
  const size = Math.max(1, opts.groupSize ?? DEFAULT_GROUP_SIZE);
  const existing = ctx.registry.groupsOf(account.phoneNumber).length;
  for (let g = existing; g < wanted; g++) {
    const members = [account.phoneNumber];
    for (let k = 0; members.length < size && k < pool.length; k++) {
      const candidate = pool[(g * 7 + k) % pool.length]!.phoneNumber;
      if (!members.includes(candidate)) members.push(candidate);
    }
    ctx.registry.addGroup(`Group ${g + 1}`, members, { defer: true });
  }
}

/** One app-state sync key per account, made on first use (kept in memory). */
const appStateKeys = new WeakMap<Account, proto.Message.IAppStateSyncKey>();

function appStateKey(account: Account): proto.Message.IAppStateSyncKey {
  let key = appStateKeys.get(account);
  if (!key) {
    key = {
      keyId: { keyId: randomBytes(6) },
      keyData: {
        keyData: randomBytes(32),
        fingerprint: { rawId: randomInt(1, 2 ** 31), currentIndex: 0, deviceIndexes: [0] },
        timestamp: Date.now(),
      },
    };
    appStateKeys.set(account, key);
  }
  return key;
}

function historyPayload(ctx: PhoneContext, account: Account, contacts: Account[]): Buffer {
  const conversations: proto.IConversation[] = contacts
    .filter((c) => c !== account)
    .map((c) => ({ id: `${c.phoneNumber}@s.whatsapp.net`, name: c.name, displayName: c.name, lidJid: `${c.lid}@lid` }));
  for (const group of ctx.registry.groupsOf(account.phoneNumber)) conversations.push({ id: group.id, name: group.subject });
  const history: proto.IHistorySync = {
    syncType: proto.HistorySync.HistorySyncType.INITIAL_BOOTSTRAP,
    conversations,
    phoneNumberToLidMappings: contacts.map((c) => ({ pnJid: `${c.phoneNumber}@s.whatsapp.net`, lidJid: `${c.lid}@lid` })),
    progress: 100,
    chunkOrder: 0,
  };
  return deflateSync(proto.HistorySync.encode(history).finish());
}

/** Queue the phone's push for a device it just linked (no-op without `accountContent`). */
export async function bootstrapDevice(ctx: PhoneContext, account: Account, device: LinkedDevice): Promise<void> {
  const opts = ctx.phones.accountContent;
  if (!opts) return;
  const contacts = ensureContacts(ctx, opts.contacts ?? 0);
  const pool = contacts.length >= (opts.groupSize ?? DEFAULT_GROUP_SIZE) - 1 ? contacts : ensureContacts(ctx, (opts.groupSize ?? DEFAULT_GROUP_SIZE) - 1);
  ensureGroups(ctx, account, opts, pool);
  const own = `${account.phoneNumber}@s.whatsapp.net`;
  const t = String(Math.floor(Date.now() / 1000));
  const keyShare: proto.IMessage = {
    protocolMessage: {
      type: proto.Message.ProtocolMessage.Type.APP_STATE_SYNC_KEY_SHARE,
      appStateSyncKeyShare: { keys: [appStateKey(account)] },
    },
  };
  const history: proto.IMessage = {
    protocolMessage: {
      type: proto.Message.ProtocolMessage.Type.HISTORY_SYNC_NOTIFICATION,
      historySyncNotification: {
        syncType: proto.Message.HistorySyncType.INITIAL_BOOTSTRAP,
        initialHistBootstrapInlinePayload: historyPayload(ctx, account, contacts),
        chunkOrder: 0,
        progress: 100,
      },
    },
  };
  for (const [message, category] of [[keyShare, 'peer'], [history, undefined]] as const) {
    const pairwise = await encryptForDevice(ctx.registry, account, account, device, message);
    const attrs: Record<string, string> = { id: newMessageId(), from: own, type: 'text', t };
    if (category) attrs.category = category;
    ctx.delivery.send(account.phoneNumber, device.deviceId, node('message', attrs, [node('enc', { v: '2', type: pairwise.type }, pairwise.ciphertext)]));
  }
  ctx.logger.info({ phone: account.phoneNumber, device: device.deviceId, contacts: contacts.length }, 'phone pushed account content to a new device');
}
