/**
 * The phone receives what a companion encrypted for it: Signal-decrypt with
 * the phone's store (pkmsg starts or restarts a session, msg continues one),
 * strip the sender's random padding, decode the `Message` protobuf and pull
 * out the text. Key material never leaves this module.
 */
import * as libsignal from 'libsignal';
import protobuf from 'protobufjs';
import { proto } from 'baileys';
import { phoneSignalStore, prepareForPreKeyMessage } from '../accounts/phoneSignal.js';
import type { Account, AccountRegistry } from '../accounts/registry.js';

export type CipherType = 'pkmsg' | 'msg';

export interface Sender {
  account: Account;
  deviceId: number;
  /** The companion's registered identity key (32 bytes): a session with any other key is refused. */
  identityKey: Buffer;
}

/** libsignal address of a sending device, as the phone files its session. */
function senderAddress(sender: Sender): libsignal.ProtocolAddress {
  return new libsignal.ProtocolAddress(sender.account.lid, sender.deviceId);
}

/** PreKeyWhisperMessage = version byte ‖ protobuf; field 2 is the sender's base key. */
function preKeyBaseKey(ciphertext: Buffer): Buffer | undefined {
  const reader = protobuf.Reader.create(ciphertext.subarray(1));
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === 2 && (tag & 7) === 2) return Buffer.from(reader.bytes());
    reader.skipType(tag & 7);
  }
  return undefined;
}

/** Baileys appends 1-16 bytes, each holding the pad length. */
export function unpad(bytes: Buffer): Buffer {
  const pad = bytes[bytes.length - 1];
  if (!pad || pad > 16 || pad > bytes.length) throw new Error('bad message padding');
  return bytes.subarray(0, bytes.length - pad);
}

export async function decryptForPhone(
  registry: AccountRegistry,
  phone: Account,
  sender: Sender,
  type: CipherType,
  ciphertext: Buffer,
): Promise<proto.IMessage> {
  const signal = registry.phoneSignal(phone);
  const address = senderAddress(sender);
  const expected = Buffer.concat([Buffer.from([5]), sender.identityKey]);
  const store = phoneSignalStore(
    phone.identity,
    signal,
    (_address, identityKey) => expected.equals(Buffer.from(identityKey)),
    () => registry.touch(),
  );
  if (type === 'pkmsg') {
    const baseKey = preKeyBaseKey(ciphertext);
    const record = await store.loadSession(address.toString());
    if (baseKey && record) {
      prepareForPreKeyMessage(record, baseKey);
      await store.storeSession(address.toString(), record);
    }
  }
  const cipher = new libsignal.SessionCipher(store, address);
  const padded = type === 'pkmsg' ? await cipher.decryptPreKeyWhisperMessage(ciphertext) : await cipher.decryptWhisperMessage(ciphertext);
  return proto.Message.decode(unpad(padded));
}

/** What the phone shows: a plain or extended text, also inside a copy sent from the account's own device. */
export function textOf(message: proto.IMessage): string | undefined {
  const inner = message.deviceSentMessage?.message ?? message;
  // `||`: a decoded Message reads an absent string as '' (the protobuf default), and baileys 6 sends every text as extendedTextMessage.
  return inner.conversation || inner.extendedTextMessage?.text || undefined;
}

/** For a copy from the account's own device: the chat it was sent to. */
export function destinationOf(message: proto.IMessage): string | undefined {
  return message.deviceSentMessage?.destinationJid ?? undefined;
}
