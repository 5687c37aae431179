import { describe, expect, it } from 'vitest';
import { proto } from 'baileys';
import { loadAuthState } from '../../src/engine/baileys/authState.js';
import { createMemoryAuthStore } from '../../src/store/memoryAuthStore.js';
import type { AuthStore, KeyWrite } from '../../src/store/types.js';

/** Wraps a store to record what the bridge asks of it. */
function recording(store: AuthStore) {
  const keyWrites: KeyWrite[][] = [];
  const credWrites: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const wrapped: AuthStore = {
    ...store,
    sessionId: store.sessionId,
    async writeKeys(writes) {
      keyWrites.push(writes);
      return store.writeKeys(writes);
    },
    async writeCreds(json) {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      credWrites.push(json);
      await store.writeCreds(json);
      inFlight--;
    },
  };
  return { store: wrapped, keyWrites, credWrites, maxInFlight: () => maxInFlight };
}

describe('Baileys auth state over an AuthStore', () => {
  it('creates fresh credentials and persists them at once', async () => {
    const store = createMemoryAuthStore('s1');
    expect(await store.hasCreds()).toBe(false);
    const auth = await loadAuthState(store);
    expect(await store.hasCreds()).toBe(true);
    expect(Buffer.isBuffer(auth.state.creds.noiseKey.public)).toBe(true);
    expect(auth.state.creds.registered).toBe(false);
  });

  it('round-trips credentials with Buffers through the store', async () => {
    const store = createMemoryAuthStore('s1');
    const first = await loadAuthState(store);
    first.state.creds.routingInfo = Buffer.from([1, 2, 3]);
    first.state.creds.me = { id: '15551234567:7@s.whatsapp.net', lid: '999:7@lid', name: 'Ann' };
    first.state.creds.account = { details: Buffer.from([9, 9]), accountSignature: Buffer.alloc(64, 1) };
    await first.saveCreds();

    const second = await loadAuthState(store);
    const c = second.state.creds;
    expect(Buffer.from(c.noiseKey.private).equals(Buffer.from(first.state.creds.noiseKey.private))).toBe(true);
    expect(Buffer.isBuffer(c.signedIdentityKey.public)).toBe(true);
    expect(Buffer.isBuffer(c.signedPreKey.signature)).toBe(true);
    expect(c.routingInfo).toEqual(Buffer.from([1, 2, 3]));
    expect(c.me).toEqual({ id: '15551234567:7@s.whatsapp.net', lid: '999:7@lid', name: 'Ann' });
    expect(c.registrationId).toBe(first.state.creds.registrationId);
    expect(c.advSecretKey).toBe(first.state.creds.advSecretKey);
  });

  it('never persists the unpaired "me" Baileys sets when a pairing code is asked for', async () => {
    const store = createMemoryAuthStore('s1');
    const auth = await loadAuthState(store);
    auth.state.creds.me = { id: '15551234567@s.whatsapp.net', name: '~' };
    await auth.saveCreds();
    const again = await loadAuthState(store);
    expect(again.state.creds.me).toBeUndefined();
    // In memory the live socket still sees it.
    expect(auth.state.creds.me?.id).toBe('15551234567@s.whatsapp.net');
  });

  it('gets, sets and deletes keys; one set is one transactional write', async () => {
    const rec = recording(createMemoryAuthStore('s1'));
    const auth = await loadAuthState(rec.store);
    const keys = auth.state.keys;
    await keys.set({
      'pre-key': {
        '1': { public: Buffer.alloc(32, 1), private: Buffer.alloc(32, 2) },
        '2': { public: Buffer.alloc(32, 3), private: Buffer.alloc(32, 4) },
      },
      session: { 'a.0': Buffer.from([7, 7, 7]) },
    });
    expect(rec.keyWrites).toHaveLength(1);
    expect(rec.keyWrites[0]).toHaveLength(3);

    const pre = await keys.get('pre-key', ['1', '2', '3']);
    expect(Object.keys(pre).sort()).toEqual(['1', '2']);
    expect(Buffer.isBuffer(pre['1']!.public)).toBe(true);
    expect(Buffer.from(pre['2']!.private).equals(Buffer.alloc(32, 4))).toBe(true);
    const sessions = await keys.get('session', ['a.0']);
    expect(Buffer.from(sessions['a.0']!)).toEqual(Buffer.from([7, 7, 7]));

    await keys.set({ 'pre-key': { '1': null } });
    expect(rec.keyWrites[1]).toEqual([{ type: 'pre-key', id: '1', value: null }]);
    expect(Object.keys(await keys.get('pre-key', ['1', '2']))).toEqual(['2']);
  });

  it('revives app-state-sync-key values as protobuf objects', async () => {
    const auth = await loadAuthState(createMemoryAuthStore('s1'));
    const keyData = proto.Message.AppStateSyncKeyData.fromObject({
      keyData: Buffer.alloc(32, 5),
      timestamp: 1700000000,
    });
    await auth.state.keys.set({ 'app-state-sync-key': { AAAA: keyData } });
    const got = await auth.state.keys.get('app-state-sync-key', ['AAAA']);
    const value = got['AAAA'];
    expect(value).toBeInstanceOf(proto.Message.AppStateSyncKeyData);
    expect(Buffer.from(value!.keyData!)).toEqual(Buffer.alloc(32, 5));
  });

  it('serialises credential writes: never two at once, the last state wins', async () => {
    const rec = recording(createMemoryAuthStore('s1'));
    const auth = await loadAuthState(rec.store);
    const initialWrites = rec.credWrites.length;
    const saves: Promise<void>[] = [];
    for (let i = 0; i < 10; i++) {
      auth.state.creds.nextPreKeyId = 100 + i;
      saves.push(auth.saveCreds());
    }
    await Promise.all(saves);
    await auth.flush();
    expect(rec.maxInFlight()).toBe(1);
    // Coalesced: far fewer writes than requests, and the stored state is the latest.
    expect(rec.credWrites.length - initialWrites).toBeLessThanOrEqual(2);
    const stored = JSON.parse((await rec.store.readCreds())!) as { nextPreKeyId: number };
    expect(stored.nextPreKeyId).toBe(109);
  });

  it('a failed credential write is reported and does not block later writes', async () => {
    const base = createMemoryAuthStore('s1');
    const auth = await loadAuthState(base);
    let fail = true;
    const original = base.writeCreds.bind(base);
    base.writeCreds = async (json: string) => {
      if (fail) throw new Error('disk full');
      return original(json);
    };
    await expect(auth.saveCreds()).rejects.toThrow('disk full');
    fail = false;
    auth.state.creds.nextPreKeyId = 42;
    await expect(auth.saveCreds()).resolves.toBeUndefined();
    expect((JSON.parse((await base.readCreds())!) as { nextPreKeyId: number }).nextPreKeyId).toBe(42);
  });
});
