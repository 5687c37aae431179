/**
 * The phone writes to a linked device (a companion of any account, its own
 * included): Signal-encrypt a `Message` with the phone's store. With no open
 * session the phone starts one from the companion's key bundle (its signed
 * pre-key and, while any are left, one one-time pre-key, handed out once like
 * the server does): that message is a `pkmsg`, and so is every later one
 * until the companion writes back; then `msg`. Sessions are the same ones the
 * phone decrypts that device's messages with (`receive.ts`).
 */
import { randomInt } from 'node:crypto';
import * as libsignal from 'libsignal';
import { proto } from 'baileys';
import { phoneSignalStore, prepareForPreKeyMessage } from '../accounts/phoneSignal.js';
import type { Account, AccountRegistry, LinkedDevice } from '../accounts/registry.js';

export type PairwiseType = 'pkmsg' | 'msg';

export interface Pairwise {
  type: PairwiseType;
  ciphertext: Buffer;
}

const KEY_TYPE = Buffer.from([5]);
const prefixed = (key: Buffer): Buffer => Buffer.concat([KEY_TYPE, key]);

/** The libsignal address the phone files a device's session under (the receive side uses the same). */
export function deviceAddress(account: Account, deviceId: number): libsignal.ProtocolAddress {
  return new libsignal.ProtocolAddress(account.lid, deviceId);
}

/** What Baileys does: 1-16 bytes of padding, each holding the pad length. */
export function padMessage(message: proto.IMessage): Buffer {
  const bytes = Buffer.from(proto.Message.encode(message).finish());
  const pad = randomInt(1, 17);
  return Buffer.concat([bytes, Buffer.alloc(pad, pad)]);
}

function storeFor(registry: AccountRegistry, phone: Account, device: LinkedDevice): libsignal.SignalStorage {
  const expected = prefixed(device.identityKey);
  return phoneSignalStore(
    phone.identity,
    registry.phoneSignal(phone),
    (_address, identityKey) => expected.equals(Buffer.from(identityKey)),
    () => registry.touch(),
  );
}

/** One one-time pre-key of the device, if it has any left; used once. */
function takeCompanionPreKey(registry: AccountRegistry, device: LinkedDevice): { keyId: number; publicKey: Buffer } | undefined {
  const first = device.preKeys.entries().next();
  if (first.done) return undefined;
  const [keyId, publicKey] = first.value;
  device.preKeys.delete(keyId);
  registry.touch();
  return { keyId, publicKey };
}

async function startSession(registry: AccountRegistry, store: libsignal.SignalStorage, address: libsignal.ProtocolAddress, device: LinkedDevice) {
  const skey = device.signedPreKey;
  if (!skey) throw new Error(`device ${device.deviceId} has no signed pre-key`);
  // libsignal closes an open session itself when it starts a new one, and
  // prints the whole session (chain keys) to the console when it does.
  const existing = await store.loadSession(address.toString());
  if (existing) {
    prepareForPreKeyMessage(existing, Buffer.alloc(0));
    await store.storeSession(address.toString(), existing);
  }
  const preKey = takeCompanionPreKey(registry, device);
  await new libsignal.SessionBuilder(store, address).initOutgoing({
    registrationId: device.registrationId,
    identityKey: prefixed(device.identityKey),
    signedPreKey: { keyId: skey.keyId, publicKey: prefixed(skey.publicKey), signature: skey.signature },
    // The typings call it required; libsignal builds a session without one when a device ran out.
    preKey: (preKey ? { keyId: preKey.keyId, publicKey: prefixed(preKey.publicKey) } : undefined) as unknown as {
      keyId: number;
      publicKey: Uint8Array;
    },
  });
}

export async function encryptForDevice(
  registry: AccountRegistry,
  phone: Account,
  target: Account,
  device: LinkedDevice,
  message: proto.IMessage,
): Promise<Pairwise> {
  const store = storeFor(registry, phone, device);
  const address = deviceAddress(target, device.deviceId);
  const record = await store.loadSession(address.toString());
  if (!record?.haveOpenSession()) await startSession(registry, store, address, device);
  const { type, body } = await new libsignal.SessionCipher(store, address).encrypt(padMessage(message));
  return { type: type === 3 ? 'pkmsg' : 'msg', ciphertext: Buffer.from(body, 'binary') };
}

/** The device could not decrypt what the phone sent: drop the session so the next message starts a new one. */
export function forgetSession(registry: AccountRegistry, phone: Account, target: Account, deviceId: number): void {
  if (registry.phoneSignal(phone).sessions.delete(deviceAddress(target, deviceId).toString())) registry.touch();
}
