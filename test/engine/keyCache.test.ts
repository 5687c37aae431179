import { describe, expect, it } from 'vitest';
import { loadAuthState } from '../../src/engine/baileys/authState.js';
import { createKeyCache } from '../../src/engine/baileys/keyCache.js';
import { BoundedCache } from '../../src/engine/baileys/sharedCaches.js';
import { createMemoryAuthStore } from '../../src/store/memoryAuthStore.js';
import type { AuthStore } from '../../src/store/types.js';

/** A memory store that counts key reads, and can hold one read until released. */
function counting(store: AuthStore) {
  const reads: Array<{ type: string; ids: string[] }> = [];
  let hold: Promise<void> | null = null;
  const wrapped: AuthStore = {
    ...store,
    sessionId: store.sessionId,
    async readKeys(type, ids) {
      reads.push({ type, ids: [...ids] });
      const answer = await store.readKeys(type, ids);
      if (hold) await hold;
      return answer;
    },
    writeKeys: (writes) => store.writeKeys(writes),
  };
  return {
    store: wrapped,
    reads,
    holdReads(): () => void {
      let release!: () => void;
      hold = new Promise((r) => (release = r));
      return () => {
        hold = null;
        release();
      };
    },
  };
}

const session = (n: number): Buffer => Buffer.from(`session record ${n}`);

describe('Signal key cache in front of the auth store', () => {
  it('reads a hot key from the store once, and a written one not at all', async () => {
    const rec = counting(createMemoryAuthStore('s1'));
    const auth = await loadAuthState(rec.store, undefined, createKeyCache(new BoundedCache(100, 60_000), 's1#1'));
    await auth.state.keys.set({ session: { 'peer.0': session(1) } });
    expect(await auth.state.keys.get('session', ['peer.0'])).toEqual({ 'peer.0': session(1) });
    expect(rec.reads).toHaveLength(0);

    await rec.store.writeKeys([{ type: 'session', id: 'peer.1', value: JSON.stringify(session(2)) }]);
    const other = createKeyCache(new BoundedCache(100, 60_000), 's1#2');
    const again = await loadAuthState(rec.store, undefined, other);
    await again.state.keys.get('session', ['peer.1']);
    await again.state.keys.get('session', ['peer.1']);
    expect(rec.reads.filter((r) => r.type === 'session')).toHaveLength(1);
  });

  it('remembers that a key is absent, until it is written', async () => {
    const rec = counting(createMemoryAuthStore('s1'));
    const auth = await loadAuthState(rec.store, undefined, createKeyCache(new BoundedCache(100, 60_000), 's1#1'));
    expect(await auth.state.keys.get('lid-mapping', ['123'])).toEqual({});
    expect(await auth.state.keys.get('lid-mapping', ['123'])).toEqual({});
    expect(rec.reads).toHaveLength(1);
    await auth.state.keys.set({ 'lid-mapping': { '123': '456' } });
    expect(await auth.state.keys.get('lid-mapping', ['123'])).toEqual({ '123': '456' });
    await auth.state.keys.set({ 'lid-mapping': { '123': null } });
    expect(await auth.state.keys.get('lid-mapping', ['123'])).toEqual({});
    expect(rec.reads).toHaveLength(1);
  });

  it('never caches the answer of a read that a write overtook', async () => {
    const rec = counting(createMemoryAuthStore('s1'));
    const auth = await loadAuthState(rec.store, undefined, createKeyCache(new BoundedCache(100, 60_000), 's1#1'));
    await rec.store.writeKeys([{ type: 'identity-key', id: 'peer.0', value: JSON.stringify('old') }]);
    const release = rec.holdReads();
    const slowRead = auth.state.keys.get('identity-key', ['peer.0']);
    await new Promise((r) => setTimeout(r, 5));
    await auth.state.keys.set({ 'identity-key': { 'peer.0': Buffer.from('new') } });
    release();
    await slowRead;
    const now = await auth.state.keys.get('identity-key', ['peer.0']);
    expect(Buffer.from(now['peer.0']!).toString()).toBe('new');
  });

  it('leaves other key types to the store (pre-keys are read once, sender-key memory is changed in place)', async () => {
    const rec = counting(createMemoryAuthStore('s1'));
    const auth = await loadAuthState(rec.store, undefined, createKeyCache(new BoundedCache(100, 60_000), 's1#1'));
    await auth.state.keys.set({ 'sender-key-memory': { 'g@g.us': { 'a@s.whatsapp.net': true } } });
    await auth.state.keys.get('sender-key-memory', ['g@g.us']);
    await auth.state.keys.get('sender-key-memory', ['g@g.us']);
    expect(rec.reads).toHaveLength(2);
  });

  it('keeps each loaded auth state to its own scope', async () => {
    const shared = new BoundedCache(100, 60_000);
    const first = await loadAuthState(createMemoryAuthStore('s1'), undefined, createKeyCache(shared, 's1#1'));
    await first.state.keys.set({ session: { 'peer.0': session(1) } });
    // The same session paired again (new store contents, new scope) does not see the old key.
    const second = await loadAuthState(createMemoryAuthStore('s1'), undefined, createKeyCache(shared, 's1#2'));
    expect(await second.state.keys.get('session', ['peer.0'])).toEqual({});
  });
});
