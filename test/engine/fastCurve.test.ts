import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { Curve } from 'baileys';
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
});
