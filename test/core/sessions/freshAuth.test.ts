import { describe, expect, it } from 'vitest';
import { freshAuth } from '../../../src/core/sessions/freshAuth.js';
import { createMemoryAuthStore } from '../../../src/store/memoryAuthStore.js';
import type { AuthStore } from '../../../src/store/types.js';

/** Counts the calls that reach the store. */
function counting(store: AuthStore) {
  const calls: string[] = [];
  const wrapped: AuthStore = {
    sessionId: store.sessionId,
    readCreds: () => (calls.push('readCreds'), store.readCreds()),
    writeCreds: (json) => (calls.push('writeCreds'), store.writeCreds(json)),
    replaceCreds: (json) => (calls.push('replaceCreds'), store.replaceCreds(json)),
    readKeys: (type, ids) => (calls.push('readKeys'), store.readKeys(type, ids)),
    writeKeys: (writes) => (calls.push('writeKeys'), store.writeKeys(writes)),
    hasCreds: () => store.hasCreds(),
    wipe: () => (calls.push('wipe'), store.wipe()),
  };
  return { store: wrapped, calls };
}

describe('freshAuth (an unlinked session connecting)', () => {
  it('ignores leftovers, replaces them and their keys with the first write, then is the store itself', async () => {
    const inner = createMemoryAuthStore('s1');
    await inner.writeCreds('{"leftover":true}');
    await inner.writeKeys([{ type: 'pre-key', id: '1', value: 'old' }]);
    const { store, calls } = counting(inner);
    const auth = freshAuth(store);

    expect(await auth.readCreds()).toBeNull();
    await auth.writeCreds('{"new":1}');
    expect(await inner.readCreds()).toBe('{"new":1}');
    expect(await inner.readKeys('pre-key', ['1'])).toEqual({});
    // Keys cannot exist after the replace: no read reaches the store until one is written.
    expect(await auth.readKeys('pre-key', ['1'])).toEqual({});
    expect(calls).toEqual(['replaceCreds']);

    await auth.writeKeys([{ type: 'pre-key', id: '2', value: 'two' }]);
    expect(await auth.readKeys('pre-key', ['2'])).toEqual({ '2': 'two' });
    await auth.writeCreds('{"new":2}');
    expect(await auth.readCreds()).toBe('{"new":2}');
    expect(calls).toEqual(['replaceCreds', 'writeKeys', 'readKeys', 'writeCreds', 'readCreds']);
  });

  it('asks the store for keys when a key write raced the replace', async () => {
    const inner = createMemoryAuthStore('s1');
    const auth = freshAuth(inner);
    const replacing = auth.writeCreds('{"new":1}');
    await auth.writeKeys([{ type: 'pre-key', id: '1', value: 'one' }]);
    await replacing;
    expect(await auth.readKeys('pre-key', ['1'])).toEqual(await inner.readKeys('pre-key', ['1']));
  });

  it('a failed replace leaves it fresh: the retry replaces again', async () => {
    const inner = createMemoryAuthStore('s1');
    await inner.writeCreds('{"leftover":true}');
    let fail = true;
    const auth = freshAuth({
      ...inner,
      sessionId: 's1',
      replaceCreds: async (json) => {
        if (fail) throw new Error('disk full');
        return inner.replaceCreds(json);
      },
    });
    await expect(auth.writeCreds('{"new":1}')).rejects.toThrow('disk full');
    expect(await auth.readCreds()).toBeNull();
    fail = false;
    await auth.writeCreds('{"new":2}');
    expect(await auth.readCreds()).toBe('{"new":2}');
  });
});
