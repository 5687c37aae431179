/**
 * Sender keys (`skmsg`) on a simulated phone, with the client's own group
 * cipher: the phone's own key per group (created on its first group message,
 * distributed to each participant device once, pairwise), and the keys other
 * devices distributed to it. Kept in memory only: after a sandbox restart
 * the phone makes a new key and distributes it again, as a reinstalled phone
 * would; devices that wrote to a group before the restart resend theirs when
 * the phone asks (retry receipt).
 */
import * as libsignal from 'libsignal';
import { encrypt as aesEncrypt } from 'libsignal/src/crypto.js';
import {
  GroupCipher,
  GroupSessionBuilder,
  SenderKeyDistributionMessage,
  SenderKeyName,
  SenderKeyRecord,
} from 'baileys/lib/Signal/Group/index.js';
import { SenderKeyMessage } from 'baileys/lib/Signal/Group/sender-key-message.js';
import type { Account } from '../accounts/registry.js';

interface PhoneGroupState {
  records: Map<string, SenderKeyRecord>;
  /** Per group: the devices (`<phone>:<device>`) that already have this phone's sender key. */
  distributed: Map<string, Set<string>>;
}

const states = new WeakMap<Account, PhoneGroupState>();

function stateOf(phone: Account): PhoneGroupState {
  let state = states.get(phone);
  if (!state) {
    state = { records: new Map(), distributed: new Map() };
    states.set(phone, state);
  }
  return state;
}

function storeOf(phone: Account) {
  const { records } = stateOf(phone);
  return {
    loadSenderKey: async (name: SenderKeyName) => records.get(name.toString()) ?? new SenderKeyRecord(),
    storeSenderKey: async (name: SenderKeyName, record: SenderKeyRecord) => {
      records.set(name.toString(), record);
    },
  };
}

/** The sender of a group message as the client names it: the PN device JID's user and device. */
function senderName(groupJid: string, phoneNumber: string, deviceId: number): SenderKeyName {
  return new SenderKeyName(groupJid, new libsignal.ProtocolAddress(phoneNumber, deviceId));
}

/**
 * Encrypts as WhatsApp's clients (and libsignal's reference GroupCipher) do:
 * the current chain key's message key, then the chain advances by one.
 * Baileys' GroupCipher.encrypt skips an iteration per message (the engine
 * patches it, src/engine/baileys/groupSendIterations.ts); a phone must not,
 * or receivers' stored sender keys grow as no real phone makes them grow.
 */
async function encryptNextIteration(store: ReturnType<typeof storeOf>, name: SenderKeyName, padded: Buffer): Promise<Uint8Array> {
  const record = await store.loadSenderKey(name);
  const state = record.getSenderKeyState();
  if (!state) throw new Error('No session to encrypt message');
  const chainKey = state.getSenderChainKey();
  const messageKey = chainKey.getSenderMessageKey();
  const ciphertext = await aesEncrypt(messageKey.getCipherKey(), padded, messageKey.getIv());
  const message = new SenderKeyMessage(state.getKeyId(), messageKey.getIteration(), ciphertext, state.getSigningKeyPrivate());
  state.setSenderChainKey(chainKey.getNext());
  await store.storeSenderKey(name, record);
  return message.serialize();
}

/** The phone's own group message: skmsg ciphertext plus the distribution message for devices that lack the key. */
export async function encryptForGroup(phone: Account, groupJid: string, padded: Buffer): Promise<{ skmsg: Buffer; distribution: Buffer }> {
  const store = storeOf(phone);
  const name = senderName(groupJid, phone.phoneNumber, 0);
  const distribution = await new GroupSessionBuilder(store).create(name);
  const skmsg = await encryptNextIteration(store, name, padded);
  return { skmsg: Buffer.from(skmsg), distribution: Buffer.from(distribution.serialize()) };
}

/** Devices (`<phone>:<device>`) of this group that still need the phone's sender key; marks them as served. */
export function needingKey(phone: Account, groupJid: string, devices: string[]): Set<string> {
  const { distributed } = stateOf(phone);
  const served = distributed.get(groupJid) ?? new Set<string>();
  distributed.set(groupJid, served);
  const missing = new Set(devices.filter((d) => !served.has(d)));
  for (const d of missing) served.add(d);
  return missing;
}

/** Someone left the group or a device asked again: the next message redistributes the key to them. */
export function forgetDistribution(phone: Account, groupJid: string, device?: string): void {
  const served = stateOf(phone).distributed.get(groupJid);
  if (!served) return;
  if (device) served.delete(device);
  else served.clear();
}

/** A device's sender key arrived (inside a pairwise message). */
export async function acceptDistribution(phone: Account, groupJid: string, from: { phoneNumber: string; deviceId: number }, skdm: Uint8Array): Promise<void> {
  const message = new SenderKeyDistributionMessage(null, null, null, null, skdm);
  await new GroupSessionBuilder(storeOf(phone)).process(senderName(groupJid, from.phoneNumber, from.deviceId), message);
}

export async function decryptGroupMessage(phone: Account, groupJid: string, from: { phoneNumber: string; deviceId: number }, skmsg: Buffer): Promise<Buffer> {
  return Buffer.from(await new GroupCipher(storeOf(phone), senderName(groupJid, from.phoneNumber, from.deviceId)).decrypt(skmsg));
}

/** The phone's current sender key for a group, as a distribution message (for a retry). */
export async function distributionFor(phone: Account, groupJid: string): Promise<Buffer> {
  const distribution = await new GroupSessionBuilder(storeOf(phone)).create(senderName(groupJid, phone.phoneNumber, 0));
  return Buffer.from(distribution.serialize());
}

/** Someone left: the phone's next group message uses a new sender key, distributed afresh to whoever remains. */
export function rotateKey(phone: Account, groupJid: string): void {
  const state = stateOf(phone);
  state.records.delete(senderName(groupJid, phone.phoneNumber, 0).toString());
  state.distributed.delete(groupJid);
}
