import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { Curve } from 'baileys';
import { GroupCipher, GroupSessionBuilder, SenderKeyDistributionMessage } from 'baileys/lib/Signal/Group/index.js';
import { SenderKeyMessage } from 'baileys/lib/Signal/Group/sender-key-message.js';
import { SenderKeyName } from 'baileys/lib/Signal/Group/sender-key-name.js';
import { SenderKeyRecord } from 'baileys/lib/Signal/Group/sender-key-record.js';
// The ES-module copy Baileys' group cipher binds at import: the stock functions, never patched.
import { calculateSignature as esmStockSign, verifySignature as esmStockVerify } from 'libsignal/src/curve.js';
import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { installFastCurve } from '../../src/engine/baileys/fastCurve.js';

interface LibsignalCurve {
  calculateSignature(privKey: Buffer, message: Uint8Array): Buffer;
  verifySignature(pubKey: Buffer, msg: Uint8Array, sig: Uint8Array, isInit?: boolean): boolean;
  calculateAgreement(pubKey: Buffer, privKey: Buffer): Buffer;
}

const lib = createRequire(import.meta.resolve('baileys'))('libsignal/src/curve.js') as LibsignalCurve;

// The stock functions, captured before the patch (this file runs in its own worker).
const stock = {
  sign: Curve.sign,
  verify: Curve.verify,
  sharedKey: Curve.sharedKey,
  generateKeyPair: Curve.generateKeyPair,
  libSign: lib.calculateSignature,
  libVerify: lib.verifySignature,
  libAgree: lib.calculateAgreement,
};

const stockSenderKeyMethods = {
  getSignature: (SenderKeyMessage.prototype as unknown as { getSignature: unknown }).getSignature,
  verifySignature: SenderKeyMessage.prototype.verifySignature,
};

const with05 = (pub: Uint8Array) => Buffer.concat([Buffer.from([5]), pub]);
const message = Buffer.from('a message worth signing');

function timePerCall(fn: () => void, n: number): number {
  const start = performance.now();
  for (let i = 0; i < n; i++) fn();
  return (performance.now() - start) / n;
}

describe('installFastCurve', () => {
  beforeAll(() => {
    const result = installFastCurve(pino({ level: 'silent' }));
    expect(result).toEqual({ installed: true });
  });

  it('is installed once; later calls report the same result', () => {
    expect(installFastCurve(pino({ level: 'silent' }))).toEqual({ installed: true });
    expect(Curve.sign).not.toBe(stock.sign);
    expect(lib.calculateSignature).not.toBe(stock.libSign);
  });

  it('Baileys’ own key generation (fresh credentials, Noise ephemeral keys) makes pairs the stock curve accepts', () => {
    expect(Curve.generateKeyPair).not.toBe(stock.generateKeyPair);
    const mine = Curve.generateKeyPair();
    const theirs = stock.generateKeyPair();
    expect(mine.public).toHaveLength(32);
    expect(mine.private).toHaveLength(32);
    expect(stock.sharedKey(mine.private, theirs.public)).toEqual(stock.sharedKey(theirs.private, mine.public));
    expect(stock.verify(mine.public, message, stock.sign(mine.private, message))).toBe(true);
  });

  it('signatures made by the patched functions verify with the stock ones, and vice versa', () => {
    const kp = Curve.generateKeyPair();
    const fastSig = Curve.sign(kp.private, message);
    expect(fastSig).toHaveLength(64);
    expect(stock.libVerify(with05(kp.public), message, fastSig)).toBe(true);

    const stockSig = stock.sign(kp.private, message);
    expect(Curve.verify(kp.public, message, stockSig)).toBe(true);
    expect(lib.verifySignature(with05(kp.public), message, stockSig)).toBe(true);

    const libFastSig = lib.calculateSignature(Buffer.from(kp.private), message);
    expect(stock.libVerify(with05(kp.public), message, libFastSig)).toBe(true);
  });

  it('a wrong signature fails (the stock Baileys verify would pass it)', () => {
    const kp = Curve.generateKeyPair();
    const other = Curve.generateKeyPair();
    const sig = Curve.sign(kp.private, message);
    const tampered = Buffer.from(sig);
    tampered[10] = (tampered[10]! + 1) % 256;

    expect(Curve.verify(kp.public, Buffer.from('another message'), sig)).toBe(false);
    expect(Curve.verify(other.public, message, sig)).toBe(false);
    expect(Curve.verify(kp.public, message, tampered)).toBe(false);
    expect(Curve.verify(kp.public, message, Buffer.alloc(10))).toBe(false);
    expect(lib.verifySignature(with05(kp.public), Buffer.from('another message'), sig)).toBe(false);
    // The stock wrapper only fails when the check throws: this is what the patch tightens.
    expect(stock.verify(kp.public, Buffer.from('another message'), sig)).toBe(true);
  });

  it('shared keys agree between both sides and with the stock agreement', () => {
    const a = Curve.generateKeyPair();
    const b = Curve.generateKeyPair();
    const ab = Curve.sharedKey(a.private, b.public);
    const ba = Curve.sharedKey(b.private, a.public);
    expect(ab).toHaveLength(32);
    expect(ab.equals(ba)).toBe(true);
    expect(ab.equals(stock.sharedKey(a.private, b.public))).toBe(true);
    const libShared = lib.calculateAgreement(with05(b.public), Buffer.from(a.private));
    expect(Buffer.from(libShared).equals(ab)).toBe(true);
  });

  it('keeps libsignal’s input checks', () => {
    const kp = Curve.generateKeyPair();
    expect(() => lib.calculateSignature(Buffer.alloc(31), message)).toThrow(/private key length/);
    expect(() => lib.verifySignature(Buffer.alloc(33, 7), message, Buffer.alloc(64))).toThrow(/public key/);
    expect(() => lib.verifySignature(with05(kp.public), message, Buffer.alloc(63))).toThrow(/signature/);
    expect(() => lib.calculateAgreement(Buffer.alloc(5), Buffer.from(kp.private))).toThrow(/public key/);
    // isInit keeps its meaning: the caller asked not to check.
    expect(lib.verifySignature(with05(kp.public), message, Buffer.alloc(64), true)).toBe(true);
  });

  it('micro-measures stock and patched costs (printed, not asserted)', () => {
    const kp = Curve.generateKeyPair();
    const sig = Curve.sign(kp.private, message);
    const n = 20;
    const row = (name: string, stockMs: number, fastMs: number) =>
      `${name.padEnd(8)} stock ${stockMs.toFixed(3)} ms  wasm ${fastMs.toFixed(3)} ms  (x${(stockMs / fastMs).toFixed(0)})`;
    const lines = [
      row('sign', timePerCall(() => stock.sign(kp.private, message), n), timePerCall(() => Curve.sign(kp.private, message), n)),
      row(
        'verify',
        timePerCall(() => stock.verify(kp.public, message, sig), n),
        timePerCall(() => Curve.verify(kp.public, message, sig), n),
      ),
      row(
        'agree',
        timePerCall(() => stock.sharedKey(kp.private, kp.public), n),
        timePerCall(() => Curve.sharedKey(kp.private, kp.public), n),
      ),
    ];
    console.log(`curve25519 per call (n=${n}):\n  ${lines.join('\n  ')}`);
  });

  describe('group (sender-key) messages', () => {
    /** A sender-key store shaped like Baileys' (records as JSON in a Buffer). */
    function senderKeyStore() {
      const stored = new Map<string, Buffer>();
      return {
        loadSenderKey: async (name: SenderKeyName) => {
          const v = stored.get(name.toString());
          return v ? SenderKeyRecord.deserialize(v) : new SenderKeyRecord();
        },
        storeSenderKey: async (name: SenderKeyName, record: SenderKeyRecord) =>
          void stored.set(name.toString(), Buffer.from(JSON.stringify(record.serialize()), 'utf-8')),
      };
    }
    const signedParts = (serialized: Uint8Array) => [serialized.subarray(0, -64), serialized.subarray(-64)] as const;

    it('are signed and checked through the routed curve, not the copy Baileys bound at import', () => {
      const proto = SenderKeyMessage.prototype as unknown as { getSignature: unknown };
      expect(proto.getSignature).not.toBe(stockSenderKeyMethods.getSignature);
      expect(SenderKeyMessage.prototype.verifySignature).not.toBe(stockSenderKeyMethods.verifySignature);
    });

    it('a routed signature verifies with the stock curve, a stock one with the routed check, a tampered one fails', () => {
      const kp = Curve.generateKeyPair();
      const pub = with05(kp.public);
      const routed = new SenderKeyMessage(1, 5, Buffer.from('group text'), Buffer.from(kp.private));
      const [body, sig] = signedParts(routed.serialize());
      expect(esmStockVerify(pub, body, sig)).toBe(true);

      const stockSig = esmStockSign(Buffer.from(kp.private), body);
      const stockSigned = new SenderKeyMessage(null, null, null, null, Buffer.concat([body, stockSig]));
      expect(() => stockSigned.verifySignature(pub)).not.toThrow();

      const tampered = Buffer.from(routed.serialize());
      tampered[3] = (tampered[3]! + 1) % 256;
      expect(() => new SenderKeyMessage(null, null, null, null, tampered).verifySignature(pub)).toThrow('Invalid signature!');
      const other = Curve.generateKeyPair();
      expect(() => routed.verifySignature(with05(other.public))).toThrow('Invalid signature!');
    });

    it('a group conversation through Baileys’ cipher decrypts to the same bytes on the receiving side', async () => {
      const group = '120363000000000000@g.us';
      const sender = { id: '491700000001', deviceId: 0, toString: () => '491700000001.0' };
      const name = new SenderKeyName(group, sender);
      const alice = senderKeyStore();
      const bob = senderKeyStore();
      const skdm = await new GroupSessionBuilder(alice).create(name);
      await new GroupSessionBuilder(bob).process(name, new SenderKeyDistributionMessage(null, null, null, null, skdm.serialize()));
      for (const text of ['first', 'second', 'third']) {
        const ciphertext = await new GroupCipher(alice, name).encrypt(Buffer.from(text));
        const [body, sig] = signedParts(ciphertext);
        expect(esmStockVerify(with05(Buffer.from(skdm.getSignatureKey()).subarray(-32)), body, sig)).toBe(true);
        expect(Buffer.from(await new GroupCipher(bob, name).decrypt(ciphertext)).toString()).toBe(text);
      }
    });
  });
});

