import { initAuthCreds } from 'baileys';
import { afterEach, describe, expect, it } from 'vitest';
import { CredentialPool } from '../../src/engine/baileys/credentialPool.js';

let pool: CredentialPool | null = null;
afterEach(() => pool?.stop());

const until = async (done: () => boolean, timeoutMs = 5_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('CredentialPool', () => {
  it('fills while idle and never hands the same credentials out twice', async () => {
    pool = new CredentialPool(4);
    expect(pool.available).toBe(0);
    await until(() => pool!.available === 4);
    const taken = Array.from({ length: 10 }, () => pool!.take());
    const noiseKeys = new Set(taken.map((c) => Buffer.from(c.noiseKey.public).toString('hex')));
    const identities = new Set(taken.map((c) => Buffer.from(c.signedIdentityKey.public).toString('hex')));
    expect(noiseKeys.size).toBe(10);
    expect(identities.size).toBe(10);
    expect(pool.available).toBe(0);
    // Taken sets are complete Baileys credentials, as initAuthCreds makes them.
    expect(Object.keys(taken[0]!).sort()).toEqual(Object.keys(initAuthCreds()).sort());
    await until(() => pool!.available === 4);
  });

  it('waits while the event loop is busy (a burst of connects) and fills once it is idle', async () => {
    pool = new CredentialPool(4);
    // ~90 % busy: a synchronous spin in every 10 ms tick.
    const spin = setInterval(() => {
      const until = performance.now() + 9;
      while (performance.now() < until);
    }, 10);
    try {
      await new Promise((r) => setTimeout(r, 800));
      expect(pool.available).toBe(0);
    } finally {
      clearInterval(spin);
    }
    await until(() => pool!.available === 4);
  });

  it('makes a set on the spot when empty, and stops refilling once stopped', async () => {
    let made = 0;
    pool = new CredentialPool(2, () => {
      made++;
      return initAuthCreds();
    });
    pool.take();
    expect(made).toBe(1);
    pool.stop();
    await new Promise((r) => setTimeout(r, 400));
    expect(pool.available).toBe(0);
    expect(made).toBe(1);
  });
});
