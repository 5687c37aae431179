/**
 * Send group (sender-key) messages on consecutive chain iterations, as
 * libsignal's reference GroupCipher does: encrypt with the current chain
 * key's message key, then advance the chain by one.
 *
 * Why: Baileys 7.0.0-rc14's GroupCipher.encrypt asks getSenderKey for
 * `iteration + 1` (after the first message), so it sends iterations
 * 0, 2, 4, … Each call stores the skipped message key in the sender's own
 * state, and every receiver stores it too when it catches up, up to
 * SenderKeyState's cap of 2000. A sender-key record then weighs ~334 KB of
 * JSON, parsed and rewritten on every group message sent or received:
 * ~1 ms → ~23 ms of CPU per message (bench/README.md, "Signal ciphers").
 *
 * What changes: GroupCipher.prototype.encrypt only. Wire format unchanged; a
 * receiver accepts any later iteration, and a stock-written state continues
 * at its current (unused) chain iteration, so no message key is used twice.
 * The sending state's own skipped keys are dropped on send: they decrypt only
 * iterations this device never sent. Decryption is stock. Trusted only after a
 * self-test against the stock cipher, including a state the stock one wrote.
 */
import { GroupCipher, GroupSessionBuilder, SenderKeyDistributionMessage, SenderKeyName, SenderKeyRecord } from 'baileys/lib/Signal/Group/index.js';
import { SenderKeyMessage } from 'baileys/lib/Signal/Group/sender-key-message.js';
import type { SenderKeyStore } from 'baileys/lib/Signal/Group/group_cipher.js';
import * as libsignal from 'libsignal';

/** The compiled class's private members (hidden in Baileys' .d.ts). */
interface GroupCipherInternals {
  senderKeyStore: SenderKeyStore;
  senderKeyName: SenderKeyName;
  getCipherText(iv: Uint8Array, key: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array>;
}

interface StoredStateKeys {
  senderMessageKeys: unknown[];
}

type Encrypt = (this: GroupCipher, paddedPlaintext: Uint8Array) => Promise<Uint8Array>;

let outcome: Promise<string | null> | undefined;

async function consecutiveEncrypt(this: GroupCipher, paddedPlaintext: Uint8Array): Promise<Uint8Array> {
  const self = this as unknown as GroupCipherInternals;
  const record = await self.senderKeyStore.loadSenderKey(self.senderKeyName);
  if (!record) throw new Error('No SenderKeyRecord found for encryption');
  const state = record.getSenderKeyState();
  if (!state) throw new Error('No session to encrypt message');
  const chainKey = state.getSenderChainKey();
  const messageKey = chainKey.getSenderMessageKey();
  const ciphertext = await self.getCipherText(messageKey.getIv(), messageKey.getCipherKey(), paddedPlaintext);
  const message = new SenderKeyMessage(state.getKeyId(), messageKey.getIteration(), ciphertext, state.getSigningKeyPrivate());
  state.setSenderChainKey(chainKey.getNext());
  (state.getStructure() as unknown as StoredStateKeys).senderMessageKeys.length = 0;
  await self.senderKeyStore.storeSenderKey(self.senderKeyName, record);
  return message.serialize();
}

/** An in-memory store: records round-trip through JSON as Baileys stores them. */
function memoryStore(): SenderKeyStore {
  const saved = new Map<string, Buffer>();
  return {
    loadSenderKey: async (name) => {
      const bytes = saved.get(name.toString());
      return bytes ? SenderKeyRecord.deserialize(bytes) : new SenderKeyRecord();
    },
    storeSenderKey: async (name, record) => {
      saved.set(name.toString(), Buffer.from(JSON.stringify(record.serialize()), 'utf-8'));
    },
  };
}

/** Patched sends after stock ones, decrypted by the stock receiver: iterations, plaintexts, stored keys. */
async function selfTest(stockEncrypt: Encrypt): Promise<string | null> {
  const name = new SenderKeyName('120363000000000000@g.us', new libsignal.ProtocolAddress('19995550100', 0));
  const sender = memoryStore();
  const receiver = memoryStore();
  const skdm = await new GroupSessionBuilder(sender).create(name);
  await new GroupSessionBuilder(receiver).process(name, new SenderKeyDistributionMessage(null, null, null, null, skdm.serialize()));
  const iterations: number[] = [];
  for (let i = 0; i < 5; i++) {
    const text = Buffer.from(`wagate group self-test ${i}`);
    const cipher = new GroupCipher(sender, name);
    const bytes = await (i < 2 ? stockEncrypt : consecutiveEncrypt).call(cipher, text);
    iterations.push(new SenderKeyMessage(null, null, null, null, bytes).getIteration());
    const plain = await new GroupCipher(receiver, name).decrypt(bytes);
    if (!Buffer.from(plain).equals(text)) return `stock decrypt returned other bytes at iteration ${iterations[i]}`;
  }
  // Stock sends 0 and 2; the patched ones continue at 3, 4, 5.
  if (iterations.join() !== '0,2,3,4,5') return `unexpected iterations ${iterations.join()}`;
  const sent = (await sender.loadSenderKey(name)).serialize()[0] as unknown as StoredStateKeys;
  if (sent.senderMessageKeys.length !== 0) return 'the sending state kept skipped keys';
  const received = (await receiver.loadSenderKey(name)).serialize()[0] as unknown as StoredStateKeys;
  // Only the key stock skipped (iteration 1) is left at the receiver.
  if (received.senderMessageKeys.length !== 1) return `the receiver kept ${received.senderMessageKeys.length} skipped keys, not 1`;
  return null;
}

/**
 * Patches GroupCipher.encrypt once, after its self-test passed (until then,
 * and when it fails, the stock method stays: it is valid on the wire).
 * Resolves to null when patched, else why not; later calls share the outcome.
 */
export function sendGroupIterationsConsecutively(): Promise<string | null> {
  outcome ??= patch();
  return outcome;
}

async function patch(): Promise<string | null> {
  const proto = GroupCipher.prototype as unknown as { encrypt: Encrypt; getCipherText?: unknown };
  if (typeof proto.encrypt !== 'function' || typeof proto.getCipherText !== 'function') {
    return 'GroupCipher has no encrypt/getCipherText';
  }
  const stockEncrypt = proto.encrypt;
  let failure: string | null;
  try {
    failure = await selfTest(stockEncrypt);
  } catch (err) {
    failure = `self-test threw: ${(err as Error).message}`;
  }
  if (!failure) proto.encrypt = consecutiveEncrypt;
  return failure;
}
