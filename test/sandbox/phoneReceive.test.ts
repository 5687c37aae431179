/**
 * The phone's Signal side on its own: a companion built with libsignal (as
 * Baileys does) starts a session from the phone's key bundle (pkmsg); once
 * the phone has written back, the companion's next message is a plain `msg`,
 * which the phone must decrypt on the same session.
 */
import * as libsignal from 'libsignal';
import { proto } from 'baileys';
import { describe, expect, it } from 'vitest';
import { AccountRegistry } from '../../src/sandbox/accounts/registry.js';
import { phoneSignalStore, takePreKey } from '../../src/sandbox/accounts/phoneSignal.js';
import { generateKeyPair, type KeyPair } from '../../src/sandbox/crypto/curve.js';
import { decryptForPhone, textOf, type Sender } from '../../src/sandbox/phone/receive.js';

const prefixed = (key: Buffer): Buffer => Buffer.concat([Buffer.from([5]), key]);

/** An in-memory libsignal store for the companion (trusts everyone, like a fresh client). */
function companionStore(identity: KeyPair): libsignal.SignalStorage {
  const sessions = new Map<string, libsignal.SessionRecord>();
  return {
    loadSession: async (id) => sessions.get(id),
    storeSession: async (id, record) => void sessions.set(id, record),
    isTrustedIdentity: () => true,
    loadPreKey: async () => undefined,
    removePreKey: () => undefined,
    loadSignedPreKey: () => ({ pubKey: prefixed(identity.public), privKey: identity.private }),
    getOurRegistrationId: () => 4242,
    getOurIdentity: () => ({ pubKey: prefixed(identity.public), privKey: identity.private }),
  };
}

/** What Baileys puts on the wire: Message protobuf plus 1-16 bytes of padding. */
const padded = (text: string): Buffer => Buffer.concat([Buffer.from(proto.Message.encode({ conversation: text }).finish()), Buffer.alloc(3, 3)]);

describe('phone Signal receive', () => {
  it('decrypts a pkmsg, then a msg once the phone has answered', async () => {
    const registry = AccountRegistry.open(undefined);
    const phone = registry.create('15550004321');
    const companionIdentity = generateKeyPair();
    const sender: Sender = { account: phone, deviceId: 3, identityKey: companionIdentity.public };

    // The companion fetches the phone's bundle and encrypts to it (pkmsg).
    const signal = registry.phoneSignal(phone);
    const companion = companionStore(companionIdentity);
    const phoneAddress = new libsignal.ProtocolAddress(`${phone.lid}_1`, 0);
    const preKey = takePreKey(signal);
    await new libsignal.SessionBuilder(companion, phoneAddress).initOutgoing({
      registrationId: signal.registrationId,
      identityKey: prefixed(phone.identity.public),
      signedPreKey: { keyId: signal.signedPreKey.keyId, publicKey: prefixed(signal.signedPreKey.keyPair.public), signature: signal.signedPreKey.signature },
      preKey: { keyId: preKey.keyId, publicKey: prefixed(preKey.publicKey) },
    });
    const toPhone = new libsignal.SessionCipher(companion, phoneAddress);
    const first = await toPhone.encrypt(padded('one'));
    expect(first.type).toBe(3);
    expect(textOf(await decryptForPhone(registry, phone, sender, 'pkmsg', Buffer.from(first.body, 'binary')))).toBe('one');
    expect(signal.preKeys.has(preKey.keyId)).toBe(false); // a one-time pre-key is used once

    // The phone writes back on that session; the companion reads it and drops its pending pre-key.
    const phoneStore = phoneSignalStore(phone.identity, signal, () => true, () => undefined);
    const companionAddress = new libsignal.ProtocolAddress(phone.lid, 3);
    const reply = await new libsignal.SessionCipher(phoneStore, companionAddress).encrypt(padded('ack'));
    expect(reply.type).toBe(1);
    await toPhone.decryptWhisperMessage(Buffer.from(reply.body, 'binary'));

    const second = await toPhone.encrypt(padded('two'));
    expect(second.type).toBe(1);
    expect(textOf(await decryptForPhone(registry, phone, sender, 'msg', Buffer.from(second.body, 'binary')))).toBe('two');
  });

  it('refuses a session from an identity that is not the sending device\'s', async () => {
    const registry = AccountRegistry.open(undefined);
    const phone = registry.create('15550004322');
    const signal = registry.phoneSignal(phone);
    const impostor = generateKeyPair();
    const companion = companionStore(impostor);
    const phoneAddress = new libsignal.ProtocolAddress(phone.lid, 0);
    await new libsignal.SessionBuilder(companion, phoneAddress).initOutgoing({
      registrationId: signal.registrationId,
      identityKey: prefixed(phone.identity.public),
      signedPreKey: { keyId: signal.signedPreKey.keyId, publicKey: prefixed(signal.signedPreKey.keyPair.public), signature: signal.signedPreKey.signature },
      preKey: { keyId: takePreKey(signal).keyId, publicKey: prefixed(signal.preKeys.get(signal.lastHandedOut)!.public) },
    });
    const message = await new libsignal.SessionCipher(companion, phoneAddress).encrypt(padded('x'));
    const sender: Sender = { account: phone, deviceId: 5, identityKey: generateKeyPair().public };
    await expect(decryptForPhone(registry, phone, sender, 'pkmsg', Buffer.from(message.body, 'binary'))).rejects.toThrow();
  });
});
