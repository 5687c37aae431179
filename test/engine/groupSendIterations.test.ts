import { GroupCipher, GroupSessionBuilder, SenderKeyDistributionMessage, SenderKeyName, SenderKeyRecord } from 'baileys/lib/Signal/Group/index.js';
import type { SenderKeyStore } from 'baileys/lib/Signal/Group/group_cipher.js';
import { SenderKeyMessage } from 'baileys/lib/Signal/Group/sender-key-message.js';
import * as libsignal from 'libsignal';
import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { installFastCurve } from '../../src/engine/baileys/fastCurve.js';
import { sendGroupIterationsConsecutively } from '../../src/engine/baileys/groupSendIterations.js';

// Captured before the patch (this file runs in its own worker).
const stockEncrypt = GroupCipher.prototype.encrypt;

interface StoredState {
  senderChainKey: { iteration: number };
  senderMessageKeys: Array<{ iteration: number }>;
}

/** A key store as Baileys' (lib/Signal/libsignal.js): JSON bytes, parsed on load, rewritten on store. */
function baileysShapedStore() {
  const saved = new Map<string, Buffer>();
  const store: SenderKeyStore = {
    loadSenderKey: async (name) => {
      const bytes = saved.get(name.toString());
      return bytes ? SenderKeyRecord.deserialize(bytes) : new SenderKeyRecord();
    },
    storeSenderKey: async (name, record) => {
      saved.set(name.toString(), Buffer.from(JSON.stringify(record.serialize()), 'utf-8'));
    },
  };
  const state = async (name: SenderKeyName) => (await store.loadSenderKey(name)).serialize()[0] as unknown as StoredState;
  const bytes = (name: SenderKeyName) => saved.get(name.toString())?.length ?? 0;
  return { store, state, bytes };
}

const group = '120363000000000000@g.us';
const us = new SenderKeyName(group, new libsignal.ProtocolAddress('19995550100', 0));

/** Our device's sender key, distributed to one receiving device. */
async function groupOfTwo() {
  const sender = baileysShapedStore();
  const receiver = baileysShapedStore();
  const skdm = await new GroupSessionBuilder(sender.store).create(us);
  await new GroupSessionBuilder(receiver.store).process(us, new SenderKeyDistributionMessage(null, null, null, null, skdm.serialize()));
  return { sender, receiver };
}

/** Sends `n` group messages (stock or current encrypt); the receiver decrypts each. Returns the iterations sent. */
async function converse(parties: Awaited<ReturnType<typeof groupOfTwo>>, n: number, encrypt = GroupCipher.prototype.encrypt) {
  const iterations: number[] = [];
  for (let i = 0; i < n; i++) {
    const text = Buffer.from(`group message ${i}`);
    const bytes = await encrypt.call(new GroupCipher(parties.sender.store, us), text);
    iterations.push(new SenderKeyMessage(null, null, null, null, bytes).getIteration());
    expect(Buffer.from(await new GroupCipher(parties.receiver.store, us).decrypt(bytes))).toEqual(text);
  }
  return iterations;
}

describe('group sends on consecutive sender-key iterations', () => {
  beforeAll(async () => {
    expect(installFastCurve(pino({ level: 'silent' }))).toEqual({ installed: true });
    // installFastCurve starts the patch; its self-test is asynchronous.
    expect(await sendGroupIterationsConsecutively()).toBeNull();
    expect(GroupCipher.prototype.encrypt).not.toBe(stockEncrypt);
  });

  it('stock Baileys skips an iteration per message: 50 messages leave ~50 unused keys at both ends', async () => {
    const parties = await groupOfTwo();
    const iterations = await converse(parties, 50, stockEncrypt);
    expect(iterations.slice(0, 4)).toEqual([0, 2, 4, 6]);
    expect((await parties.receiver.state(us)).senderMessageKeys).toHaveLength(49);
    expect((await parties.sender.state(us)).senderMessageKeys).toHaveLength(49);
  });

  it('50 messages sent by the gateway leave no unused message key at the receiver nor at the sender', async () => {
    const parties = await groupOfTwo();
    const iterations = await converse(parties, 50);
    expect(iterations).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect((await parties.receiver.state(us)).senderMessageKeys).toHaveLength(0);
    expect((await parties.sender.state(us)).senderMessageKeys).toHaveLength(0);
    // The stored record stays the size of a fresh one (~0.3 KB) instead of growing ~170 bytes per message.
    expect(parties.receiver.bytes(us)).toBeLessThan(600);
  });

  it('a sender key stored by stock Baileys keeps working: next iteration, no key used twice, its skipped keys dropped', async () => {
    const parties = await groupOfTwo();
    const before = await converse(parties, 10, stockEncrypt);
    expect(before.at(-1)).toBe(18);
    expect((await parties.sender.state(us)).senderMessageKeys).toHaveLength(9);
    const after = await converse(parties, 5);
    expect(after).toEqual([19, 20, 21, 22, 23]);
    expect((await parties.sender.state(us)).senderMessageKeys).toHaveLength(0);
    // The receiver keeps only what stock sends skipped; nothing new.
    expect((await parties.receiver.state(us)).senderMessageKeys).toHaveLength(9);
    // And a later stock sender (turning the patch off) continues without reuse.
    const back = await converse(parties, 2, stockEncrypt);
    expect(back).toEqual([25, 27]);
  });

  it('a receiver still takes messages from a peer that skips (older wagate, stock Baileys)', async () => {
    const parties = await groupOfTwo();
    const iterations = await converse(parties, 5, stockEncrypt);
    expect(iterations).toEqual([0, 2, 4, 6, 8]);
  });
});
