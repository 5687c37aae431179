import { Curve } from 'baileys';
import { describe, expect, it } from 'vitest';
import { verifySignature } from 'whatsapp-rust-bridge';
import { withVerifyMemo } from '../../src/engine/baileys/verifyMemo.js';

// A real check (stock Baileys' Curve.verify answers true unless the check throws).
const check = (k: Uint8Array, m: Uint8Array, s: Uint8Array): boolean => verifySignature(k, m, s) === true;

describe('withVerifyMemo', () => {
  const pair = Curve.generateKeyPair();
  const message = Buffer.from('noise certificate details');
  const signature = Curve.sign(pair.private, message);

  it('checks a signature once and answers the same bytes from memory', () => {
    let calls = 0;
    const verify = withVerifyMemo((k, m, s) => {
      calls++;
      return check(k, m, s);
    });
    expect(verify(pair.public, message, signature)).toBe(true);
    expect(verify(pair.public, Buffer.from(message), Buffer.from(signature))).toBe(true);
    expect(calls).toBe(1);
  });

  it('never remembers a failure, and a changed byte is checked again', () => {
    let calls = 0;
    const verify = withVerifyMemo((k, m, s) => {
      calls++;
      return check(k, m, s);
    });
    const forged = Buffer.from(signature);
    forged[0] ^= 1;
    expect(verify(pair.public, message, forged)).toBe(false);
    expect(verify(pair.public, message, forged)).toBe(false);
    expect(verify(pair.public, Buffer.from('other details'), signature)).toBe(false);
    expect(calls).toBe(3);
  });

  it('stays bounded: the oldest success is checked again once pushed out', () => {
    let calls = 0;
    const verify = withVerifyMemo(() => {
      calls++;
      return true;
    }, 2);
    const sig = new Uint8Array(64);
    for (const m of ['a', 'b', 'c']) verify(pair.public, Buffer.from(m), sig);
    expect(calls).toBe(3);
    verify(pair.public, Buffer.from('c'), sig);
    expect(calls).toBe(3);
    verify(pair.public, Buffer.from('a'), sig);
    expect(calls).toBe(4);
  });
});
